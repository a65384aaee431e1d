using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>One change of an audit delta.</summary>
    public sealed class DeltaChange
    {
        public string Path { get; set; }
        /// <summary>"add" | "modify" | "delete" | "permission".</summary>
        public string Operation { get; set; }
        public string ContentHash { get; set; }
        public string PreviousHash { get; set; }
    }

    /// <summary><c>audit.capture</c></summary>
    public sealed class CaptureRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public List<DeltaChange> Changes { get; set; }
    }

    /// <summary>A hash-chained audit delta.</summary>
    public sealed class Delta
    {
        public string DeltaId { get; set; }
        /// <summary>1-based, consecutive per session.</summary>
        public long TurnId { get; set; }
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string Timestamp { get; set; }
        public List<DeltaChange> Changes { get; set; }
        public string ParentHash { get; set; }
        public string DeltaHash { get; set; }
    }

    /// <summary><c>audit.deltas</c></summary>
    public sealed class DeltasRequest : RequestBase
    {
        public string SessionId { get; set; }
        public long? AfterTurn { get; set; }
        public int? Limit { get; set; }
    }

    /// <summary>Result of <c>audit.deltas</c>.</summary>
    public sealed class DeltaList
    {
        public List<Delta> Deltas { get; set; }
        public long TreeSize { get; set; }
        /// <summary>Deltas dropped by retention so far.</summary>
        public long GcDropped { get; set; }
    }

    /// <summary>Result of <c>audit.verify</c>.</summary>
    public sealed class AuditVerification
    {
        public bool Valid { get; set; }
        public long DeltaCount { get; set; }
        public long? FirstInvalidTurn { get; set; }
    }

    /// <summary>Result of <c>audit.root</c>.</summary>
    public sealed class AuditRoot
    {
        /// <summary>Null for an empty log.</summary>
        public string MerkleRoot { get; set; }
        public long TreeSize { get; set; }
    }

    /// <summary><c>audit.proof</c></summary>
    public sealed class ProofRequest : RequestBase
    {
        public string SessionId { get; set; }
        public long TurnId { get; set; }
        /// <summary>Default: the current size.</summary>
        public long? TreeSize { get; set; }
    }

    /// <summary>An RFC 6962 inclusion proof (input of <see cref="AuditClient.VerifyInclusion(InclusionProof)"/>).</summary>
    public sealed class InclusionProof
    {
        /// <summary>0-based.</summary>
        public long LeafIndex { get; set; }
        public long TreeSize { get; set; }
        public string LeafHash { get; set; }
        public List<string> AuditPath { get; set; }
        public string Root { get; set; }
    }

    /// <summary><c>audit.consistency</c></summary>
    public sealed class ConsistencyRequest : RequestBase
    {
        public string SessionId { get; set; }
        public long FirstSize { get; set; }
        public long SecondSize { get; set; }
    }

    /// <summary>An RFC 6962 consistency proof.</summary>
    public sealed class ConsistencyProof
    {
        public long FirstSize { get; set; }
        public long SecondSize { get; set; }
        public string FirstRoot { get; set; }
        public string SecondRoot { get; set; }
        public List<string> Proof { get; set; }
    }

    /// <summary>Result of <c>audit.commitment</c> (also inside a terminate result).</summary>
    public sealed class AuditCommitment
    {
        public string SessionId { get; set; }
        public string MerkleRoot { get; set; }
        public long TreeSize { get; set; }
        public List<string> ParticipantDids { get; set; }
        public string CommittedAt { get; set; }
    }

    /// <summary><c>audit.gc</c>: one archived session, or every archived session when unset.</summary>
    public sealed class GcRequest : RequestBase
    {
        public string SessionId { get; set; }
    }

    /// <summary>One session's share of an <c>audit.gc</c> run.</summary>
    public sealed class GcSession
    {
        public string SessionId { get; set; }
        public long Collected { get; set; }
        public long RetainedDeltas { get; set; }
    }

    /// <summary>Result of <c>audit.gc</c>.</summary>
    public sealed class GcResult
    {
        /// <summary>Deltas captured before this time were eligible.</summary>
        public string Cutoff { get; set; }
        public long Collected { get; set; }
        public long SessionsChecked { get; set; }
        public List<GcSession> Sessions { get; set; }
    }

    /// <summary><c>audit.verify_commitment</c></summary>
    public sealed class VerifyCommitmentRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string MerkleRoot { get; set; }
    }
}
