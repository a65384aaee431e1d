using System;
using System.Runtime.InteropServices;
using System.Text;

namespace AgentHypervisor.Native
{
    /// <summary>Hand-written UTF-8 marshalling for the C ABI.</summary>
    internal static class Utf8
    {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false, false);

        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/>, or null for null.</summary>
        internal static byte[] Encode(string s)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0)
                throw new ArgumentException("strings passed to the engine may not contain NUL characters");
            int n = Utf8NoBom.GetByteCount(s);
            var bytes = new byte[n + 1];
            Utf8NoBom.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Decodes a borrowed NUL-terminated UTF-8 string; IntPtr.Zero gives null.</summary>
        internal static string Decode(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            if (len == 0) return string.Empty;
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Utf8NoBom.GetString(bytes);
        }

        /// <summary>Decodes a string the library returned through an out-parameter and frees it.</summary>
        internal static string TakeOwned(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try { return Decode(p); }
            finally { NativeMethods.hv_string_free(p); }
        }
    }
}
