using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary><c>liability.vouch</c></summary>
    public sealed class VouchRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string VoucherDid { get; set; }
        public string VoucheeDid { get; set; }
        /// <summary>Share of the voucher's σ to bond (default 0.20).</summary>
        public double? BondPct { get; set; }
        public string ExpiresAt { get; set; }
    }

    /// <summary>A vouch (bond) between two participants.</summary>
    public sealed class VouchRecord
    {
        public string VouchId { get; set; }
        public string VoucherDid { get; set; }
        public string VoucheeDid { get; set; }
        public string SessionId { get; set; }
        public double BondedSigmaPct { get; set; }
        public double BondedAmount { get; set; }
        public string CreatedAt { get; set; }
        public string ExpiresAt { get; set; }
        public bool IsActive { get; set; }
        public string ReleasedAt { get; set; }
    }

    /// <summary><c>liability.release</c></summary>
    public sealed class ReleaseVouchRequest : RequestBase
    {
        public string VouchId { get; set; }
    }

    /// <summary><c>liability.sigma_eff</c></summary>
    public sealed class SigmaEffRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public double RiskWeight { get; set; }
    }

    /// <summary><c>{sigma_eff}</c></summary>
    public sealed class SigmaEffResult
    {
        public double SigmaEff { get; set; }
    }

    /// <summary><c>liability.slash</c></summary>
    public sealed class SlashRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public double RiskWeight { get; set; }
        public string Reason { get; set; }
    }

    /// <summary>A voucher clipped by a slash.</summary>
    public sealed class VoucherClip
    {
        public string VoucherDid { get; set; }
        public double SigmaBefore { get; set; }
        public double SigmaAfter { get; set; }
        public double RiskWeight { get; set; }
        public string VouchId { get; set; }
    }

    /// <summary>Result of <c>liability.slash</c> (and each cascaded slash).</summary>
    public sealed class SlashResult
    {
        public string SlashId { get; set; }
        public string VoucheeDid { get; set; }
        public double VoucheeSigmaBefore { get; set; }
        public double VoucheeSigmaAfter { get; set; }
        public List<VoucherClip> VoucherClips { get; set; }
        public List<SlashResult> Cascade { get; set; }
        public string Reason { get; set; }
    }

    /// <summary>Result of <c>liability.exposure</c>.</summary>
    public sealed class ExposureResult
    {
        public double BondedTotal { get; set; }
        public double Limit { get; set; }
    }

    /// <summary>An edge of the liability matrix.</summary>
    public sealed class LiabilityEdge
    {
        public string VoucherDid { get; set; }
        public string VoucheeDid { get; set; }
        public double BondedAmount { get; set; }
        public string VouchId { get; set; }
    }

    /// <summary>Result of <c>liability.matrix</c>.</summary>
    public sealed class LiabilityMatrix
    {
        public List<LiabilityEdge> Edges { get; set; }
        public bool HasCycle { get; set; }
        /// <summary>voucher -&gt; maximal paths (each a list of DIDs, at most 2 edges long).</summary>
        public Dictionary<string, List<List<string>>> CascadePaths { get; set; }
    }

    /// <summary>One action of an agent in a fault attribution.</summary>
    public sealed class AgentAction
    {
        public string ActionId { get; set; }
        public string StepId { get; set; }
        public bool Success { get; set; }
    }

    /// <summary><c>liability.attribute</c>: either <see cref="SagaId"/>, or the explicit form.</summary>
    public sealed class AttributeRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string SessionId { get; set; }
        public Dictionary<string, List<AgentAction>> AgentActions { get; set; }
        public string FailureStepId { get; set; }
        public string FailureAgentDid { get; set; }
        /// <summary>action id -&gt; ω (unlisted default 0.5).</summary>
        public Dictionary<string, double> RiskWeights { get; set; }
    }

    /// <summary>One agent's share of a fault (a heuristic, see API.md 4.4).</summary>
    public sealed class Attribution
    {
        public string AgentDid { get; set; }
        public double LiabilityScore { get; set; }
        public double CausalContribution { get; set; }
        public bool IsDirectCause { get; set; }
    }

    /// <summary>Result of <c>liability.attribute</c>.</summary>
    public sealed class AttributionResult
    {
        public string AttributionId { get; set; }
        public List<Attribution> Attributions { get; set; }
        public string RootCauseAgent { get; set; }
    }

    /// <summary>Quarantine reasons.</summary>
    public static class QuarantineReasons
    {
        public const string BehavioralDrift = "behavioral_drift";
        public const string LiabilityViolation = "liability_violation";
        public const string RingBreach = "ring_breach";
        public const string RateLimitExceeded = "rate_limit_exceeded";
        public const string Manual = "manual";
        public const string CascadeSlash = "cascade_slash";
    }

    /// <summary><c>liability.quarantine</c></summary>
    public sealed class QuarantineRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        /// <summary>See <see cref="QuarantineReasons"/>.</summary>
        public string Reason { get; set; }
        public long? DurationSeconds { get; set; }
        public object Details { get; set; }
    }

    /// <summary>A quarantine.</summary>
    public sealed class QuarantineRecord
    {
        public string QuarantineId { get; set; }
        public string AgentDid { get; set; }
        public string Reason { get; set; }
        public string StartedAt { get; set; }
        public string ExpiresAt { get; set; }
        public bool IsActive { get; set; }
        public object Details { get; set; }
    }

    /// <summary><c>liability.ledger</c></summary>
    public sealed class LedgerRequest : RequestBase
    {
        public string AgentDid { get; set; }
    }

    /// <summary>A ledger entry.</summary>
    public sealed class LedgerEntry
    {
        public string EntryType { get; set; }
        public string SessionId { get; set; }
        public double Severity { get; set; }
        public object Details { get; set; }
        public string RelatedAgent { get; set; }
        public string Timestamp { get; set; }
    }

    /// <summary>An agent's risk profile.</summary>
    public sealed class LedgerProfile
    {
        public long SlashCount { get; set; }
        public long QuarantineCount { get; set; }
        public long CleanSessionCount { get; set; }
        public double FaultScoreAvg { get; set; }
        public double RiskScore { get; set; }
        /// <summary>"admit" | "probation" | "deny".</summary>
        public string Recommendation { get; set; }
    }

    /// <summary>Result of <c>liability.ledger</c>.</summary>
    public sealed class Ledger
    {
        public List<LedgerEntry> Entries { get; set; }
        public LedgerProfile Profile { get; set; }
    }
}
