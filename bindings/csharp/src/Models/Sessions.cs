using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>Session configuration (API.md 4.1); unset fields take the engine defaults.</summary>
    public sealed class SessionConfig
    {
        /// <summary>"eventual" (default) | "strong".</summary>
        public string ConsistencyMode { get; set; }
        /// <summary>1..=1000 (10).</summary>
        public int? MaxParticipants { get; set; }
        /// <summary>1..=604800 (3600).</summary>
        public long? MaxDurationSeconds { get; set; }
        /// <summary>(0.60)</summary>
        public double? MinSigmaEff { get; set; }
        /// <summary>(true)</summary>
        public bool? EnableAudit { get; set; }
        /// <summary>"snapshot" (default) | "read_committed" | "serializable".</summary>
        public string IsolationLevel { get; set; }
    }

    /// <summary><c>session.create</c></summary>
    public sealed class CreateSessionRequest : RequestBase
    {
        public SessionConfig Config { get; set; }
        public string CreatorDid { get; set; }
        public string SessionId { get; set; }
    }

    /// <summary>Session states.</summary>
    public static class SessionStates
    {
        public const string Created = "created";
        public const string Handshaking = "handshaking";
        public const string Active = "active";
        public const string Terminating = "terminating";
        public const string Archived = "archived";
    }

    /// <summary>A session.</summary>
    public sealed class Session
    {
        public string SessionId { get; set; }
        /// <summary>See <see cref="SessionStates"/>.</summary>
        public string State { get; set; }
        public string ConsistencyMode { get; set; }
        public string IsolationLevel { get; set; }
        public SessionConfig Config { get; set; }
        public string CreatorDid { get; set; }
        public string CreatedAt { get; set; }
        public string TerminatedAt { get; set; }
        public List<Participant> Participants { get; set; }
    }

    /// <summary>A participant of a session.</summary>
    public sealed class Participant
    {
        public string AgentDid { get; set; }
        public int Ring { get; set; }
        /// <summary>The ring including elevation.</summary>
        public int EffectiveRing { get; set; }
        public double SigmaRaw { get; set; }
        /// <summary>The current score after slashes.</summary>
        public double Sigma { get; set; }
        public double SigmaEff { get; set; }
        public string JoinedAt { get; set; }
        public bool IsActive { get; set; }
        public bool Quarantined { get; set; }
        public bool Killed { get; set; }
    }

    /// <summary>An agent manifest (IATP), analysed by <c>iatp.analyze</c> and <c>session.join</c>.</summary>
    public sealed class AgentManifest
    {
        public string AgentDid { get; set; }
        /// <summary>verified_partner | trusted | standard | probationary | untrusted.</summary>
        public string TrustLevel { get; set; }
        public List<string> Capabilities { get; set; }
        public List<ActionDescriptor> Actions { get; set; }
    }

    /// <summary><c>session.join</c></summary>
    public sealed class JoinSessionRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public double? SigmaRaw { get; set; }
        public List<ActionDescriptor> Actions { get; set; }
        public AgentManifest Manifest { get; set; }
        public List<TransactionRecord> History { get; set; }
        public string ParentDid { get; set; }
        public bool? HasConsensus { get; set; }
    }

    /// <summary>The ledger's admission decision inside a join result.</summary>
    public sealed class Admission
    {
        /// <summary>"admit" | "probation" | "deny".</summary>
        public string Recommendation { get; set; }
        public double RiskScore { get; set; }
    }

    /// <summary>Result of <c>session.join</c>.</summary>
    public sealed class JoinResult
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public int Ring { get; set; }
        public double SigmaRaw { get; set; }
        public double SigmaEff { get; set; }
        public string ConsistencyMode { get; set; }
        public HistoryVerification Verification { get; set; }
        public Admission Admission { get; set; }
    }

    /// <summary><c>session.list</c></summary>
    public sealed class ListSessionsRequest : RequestBase
    {
        /// <summary>Only sessions in this state (null for all).</summary>
        public string State { get; set; }
    }

    /// <summary>Result of <c>session.list</c>.</summary>
    public sealed class SessionList
    {
        public List<Session> Sessions { get; set; }
    }

    /// <summary>The VFS clean-up reported by <c>session.terminate</c>.</summary>
    public sealed class TerminateGc
    {
        public long PurgedVfsFiles { get; set; }
        public long RetainedDeltas { get; set; }
    }

    /// <summary>Result of <c>session.terminate</c>.</summary>
    public sealed class TerminateResult
    {
        public string SessionId { get; set; }
        public string State { get; set; }
        /// <summary>Null when audit is disabled or there were no deltas.</summary>
        public string MerkleRoot { get; set; }
        public long TreeSize { get; set; }
        public long BondsReleased { get; set; }
        public TerminateGc Gc { get; set; }
        public AuditCommitment Commitment { get; set; }
    }

    /// <summary>Result of <c>session.snapshot</c>.</summary>
    public sealed class SnapshotResult
    {
        public string SnapshotId { get; set; }
        /// <summary>Files captured.</summary>
        public long Files { get; set; }
        /// <summary>Bytes captured.</summary>
        public long Bytes { get; set; }
    }

    /// <summary><c>session.restore</c></summary>
    public sealed class RestoreSessionRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string SnapshotId { get; set; }
        public string AgentDid { get; set; }
    }
}
