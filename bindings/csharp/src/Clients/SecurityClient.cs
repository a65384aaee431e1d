namespace AgentHypervisor
{
    /// <summary>security.* (API.md 4.6): rate limits, substitutes, kill switch.</summary>
    public sealed class SecurityClient
    {
        private readonly Hypervisor _hv;
        internal SecurityClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>security.rate_check</c>: throws RATE_LIMITED when the bucket is empty.</summary>
        public RateCheckResult RateCheck(RateCheckRequest request) { return _hv.Call<RateCheckResult>("security.rate_check", request); }

        public RateCheckResult RateCheck(string sessionId, string agentDid, double? cost = null)
        {
            return RateCheck(new RateCheckRequest { SessionId = sessionId, AgentDid = agentDid, Cost = cost });
        }

        /// <summary><c>security.rate_stats</c>.</summary>
        public RateStats RateStats(string sessionId, string agentDid) { return RateStats(new SessionAgentRequest(sessionId, agentDid)); }
        public RateStats RateStats(SessionAgentRequest request) { return _hv.Call<RateStats>("security.rate_stats", request); }

        /// <summary><c>security.substitute</c>: registers or removes a handoff substitute.</summary>
        public SubstituteResult Substitute(SubstituteRequest request) { return _hv.Call<SubstituteResult>("security.substitute", request); }

        /// <summary><c>security.kill</c>.</summary>
        public KillResult Kill(KillRequest request) { return _hv.Call<KillResult>("security.kill", request); }
    }
}
