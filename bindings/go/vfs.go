package hypervisor

// Virtual file system, one namespace per session (API.md §4.2).

// VFSWriteRequest is `vfs.write`.
type VFSWriteRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did"`
	Path      string `json:"path"`
	Content   string `json:"content"`
	TraceID   string `json:"trace_id,omitempty"`
}

// DeltaRef points at the audit delta a write appended.
type DeltaRef struct {
	TurnID    uint64 `json:"turn_id"`
	DeltaHash string `json:"delta_hash"`
}

// VFSWriteResult is the response of `vfs.write`.
type VFSWriteResult struct {
	Path         string            `json:"path"`
	Operation    string            `json:"operation"` // "create" | "update"
	ContentHash  string            `json:"content_hash"`
	PreviousHash string            `json:"previous_hash,omitempty"`
	Clock        map[string]uint64 `json:"clock"`
	Delta        *DeltaRef         `json:"delta,omitempty"`
}

// WriteFile writes a file as an agent (ring ≤ 2, not quarantined, rate-limited, permissions
// and causal consistency checked by the engine).
func (h *Hypervisor) WriteFile(req VFSWriteRequest) (*VFSWriteResult, error) {
	return do[VFSWriteResult](h, viaCall, "vfs.write", req)
}

// VFSReadRequest is `vfs.read`.
type VFSReadRequest struct {
	SessionID string `json:"session_id"`
	Path      string `json:"path"`
	AgentDID  string `json:"agent_did,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// VFSReadResult is the response of `vfs.read`; Content is nil for a missing file.
type VFSReadResult struct {
	Path    string            `json:"path"`
	Content *string           `json:"content"`
	Clock   map[string]uint64 `json:"clock"`
}

// ReadFile reads a file (merging the path's clock into the agent's).
func (h *Hypervisor) ReadFile(req VFSReadRequest) (*VFSReadResult, error) {
	return do[VFSReadResult](h, viaCall, "vfs.read", req)
}

// VFSPathRequest is `{session_id, agent_did, path}` (`vfs.delete`, `vfs.clear_permissions`).
type VFSPathRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did"`
	Path      string `json:"path"`
	TraceID   string `json:"trace_id,omitempty"`
}

// VFSDeleteResult is the response of `vfs.delete`.
type VFSDeleteResult struct {
	Path         string            `json:"path"`
	PreviousHash string            `json:"previous_hash"`
	Clock        map[string]uint64 `json:"clock"`
	Delta        *DeltaRef         `json:"delta,omitempty"`
}

// DeleteFile deletes a file as an agent.
func (h *Hypervisor) DeleteFile(req VFSPathRequest) (*VFSDeleteResult, error) {
	return do[VFSDeleteResult](h, viaCall, "vfs.delete", req)
}

// VFSList is the response of `vfs.list`.
type VFSList struct {
	Paths []string `json:"paths"`
}

// ListFiles lists a session's paths.
func (h *Hypervisor) ListFiles(req SessionIDRequest) (*VFSList, error) {
	return do[VFSList](h, viaCall, "vfs.list", req)
}

// VFSSetPermissionsRequest is `vfs.set_permissions`.
type VFSSetPermissionsRequest struct {
	SessionID     string   `json:"session_id"`
	AgentDID      string   `json:"agent_did"`
	Path          string   `json:"path"`
	AllowedAgents []string `json:"allowed_agents"`
	TraceID       string   `json:"trace_id,omitempty"`
}

// VFSPermissionsResult is the response of `vfs.set_permissions` and
// `vfs.clear_permissions`.
type VFSPermissionsResult struct {
	Path          string    `json:"path"`
	AllowedAgents []string  `json:"allowed_agents"`
	Changed       bool      `json:"changed"`
	Delta         *DeltaRef `json:"delta,omitempty"`
}

// SetPermissions restricts a path to the listed agents.
func (h *Hypervisor) SetPermissions(req VFSSetPermissionsRequest) (*VFSPermissionsResult, error) {
	if req.AllowedAgents == nil {
		req.AllowedAgents = []string{}
	}
	return do[VFSPermissionsResult](h, viaCall, "vfs.set_permissions", req)
}

// ClearPermissions removes a path's restriction.
func (h *Hypervisor) ClearPermissions(req VFSPathRequest) (*VFSPermissionsResult, error) {
	return do[VFSPermissionsResult](h, viaCall, "vfs.clear_permissions", req)
}

// VFSEditsRequest is `vfs.edits`.
type VFSEditsRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// FileEdit is one recorded VFS edit.
type FileEdit struct {
	Path         string `json:"path"`
	Operation    string `json:"operation"`
	AgentDID     string `json:"agent_did"`
	Timestamp    string `json:"timestamp"`
	ContentHash  string `json:"content_hash,omitempty"`
	PreviousHash string `json:"previous_hash,omitempty"`
}

// VFSEdits is the response of `vfs.edits`.
type VFSEdits struct {
	Edits []FileEdit `json:"edits"`
}

// FileEdits lists a session's edits, optionally by agent.
func (h *Hypervisor) FileEdits(req VFSEditsRequest) (*VFSEdits, error) {
	return do[VFSEdits](h, viaCall, "vfs.edits", req)
}
