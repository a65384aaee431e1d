using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary><c>ring.compute</c></summary>
    public sealed class RingComputeRequest : RequestBase
    {
        public double SigmaEff { get; set; }
        public bool? HasConsensus { get; set; }
    }

    /// <summary><c>{ring}</c>: result of <c>ring.compute</c> and <c>ring.register_child</c>.</summary>
    public sealed class RingResult
    {
        public int Ring { get; set; }
    }

    /// <summary><c>ring.classify</c></summary>
    public sealed class RingClassifyRequest : RequestBase
    {
        public ActionDescriptor Action { get; set; }
    }

    /// <summary>Result of <c>ring.classify</c>.</summary>
    public sealed class RingClassification
    {
        public int Ring { get; set; }
        public double RiskWeight { get; set; }
        public string Reversibility { get; set; }
    }

    /// <summary><c>ring.check</c>: give <see cref="ActionId"/> (from the session registry) or <see cref="Action"/>.</summary>
    public sealed class RingCheckRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string ActionId { get; set; }
        public ActionDescriptor Action { get; set; }
        public bool? HasConsensus { get; set; }
        public bool? HasSreWitness { get; set; }
    }

    /// <summary>Result of <c>ring.check</c>; a denial is <c>Allowed == false</c>, not an exception.</summary>
    public sealed class RingCheckResult
    {
        public bool Allowed { get; set; }
        public int RequiredRing { get; set; }
        public int AgentRing { get; set; }
        public double SigmaEff { get; set; }
        public string Reason { get; set; }
        public bool RequiresConsensus { get; set; }
        public bool RequiresSreWitness { get; set; }
    }

    /// <summary><c>ring.elevate</c></summary>
    public sealed class RingElevateRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public int TargetRing { get; set; }
        /// <summary>Default 300, clamped to 3600.</summary>
        public long? TtlSeconds { get; set; }
        /// <summary>Sponsorship attestation (required for ring 1).</summary>
        public string Attestation { get; set; }
        public string Reason { get; set; }
    }

    /// <summary>An elevation grant.</summary>
    public sealed class Elevation
    {
        public string ElevationId { get; set; }
        public string AgentDid { get; set; }
        public int OriginalRing { get; set; }
        public int ElevatedRing { get; set; }
        public string GrantedAt { get; set; }
        public string ExpiresAt { get; set; }
    }

    /// <summary><c>ring.revoke</c></summary>
    public sealed class RingRevokeRequest : RequestBase
    {
        public string ElevationId { get; set; }
    }

    /// <summary><c>ring.elevations</c></summary>
    public sealed class RingElevationsRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
    }

    /// <summary>Result of <c>ring.elevations</c>: the active elevations.</summary>
    public sealed class ElevationList
    {
        public List<Elevation> Elevations { get; set; }
    }

    /// <summary><c>ring.register_child</c></summary>
    public sealed class RingRegisterChildRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string ParentDid { get; set; }
        public string ChildDid { get; set; }
    }

    /// <summary>Result of <c>ring.breaker</c>.</summary>
    public sealed class BreakerStatus
    {
        public long TotalCalls { get; set; }
        public long WindowCalls { get; set; }
        public bool Tripped { get; set; }
        /// <summary>Calls per ring in the window, keyed "0".."3".</summary>
        public Dictionary<string, long> RingDistribution { get; set; }
    }
}
