namespace AgentHypervisor
{
    /// <summary>session.* (API.md 4.1).</summary>
    public sealed class SessionsClient
    {
        private readonly Hypervisor _hv;
        internal SessionsClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>session.create</c>: a new session in state handshaking.</summary>
        public Session Create(CreateSessionRequest request) { return _hv.Call<Session>("session.create", request); }

        /// <summary><c>session.create</c> with the default config.</summary>
        public Session Create(string creatorDid, SessionConfig config = null)
        {
            return Create(new CreateSessionRequest { CreatorDid = creatorDid, Config = config });
        }

        /// <summary><c>session.join</c>. Throws CONFLICT/AGENT_ALREADY_JOINED, DENIED/SIGMA_TOO_LOW, ...</summary>
        public JoinResult Join(JoinSessionRequest request) { return _hv.Call<JoinResult>("session.join", request); }

        /// <summary><c>session.join</c> with just a σ.</summary>
        public JoinResult Join(string sessionId, string agentDid, double? sigmaRaw = null)
        {
            return Join(new JoinSessionRequest { SessionId = sessionId, AgentDid = agentDid, SigmaRaw = sigmaRaw });
        }

        /// <summary><c>session.activate</c>.</summary>
        public Session Activate(string sessionId) { return Activate(new SessionRequest(sessionId)); }
        public Session Activate(SessionRequest request) { return _hv.Call<Session>("session.activate", request); }

        /// <summary><c>session.leave</c>: the participant, now inactive.</summary>
        public Participant Leave(string sessionId, string agentDid) { return Leave(new SessionAgentRequest(sessionId, agentDid)); }
        public Participant Leave(SessionAgentRequest request) { return _hv.Call<Participant>("session.leave", request); }

        /// <summary><c>session.get</c>.</summary>
        public Session Get(string sessionId) { return Get(new SessionRequest(sessionId)); }
        public Session Get(SessionRequest request) { return _hv.Call<Session>("session.get", request); }

        /// <summary><c>session.list</c>.</summary>
        public SessionList List(string state = null) { return List(new ListSessionsRequest { State = state }); }
        public SessionList List(ListSessionsRequest request) { return _hv.Call<SessionList>("session.list", request); }

        /// <summary><c>session.terminate</c>: releases bonds and locks, commits the Merkle root, archives.</summary>
        public TerminateResult Terminate(string sessionId) { return Terminate(new SessionRequest(sessionId)); }
        public TerminateResult Terminate(SessionRequest request) { return _hv.Call<TerminateResult>("session.terminate", request); }

        /// <summary><c>session.snapshot</c>.</summary>
        public SnapshotResult Snapshot(string sessionId) { return Snapshot(new SessionRequest(sessionId)); }
        public SnapshotResult Snapshot(SessionRequest request) { return _hv.Call<SnapshotResult>("session.snapshot", request); }

        /// <summary><c>session.restore</c>.</summary>
        public Session Restore(RestoreSessionRequest request) { return _hv.Call<Session>("session.restore", request); }
    }
}
