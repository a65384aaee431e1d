using System;
using System.Collections.Generic;
using System.Threading;

namespace AgentHypervisor.Tests
{
    public static class CoreTests
    {
        [Test]
        public static void VersionAndHealth()
        {
            Assert.True(Hypervisor.AbiVersion >= 1, "abi >= 1");
            Assert.True(Hypervisor.Version.Split('.').Length >= 3, "semver");
            using (var hv = new Hypervisor())
            {
                var h = hv.Observability.Health();
                Assert.Equal("ok", h.Status);
                Assert.Equal(Hypervisor.Version, h.Version);
                Assert.Equal(Hypervisor.AbiVersion, h.AbiVersion);
            }
        }

        [Test]
        public static void InvalidConfigThrowsWithField()
        {
            var e = Assert.Fails(HvStatus.InvalidArgument, "UNKNOWN_FIELD", () => new Hypervisor("{\"clok\":\"manual\"}"));
            Assert.Equal((object)"clok", e.Details["field"]);
            Assert.True(e.Message.Contains("clok"), "message names the field");
            Assert.True(e.ErrorJson.Contains("\"error\""), "raw error json");
            e = Assert.Throws<HypervisorException>(() => new Hypervisor(new HypervisorConfig { MaxExposure = 1.5 }));
            Assert.Equal(HvStatus.InvalidArgument, e.Status);
            Assert.Equal((object)"max_exposure", e.Details["field"]);
        }

        [Test]
        public static void CreateJoinActivate()
        {
            using (var hv = Support.Manual())
            {
                var s = hv.Sessions.Create(new CreateSessionRequest
                {
                    CreatorDid = Support.Alice,
                    Config = new SessionConfig { MaxParticipants = 5, MinSigmaEff = 0.5 },
                });
                Assert.Equal(SessionStates.Handshaking, s.State);
                Assert.True(s.SessionId.StartsWith("session:"), "minted id prefix");
                Assert.Equal(5, s.Config.MaxParticipants.Value);
                Assert.Equal("2026-01-01T00:00:00.000000Z", s.CreatedAt);

                var j = hv.Sessions.Join(s.SessionId, Support.Alice, 0.8);
                Assert.Equal(2, j.Ring);
                Assert.Near(0.8, j.SigmaEff);
                Assert.Equal(Support.Alice, j.AgentDid);
                Assert.NotNull(j.Verification, "verification");
                Assert.NotNull(j.Admission, "admission");

                var hi = hv.Sessions.Join(new JoinSessionRequest { SessionId = s.SessionId, AgentDid = Support.Bob, SigmaRaw = 0.97, HasConsensus = true });
                Assert.Equal(1, hi.Ring);

                var active = hv.Sessions.Activate(s.SessionId);
                Assert.Equal(SessionStates.Active, active.State);
                Assert.Equal(2, active.Participants.Count);
                Assert.Equal(1, hv.Sessions.List(SessionStates.Active).Sessions.Count);
                Assert.Equal(0, hv.Sessions.List(SessionStates.Handshaking).Sessions.Count);

                var left = hv.Sessions.Leave(s.SessionId, Support.Bob);
                Assert.False(left.IsActive, "left participant inactive");

                var t = hv.Sessions.Terminate(s.SessionId);
                Assert.Equal("archived", t.State);
                Assert.Equal(SessionStates.Archived, hv.Sessions.Get(s.SessionId).State);
                Assert.Equal(1L, hv.Observability.Stats().Sessions);
            }
        }

