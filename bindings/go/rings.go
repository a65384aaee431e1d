package hypervisor

// Execution rings (API.md §4.3). Ring 0 is root (most privileged), ring 3 the sandbox.

// ComputeRingRequest is `ring.compute`.
type ComputeRingRequest struct {
	SigmaEff     float64 `json:"sigma_eff"`
	HasConsensus bool    `json:"has_consensus,omitempty"`
	TraceID      string  `json:"trace_id,omitempty"`
}

// RingResult is `{ring}`.
type RingResult struct {
	Ring int `json:"ring"`
}

// ComputeRing maps σ_eff (and consensus) to a ring.
func (h *Hypervisor) ComputeRing(req ComputeRingRequest) (*RingResult, error) {
	return do[RingResult](h, viaCall, "ring.compute", req)
}

// ClassifyActionRequest is `ring.classify`.
type ClassifyActionRequest struct {
	Action  ActionDescriptor `json:"action"`
	TraceID string           `json:"trace_id,omitempty"`
}

// Classification is the response of `ring.classify`.
type Classification struct {
	Ring          int     `json:"ring"`
	RiskWeight    float64 `json:"risk_weight"`
	Reversibility string  `json:"reversibility"`
}

// ClassifyAction returns an action's required ring and risk weight ω.
func (h *Hypervisor) ClassifyAction(req ClassifyActionRequest) (*Classification, error) {
	return do[Classification](h, viaCall, "ring.classify", req)
}

// RingCheckRequest is `ring.check`: the action by ActionID (session registry) or inline.
type RingCheckRequest struct {
	SessionID     string            `json:"session_id"`
	AgentDID      string            `json:"agent_did"`
	ActionID      string            `json:"action_id,omitempty"`
	Action        *ActionDescriptor `json:"action,omitempty"`
	HasConsensus  bool              `json:"has_consensus,omitempty"`
	HasSREWitness bool              `json:"has_sre_witness,omitempty"`
	TraceID       string            `json:"trace_id,omitempty"`
}

// RingCheck is the response of `ring.check`. A denial is Allowed == false, not an error.
type RingCheck struct {
	Allowed            bool    `json:"allowed"`
	RequiredRing       int     `json:"required_ring"`
	AgentRing          int     `json:"agent_ring"`
	SigmaEff           float64 `json:"sigma_eff"`
	Reason             string  `json:"reason"`
	RequiresConsensus  bool    `json:"requires_consensus"`
	RequiresSREWitness bool    `json:"requires_sre_witness"`
}

// CheckRing checks whether an agent may perform an action.
func (h *Hypervisor) CheckRing(req RingCheckRequest) (*RingCheck, error) {
	return do[RingCheck](h, viaCall, "ring.check", req)
}

// ElevateRequest is `ring.elevate`.
type ElevateRequest struct {
	SessionID   string `json:"session_id"`
	AgentDID    string `json:"agent_did"`
	TargetRing  int    `json:"target_ring"`
	TTLSeconds  int    `json:"ttl_seconds,omitempty"`
	Attestation string `json:"attestation,omitempty"`
	Reason      string `json:"reason,omitempty"`
	TraceID     string `json:"trace_id,omitempty"`
}

// Elevation is a temporary ring elevation.
type Elevation struct {
	ElevationID  string `json:"elevation_id"`
	AgentDID     string `json:"agent_did"`
	OriginalRing int    `json:"original_ring"`
	ElevatedRing int    `json:"elevated_ring"`
	GrantedAt    string `json:"granted_at"`
	ExpiresAt    string `json:"expires_at"`
}

// Elevate grants a temporary ring elevation (denials: ErrDenied with Details["reason"]).
func (h *Hypervisor) Elevate(req ElevateRequest) (*Elevation, error) {
	return do[Elevation](h, viaCall, "ring.elevate", req)
}

// RevokeElevationRequest is `ring.revoke`.
type RevokeElevationRequest struct {
	ElevationID string `json:"elevation_id"`
	TraceID     string `json:"trace_id,omitempty"`
}

// RevokeElevation ends an elevation early and returns it.
func (h *Hypervisor) RevokeElevation(req RevokeElevationRequest) (*Elevation, error) {
	return do[Elevation](h, viaCall, "ring.revoke", req)
}

// ElevationsRequest is `ring.elevations`.
type ElevationsRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// ElevationList is the response of `ring.elevations`.
type ElevationList struct {
	Elevations []Elevation `json:"elevations"`
}

// Elevations lists active elevations.
func (h *Hypervisor) Elevations(req ElevationsRequest) (*ElevationList, error) {
	return do[ElevationList](h, viaCall, "ring.elevations", req)
}

// RegisterChildRequest is `ring.register_child`.
type RegisterChildRequest struct {
	SessionID string `json:"session_id"`
	ParentDID string `json:"parent_did"`
	ChildDID  string `json:"child_did"`
	TraceID   string `json:"trace_id,omitempty"`
}

// RegisterChild caps a child agent's ring at its parent's effective ring + 1.
func (h *Hypervisor) RegisterChild(req RegisterChildRequest) (*RingResult, error) {
	return do[RingResult](h, viaCall, "ring.register_child", req)
}

// BreakerState is the response of `ring.breaker`.
type BreakerState struct {
	TotalCalls       int            `json:"total_calls"`
	WindowCalls      int            `json:"window_calls"`
	Tripped          bool           `json:"tripped"`
	RingDistribution map[string]int `json:"ring_distribution"`
}

// Breaker returns an agent's breach-detector state.
func (h *Hypervisor) Breaker(req SessionAgentRequest) (*BreakerState, error) {
	return do[BreakerState](h, viaCall, "ring.breaker", req)
}

// ResetBreaker clears an agent's breach detector and returns its new state.
func (h *Hypervisor) ResetBreaker(req SessionAgentRequest) (*BreakerState, error) {
	return do[BreakerState](h, viaCall, "ring.reset_breaker", req)
}
