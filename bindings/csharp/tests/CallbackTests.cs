using System;
using System.Collections.Generic;
using System.Linq;

namespace AgentHypervisor.Tests
{
    public static class CallbackTests
    {
        private static void Churn()
        {
            // Give a collector every chance to reclaim anything the wrapper forgot to root.
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        [Test]
        public static void SubscriptionReceivesEvents()
        {
            using (var hv = Support.Manual())
            {
                var all = new List<HypervisorEvent>();
                var joins = new List<HypervisorEvent>();
                using (hv.Subscribe(null, ev => { lock (all) all.Add(ev); }))
                using (hv.Subscribe(new EventFilter { EventTypes = new List<string> { "session.joined" } }, ev => joins.Add(ev)))
                {
                    Churn();
                    var s = hv.Sessions.Create(Support.Alice);
                    hv.Sessions.Join(s.SessionId, Support.Alice, 0.8);
                    hv.Sessions.Join(s.SessionId, Support.Bob, 0.7);
                    Assert.True(all.Any(e => e.EventType == "session.created" && e.SessionId == s.SessionId), "created event");
                    Assert.Equal(2, joins.Count, "filtered joins");
                    Assert.True(joins.All(e => e.EventType == "session.joined"), "only joins");
                    Assert.Equal(Support.Alice, joins[0].AgentDid);
                    Assert.True(joins[0].Seq > 0 && joins[1].Seq > joins[0].Seq, "increasing seq");
                    Assert.Equal("2026-01-01T00:00:00.000000Z", joins[0].Timestamp);
                    Assert.NotNull(joins[0].EventId, "event id");
                    Assert.True(joins[0].Payload is JsonObject, "payload object");
                    // Same events as events.query returns.
                    var q = hv.Observability.QueryEvents(new EventsQueryRequest { EventType = "session.joined" });
                    Assert.Equal(joins[1].EventId, q.Events[1].EventId);
                }
                int before = joins.Count;
                var s2 = hv.Sessions.Create(Support.Alice);
                hv.Sessions.Join(s2.SessionId, Support.Alice, 0.8);
                Assert.Equal(before, joins.Count, "no events after unsubscribe");
            }
        }

        [Test]
        public static void SubscriberMayReenterTheHandle()
        {
            using (var hv = Support.Manual())
            {
                var seen = new List<long>();
                hv.Subscribe(new EventFilter { EventTypes = new List<string> { "session.created" } }, ev =>
                {
                    // Re-enter: read the session and the stats from inside the callback.
                    var s = hv.Sessions.Get(ev.SessionId);
                    Assert.Equal(Support.Alice, s.CreatorDid);
                    seen.Add(hv.Observability.Stats().Sessions);
                });
                hv.Sessions.Create(Support.Alice);
                hv.Sessions.Create(Support.Alice);
                Assert.Equal(2, seen.Count);
                Assert.Equal(1L, seen[0]);
                Assert.Equal(2L, seen[1]);
            }
        }

        [Test]
        public static void SubscriberExceptionsNeverReachNative()
        {
            using (var hv = Support.Manual())
            {
                var reported = new List<CallbackErrorEventArgs>();
                hv.CallbackError += (sender, e) => reported.Add(e);
                int calls = 0;
                var sub = hv.Subscribe(null, ev => { calls++; throw new InvalidOperationException("boom"); });
                var s = hv.Sessions.Create(Support.Alice);
                hv.Sessions.Join(s.SessionId, Support.Alice, 0.8);
                Assert.True(calls >= 2, "handler called");
                Assert.Equal(calls, reported.Count, "every failure reported");
                Assert.Equal("event subscriber", reported[0].Source);
                Assert.Equal("boom", reported[0].Exception.Message);
                Assert.Equal(SessionStates.Handshaking, hv.Sessions.Get(s.SessionId).State);
                hv.Unsubscribe(sub.Id);
                hv.Unsubscribe(sub.Id);
                sub.Dispose();
            }
        }

        [Test]
        public static void UnsubscribeFromInsideTheHandler()
        {
            using (var hv = Support.Manual())
            {
                int calls = 0;
                Subscription sub = null;
                sub = hv.Subscribe(null, ev => { calls++; sub.Dispose(); });
                hv.Sessions.Create(Support.Alice);
                hv.Sessions.Create(Support.Alice);
                Assert.Equal(1, calls);
            }
        }

        [Test]
        public static void TrustProviderScoresJoins()
        {
            using (var hv = Support.Manual())
            {
                var asked = new List<string>();
                TrustContext lastContext = null;
                hv.SetTrustProvider((did, ctx) =>
                {
                    asked.Add(did);
                    lastContext = ctx;
                    if (did == Support.Alice) return 0.9;
                    if (did == Support.Bob) return 0.4;
                    return null; // unknown
                });
                Churn();
                var s = hv.Sessions.Create(new CreateSessionRequest { CreatorDid = Support.Alice, Config = new SessionConfig { MinSigmaEff = 0.3 } });
                var a = hv.Sessions.Join(new JoinSessionRequest { SessionId = s.SessionId, AgentDid = Support.Alice });
                Assert.Near(0.9, a.SigmaRaw, 1e-9, "provider's score used");
                Assert.Equal(2, a.Ring);
                Assert.Equal(s.SessionId, lastContext.SessionId);
                // With sigma_raw given, the lower of the two wins.
                var b = hv.Sessions.Join(s.SessionId, Support.Bob, 0.8);
                Assert.Near(0.4, b.SigmaRaw, 1e-9, "lower wins");
                Assert.Near(0.8, lastContext.SigmaRaw.Value, 1e-9, "context carries sigma_raw");
                // Unknown: the engine falls back to sigma_raw.
                var c = hv.Sessions.Join(s.SessionId, Support.Carol, 0.7);
                Assert.Near(0.7, c.SigmaRaw, 1e-9, "unknown -> sigma_raw");
                Assert.Equal(3, asked.Count);

                hv.SetTrustProvider(null);
                var d = hv.Sessions.Join(s.SessionId, "did:example:dave", 0.65);
                Assert.Near(0.65, d.SigmaRaw, 1e-9, "cleared provider");
                Assert.Equal(3, asked.Count, "cleared provider not asked");
            }
        }

        [Test]
        public static void TrustProviderFailuresAreUnknown()
        {
            using (var hv = Support.Manual())
            {
                var reported = new List<CallbackErrorEventArgs>();
                hv.CallbackError += (sender, e) => reported.Add(e);
                hv.SetTrustProvider((did, ctx) => { throw new Exception("provider down"); });
                var s = hv.Sessions.Create(Support.Alice);
                var a = hv.Sessions.Join(s.SessionId, Support.Alice, 0.75);
                Assert.Near(0.75, a.SigmaRaw, 1e-9, "exception -> unknown -> sigma_raw");
                Assert.Equal(1, reported.Count);
                Assert.Equal("trust provider", reported[0].Source);
                // Out-of-range answers are "unknown" too (the engine checks the range).
                hv.SetTrustProvider((did, ctx) => 7.0);
                var b = hv.Sessions.Join(s.SessionId, Support.Bob, 0.66);
                Assert.Near(0.66, b.SigmaRaw, 1e-9, "out of range -> unknown");
            }
        }

        [Test]
        public static void TrustProviderMayReenterAndBeReplaced()
        {
            using (var hv = Support.Manual())
            {
                var ringSeen = new List<int>();
                hv.SetTrustProvider((did, ctx) =>
                {
                    ringSeen.Add(hv.Rings.Compute(0.7));
                    // Replace ourselves from inside the callback.
                    hv.SetTrustProvider((d2, c2) => 0.61);
                    return 0.99;
                });
                var s = hv.Sessions.Create(Support.Alice);
                var a = hv.Sessions.Join(s.SessionId, Support.Alice);
                Assert.Near(0.99, a.SigmaRaw, 1e-9, "first provider");
                Assert.Equal(2, ringSeen[0]);
                Churn();
                var b = hv.Sessions.Join(s.SessionId, Support.Bob);
                Assert.Near(0.61, b.SigmaRaw, 1e-9, "replacement provider");
                Assert.Equal(1, ringSeen.Count);
            }
        }
    }
}
