using System;
using AgentHypervisor.Native;

namespace AgentHypervisor
{
    /// <summary>audit.* (API.md 4.7): deltas, Merkle root, proofs, commitments, retention.</summary>
    public sealed class AuditClient
    {
        private readonly Hypervisor _hv;
        internal AuditClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>audit.capture</c>.</summary>
        public Delta Capture(CaptureRequest request) { return _hv.Call<Delta>("audit.capture", request); }

        /// <summary><c>audit.deltas</c>.</summary>
        public DeltaList Deltas(string sessionId) { return Deltas(new DeltasRequest { SessionId = sessionId }); }
        public DeltaList Deltas(DeltasRequest request) { return _hv.Call<DeltaList>("audit.deltas", request); }

        /// <summary><c>audit.verify</c>: pure; detects tampering anywhere in the chain.</summary>
        public AuditVerification Verify(string sessionId) { return Verify(new SessionRequest(sessionId)); }
        public AuditVerification Verify(SessionRequest request) { return _hv.Call<AuditVerification>("audit.verify", request); }

        /// <summary><c>audit.root</c>.</summary>
        public AuditRoot Root(string sessionId) { return Root(new SessionRequest(sessionId)); }
        public AuditRoot Root(SessionRequest request) { return _hv.Call<AuditRoot>("audit.root", request); }

        /// <summary><c>audit.proof</c>: an inclusion proof for one turn.</summary>
        public InclusionProof Proof(ProofRequest request) { return _hv.Call<InclusionProof>("audit.proof", request); }

        /// <summary><c>audit.consistency</c>.</summary>
        public ConsistencyProof Consistency(ConsistencyRequest request) { return _hv.Call<ConsistencyProof>("audit.consistency", request); }

        /// <summary><c>audit.commitment</c>.</summary>
        public AuditCommitment Commitment(string sessionId) { return Commitment(new SessionRequest(sessionId)); }
        public AuditCommitment Commitment(SessionRequest request) { return _hv.Call<AuditCommitment>("audit.commitment", request); }

        /// <summary><c>audit.verify_commitment</c>.</summary>
        public bool VerifyCommitment(string sessionId, string merkleRoot)
        {
            return VerifyCommitment(new VerifyCommitmentRequest { SessionId = sessionId, MerkleRoot = merkleRoot }).Valid;
        }

        public ValidResult VerifyCommitment(VerifyCommitmentRequest request) { return _hv.Call<ValidResult>("audit.verify_commitment", request); }

        /// <summary><c>audit.gc</c>: drops deltas of archived sessions older than retention_days.</summary>
        public GcResult Gc(string sessionId = null) { return Gc(new GcRequest { SessionId = sessionId }); }
        public GcResult Gc(GcRequest request) { return _hv.Call<GcResult>("audit.gc", request); }

        // ------------------------------------------------ offline verification (no engine needed)

        /// <summary><c>hv_verify_inclusion</c> over a proof from <c>audit.proof</c>.</summary>
        public static bool VerifyInclusion(InclusionProof proof) { return VerifyInclusion(Json.Serialize(proof)); }

        /// <summary><c>hv_verify_inclusion</c> over raw proof JSON.</summary>
        public static bool VerifyInclusion(string proofJson)
        {
            IntPtr outJson;
            var status = (HvStatus)NativeMethods.hv_verify_inclusion(Utf8.Encode(proofJson), out outJson);
            return Json.Deserialize<ValidResult>(Hypervisor.Check(status, Utf8.TakeOwned(outJson))).Valid;
        }

        /// <summary><c>hv_verify_consistency</c> over a proof from <c>audit.consistency</c>.</summary>
        public static bool VerifyConsistency(ConsistencyProof proof) { return VerifyConsistency(Json.Serialize(proof)); }

        /// <summary><c>hv_verify_consistency</c> over raw proof JSON.</summary>
        public static bool VerifyConsistency(string proofJson)
        {
            IntPtr outJson;
            var status = (HvStatus)NativeMethods.hv_verify_consistency(Utf8.Encode(proofJson), out outJson);
            return Json.Deserialize<ValidResult>(Hypervisor.Check(status, Utf8.TakeOwned(outJson))).Valid;
        }
    }
}
