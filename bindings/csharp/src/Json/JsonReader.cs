// A small strict JSON (RFC 8259) parser producing a plain object tree.
//
// Why our own: Mono's mcs has no System.Text.Json, and DataContractJsonSerializer cannot
// represent "any JSON" fields (error details, step results, event payloads) nor omit nulls
// without attributes on every member. The tree below works unchanged on Mono and netstandard2.0.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AgentHypervisor
{
    /// <summary>
    /// Parses JSON text into a tree of: <c>null</c>, <see cref="bool"/>, <see cref="long"/>
    /// (integers that fit), <see cref="double"/> (other numbers), <see cref="string"/>,
    /// <see cref="List{T}"/> of object (arrays) and <see cref="JsonObject"/> (objects).
    /// </summary>
    internal sealed class JsonReader
    {
        private const int MaxDepth = 512;
        private readonly string _s;
        private int _i;

        private JsonReader(string s) { _s = s; }

        internal static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var r = new JsonReader(text);
            r.SkipWs();
            object v = r.ReadValue(0);
            r.SkipWs();
            if (r._i != text.Length) throw r.Error("unexpected trailing characters");
            return v;
        }

        private FormatException Error(string what)
        {
            return new FormatException("invalid JSON at offset " + _i + ": " + what);
        }

        private void SkipWs()
        {
            while (_i < _s.Length)
            {
                char c = _s[_i];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _i++;
                else break;
            }
        }

        private object ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error("nesting too deep");
            if (_i >= _s.Length) throw Error("unexpected end of input");
            char c = _s[_i];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"': return ReadString();
                case 't': Expect("true"); return true;
                case 'f': Expect("false"); return false;
                case 'n': Expect("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                    throw Error("unexpected character '" + c + "'");
            }
        }

        private void Expect(string lit)
        {
            if (string.CompareOrdinal(_s, _i, lit, 0, lit.Length) != 0) throw Error("expected '" + lit + "'");
            _i += lit.Length;
        }

        private JsonObject ReadObject(int depth)
        {
            var o = new JsonObject();
            _i++; // {
            SkipWs();
            if (_i < _s.Length && _s[_i] == '}') { _i++; return o; }
            while (true)
            {
                SkipWs();
                if (_i >= _s.Length || _s[_i] != '"') throw Error("expected a string key");
                string key = ReadString();
                SkipWs();
                if (_i >= _s.Length || _s[_i] != ':') throw Error("expected ':'");
                _i++;
                SkipWs();
                o[key] = ReadValue(depth + 1);
                SkipWs();
                if (_i >= _s.Length) throw Error("unexpected end of input in object");
                if (_s[_i] == ',') { _i++; continue; }
                if (_s[_i] == '}') { _i++; return o; }
                throw Error("expected ',' or '}'");
            }
        }

        private List<object> ReadArray(int depth)
        {
            var a = new List<object>();
            _i++; // [
            SkipWs();
            if (_i < _s.Length && _s[_i] == ']') { _i++; return a; }
            while (true)
            {
                SkipWs();
                a.Add(ReadValue(depth + 1));
                SkipWs();
                if (_i >= _s.Length) throw Error("unexpected end of input in array");
                if (_s[_i] == ',') { _i++; continue; }
                if (_s[_i] == ']') { _i++; return a; }
                throw Error("expected ',' or ']'");
            }
        }

        private string ReadString()
        {
            _i++; // opening quote
            StringBuilder sb = null;
            int start = _i;
            while (true)
            {
                if (_i >= _s.Length) throw Error("unterminated string");
                char c = _s[_i];
                if (c == '"')
                {
                    string tail = _s.Substring(start, _i - start);
                    _i++;
                    if (sb == null) return tail;
                    sb.Append(tail);
                    return sb.ToString();
                }
                if (c < 0x20) throw Error("control character in string");
                if (c != '\\') { _i++; continue; }
                if (sb == null) sb = new StringBuilder();
                sb.Append(_s, start, _i - start);
                _i++;
                if (_i >= _s.Length) throw Error("unterminated escape");
                char e = _s[_i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u': sb.Append(ReadHex4()); break;
                    default: throw Error("invalid escape '\\" + e + "'");
                }
                start = _i;
            }
        }

        private char ReadHex4()
        {
            if (_i + 4 > _s.Length) throw Error("truncated \\u escape");
            int v = 0;
            for (int k = 0; k < 4; k++)
            {
                char h = _s[_i++];
                int d;
                if (h >= '0' && h <= '9') d = h - '0';
                else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
                else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
                else throw Error("invalid hex digit in \\u escape");
                v = v * 16 + d;
            }
            return (char)v;
        }

        private object ReadNumber()
        {
            int start = _i;
            bool integral = true;
            if (_s[_i] == '-') _i++;
            if (_i >= _s.Length) throw Error("truncated number");
            if (_s[_i] == '0') _i++;
            else if (_s[_i] >= '1' && _s[_i] <= '9') { while (_i < _s.Length && IsDigit(_s[_i])) _i++; }
            else throw Error("invalid number");
            if (_i < _s.Length && _s[_i] == '.')
            {
                integral = false;
                _i++;
                if (_i >= _s.Length || !IsDigit(_s[_i])) throw Error("digit expected after '.'");
                while (_i < _s.Length && IsDigit(_s[_i])) _i++;
            }
            if (_i < _s.Length && (_s[_i] == 'e' || _s[_i] == 'E'))
            {
                integral = false;
                _i++;
                if (_i < _s.Length && (_s[_i] == '+' || _s[_i] == '-')) _i++;
                if (_i >= _s.Length || !IsDigit(_s[_i])) throw Error("digit expected in exponent");
                while (_i < _s.Length && IsDigit(_s[_i])) _i++;
            }
            string text = _s.Substring(start, _i - start);
            if (integral)
            {
                long l;
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                ulong ul;
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ul)) return ul;
            }
            double d;
            // Mono throws OverflowException for 1e999 where .NET Core returns infinity: treat both alike.
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d) || double.IsInfinity(d))
                throw Error("number out of range");
            return d;
        }

        private static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
    }
}
