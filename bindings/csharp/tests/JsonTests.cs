using System;
using System.Collections.Generic;

namespace AgentHypervisor.Tests
{
    public static class JsonTests
    {
        private sealed class Sample
        {
            public string SessionId { get; set; }
            public double? SigmaRaw { get; set; }
            public bool HasConsensus { get; set; }
            public int Ring { get; set; }
            public List<string> Tags { get; set; }
            public Dictionary<string, long> Clock { get; set; }
            public object Payload { get; set; }
            [JsonName("x-custom")] public string Custom { get; set; }
        }

        [Test]
        public static void ParsesEveryKind()
        {
            var o = (JsonObject)Json.Parse(" {\"a\":[1,-2.5e2,true,false,null,\"s\"],\"b\":{},\"c\":[] , \"d\":9223372036854775807,\"e\":18446744073709551615,\"f\":0.1}\n");
            var a = (List<object>)o["a"];
            Assert.Equal(6, a.Count);
            Assert.Equal((object)1L, a[0], "integer");
            Assert.Equal((object)(-250.0), a[1], "double");
            Assert.Equal((object)true, a[2]);
            Assert.Equal((object)false, a[3]);
            Assert.Null(a[4]);
            Assert.Equal((object)"s", a[5]);
            Assert.Equal(0, ((JsonObject)o["b"]).Count);
            Assert.Equal(0, ((List<object>)o["c"]).Count);
            Assert.Equal((object)long.MaxValue, o["d"]);
            Assert.Equal((object)ulong.MaxValue, o["e"]);
            Assert.Equal((object)0.1, o["f"]);
        }

        [Test]
        public static void StringEscapesRoundTrip()
        {
            string tricky = "q\"b\\s/\n\r\t\b\f\u0001é€😀";
            string json = Json.Serialize(tricky);
            Assert.Equal("\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001é€😀\"", json);
            Assert.Equal(tricky, (string)Json.Parse(json));
            Assert.Equal("é😀/", (string)Json.Parse("\"\\u00e9\\ud83d\\ude00\\/\""));
        }

        [Test]
        public static void RejectsMalformedJson()
        {
            string[] bad =
            {
                "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "\"abc",
                "\"a\u0001\"", "\"\\x\"", "\"\\u12\"", "tru", "nul", "[1 2]", "{\"a\" 1}", "1 2", "NaN", "1e999",
            };
            foreach (var s in bad)
                Assert.Throws<FormatException>(() => Json.Parse(s), "parse " + s);
            Assert.Throws<FormatException>(() => Json.Parse(new string('[', 600) + new string(']', 600)), "deep nesting");
        }

        [Test]
        public static void NumbersSerializeInvariantly()
        {
            var prev = System.Threading.Thread.CurrentThread.CurrentCulture;
            try
            {
                System.Threading.Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
                Assert.Equal("[0.6,1E-05,-3,300,18446744073709551615]", Json.Serialize(new object[] { 0.6, 1e-5, -3, 300.0, ulong.MaxValue }));
                Assert.Equal((object)1e-5, ((List<object>)Json.Parse("[1E-05]"))[0]);
            }
            finally
            {
                System.Threading.Thread.CurrentThread.CurrentCulture = prev;
            }
            Assert.Throws<ArgumentException>(() => Json.Serialize(double.NaN));
            Assert.Throws<ArgumentException>(() => Json.Serialize(double.PositiveInfinity));
        }

        [Test]
        public static void SnakeCaseNames()
        {
            Assert.Equal("sigma_raw", Json.SnakeCase("SigmaRaw"));
            Assert.Equal("has_sre_witness", Json.SnakeCase("HasSreWitness"));
            Assert.Equal("timeout_ms", Json.SnakeCase("TimeoutMs"));
            Assert.Equal("max_vfs_bytes_per_session", Json.SnakeCase("MaxVfsBytesPerSession"));
            Assert.Equal("ring", Json.SnakeCase("Ring"));
            Assert.Equal("abi_version", Json.SnakeCase("AbiVersion"));
        }

        [Test]
        public static void ModelsOmitNullsAndUseSnakeCase()
        {
            var s = new Sample { SessionId = "s1", Ring = 2, Tags = new List<string> { "a" }, Custom = "c" };
            Assert.Equal("{\"session_id\":\"s1\",\"has_consensus\":false,\"ring\":2,\"tags\":[\"a\"],\"x-custom\":\"c\"}", Json.Serialize(s));
            var req = new JoinSessionRequest { SessionId = "s", AgentDid = "did:a", SigmaRaw = 0.8 };
            Assert.Equal("{\"session_id\":\"s\",\"agent_did\":\"did:a\",\"sigma_raw\":0.8}", Json.Serialize(req));
            var traced = new SessionRequest("s") { TraceId = "t/1" };
            var back = (JsonObject)Json.Parse(Json.Serialize(traced));
            Assert.Equal((object)"t/1", back["trace_id"]);
        }

        [Test]
        public static void MapsResponsesIgnoringUnknownFields()
        {
            var s = Json.Deserialize<Sample>("{\"session_id\":\"x\",\"sigma_raw\":1,\"has_consensus\":true,\"ring\":3," +
                "\"tags\":[\"t\"],\"clock\":{\"a\":2},\"payload\":{\"k\":[1]},\"unknown\":{\"deep\":[1,2]},\"x-custom\":\"y\"}");
            Assert.Equal("x", s.SessionId);
            Assert.Equal(1.0, s.SigmaRaw.Value);
            Assert.True(s.HasConsensus);
            Assert.Equal(3, s.Ring);
            Assert.Equal("t", s.Tags[0]);
            Assert.Equal(2L, s.Clock["a"]);
            Assert.Equal("{\"k\":[1]}", Json.Serialize(s.Payload));
            Assert.Equal("y", s.Custom);
            var empty = Json.Deserialize<Sample>("{\"sigma_raw\":null,\"tags\":null}");
            Assert.Null(empty.SigmaRaw);
            Assert.Null(empty.Tags);
            Assert.Throws<FormatException>(() => Json.Deserialize<Sample>("{\"ring\":\"x\"}"), "type mismatch");
            Assert.Throws<FormatException>(() => Json.Deserialize<Sample>("{\"ring\":1.5}"), "fraction into int");
        }

        [Test]
        public static void RawJsonIsEmittedVerbatim()
        {
            var o = new JsonObject();
            o["result"] = new RawJson("{\"rows\": [1, 2]}");
            o["n"] = 1;
            Assert.Equal("{\"result\":{\"rows\": [1, 2]},\"n\":1}", Json.Serialize(o));
            Assert.Throws<FormatException>(() => new RawJson("{nope"));
        }
    }
}
