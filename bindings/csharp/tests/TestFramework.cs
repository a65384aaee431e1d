// A self-contained test runner: no NUnit/xUnit needed, so it runs anywhere mcs + mono do.
// Discovers public static void methods marked [Test] in this assembly, runs each (in name order),
// and prints "N passed, N failed, N skipped". Exit code 1 when anything failed.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Reflection;

namespace AgentHypervisor.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute { }

    public sealed class SkipException : Exception
    {
        public SkipException(string reason) : base(reason) { }
    }

    public sealed class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    public static class Assert
    {
        public static void True(bool condition, string what = "condition")
        {
            if (!condition) throw new AssertionException("expected true: " + what);
        }

        public static void False(bool condition, string what = "condition")
        {
            if (condition) throw new AssertionException("expected false: " + what);
        }

        public static void Equal<T>(T expected, T actual, string what = "value")
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException(what + ": expected <" + Show(expected) + "> but was <" + Show(actual) + ">");
        }

        public static void Near(double expected, double actual, double tolerance = 1e-9, string what = "value")
        {
            if (Math.Abs(expected - actual) > tolerance)
                throw new AssertionException(what + ": expected " + expected.ToString("R", CultureInfo.InvariantCulture)
                    + " but was " + actual.ToString("R", CultureInfo.InvariantCulture));
        }

        public static void NotNull(object o, string what = "value")
        {
            if (o == null) throw new AssertionException(what + " is null");
        }

        public static void Null(object o, string what = "value")
        {
            if (o != null) throw new AssertionException(what + " is not null: " + Show(o));
        }

        public static T Throws<T>(Action action, string what = "action") where T : Exception
        {
            try { action(); }
            catch (T e) { return e; }
            catch (Exception e) { throw new AssertionException(what + ": expected " + typeof(T).Name + " but got " + e); }
            throw new AssertionException(what + ": expected " + typeof(T).Name + " but nothing was thrown");
        }

        /// <summary>Asserts a HypervisorException with the given status and code.</summary>
        public static HypervisorException Fails(HvStatus status, string code, Action action)
        {
            var e = Throws<HypervisorException>(action, code);
            Equal(status, e.Status, "status of " + code);
            Equal(code, e.Code, "code");
            return e;
        }

        private static string Show(object o) { return o == null ? "null" : o is string ? "\"" + o + "\"" : o.ToString(); }
    }

    public static class Program
    {
        /// <summary>tests/vectors directory (set from the command line or HV_VECTORS_DIR).</summary>
        public static string VectorsDir;

        public static int Main(string[] args)
        {
            string filter = null;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--vectors" && i + 1 < args.Length) VectorsDir = args[++i];
                else filter = args[i];
            }
            if (VectorsDir == null) VectorsDir = Environment.GetEnvironmentVariable("HV_VECTORS_DIR");
            if (VectorsDir == null) VectorsDir = FindVectors(AppDomain.CurrentDomain.BaseDirectory) ?? FindVectors(Environment.CurrentDirectory);

            var tests = typeof(Program).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                .OrderBy(m => m.DeclaringType.Name + "." + m.Name, StringComparer.Ordinal)
                .ToList();

            int passed = 0, failed = 0, skipped = 0;
            var total = Stopwatch.StartNew();
            Console.WriteLine("agent_hypervisor " + Hypervisor.Version + " (ABI " + Hypervisor.AbiVersion + ")");
            foreach (var m in tests)
            {
                string name = m.DeclaringType.Name + "." + m.Name;
                if (filter != null && name.IndexOf(filter, StringComparison.OrdinalIgnoreCase) < 0) continue;
                var sw = Stopwatch.StartNew();
                try
                {
                    m.Invoke(null, null);
                    passed++;
                    Console.WriteLine("PASS " + name + " (" + sw.ElapsedMilliseconds + " ms)");
                }
                catch (TargetInvocationException tie)
                {
                    var e = tie.InnerException;
                    if (e is SkipException)
                    {
                        skipped++;
                        Console.WriteLine("SKIP " + name + ": " + e.Message);
                    }
                    else
                    {
                        failed++;
                        Console.WriteLine("FAIL " + name + ": " + e);
                    }
                }
            }
            Console.WriteLine("C# tests finished in " + total.ElapsedMilliseconds + " ms");
            Console.WriteLine(passed + " passed, " + failed + " failed, " + skipped + " skipped");
            return failed == 0 && passed > 0 ? 0 : 1;
        }

        /// <summary>Walks up from <paramref name="start"/> to the repo's tests/vectors.</summary>
        private static string FindVectors(string start)
        {
            for (var d = new System.IO.DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = System.IO.Path.Combine(d.FullName, "tests", "vectors");
                if (System.IO.File.Exists(System.IO.Path.Combine(candidate, "README.md"))) return candidate;
            }
            return null;
        }
    }
}
