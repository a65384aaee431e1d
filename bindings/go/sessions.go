package hypervisor

// Sessions (API.md §4.1).

// SessionConfig is the configuration sent with session.create; zero fields keep defaults.
type SessionConfig struct {
	ConsistencyMode    string   `json:"consistency_mode,omitempty"` // "eventual" | "strong"
	MaxParticipants    int      `json:"max_participants,omitempty"`
	MaxDurationSeconds int      `json:"max_duration_seconds,omitempty"`
	MinSigmaEff        *float64 `json:"min_sigma_eff,omitempty"`
	EnableAudit        *bool    `json:"enable_audit,omitempty"`
	IsolationLevel     string   `json:"isolation_level,omitempty"` // "snapshot" | "read_committed" | "serializable"
}

// ResolvedSessionConfig is a session's configuration with defaults applied.
type ResolvedSessionConfig struct {
	ConsistencyMode    string  `json:"consistency_mode"`
	MaxParticipants    int     `json:"max_participants"`
	MaxDurationSeconds int     `json:"max_duration_seconds"`
	MinSigmaEff        float64 `json:"min_sigma_eff"`
	EnableAudit        bool    `json:"enable_audit"`
	IsolationLevel     string  `json:"isolation_level"`
}

// Participant is an agent in a session.
type Participant struct {
	AgentDID      string  `json:"agent_did"`
	Ring          int     `json:"ring"`
	EffectiveRing int     `json:"effective_ring"`
	SigmaRaw      float64 `json:"sigma_raw"`
	Sigma         float64 `json:"sigma"`
	SigmaEff      float64 `json:"sigma_eff"`
	JoinedAt      string  `json:"joined_at"`
	IsActive      bool    `json:"is_active"`
	Quarantined   bool    `json:"quarantined"`
	Killed        bool    `json:"killed"`
}

// Session is a governed multi-agent session.
type Session struct {
	SessionID       string                `json:"session_id"`
	State           string                `json:"state"` // handshaking | active | terminating | archived
	ConsistencyMode string                `json:"consistency_mode"`
	IsolationLevel  string                `json:"isolation_level"`
	Config          ResolvedSessionConfig `json:"config"`
	CreatorDID      string                `json:"creator_did"`
	CreatedAt       string                `json:"created_at"`
	TerminatedAt    string                `json:"terminated_at,omitempty"`
	Participants    []Participant         `json:"participants"`
}

// CreateSessionRequest is `session.create`.
type CreateSessionRequest struct {
	Config     *SessionConfig `json:"config,omitempty"`
	CreatorDID string         `json:"creator_did"`
	SessionID  string         `json:"session_id,omitempty"`
	TraceID    string         `json:"trace_id,omitempty"`
}

// CreateSession creates a session in state handshaking.
func (h *Hypervisor) CreateSession(req CreateSessionRequest) (*Session, error) {
	return do[Session](h, viaCreateSession, "session.create", req)
}

// JoinSessionRequest is `session.join`.
type JoinSessionRequest struct {
	SessionID    string              `json:"session_id"`
	AgentDID     string              `json:"agent_did"`
	SigmaRaw     *float64            `json:"sigma_raw,omitempty"`
	Actions      []ActionDescriptor  `json:"actions,omitempty"`
	Manifest     *Manifest           `json:"manifest,omitempty"`
	History      []TransactionRecord `json:"history,omitempty"`
	ParentDID    string              `json:"parent_did,omitempty"`
	HasConsensus bool                `json:"has_consensus,omitempty"`
	TraceID      string              `json:"trace_id,omitempty"`
}

// Admission is the ledger's admission verdict at join.
type Admission struct {
	Recommendation string  `json:"recommendation"` // admit | probation | deny
	RiskScore      float64 `json:"risk_score"`
}

// JoinResult is the response of `session.join`.
type JoinResult struct {
	SessionID          string        `json:"session_id"`
	AgentDID           string        `json:"agent_did"`
	Ring               int           `json:"ring"`
	SigmaRaw           float64       `json:"sigma_raw"`
	SigmaEff           float64       `json:"sigma_eff"`
	ConsistencyMode    string        `json:"consistency_mode"`
	Verification       HistoryReport `json:"verification"`
	Admission          Admission     `json:"admission"`
	ConflictingActions []string      `json:"conflicting_actions,omitempty"`
}

// JoinSession admits an agent: duplicate → ErrConflict (AGENT_ALREADY_JOINED), full →
// ErrLimitExceeded (SESSION_FULL), σ too low → ErrDenied (SIGMA_TOO_LOW).
func (h *Hypervisor) JoinSession(req JoinSessionRequest) (*JoinResult, error) {
	return do[JoinResult](h, viaJoinSession, "session.join", req)
}

// ActivateSession moves a handshaking session with ≥1 participant to active.
func (h *Hypervisor) ActivateSession(req SessionIDRequest) (*Session, error) {
	return do[Session](h, viaActivateSession, "session.activate", req)
}

// LeaveSession deactivates a participant and releases its locks.
func (h *Hypervisor) LeaveSession(req SessionAgentRequest) (*Participant, error) {
	return do[Participant](h, viaCall, "session.leave", req)
}

// GetSession returns one session.
func (h *Hypervisor) GetSession(req SessionIDRequest) (*Session, error) {
	return do[Session](h, viaCall, "session.get", req)
}

// ListSessionsRequest is `session.list`.
type ListSessionsRequest struct {
	State   string `json:"state,omitempty"`
	TraceID string `json:"trace_id,omitempty"`
}

// SessionList is the response of `session.list`.
type SessionList struct {
	Sessions []Session `json:"sessions"`
}

// ListSessions lists sessions, optionally by state.
func (h *Hypervisor) ListSessions(req ListSessionsRequest) (*SessionList, error) {
	return do[SessionList](h, viaCall, "session.list", req)
}

// TerminateGC summarises what termination purged.
type TerminateGC struct {
	PurgedVFSFiles int `json:"purged_vfs_files"`
	RetainedDeltas int `json:"retained_deltas"`
}

// TerminateResult is the response of `session.terminate`.
type TerminateResult struct {
	SessionID     string      `json:"session_id"`
	State         string      `json:"state"`
	MerkleRoot    *string     `json:"merkle_root"`
	TreeSize      uint64      `json:"tree_size"`
	BondsReleased int         `json:"bonds_released"`
	GC            TerminateGC `json:"gc"`
	Commitment    *Commitment `json:"commitment,omitempty"`
}

// TerminateSession releases bonds and locks, commits the Merkle root and archives.
func (h *Hypervisor) TerminateSession(req SessionIDRequest) (*TerminateResult, error) {
	return do[TerminateResult](h, viaTerminate, "session.terminate", req)
}

// Snapshot is the response of `session.snapshot`.
type Snapshot struct {
	SnapshotID string `json:"snapshot_id"`
	Files      int    `json:"files"`
	Bytes      int    `json:"bytes"`
}

// SnapshotSession snapshots an active session's VFS files and permissions.
func (h *Hypervisor) SnapshotSession(req SessionIDRequest) (*Snapshot, error) {
	return do[Snapshot](h, viaCall, "session.snapshot", req)
}

// RestoreSessionRequest is `session.restore`.
type RestoreSessionRequest struct {
	SessionID  string `json:"session_id"`
	SnapshotID string `json:"snapshot_id"`
	AgentDID   string `json:"agent_did"`
	TraceID    string `json:"trace_id,omitempty"`
}

// RestoreSession restores a snapshot.
func (h *Hypervisor) RestoreSession(req RestoreSessionRequest) (*Session, error) {
	return do[Session](h, viaCall, "session.restore", req)
}
