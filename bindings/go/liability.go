package hypervisor

import "encoding/json"

// Liability: vouching, slashing, attribution, quarantine, ledger (API.md §4.4).

// VouchRequest is `liability.vouch`.
type VouchRequest struct {
	SessionID  string   `json:"session_id"`
	VoucherDID string   `json:"voucher_did"`
	VoucheeDID string   `json:"vouchee_did"`
	BondPct    *float64 `json:"bond_pct,omitempty"`
	ExpiresAt  string   `json:"expires_at,omitempty"`
	TraceID    string   `json:"trace_id,omitempty"`
}

// VouchRecord is a bond of part of a voucher's σ on a vouchee.
type VouchRecord struct {
	VouchID        string  `json:"vouch_id"`
	VoucherDID     string  `json:"voucher_did"`
	VoucheeDID     string  `json:"vouchee_did"`
	SessionID      string  `json:"session_id"`
	BondedSigmaPct float64 `json:"bonded_sigma_pct"`
	BondedAmount   float64 `json:"bonded_amount"`
	CreatedAt      string  `json:"created_at"`
	ExpiresAt      string  `json:"expires_at,omitempty"`
	IsActive       bool    `json:"is_active"`
}

// Vouch bonds a voucher's σ on a vouchee.
func (h *Hypervisor) Vouch(req VouchRequest) (*VouchRecord, error) {
	return do[VouchRecord](h, viaCall, "liability.vouch", req)
}

// ReleaseVouchRequest is `liability.release`.
type ReleaseVouchRequest struct {
	VouchID string `json:"vouch_id"`
	TraceID string `json:"trace_id,omitempty"`
}

// ReleaseVouch releases a bond and returns it, inactive.
func (h *Hypervisor) ReleaseVouch(req ReleaseVouchRequest) (*VouchRecord, error) {
	return do[VouchRecord](h, viaCall, "liability.release", req)
}

// SigmaEffRequest is `liability.sigma_eff`.
type SigmaEffRequest struct {
	SessionID  string  `json:"session_id"`
	AgentDID   string  `json:"agent_did"`
	RiskWeight float64 `json:"risk_weight"`
	TraceID    string  `json:"trace_id,omitempty"`
}

// SigmaEffResult is `{sigma_eff}`.
type SigmaEffResult struct {
	SigmaEff float64 `json:"sigma_eff"`
}

// SigmaEff returns min(1, σ + ω × active bonds).
func (h *Hypervisor) SigmaEff(req SigmaEffRequest) (*SigmaEffResult, error) {
	return do[SigmaEffResult](h, viaCall, "liability.sigma_eff", req)
}

// SlashRequest is `liability.slash`.
type SlashRequest struct {
	SessionID  string  `json:"session_id"`
	AgentDID   string  `json:"agent_did"`
	RiskWeight float64 `json:"risk_weight"`
	Reason     string  `json:"reason"`
	TraceID    string  `json:"trace_id,omitempty"`
}

// VoucherClip is one voucher's loss in a slash.
type VoucherClip struct {
	VoucherDID  string  `json:"voucher_did"`
	SigmaBefore float64 `json:"sigma_before"`
	SigmaAfter  float64 `json:"sigma_after"`
	RiskWeight  float64 `json:"risk_weight"`
	VouchID     string  `json:"vouch_id"`
}

// SlashResult is the outcome of a slash, with its cascade.
type SlashResult struct {
	SlashID            string        `json:"slash_id"`
	VoucheeDID         string        `json:"vouchee_did"`
	VoucheeSigmaBefore float64       `json:"vouchee_sigma_before"`
	VoucheeSigmaAfter  float64       `json:"vouchee_sigma_after"`
	VoucherClips       []VoucherClip `json:"voucher_clips"`
	Cascade            []SlashResult `json:"cascade"`
	Reason             string        `json:"reason"`
}

// Slash zeroes an agent's σ and clips its vouchers.
func (h *Hypervisor) Slash(req SlashRequest) (*SlashResult, error) {
	return do[SlashResult](h, viaCall, "liability.slash", req)
}

// Exposure is the response of `liability.exposure`.
type Exposure struct {
	BondedTotal float64 `json:"bonded_total"`
	Limit       float64 `json:"limit"`
}

// Exposure returns how much σ a voucher has bonded in a session and its cap.
func (h *Hypervisor) Exposure(req SessionAgentRequest) (*Exposure, error) {
	return do[Exposure](h, viaCall, "liability.exposure", req)
}

// MatrixEdge is an active bond in the liability matrix.
type MatrixEdge struct {
	VoucherDID   string  `json:"voucher_did"`
	VoucheeDID   string  `json:"vouchee_did"`
	BondedAmount float64 `json:"bonded_amount"`
	VouchID      string  `json:"vouch_id"`
}

