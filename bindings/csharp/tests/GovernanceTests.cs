using System;
using System.Collections.Generic;
using System.Linq;

namespace AgentHypervisor.Tests
{
    /// <summary>The typed wrappers of liability.*, ring elevation, security.*, iatp/drift: each
    /// response is mapped onto its model (a renamed or mistyped field would fail here).</summary>
    public static class GovernanceTests
    {
        [Test]
        public static void VouchSlashAndLedger()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "liability.vouch");
                string sid = Support.ActiveSession(hv);
                var v = hv.Liability.Vouch(new VouchRequest { SessionId = sid, VoucherDid = Support.Alice, VoucheeDid = Support.Bob, BondPct = 0.25 });
                Assert.True(v.VouchId.StartsWith("vouch:"), "vouch id");
                Assert.True(v.IsActive, "active");
                Assert.Near(0.2, v.BondedAmount, 1e-9, "0.8 x 0.25");
                Assert.Near(0.7 + 0.5 * 0.2, hv.Liability.SigmaEff(sid, Support.Bob, 0.5), 1e-9, "sigma_eff");
                Assert.Near(0.2, hv.Liability.Exposure(sid, Support.Alice).BondedTotal, 1e-9, "exposure");
                var m = hv.Liability.Matrix(sid);
                Assert.Equal(1, m.Edges.Count);
                Assert.False(m.HasCycle, "no cycle");
                Assert.Fails(HvStatus.Conflict, "CIRCULAR_VOUCH",
                    () => hv.Liability.Vouch(new VouchRequest { SessionId = sid, VoucherDid = Support.Bob, VoucheeDid = Support.Alice }));

                var slash = hv.Liability.Slash(new SlashRequest { SessionId = sid, AgentDid = Support.Bob, RiskWeight = 0.5, Reason = "bad output" });
                Assert.Near(0.7, slash.VoucheeSigmaBefore, 1e-9, "before");
                Assert.Near(0.0, slash.VoucheeSigmaAfter, 1e-9, "after");
                Assert.Equal(1, slash.VoucherClips.Count);
                Assert.Equal(Support.Alice, slash.VoucherClips[0].VoucherDid);
                Assert.Near(0.4, slash.VoucherClips[0].SigmaAfter, 1e-9, "0.8 x (1 - 0.5)");
                Assert.Equal(0, slash.Cascade.Count);

