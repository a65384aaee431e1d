using System;
using System.Collections.Generic;
using System.Linq;

namespace AgentHypervisor.Tests
{
    /// <summary>VFS writes feeding the audit log, Merkle proofs verified offline. Skipped while the
    /// engine lacks these methods.</summary>
    public static class AuditTests
    {
        [Test]
        public static void VfsWritesAreAudited()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "vfs.write");
                string sid = Support.ActiveSession(hv);
                var w1 = hv.Vfs.Write(sid, Support.Alice, "/notes/plan.md", "v1 ✓");
                Assert.Equal("create", w1.Operation);
                Assert.NotNull(w1.Delta, "write appended a delta");
                Assert.Equal(1L, w1.Delta.TurnId);
                var w2 = hv.Vfs.Write(sid, Support.Bob, "/notes/plan.md", "v2");
                Assert.Equal("update", w2.Operation);
                Assert.Equal(w1.ContentHash, w2.PreviousHash);
                var r = hv.Vfs.Read(sid, "/notes/plan.md", Support.Alice);
                Assert.Equal("v2", r.Content);
                Assert.True(r.Clock.Count >= 1, "clock");
                Assert.Null(hv.Vfs.Read(sid, "/missing").Content, "absent file");
                Assert.Equal(1, hv.Vfs.List(sid).Paths.Count);
                Assert.Equal(2, hv.Vfs.Edits(new VfsEditsRequest { SessionId = sid }).Edits.Count);

                var deltas = hv.Audit.Deltas(sid).Deltas;
                Assert.Equal(2, deltas.Count);
                Assert.Equal(deltas[0].DeltaHash, deltas[1].ParentHash);
                var verify = hv.Audit.Verify(sid);
                Assert.True(verify.Valid, "chain valid");
                Assert.Equal(2L, verify.DeltaCount);
                var root = hv.Audit.Root(sid);
                Assert.Equal(2L, root.TreeSize);

                var t = hv.Sessions.Terminate(sid);
                Assert.Equal(root.MerkleRoot, t.MerkleRoot);
                Assert.Equal(2L, t.TreeSize);
                var gc = hv.Audit.Gc(sid);
                Assert.Equal(0L, gc.Collected);
            }
        }

        [Test]
        public static void PermissionsSnapshotsAndDeletes()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "vfs.set_permissions");
                string sid = Support.ActiveSession(hv);
                hv.Vfs.Write(sid, Support.Alice, "/cfg.json", "{}");
                var p = hv.Vfs.SetPermissions(new VfsSetPermissionsRequest
                {
                    SessionId = sid, AgentDid = Support.Alice, Path = "/cfg.json", AllowedAgents = new List<string> { Support.Alice },
                });
                Assert.True(p.Changed, "permissions changed");
                Assert.Equal(1, p.AllowedAgents.Count);
                Assert.Fails(HvStatus.Denied, "PERMISSION_DENIED", () => hv.Vfs.Write(sid, Support.Bob, "/cfg.json", "x"));
                var c = hv.Vfs.ClearPermissions(new VfsPathRequest { SessionId = sid, AgentDid = Support.Alice, Path = "/cfg.json" });
                Assert.Equal(0, c.AllowedAgents.Count);

                var snap = hv.Sessions.Snapshot(sid);
                Assert.True(snap.SnapshotId.StartsWith("snap:"), "snapshot id");
                Assert.Equal(1L, snap.Files);
                var d = hv.Vfs.Delete(new VfsPathRequest { SessionId = sid, AgentDid = Support.Alice, Path = "/cfg.json" });
                Assert.Equal("/cfg.json", d.Path);
                Assert.NotNull(d.PreviousHash, "deleted content hash");
                Assert.Equal(0, hv.Vfs.List(sid).Paths.Count);
                hv.Sessions.Restore(new RestoreSessionRequest { SessionId = sid, SnapshotId = snap.SnapshotId, AgentDid = Support.Alice });
                Assert.Equal("{}", hv.Vfs.Read(sid, "/cfg.json").Content);
                var page = hv.Audit.Deltas(new DeltasRequest { SessionId = sid, Limit = 100 });
                Assert.Equal((long)page.Deltas.Count, page.TreeSize, "every audited change is in the tree");
            }
        }

        [Test]
        public static void ProofsVerifyOffline()
        {
            using (var hv = Support.Manual())
            {
                Support.RequireMethod(hv, "audit.proof");
                string sid = Support.ActiveSession(hv);
                for (int i = 0; i < 5; i++)
                {
                    hv.Audit.Capture(new CaptureRequest
                    {
                        SessionId = sid, AgentDid = Support.Alice,
                        Changes = new List<DeltaChange> { new DeltaChange { Path = "/f" + i, Operation = "add", ContentHash = new string('a', 64) } },
                    });
                }
                var proof = hv.Audit.Proof(new ProofRequest { SessionId = sid, TurnId = 3 });
                Assert.Equal(2L, proof.LeafIndex);
                Assert.Equal(5L, proof.TreeSize);
                Support.RequireExport("hv_verify_inclusion", () => Assert.True(AuditClient.VerifyInclusion(proof), "inclusion proof holds"));
                proof.Root = new string('0', 64);
                Assert.False(AuditClient.VerifyInclusion(proof), "tampered root fails");

                var cons = hv.Audit.Consistency(new ConsistencyRequest { SessionId = sid, FirstSize = 2, SecondSize = 5 });
                Assert.True(AuditClient.VerifyConsistency(cons), "consistency proof holds");
                cons.FirstRoot = new string('0', 64);
                Assert.False(AuditClient.VerifyConsistency(cons), "tampered consistency fails");

                var c = hv.Audit.Commitment(sid);
                Assert.Equal(5L, c.TreeSize);
                Assert.True(hv.Audit.VerifyCommitment(sid, c.MerkleRoot), "commitment verifies");
            }
        }
    }
}
