package hypervisor

import "encoding/json"

// Shared request and response shapes. Every request may carry TraceID (a causal trace id
// from NewTrace/ChildTrace); events emitted while serving it carry a child span of it.
// Responses ignore fields the binding does not know, so newer engines stay compatible.

// SessionIDRequest addresses one session: `{session_id}`.
type SessionIDRequest struct {
	SessionID string `json:"session_id"`
	TraceID   string `json:"trace_id,omitempty"`
}

// SessionAgentRequest addresses one participant: `{session_id, agent_did}`.
type SessionAgentRequest struct {
	SessionID string `json:"session_id"`
	AgentDID  string `json:"agent_did"`
	TraceID   string `json:"trace_id,omitempty"`
}

// ActionDescriptor describes an action an agent may take (API.md §4.3).
type ActionDescriptor struct {
	ActionID           string `json:"action_id"`
	Name               string `json:"name"`
	ExecuteAPI         string `json:"execute_api"`
	UndoAPI            string `json:"undo_api,omitempty"`
	Reversibility      string `json:"reversibility,omitempty"` // "full" | "partial" | "none" (default)
	UndoWindowSeconds  *int   `json:"undo_window_seconds,omitempty"`
	CompensationMethod string `json:"compensation_method,omitempty"`
	IsReadOnly         bool   `json:"is_read_only,omitempty"`
	IsAdmin            bool   `json:"is_admin,omitempty"`
}

// Manifest is an IATP capability manifest.
type Manifest struct {
	AgentDID     string             `json:"agent_did"`
	TrustLevel   string             `json:"trust_level,omitempty"`
	Capabilities []string           `json:"capabilities,omitempty"`
	Actions      []ActionDescriptor `json:"actions"`
}

// TransactionRecord is one entry of an agent's transaction history.
type TransactionRecord struct {
	SessionID        string `json:"session_id"`
	SummaryHash      string `json:"summary_hash"`
	Timestamp        string `json:"timestamp"`
	ParticipantCount *int   `json:"participant_count,omitempty"`
}

// HistoryReport is the outcome of history verification.
type HistoryReport struct {
	Status              string   `json:"status"` // "verified" | "probationary" | "suspicious"
	TransactionsChecked int      `json:"transactions_checked"`
	Inconsistencies     []string `json:"inconsistencies"`
}

// Validity is `{valid}`.
type Validity struct {
	Valid bool `json:"valid"`
}

// rawOrNil keeps optional raw JSON out of requests when empty.
func rawOrNil(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return b
}
