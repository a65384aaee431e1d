namespace AgentHypervisor
{
    /// <summary>liability.* (API.md 4.4): vouching, slashing, attribution, quarantine, ledger.</summary>
    public sealed class LiabilityClient
    {
        private readonly Hypervisor _hv;
        internal LiabilityClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>liability.vouch</c>.</summary>
        public VouchRecord Vouch(VouchRequest request) { return _hv.Call<VouchRecord>("liability.vouch", request); }

        /// <summary><c>liability.release</c>: the released (inactive) vouch.</summary>
        public VouchRecord Release(string vouchId) { return Release(new ReleaseVouchRequest { VouchId = vouchId }); }
        public VouchRecord Release(ReleaseVouchRequest request) { return _hv.Call<VouchRecord>("liability.release", request); }

        /// <summary><c>liability.sigma_eff</c>.</summary>
        public double SigmaEff(string sessionId, string agentDid, double riskWeight)
        {
            return SigmaEff(new SigmaEffRequest { SessionId = sessionId, AgentDid = agentDid, RiskWeight = riskWeight }).SigmaEff;
        }

        public SigmaEffResult SigmaEff(SigmaEffRequest request) { return _hv.Call<SigmaEffResult>("liability.sigma_eff", request); }

        /// <summary><c>liability.slash</c>.</summary>
        public SlashResult Slash(SlashRequest request) { return _hv.Call<SlashResult>("liability.slash", request); }

        /// <summary><c>liability.exposure</c>.</summary>
        public ExposureResult Exposure(string sessionId, string agentDid) { return Exposure(new SessionAgentRequest(sessionId, agentDid)); }
        public ExposureResult Exposure(SessionAgentRequest request) { return _hv.Call<ExposureResult>("liability.exposure", request); }

        /// <summary><c>liability.matrix</c>.</summary>
        public LiabilityMatrix Matrix(string sessionId) { return Matrix(new SessionRequest(sessionId)); }
        public LiabilityMatrix Matrix(SessionRequest request) { return _hv.Call<LiabilityMatrix>("liability.matrix", request); }

        /// <summary><c>liability.attribute</c>.</summary>
        public AttributionResult Attribute(AttributeRequest request) { return _hv.Call<AttributionResult>("liability.attribute", request); }

        /// <summary><c>liability.quarantine</c>.</summary>
        public QuarantineRecord Quarantine(QuarantineRequest request) { return _hv.Call<QuarantineRecord>("liability.quarantine", request); }

        /// <summary><c>liability.release_quarantine</c>: the ended quarantine.</summary>
        public QuarantineRecord ReleaseQuarantine(string sessionId, string agentDid) { return ReleaseQuarantine(new SessionAgentRequest(sessionId, agentDid)); }
        public QuarantineRecord ReleaseQuarantine(SessionAgentRequest request) { return _hv.Call<QuarantineRecord>("liability.release_quarantine", request); }

        /// <summary><c>liability.ledger</c>: spans sessions for the life of the engine.</summary>
        public Ledger Ledger(string agentDid) { return Ledger(new LedgerRequest { AgentDid = agentDid }); }
        public Ledger Ledger(LedgerRequest request) { return _hv.Call<Ledger>("liability.ledger", request); }
    }
}
