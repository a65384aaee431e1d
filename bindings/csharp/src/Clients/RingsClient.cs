namespace AgentHypervisor
{
    /// <summary>ring.* (API.md 4.3): execution rings, elevation, breach breaker.</summary>
    public sealed class RingsClient
    {
        private readonly Hypervisor _hv;
        internal RingsClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>ring.compute</c>: the ring a σ_eff earns.</summary>
        public int Compute(double sigmaEff, bool? hasConsensus = null)
        {
            return Compute(new RingComputeRequest { SigmaEff = sigmaEff, HasConsensus = hasConsensus }).Ring;
        }

        public RingResult Compute(RingComputeRequest request) { return _hv.Call<RingResult>("ring.compute", request); }

        /// <summary><c>ring.classify</c>: required ring, risk weight and reversibility of an action.</summary>
        public RingClassification Classify(ActionDescriptor action) { return Classify(new RingClassifyRequest { Action = action }); }
        public RingClassification Classify(RingClassifyRequest request) { return _hv.Call<RingClassification>("ring.classify", request); }

        /// <summary><c>ring.check</c>: a denial is a normal result with <c>Allowed == false</c>.</summary>
        public RingCheckResult Check(RingCheckRequest request) { return _hv.Call<RingCheckResult>("ring.check", request); }

        /// <summary><c>ring.elevate</c>: throws DENIED with <c>Details["reason"]</c> when refused.</summary>
        public Elevation Elevate(RingElevateRequest request) { return _hv.Call<Elevation>("ring.elevate", request); }

        /// <summary><c>ring.revoke</c>: the revoked elevation.</summary>
        public Elevation Revoke(string elevationId) { return Revoke(new RingRevokeRequest { ElevationId = elevationId }); }
        public Elevation Revoke(RingRevokeRequest request) { return _hv.Call<Elevation>("ring.revoke", request); }

        /// <summary><c>ring.elevations</c>: the active elevations.</summary>
        public ElevationList Elevations(RingElevationsRequest request) { return _hv.Call<ElevationList>("ring.elevations", request); }

        /// <summary><c>ring.register_child</c>.</summary>
        public RingResult RegisterChild(RingRegisterChildRequest request) { return _hv.Call<RingResult>("ring.register_child", request); }

        /// <summary><c>ring.breaker</c>.</summary>
        public BreakerStatus Breaker(string sessionId, string agentDid) { return Breaker(new SessionAgentRequest(sessionId, agentDid)); }
        public BreakerStatus Breaker(SessionAgentRequest request) { return _hv.Call<BreakerStatus>("ring.breaker", request); }

        /// <summary><c>ring.reset_breaker</c>: the breaker after the reset.</summary>
        public BreakerStatus ResetBreaker(string sessionId, string agentDid) { return ResetBreaker(new SessionAgentRequest(sessionId, agentDid)); }
        public BreakerStatus ResetBreaker(SessionAgentRequest request) { return _hv.Call<BreakerStatus>("ring.reset_breaker", request); }
    }
}