        [Test]
        public static void DenialsMapToExceptions()
        {
            using (var hv = Support.Manual())
            {
                var s = hv.Sessions.Create(Support.Alice);
                hv.Sessions.Join(s.SessionId, Support.Alice, 0.8);
                var dup = Assert.Fails(HvStatus.Conflict, "AGENT_ALREADY_JOINED", () => hv.Sessions.Join(s.SessionId, Support.Alice, 0.8));
                Assert.True(dup.Message.Length > 0, "message");
                Assert.Fails(HvStatus.NotFound, "SESSION_NOT_FOUND", () => hv.Sessions.Join("session:nope", Support.Bob, 0.8));
                Assert.Fails(HvStatus.NotFound, "SESSION_NOT_FOUND", () => hv.Sessions.Get("nope"));
                var bad = Assert.Throws<HypervisorException>(() => hv.Sessions.Join(s.SessionId, "bad did!", 0.8));
                Assert.Equal(HvStatus.InvalidArgument, bad.Status);
                Assert.Equal((object)"agent_did", bad.Details["field"]);
                var low = Assert.Throws<HypervisorException>(() => hv.Sessions.Join(s.SessionId, Support.Bob, 1.5));
                Assert.Equal(HvStatus.InvalidArgument, low.Status);
                hv.Sessions.Terminate(s.SessionId);
                Assert.Equal(HvStatus.InvalidState, Assert.Throws<HypervisorException>(() => hv.Sessions.Activate(s.SessionId)).Status);
            }
        }

        [Test]
        public static void RingCheckDenialIsAResponse()
        {
            using (var hv = Support.Manual())
            {
                string sid = Support.ActiveSession(hv);
                var admin = new ActionDescriptor { ActionId = "wipe", Name = "wipe", ExecuteApi = "/wipe", IsAdmin = true };
                var r = hv.Rings.Check(new RingCheckRequest { SessionId = sid, AgentDid = Support.Alice, Action = admin });
                Assert.False(r.Allowed, "admin action denied for ring 2");
                Assert.Equal(0, r.RequiredRing);
                Assert.Equal(2, r.AgentRing);
                Assert.True(r.RequiresSreWitness, "requires witness");
                var read = new ActionDescriptor { ActionId = "read", Name = "read", ExecuteApi = "/read", IsReadOnly = true };
                Assert.True(hv.Rings.Check(new RingCheckRequest { SessionId = sid, AgentDid = Support.Alice, Action = read }).Allowed, "read allowed");
                var c = hv.Rings.Classify(new ActionDescriptor { ActionId = "x", Name = "x", ExecuteApi = "/x", UndoApi = "/undo", Reversibility = Reversibility.Full });
                Assert.Equal(2, c.Ring);
                Assert.Near(0.2, c.RiskWeight);
                Assert.Equal(3, hv.Rings.Compute(0.6));
                Assert.Equal(2, hv.Rings.Compute(0.61));
                Assert.Equal(1, hv.Rings.Compute(0.96, true));
            }
        }

        [Test]
        public static void GenericCallEscapeHatch()
        {
            using (var hv = Support.Manual())
            {
                string json = hv.Call("ring.compute", "{\"sigma_eff\":0.7}");
                Assert.Equal((object)2L, ((JsonObject)Json.Parse(json))["ring"]);
                var typed = hv.Call<RingResult>("ring.compute", new JsonObject { { "sigma_eff", 0.99 }, { "has_consensus", true } });
                Assert.Equal(1, typed.Ring);
                var e = Assert.Fails(HvStatus.NotFound, "UNKNOWN_METHOD", () => hv.Call("no.such.method", "{}"));
                Assert.Equal((object)"no.such.method", e.Details["method"]);
                var uf = Assert.Fails(HvStatus.InvalidArgument, "UNKNOWN_FIELD", () => hv.Call("ring.compute", "{\"sigma_eff\":0.7,\"sigma_raw\":1}"));
                Assert.Equal((object)"sigma_raw", uf.Details["field"]);
                Assert.Fails(HvStatus.InvalidArgument, "MALFORMED_JSON", () => hv.Call("ring.compute", "{\"sigma_eff\":"));
                Assert.Equal(HvStatus.InvalidArgument, Assert.Throws<HypervisorException>(() => hv.Call("ring.compute", "{\"sigma_eff\":2}")).Status);
                // Non-ASCII survives the UTF-8 round trip through the engine's error message.
                var u = Assert.Throws<HypervisorException>(() => hv.Call("méthode.ü€😀", "{}"));
                Assert.True(u.Message.Contains("méthode.ü€😀"), "utf-8 message: " + u.Message);
                Assert.Equal((object)"méthode.ü€😀", u.Details["method"]);
                Assert.Throws<ArgumentException>(() => hv.Call("health", "{\"a\":\"\0\"}"));
            }
        }

