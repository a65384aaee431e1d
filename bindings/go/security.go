package hypervisor

// Security: rate limits, substitutes, the kill switch (API.md §4.6).

// RateCheckRequest is `security.rate_check`.
type RateCheckRequest struct {
	SessionID string  `json:"session_id"`
	AgentDID  string  `json:"agent_did"`
	Cost      float64 `json:"cost,omitempty"` // default 1
	TraceID   string  `json:"trace_id,omitempty"`
}

// RateCheck is the response of `security.rate_check` (an empty bucket is ErrRateLimited).
type RateCheck struct {
	Allowed         bool    `json:"allowed"`
	TokensRemaining float64 `json:"tokens_remaining"`
}

// RateCheck takes tokens from the agent's bucket.
func (h *Hypervisor) RateCheck(req RateCheckRequest) (*RateCheck, error) {
	return do[RateCheck](h, viaCall, "security.rate_check", req)
}

// RateStats is the response of `security.rate_stats`.
type RateStats struct {
	TotalRequests    int     `json:"total_requests"`
	RejectedRequests int     `json:"rejected_requests"`
	TokensAvailable  float64 `json:"tokens_available"`
	Capacity         float64 `json:"capacity"`
	Ring             int     `json:"ring"`
}

// RateStats returns an agent's bucket statistics.
func (h *Hypervisor) RateStats(req SessionAgentRequest) (*RateStats, error) {
	return do[RateStats](h, viaCall, "security.rate_stats", req)
}

// SubstituteRequest is `security.substitute`.
type SubstituteRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did"`
	Available bool   `json:"available"`
	TraceID   string `json:"trace_id,omitempty"`
}

// SubstituteResult is the response of `security.substitute`.
type SubstituteResult struct {
	AgentDID    string   `json:"agent_did"`
	Available   bool     `json:"available"`
	Substitutes []string `json:"substitutes"` // all registered, in registration order
}

// SetSubstitute registers (Available) or removes an agent as a handoff substitute.
func (h *Hypervisor) SetSubstitute(req SubstituteRequest) (*SubstituteResult, error) {
	return do[SubstituteResult](h, viaCall, "security.substitute", req)
}

// KillRequest is `security.kill`.
type KillRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did"`
	Reason    string `json:"reason"`
	Details   any    `json:"details,omitempty"` // any JSON value
	TraceID   string `json:"trace_id,omitempty"`
}

// Handoff is what happened to one in-flight step of a killed agent.
type Handoff struct {
	SagaID    string `json:"saga_id"`
	StepID    string `json:"step_id"`
	FromAgent string `json:"from_agent"`
	ToAgent   string `json:"to_agent,omitempty"`
	Status    string `json:"status"` // handed_off | compensation_required
}

// KillResult is the response of `security.kill`.
type KillResult struct {
	KillID                string    `json:"kill_id"`
	AgentDID              string    `json:"agent_did"`
	SessionID             string    `json:"session_id"`
	Reason                string    `json:"reason"`
	Timestamp             string    `json:"timestamp"`
	Handoffs              []Handoff `json:"handoffs"`
	HandoffSuccessCount   int       `json:"handoff_success_count"`
	CompensationTriggered bool      `json:"compensation_triggered"`
	Terminated            bool      `json:"terminated"`
}

// Kill deactivates an agent and hands off its in-flight steps.
func (h *Hypervisor) Kill(req KillRequest) (*KillResult, error) {
	return do[KillResult](h, viaCall, "security.kill", req)
}
