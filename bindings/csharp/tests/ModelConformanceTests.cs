using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace AgentHypervisor.Tests
{
    /// <summary>
    /// Every request model, through every typed client method, against the engine's strict parser:
    /// each property (and each property of nested models) is sent on its own, and the engine must
    /// never answer UNKNOWN_FIELD. A misspelt or invented field in a model fails here.
    /// </summary>
    public static class ModelConformanceTests
    {
        private static readonly Dictionary<string, object> Samples = new Dictionary<string, object>
        {
            { "reversibility", "full" }, { "operation", "add" }, { "intent", "read" }, { "policy", "all_must_succeed" },
            { "metric", "cosine" }, { "state", "active" }, { "consistency_mode", "strong" }, { "isolation_level", "snapshot" },
            { "trust_level", "trusted" }, { "event_type", "session.created" }, { "clock", "manual" },
            { "expires_at", "2026-01-02T00:00:00Z" }, { "start_time", "2026-01-01T00:00:00Z" }, { "timestamp", "2025-01-01T00:00:00Z" },
            { "path", "/a.txt" }, { "execute_api", "/x" }, { "undo_api", "/y" }, { "summary_hash", "0123456789abcdef0123" },
            { "content_hash", new string('a', 64) }, { "previous_hash", new string('b', 64) }, { "merkle_root", new string('c', 64) },
            { "data_dir", null }, { "event_types", new List<object> { "session.created" } },
        };

        private static string NameOf(PropertyInfo p)
        {
            var attr = (JsonNameAttribute)Attribute.GetCustomAttribute(p, typeof(JsonNameAttribute));
            return attr != null ? attr.Name : Json.SnakeCase(p.Name);
        }

        private static IEnumerable<PropertyInfo> Props(Type t)
        {
            return t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.Name != "TraceId");
        }

        private static bool IsModel(Type t)
        {
            return t.IsClass && t != typeof(string) && t != typeof(object) && t.Namespace == "AgentHypervisor"
                && t != typeof(JsonObject) && t != typeof(RawJson);
        }

        private static Type ElementModel(Type t)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>)) return t.GetGenericArguments()[0];
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>)) return t.GetGenericArguments()[1];
            return null;
        }

        /// <summary>A plausible JSON value for a property.</summary>
        private static object Sample(string name, Type t, int depth)
        {
            object s;
            if (Samples.TryGetValue(name, out s)) return s;
            var u = Nullable.GetUnderlyingType(t) ?? t;
            if (u == typeof(string)) return name.EndsWith("did") || name == "agent" ? "did:example:alice" : "x1";
            if (u == typeof(bool)) return true;
            if (u == typeof(double)) return 0.5;
            if (u == typeof(int) || u == typeof(long) || u == typeof(uint)) return 1L;
            if (u == typeof(double[])) return new List<object> { 1.0, 2.0 };
            if (u == typeof(object)) return new JsonObject();
            var el = ElementModel(u);
            if (el != null)
            {
                object item = Sample("item", el, depth + 1);
                if (u.GetGenericTypeDefinition() == typeof(List<>)) return new List<object> { item };
                return new JsonObject { { "did:example:alice", item } };
            }
            if (IsModel(u)) return Full(u, depth + 1);
            return null;
        }

        private static JsonObject Full(Type t, int depth)
        {
            var o = new JsonObject();
            if (depth > 3) return o;
            foreach (var p in Props(t)) o[NameOf(p)] = Sample(NameOf(p), p.PropertyType, depth);
            return o;
        }

        /// <summary>Probe trees: one per property, nested models probed property by property.</summary>
        private static IEnumerable<KeyValuePair<string, JsonObject>> Probes(Type t, int depth)
        {
            foreach (var p in Props(t))
            {
                string name = NameOf(p);
                var u = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                var el = ElementModel(u);
                Type nested = IsModel(u) ? u : el != null && IsModel(el) ? el : null;
                if (nested != null && depth < 3)
                {
                    foreach (var inner in Probes(nested, depth + 1))
                    {
                        object wrapped = inner.Value;
                        if (el != null)
                            wrapped = u.GetGenericTypeDefinition() == typeof(List<>) ? (object)new List<object> { inner.Value }
                                : new JsonObject { { "did:example:alice", inner.Value } };
                        yield return new KeyValuePair<string, JsonObject>(name + "." + inner.Key, new JsonObject { { name, wrapped } });
                    }
                }
                else
                {
                    yield return new KeyValuePair<string, JsonObject>(name, new JsonObject { { name, Sample(name, p.PropertyType, depth) } });
                }
            }
        }

        [Test]
        public static void RequestModelsUseOnlyKnownFields()
        {
            var failures = new List<string>();
            int probes = 0;
            using (var hv = Support.Manual())
            {
                var clients = typeof(Hypervisor).GetProperties().Where(p => p.PropertyType.Name.EndsWith("Client")).ToList();
                Assert.Equal(9, clients.Count, "client areas");
                foreach (var cp in clients)
                {
                    object client = cp.GetValue(hv, null);
                    foreach (var m in cp.PropertyType.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                    {
                        var ps = m.GetParameters();
                        if (ps.Length != 1 || !typeof(RequestBase).IsAssignableFrom(ps[0].ParameterType)) continue;
                        var reqType = ps[0].ParameterType;
                        foreach (var probe in Probes(reqType, 0))
                        {
                            probes++;
                            object request = typeof(Json).GetMethod("Convert").MakeGenericMethod(reqType).Invoke(null, new object[] { probe.Value });
                            try
                            {
                                m.Invoke(client, new[] { request });
                            }
                            catch (TargetInvocationException tie)
                            {
                                var he = tie.InnerException as HypervisorException;
                                if (he == null)
                                    failures.Add(cp.Name + "." + m.Name + " " + probe.Key + ": " + tie.InnerException);
                                else if (he.Code == "UNKNOWN_FIELD" || he.Code == "UNKNOWN_METHOD")
                                    failures.Add(cp.Name + "." + m.Name + "(" + reqType.Name + ") " + probe.Key + ": " + he.Message);
                            }
                        }
                    }
                }
            }
            // The engine configuration and the subscription filter, likewise.
            foreach (var probe in Probes(typeof(HypervisorConfig), 0))
            {
                probes++;
                try { new Hypervisor(Json.Serialize(probe.Value)).Dispose(); }
                catch (HypervisorException he)
                {
                    if (he.Code == "UNKNOWN_FIELD") failures.Add("HypervisorConfig " + probe.Key + ": " + he.Message);
                }
            }
            using (var hv = Support.Manual())
            {
                foreach (var probe in Probes(typeof(EventFilter), 0))
                {
                    probes++;
                    try { hv.Subscribe(Json.Convert<EventFilter>(probe.Value), ev => { }).Dispose(); }
                    catch (HypervisorException he) { failures.Add("EventFilter " + probe.Key + ": " + he.Message); }
                }
            }
            Console.WriteLine("  models: " + probes + " field probes");
            if (failures.Count > 0) throw new AssertionException(string.Join("\n", failures));
        }
    }
}