                var ledger = hv.Liability.Ledger(Support.Bob);
                Assert.True(ledger.Entries.Count >= 1, "ledger entries");
                Assert.Equal(1L, ledger.Profile.SlashCount);
                Assert.Fails(HvStatus.Denied, "AGENT_QUARANTINED",
                    () => hv.Liability.Vouch(new VouchRequest { SessionId = sid, VoucherDid = Support.Bob, VoucheeDid = Support.Alice }));
                var released = hv.Liability.ReleaseQuarantine(sid, Support.Bob);
                Assert.False(released.IsActive, "quarantine released");
            }
        }

        [Test]
        public static void QuarantineAndRelease()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "liability.quarantine");
                string sid = Support.ActiveSession(hv);
                var v = hv.Liability.Vouch(new VouchRequest { SessionId = sid, VoucherDid = Support.Alice, VoucheeDid = Support.Bob });
                var r = hv.Liability.Release(v.VouchId);
                Assert.False(r.IsActive, "released vouch inactive");
                var q = hv.Liability.Quarantine(new QuarantineRequest
                {
                    SessionId = sid, AgentDid = Support.Bob, Reason = QuarantineReasons.Manual, DurationSeconds = 60,
                    Details = new JsonObject { { "ticket", 42 } },
                });
                Assert.True(q.QuarantineId.StartsWith("quar:"), "quarantine id");
                Assert.Equal("manual", q.Reason);
                Assert.True(q.IsActive, "active");
                Assert.Equal("2026-01-01T00:01:00.000000Z", q.ExpiresAt);
            }
        }

        [Test]
        public static void ElevationAndBreaker()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "ring.elevate");
                string sid = Support.ActiveSession(hv);
                hv.Sessions.Join(sid, Support.Carol, 0.9);
                var e = hv.Rings.Elevate(new RingElevateRequest { SessionId = sid, AgentDid = Support.Carol, TargetRing = 1, TtlSeconds = 60, Attestation = "sponsor:root" });
                Assert.True(e.ElevationId.StartsWith("elev:"), "elevation id");
                Assert.Equal(2, e.OriginalRing);
                Assert.Equal(1, e.ElevatedRing);
                Assert.Equal(1, hv.Rings.Elevations(new RingElevationsRequest { SessionId = sid }).Elevations.Count);
                var denied = Assert.Fails(HvStatus.Denied, "ELEVATION_DENIED",
                    () => hv.Rings.Elevate(new RingElevateRequest { SessionId = sid, AgentDid = Support.Bob, TargetRing = 0 }));
                Assert.Equal((object)"ring_0_forbidden", denied.Details["reason"]);
                hv.Rings.Revoke(e.ElevationId);
                Assert.Equal(0, hv.Rings.Elevations(new RingElevationsRequest { SessionId = sid, AgentDid = Support.Carol }).Elevations.Count);

                var admin = new ActionDescriptor { ActionId = "a", Name = "a", ExecuteApi = "/a", IsAdmin = true };
                hv.Rings.Check(new RingCheckRequest { SessionId = sid, AgentDid = Support.Bob, Action = admin });
                var b = hv.Rings.Breaker(sid, Support.Bob);
                Assert.Equal(1L, b.WindowCalls);
                Assert.Equal(1L, b.RingDistribution["0"]);
                Assert.Equal(0L, hv.Rings.ResetBreaker(sid, Support.Bob).WindowCalls);
            }
        }

        [Test]
        public static void RateLimitsAndKill()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "security.kill");
                string sid = Support.ActiveSession(hv);
                var rc = hv.Security.RateCheck(sid, Support.Alice);
                Assert.True(rc.Allowed, "allowed");
                var st = hv.Security.RateStats(sid, Support.Alice);
                Assert.Equal(1L, st.TotalRequests);
                Assert.Equal(2, st.Ring);
                var sub = hv.Security.Substitute(new SubstituteRequest { SessionId = sid, AgentDid = Support.Bob, Available = true });
                Assert.True(sub.Available, "substitute registered");
                var k = hv.Security.Kill(new KillRequest { SessionId = sid, AgentDid = Support.Alice, Reason = KillReasons.Manual });
                Assert.True(k.KillId.StartsWith("kill:"), "kill id");
                Assert.True(k.Terminated, "terminated");
                Assert.Equal(0, k.Handoffs.Count);
                Assert.Fails(HvStatus.Denied, "AGENT_KILLED", () => hv.Security.RateCheck(sid, Support.Alice));
            }
        }

        [Test]
        public static void ManifestAndDrift()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "iatp.analyze");
                var manifest = new AgentManifest
                {
                    AgentDid = Support.Carol,
                    TrustLevel = "trusted",
                    Actions = new List<ActionDescriptor> { new ActionDescriptor { ActionId = "pay", Name = "pay", ExecuteApi = "/pay" } },
                };
                var a = hv.Verification.AnalyzeManifest(manifest);
                Assert.Near(0.8, a.SigmaHint, 1e-9, "trusted hint");
                Assert.True(a.HasNonReversible, "pay is not reversible");
                Assert.Equal("trusted", a.TrustLevel);

                string sid = Support.ActiveSession(hv);
                var d = hv.Verification.Drift(new DriftRequest
                {
                    SessionId = sid, AgentDid = Support.Alice,
                    ClaimedEmbedding = new List<double> { 1, 0 }, ObservedEmbedding = new List<double> { 1, 0 },
                });
                Assert.Near(0, d.DriftScore, 1e-9, "no drift");
                Assert.True(d.Passed, "passed");
                Assert.Equal("none", d.ActionTaken);
                var bad = Assert.Throws<HypervisorException>(() => hv.Verification.Drift(new DriftRequest
                {
                    SessionId = sid, AgentDid = Support.Alice,
                    ClaimedEmbedding = new List<double> { 1 }, ObservedEmbedding = new List<double> { 1, 0 },
                }));
                Assert.Equal(HvStatus.InvalidArgument, bad.Status);
            }
        }
    }
}
