using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary><c>security.rate_check</c></summary>
    public sealed class RateCheckRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        /// <summary>Tokens to take (default 1).</summary>
        public double? Cost { get; set; }
    }

    /// <summary>Result of <c>security.rate_check</c> (a refusal throws RATE_LIMITED).</summary>
    public sealed class RateCheckResult
    {
        public bool Allowed { get; set; }
        public double TokensRemaining { get; set; }
    }

    /// <summary>Result of <c>security.rate_stats</c>.</summary>
    public sealed class RateStats
    {
        public long TotalRequests { get; set; }
        public long RejectedRequests { get; set; }
        public double TokensAvailable { get; set; }
        public double Capacity { get; set; }
        public int Ring { get; set; }
    }

    /// <summary><c>security.substitute</c></summary>
    public sealed class SubstituteRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public bool Available { get; set; }
    }

    /// <summary>Result of <c>security.substitute</c>.</summary>
    public sealed class SubstituteResult
    {
        public string AgentDid { get; set; }
        public bool Available { get; set; }
        /// <summary>The session's registered substitutes.</summary>
        public List<string> Substitutes { get; set; }
    }

    /// <summary>Kill reasons.</summary>
    public static class KillReasons
    {
        public const string BehavioralDrift = "behavioral_drift";
        public const string RateLimit = "rate_limit";
        public const string RingBreach = "ring_breach";
        public const string Manual = "manual";
        public const string QuarantineTimeout = "quarantine_timeout";
        public const string SessionTimeout = "session_timeout";
    }

    /// <summary><c>security.kill</c></summary>
    public sealed class KillRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        /// <summary>See <see cref="KillReasons"/>.</summary>
        public string Reason { get; set; }
        public object Details { get; set; }
    }

    /// <summary>What happened to one in-flight step of a killed agent.</summary>
    public sealed class Handoff
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public string FromAgent { get; set; }
        public string ToAgent { get; set; }
        /// <summary>"handed_off" | "compensation_required".</summary>
        public string Status { get; set; }
    }

    /// <summary>Result of <c>security.kill</c>.</summary>
    public sealed class KillResult
    {
        public string KillId { get; set; }
        public string AgentDid { get; set; }
        public string SessionId { get; set; }
        public string Reason { get; set; }
        public string Timestamp { get; set; }
        public List<Handoff> Handoffs { get; set; }
        public int HandoffSuccessCount { get; set; }
        public bool CompensationTriggered { get; set; }
        public bool Terminated { get; set; }
        public object Details { get; set; }
    }
}
