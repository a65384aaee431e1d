// JSON for the wrapper: a strict reader (JsonReader.cs), a compact writer and a reflection
// mapper between the tree and the typed models. Model properties map to snake_case names
// automatically (SigmaRaw -> "sigma_raw"), or to [JsonName("...")] when given. Null properties
// are omitted on write (the engine treats a missing optional and null alike); unknown fields are
// ignored on read (responses may grow).
using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace AgentHypervisor
{
    /// <summary>A parsed JSON object (ordinal keys). <c>ToString()</c> gives compact JSON.</summary>
    public sealed class JsonObject : Dictionary<string, object>
    {
        public JsonObject() : base(StringComparer.Ordinal) { }

        /// <summary>The value at <paramref name="key"/>, or null when absent.</summary>
        public object Get(string key)
        {
            object v;
            return TryGetValue(key, out v) ? v : null;
        }

        public override string ToString() { return Json.Serialize(this); }
    }

    /// <summary>Pre-serialized JSON text that the writer emits verbatim (validated on creation).</summary>
    public sealed class RawJson
    {
        public RawJson(string json)
        {
            JsonReader.Parse(json); // throws FormatException when not JSON
            Text = json;
        }

        public string Text { get; private set; }

        public override string ToString() { return Text; }
    }

    /// <summary>Overrides the JSON name of a model property.</summary>
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class JsonNameAttribute : Attribute
    {
        public JsonNameAttribute(string name) { Name = name; }
        public string Name { get; private set; }
    }

    /// <summary>JSON text &lt;-&gt; object tree &lt;-&gt; typed models.</summary>
    public static class Json
    {
        private const int MaxDepth = 512;

        /// <summary>Parses JSON text into the plain tree (see <see cref="JsonReader"/>).</summary>
        public static object Parse(string json) { return JsonReader.Parse(json); }

        /// <summary>Compact JSON for a tree, a model, a collection or a primitive.</summary>
        public static string Serialize(object value)
        {
            var sb = new StringBuilder();
            Write(sb, value, 0);
            return sb.ToString();
        }

        /// <summary>Parses <paramref name="json"/> and maps it onto <typeparamref name="T"/>.</summary>
        public static T Deserialize<T>(string json) { return (T)Convert(Parse(json), typeof(T)); }

        /// <summary>Maps a parsed tree (or any serializable value) onto <typeparamref name="T"/>.</summary>
        public static T Convert<T>(object tree) { return (T)Convert(tree, typeof(T)); }

        // ---------------------------------------------------------------- writer

        private static void Write(StringBuilder sb, object v, int depth)
        {
            if (depth > MaxDepth) throw new ArgumentException("value nests too deeply (cycle?)");
            if (v == null) { sb.Append("null"); return; }
            var raw = v as RawJson;
            if (raw != null) { sb.Append(raw.Text); return; }
            var s = v as string;
            if (s != null) { WriteString(sb, s); return; }
            if (v is bool) { sb.Append((bool)v ? "true" : "false"); return; }
            if (v is char) { WriteString(sb, v.ToString()); return; }
            if (v is double || v is float)
            {
                double d = System.Convert.ToDouble(v, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d))
                    throw new ArgumentException("JSON cannot represent a non-finite number");
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            if (v is Enum) { WriteString(sb, v.ToString()); return; }
            if (v is int || v is long || v is short || v is sbyte || v is byte || v is ushort
                || v is uint || v is ulong || v is decimal)
            {
                sb.Append(((IFormattable)v).ToString(null, CultureInfo.InvariantCulture));
                return;
            }
            var dict = v as IDictionary;
            if (dict != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry e in dict)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, System.Convert.ToString(e.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    Write(sb, e.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }
            var seq = v as IEnumerable;
            if (seq != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in seq)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item, depth + 1);
                }
                sb.Append(']');
                return;
            }
            sb.Append('{');
            bool firstProp = true;
            foreach (var p in PropertiesOf(v.GetType()))
            {
                if (!p.Info.CanRead) continue;
                object pv = p.Info.GetValue(v, null);
                if (pv == null) continue;
                if (!firstProp) sb.Append(',');
                firstProp = false;
                WriteString(sb, p.Name);
                sb.Append(':');
                Write(sb, pv, depth + 1);
            }
            sb.Append('}');
        }

        private static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        // ---------------------------------------------------------------- mapper

        private sealed class Prop
        {
            internal PropertyInfo Info;
            internal string Name;
        }

        private static readonly ConcurrentDictionary<Type, Prop[]> PropCache = new ConcurrentDictionary<Type, Prop[]>();

        private static Prop[] PropertiesOf(Type t)
        {
            return PropCache.GetOrAdd(t, type =>
            {
                var list = new List<Prop>();
                foreach (var pi in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (pi.GetIndexParameters().Length != 0) continue;
                    var attr = (JsonNameAttribute)Attribute.GetCustomAttribute(pi, typeof(JsonNameAttribute));
                    list.Add(new Prop { Info = pi, Name = attr != null ? attr.Name : SnakeCase(pi.Name) });
                }
                return list.ToArray();
            });
        }

        /// <summary>PascalCase to snake_case: <c>SigmaEff</c> -&gt; <c>sigma_eff</c>, <c>TimeoutMs</c> -&gt; <c>timeout_ms</c>.</summary>
        public static string SnakeCase(string name)
        {
            var sb = new StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsUpper(c))
                {
                    bool boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                        || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                    if (boundary) sb.Append('_');
                    sb.Append(char.ToLowerInvariant(c));
                }
                else sb.Append(c);
            }
            return sb.ToString();
        }

        private static object Convert(object node, Type t)
        {
            if (t == typeof(object)) return node;
            var under = Nullable.GetUnderlyingType(t);
            if (node == null)
            {
                if (t.IsValueType && under == null) return Activator.CreateInstance(t);
                return null;
            }
            if (under != null) t = under;
            if (t == typeof(RawJson)) return new RawJson(Serialize(node));
            if (t == typeof(string))
            {
                var s = node as string;
                if (s == null) throw Mismatch(node, t);
                return s;
            }
            if (t == typeof(bool))
            {
                if (!(node is bool)) throw Mismatch(node, t);
                return node;
            }
            if (t.IsEnum)
            {
                var s = node as string;
                if (s != null) return Enum.Parse(t, s.Replace("_", ""), true);
                return Enum.ToObject(t, System.Convert.ToInt64(node, CultureInfo.InvariantCulture));
            }
            if (t.IsPrimitive || t == typeof(decimal))
            {
                if (!(node is long || node is ulong || node is double || node is int)) throw Mismatch(node, t);
                if ((t == typeof(long) || t == typeof(int) || t == typeof(ulong) || t == typeof(uint)
                     || t == typeof(short) || t == typeof(ushort) || t == typeof(byte) || t == typeof(sbyte))
                    && node is double && Math.Floor((double)node) != (double)node)
                    throw Mismatch(node, t);
                try { return System.Convert.ChangeType(node, t, CultureInfo.InvariantCulture); }
                catch (OverflowException) { throw Mismatch(node, t); }
            }
            var obj = node as JsonObject;
            var arr = node as List<object>;
            if (t.IsArray)
            {
                if (arr == null) throw Mismatch(node, t);
                var et = t.GetElementType();
                var result = Array.CreateInstance(et, arr.Count);
                for (int i = 0; i < arr.Count; i++) result.SetValue(Convert(arr[i], et), i);
                return result;
            }
            if (t.IsGenericType)
            {
                var def = t.GetGenericTypeDefinition();
                var args = t.GetGenericArguments();
                if (def == typeof(List<>) || def == typeof(IList<>) || def == typeof(ICollection<>)
                    || def == typeof(IEnumerable<>) || def == typeof(IReadOnlyList<>) || def == typeof(IReadOnlyCollection<>))
                {
                    if (arr == null) throw Mismatch(node, t);
                    var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(args[0]));
                    foreach (var item in arr) list.Add(Convert(item, args[0]));
                    return list;
                }
                if ((def == typeof(Dictionary<,>) || def == typeof(IDictionary<,>) || def == typeof(IReadOnlyDictionary<,>))
                    && args[0] == typeof(string))
                {
                    if (obj == null) throw Mismatch(node, t);
                    if (args[1] == typeof(object) && t.IsAssignableFrom(typeof(JsonObject))) return obj;
                    var d = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), args[1]));
                    foreach (var kv in obj) d[kv.Key] = Convert(kv.Value, args[1]);
                    return d;
                }
            }
            if (t == typeof(JsonObject))
            {
                if (obj == null) throw Mismatch(node, t);
                return obj;
            }
            if (obj == null) throw Mismatch(node, t);
            var instance = Activator.CreateInstance(t);
            foreach (var p in PropertiesOf(t))
            {
                object v;
                if (!p.Info.CanWrite || !obj.TryGetValue(p.Name, out v)) continue;
                try { p.Info.SetValue(instance, Convert(v, p.Info.PropertyType), null); }
                catch (FormatException e) { throw new FormatException(p.Name + ": " + e.Message, e); }
            }
            return instance;
        }

        private static FormatException Mismatch(object node, Type t)
        {
            string kind = node is JsonObject ? "object" : node is List<object> ? "array" : node is string ? "string"
                : node is bool ? "boolean" : "number " + System.Convert.ToString(node, CultureInfo.InvariantCulture);
            return new FormatException("cannot map JSON " + kind + " to " + t.Name);
        }
    }
}