// LiabilityMatrix is the response of `liability.matrix`.
type LiabilityMatrix struct {
	Edges        []MatrixEdge          `json:"edges"`
	HasCycle     bool                  `json:"has_cycle"`
	CascadePaths map[string][][]string `json:"cascade_paths"`
}

// LiabilityMatrix returns a session's bond graph.
func (h *Hypervisor) LiabilityMatrix(req SessionIDRequest) (*LiabilityMatrix, error) {
	return do[LiabilityMatrix](h, viaCall, "liability.matrix", req)
}

// AgentAction is one action an agent took, for attribution.
type AgentAction struct {
	ActionID string `json:"action_id"`
	StepID   string `json:"step_id"`
	Success  bool   `json:"success"`
}

// AttributeRequest is `liability.attribute`: either SagaID, or the explicit form.
type AttributeRequest struct {
	SagaID          string                   `json:"saga_id,omitempty"`
	SessionID       string                   `json:"session_id,omitempty"`
	AgentActions    map[string][]AgentAction `json:"agent_actions,omitempty"`
	FailureStepID   string                   `json:"failure_step_id,omitempty"`
	FailureAgentDID string                   `json:"failure_agent_did,omitempty"`
	RiskWeights     map[string]float64       `json:"risk_weights,omitempty"`
	TraceID         string                   `json:"trace_id,omitempty"`
}

// AgentLiability is one agent's share of a failure.
type AgentLiability struct {
	AgentDID           string  `json:"agent_did"`
	LiabilityScore     float64 `json:"liability_score"`
	CausalContribution float64 `json:"causal_contribution"`
	IsDirectCause      bool    `json:"is_direct_cause"`
}

// Attribution is the response of `liability.attribute` (a heuristic).
type Attribution struct {
	AttributionID  string           `json:"attribution_id"`
	Attributions   []AgentLiability `json:"attributions"`
	RootCauseAgent string           `json:"root_cause_agent"`
}

// Attribute apportions liability for a failure.
func (h *Hypervisor) Attribute(req AttributeRequest) (*Attribution, error) {
	return do[Attribution](h, viaCall, "liability.attribute", req)
}

// QuarantineRequest is `liability.quarantine`.
type QuarantineRequest struct {
	SessionID       string `json:"session_id"`
	AgentDID        string `json:"agent_did"`
	Reason          string `json:"reason"`
	DurationSeconds int    `json:"duration_seconds,omitempty"`
	Details         any    `json:"details,omitempty"` // any JSON value
	TraceID         string `json:"trace_id,omitempty"`
}

// QuarantineRecord is an agent's quarantine.
type QuarantineRecord struct {
	QuarantineID string `json:"quarantine_id"`
	AgentDID     string `json:"agent_did"`
	Reason       string `json:"reason"`
	StartedAt    string `json:"started_at"`
	ExpiresAt    string `json:"expires_at"`
	IsActive     bool   `json:"is_active"`
	Details      string `json:"details,omitempty"`
}

// Quarantine makes an agent read-only until release or expiry.
func (h *Hypervisor) Quarantine(req QuarantineRequest) (*QuarantineRecord, error) {
	return do[QuarantineRecord](h, viaCall, "liability.quarantine", req)
}

// ReleaseQuarantine ends an agent's quarantine and returns it, inactive.
func (h *Hypervisor) ReleaseQuarantine(req SessionAgentRequest) (*QuarantineRecord, error) {
	return do[QuarantineRecord](h, viaCall, "liability.release_quarantine", req)
}

// LedgerRequest is `liability.ledger`.
type LedgerRequest struct {
	AgentDID string `json:"agent_did"`
	TraceID  string `json:"trace_id,omitempty"`
}

// LedgerEntry is one event in an agent's liability history.
type LedgerEntry struct {
	EntryType    string          `json:"entry_type"`
	SessionID    string          `json:"session_id"`
	Severity     float64         `json:"severity"`
	Details      json.RawMessage `json:"details"`
	RelatedAgent string          `json:"related_agent,omitempty"`
	Timestamp    string          `json:"timestamp"`
}

// LedgerProfile summarises an agent's ledger.
type LedgerProfile struct {
	SlashCount        int     `json:"slash_count"`
	QuarantineCount   int     `json:"quarantine_count"`
	CleanSessionCount int     `json:"clean_session_count"`
	FaultScoreAvg     float64 `json:"fault_score_avg"`
	RiskScore         float64 `json:"risk_score"`
	Recommendation    string  `json:"recommendation"` // admit | probation | deny
}

// Ledger is the response of `liability.ledger`.
type Ledger struct {
	Entries []LedgerEntry `json:"entries"`
	Profile LedgerProfile `json:"profile"`
}

// Ledger returns an agent's cross-session liability ledger.
func (h *Hypervisor) Ledger(req LedgerRequest) (*Ledger, error) {
	return do[Ledger](h, viaCall, "liability.ledger", req)
}