        [Test]
        public static void ManualClockAndTraces()
        {
            using (var hv = Support.Manual())
            {
                Assert.Equal("2026-01-01T00:00:00.000000Z", hv.Observability.Now());
                Assert.Equal("2026-01-01T00:01:30.500000Z", hv.Observability.AdvanceClock(90.5));
                Assert.Equal("2026-01-01T00:01:31.000000Z", hv.Observability.AdvanceClock(new ClockAdvanceRequest { Ms = 500 }));
                string t = hv.Observability.NewTrace();
                string c = hv.Observability.ChildTrace(t);
                Assert.True(c.StartsWith(t.Split('/')[0] + "/"), "child shares the trace");
                var s = hv.Sessions.Create(new CreateSessionRequest { CreatorDid = Support.Alice, TraceId = c });
                var page = hv.Observability.QueryEvents(new EventsQueryRequest { SessionId = s.SessionId, EventType = "session.created" });
                Assert.Equal(1, page.Events.Count);
                Assert.True(page.Events[0].CausalTraceId.StartsWith(t.Split('/')[0]), "event carries the trace");
                Assert.True(hv.Observability.EventStats().TypeCounts["session.created"] >= 1, "stats count");
            }
            using (var sys = new Hypervisor())
                Assert.Fails(HvStatus.InvalidState, "CLOCK_NOT_MANUAL", () => sys.Observability.AdvanceClock(1));
        }

        [Test]
        public static void DisposeIsIdempotent()
        {
            var hv = new Hypervisor();
            var sub = hv.Subscribe(null, ev => { });
            hv.SetTrustProvider((did, ctx) => 0.5);
            Assert.False(hv.IsDisposed, "fresh");
            hv.Dispose();
            hv.Dispose();
            Assert.True(hv.IsDisposed, "disposed");
            sub.Dispose();
            hv.Unsubscribe(sub.Id);
            Assert.Throws<ObjectDisposedException>(() => hv.Call("health", "{}"));
            Assert.Throws<ObjectDisposedException>(() => hv.Sessions.Create(Support.Alice));
            Assert.Throws<ObjectDisposedException>(() => hv.Subscribe(null, ev => { }));
            Assert.Throws<ObjectDisposedException>(() => hv.SetTrustProvider(null));
        }

        [Test]
        public static void ConcurrentCallsFromManyThreads()
        {
            using (var hv = Support.Manual())
            {
                var errors = new List<Exception>();
                var threads = new List<Thread>();
                int joined = 0;
                hv.Subscribe(new EventFilter { EventTypes = new List<string> { "session.joined" } }, ev => Interlocked.Increment(ref joined));
                for (int t = 0; t < 4; t++)
                {
                    int n = t;
                    var th = new Thread(() =>
                    {
                        try
                        {
                            for (int i = 0; i < 25; i++)
                            {
                                var s = hv.Sessions.Create("did:example:t" + n);
                                hv.Sessions.Join(s.SessionId, "did:example:a" + i, 0.9);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors) errors.Add(e);
                        }
                    });
                    threads.Add(th);
                    th.Start();
                }
                foreach (var th in threads) th.Join();
                Assert.Equal(0, errors.Count, "errors: " + (errors.Count > 0 ? errors[0].ToString() : ""));
                Assert.Equal(100L, hv.Observability.Stats().Sessions);
                Assert.Equal(100, Volatile.Read(ref joined), "events delivered on every thread");
            }
        }

        [Test]
        public static void HistoryVerification()
        {
            using (var hv = Support.Manual())
            {
                var r = hv.Verification.History(new VerifyHistoryRequest
                {
                    AgentDid = Support.Alice,
                    History = new List<TransactionRecord>
                    {
                        new TransactionRecord { SessionId = "s1", SummaryHash = "0123456789abcdef01", Timestamp = "2025-01-01T00:00:00Z" },
                    },
                });
                Assert.Equal("probationary", r.Status);
                Assert.Equal(1L, r.TransactionsChecked);
            }
        }
    }
}
