using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace AgentHypervisor.Tests
{
    /// <summary>Runs every tests/vectors/*.json through the generic call path (README subset rule).</summary>
    public static class VectorTests
    {
        internal static string Match(object expected, object actual, string path)
        {
            var eo = expected as JsonObject;
            if (eo != null)
            {
                var ao = actual as JsonObject;
                if (ao == null) return path + ": expected an object, got " + Json.Serialize(actual);
                foreach (var kv in eo)
                {
                    object av;
                    if (!ao.TryGetValue(kv.Key, out av)) return path + "." + kv.Key + ": missing";
                    string r = Match(kv.Value, av, path + "." + kv.Key);
                    if (r != null) return r;
                }
                return null;
            }
            var ea = expected as List<object>;
            if (ea != null)
            {
                var aa = actual as List<object>;
                if (aa == null) return path + ": expected an array, got " + Json.Serialize(actual);
                if (aa.Count != ea.Count) return path + ": length " + aa.Count + " != " + ea.Count;
                for (int i = 0; i < ea.Count; i++)
                {
                    string r = Match(ea[i], aa[i], path + "[" + i + "]");
                    if (r != null) return r;
                }
                return null;
            }
            if (IsNumber(expected))
            {
                if (!IsNumber(actual)) return path + ": expected a number, got " + Json.Serialize(actual);
                double e = Convert.ToDouble(expected, CultureInfo.InvariantCulture);
                double a = Convert.ToDouble(actual, CultureInfo.InvariantCulture);
                return Math.Abs(e - a) <= 1e-9 ? null : path + ": " + Json.Serialize(actual) + " != " + Json.Serialize(expected);
            }
            if (Equals(expected, actual)) return null;
            return path + ": " + Json.Serialize(actual) + " != " + Json.Serialize(expected);
        }

        private static bool IsNumber(object o) { return o is long || o is ulong || o is double; }

        [Test]
        public static void MatcherFollowsTheSubsetRule()
        {
            Func<string, string, bool> ok = (e, a) => Match(Json.Parse(e), Json.Parse(a), "$") == null;
            Assert.True(ok("{\"a\":1}", "{\"a\":1.0000000001,\"b\":2}"), "subset + tolerance");
            Assert.False(ok("{\"a\":1}", "{\"a\":1.01}"), "number differs");
            Assert.False(ok("{\"a\":1}", "{\"b\":1}"), "missing key");
            Assert.False(ok("[1,2]", "[1,2,3]"), "array length");
            Assert.True(ok("[{\"x\":null}]", "[{\"x\":null,\"y\":1}]"), "nested subset");
            Assert.False(ok("{\"x\":null}", "{\"x\":0}"), "null is exact");
            Assert.False(ok("{\"x\":\"1\"}", "{\"x\":1}"), "string vs number");
            Assert.False(ok("{\"x\":true}", "{\"x\":1}"), "bool vs number");
        }

        [Test]
        public static void ConformanceVectors()
        {
            string dir = Program.VectorsDir;
            if (dir == null || !Directory.Exists(dir))
                throw new AssertionException("tests/vectors not found (pass --vectors DIR or set HV_VECTORS_DIR): " + dir);
            var files = Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToList();
            Assert.True(files.Count > 0, "at least one vector file");
            var failures = new List<string>();
            int steps = 0;
            foreach (var file in files)
            {
                string name = Path.GetFileName(file);
                var doc = (JsonObject)Json.Parse(File.ReadAllText(file));
                object config;
                doc.TryGetValue("config", out config);
                using (var hv = new Hypervisor(config == null ? null : Json.Serialize(config)))
                {
                    var list = (List<object>)doc["steps"];
                    for (int i = 0; i < list.Count; i++)
                    {
                        steps++;
                        var step = (JsonObject)list[i];
                        string method = (string)step["method"];
                        object request = step.Get("request");
                        string wantStatus = step.Get("status") as string ?? "OK";
                        string gotStatus;
                        object response;
                        try
                        {
                            response = Json.Parse(hv.Call(method, request == null ? "{}" : Json.Serialize(request)));
                            gotStatus = "OK";
                        }
                        catch (HypervisorException e)
                        {
                            gotStatus = e.Status.ToWireName();
                            response = Json.Parse(e.ErrorJson);
                        }
                        string where = name + " step " + i + " (" + method + ")";
                        if (gotStatus != wantStatus)
                        {
                            failures.Add(where + ": status " + gotStatus + " != " + wantStatus + ": " + Json.Serialize(response));
                            continue;
                        }
                        object expect;
                        if (step.TryGetValue("expect", out expect))
                        {
                            string m = Match(expect, response, "$");
                            if (m != null) failures.Add(where + ": " + m);
                        }
                    }
                }
                Console.WriteLine("  vectors: " + name + " done");
            }
            Console.WriteLine("  vectors: " + files.Count + " files, " + steps + " steps, " + failures.Count + " failures");
            if (failures.Count > 0) throw new AssertionException(string.Join("\n", failures));
        }
    }
}
