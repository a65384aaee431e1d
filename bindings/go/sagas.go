package hypervisor

import "encoding/json"

// Sagas: steps, governed execution, compensation, fan-out, checkpoints (API.md §4.5).
// RunStep, Compensate and FanOut (host executors) are in saga_exec.go.

// Step is a saga step.
type Step struct {
	StepID         string          `json:"step_id"`
	SagaID         string          `json:"saga_id"`
	ActionID       string          `json:"action_id"`
	AgentDID       string          `json:"agent_did"`
	ExecuteAPI     string          `json:"execute_api"`
	UndoAPI        string          `json:"undo_api,omitempty"`
	TimeoutSeconds int             `json:"timeout_seconds"`
	MaxRetries     int             `json:"max_retries"`
	State          string          `json:"state"` // pending | executing | committed | failed | compensating | compensated | compensation_failed
	Attempts       int             `json:"attempts"`
	RetryCount     int             `json:"retry_count"`
	Error          string          `json:"error,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	StartedAt      string          `json:"started_at,omitempty"`
	CompletedAt    string          `json:"completed_at,omitempty"`
	Deadline       string          `json:"deadline,omitempty"`
}

// Saga is a saga and its steps.
type Saga struct {
	SagaID         string          `json:"saga_id"`
	SessionID      string          `json:"session_id"`
	State          string          `json:"state"` // running | compensating | completed | failed | escalated
	IsolationLevel string          `json:"isolation_level"`
	Steps          []Step          `json:"steps"`
	Error          string          `json:"error,omitempty"`
	CreatedAt      string          `json:"created_at"`
	CompletedAt    string          `json:"completed_at,omitempty"`
	FanOutGroups   json.RawMessage `json:"fan_out_groups,omitempty"` // saga.define only
	// CompensationRequired is set when a killed agent's step had no substitute.
	CompensationRequired bool `json:"compensation_required,omitempty"`
	// Escalation is set by Compensate when the saga escalated.
	Escalation *Escalation `json:"escalation,omitempty"`
}

// Escalation is what an escalated compensation did: fault attribution (a heuristic) and one
// slash per agent whose compensation failed.
type Escalation struct {
	Attribution *Attribution  `json:"attribution,omitempty"`
	Slashes     []SlashResult `json:"slashes"`
	Errors      []string      `json:"errors,omitempty"`
}

// SagaIDRequest addresses one saga: `{saga_id}`.
type SagaIDRequest struct {
	SagaID  string `json:"saga_id"`
	TraceID string `json:"trace_id,omitempty"`
}

// CreateSagaRequest is `saga.create`.
type CreateSagaRequest struct {
	SessionID      string `json:"session_id"`
	SagaID         string `json:"saga_id,omitempty"`
	IsolationLevel string `json:"isolation_level,omitempty"`
	TraceID        string `json:"trace_id,omitempty"`
}

// CreateSaga starts a saga in a session.
func (h *Hypervisor) CreateSaga(req CreateSagaRequest) (*Saga, error) {
	return do[Saga](h, viaCall, "saga.create", req)
}

// Resource is a path a step declares, with its intent lock mode.
type Resource struct {
	Path   string `json:"path"`
	Intent string `json:"intent"` // read | write | exclusive
}

// AddStepRequest is `saga.add_step`.
type AddStepRequest struct {
	SagaID         string     `json:"saga_id"`
	ActionID       string     `json:"action_id"`
	AgentDID       string     `json:"agent_did"`
	ExecuteAPI     string     `json:"execute_api"`
	UndoAPI        string     `json:"undo_api,omitempty"`
	TimeoutSeconds int        `json:"timeout_seconds,omitempty"` // default 300
	MaxRetries     int        `json:"max_retries,omitempty"`
	Resources      []Resource `json:"resources,omitempty"`
	CheckpointGoal string     `json:"checkpoint_goal,omitempty"`
	StepID         string     `json:"step_id,omitempty"`
	TraceID        string     `json:"trace_id,omitempty"`
}

// AddStep appends a step to a saga.
func (h *Hypervisor) AddStep(req AddStepRequest) (*Step, error) {
	return do[Step](h, viaCall, "saga.add_step", req)
}

// DefinitionStep is one step of a saga definition (the DSL).
type DefinitionStep struct {
	ID             string `json:"id,omitempty"`
	ActionID       string `json:"action_id,omitempty"`
	Agent          string `json:"agent,omitempty"`
	ExecuteAPI     string `json:"execute_api,omitempty"`
	UndoAPI        string `json:"undo_api,omitempty"`
	Timeout        int    `json:"timeout,omitempty"`
	Retries        int    `json:"retries,omitempty"`
	CheckpointGoal string `json:"checkpoint_goal,omitempty"`
}

// FanOutDefinition declares a fan-out group in a definition.
type FanOutDefinition struct {
	Policy   string   `json:"policy"`
	Branches []string `json:"branches"`
}

// SagaDefinition is a declarative saga. Empty fields are omitted, so ValidateSaga reports
// them as missing.
type SagaDefinition struct {
	Name      string             `json:"name,omitempty"`
	SessionID string             `json:"session_id,omitempty"`
	SagaID    string             `json:"saga_id,omitempty"`
	Steps     []DefinitionStep   `json:"steps,omitempty"`
	FanOut    []FanOutDefinition `json:"fan_out,omitempty"`
	Metadata  map[string]any     `json:"metadata,omitempty"`
}

// DefineSagaRequest is `saga.define` and `saga.validate`.
type DefineSagaRequest struct {
	Definition SagaDefinition `json:"definition"`
	TraceID    string         `json:"trace_id,omitempty"`
}

// DefineSaga creates a saga from a definition (the Saga carries FanOutGroups).
func (h *Hypervisor) DefineSaga(req DefineSagaRequest) (*Saga, error) {
	return do[Saga](h, viaCall, "saga.define", req)
}

// ValidationResult is `{errors}`; empty means valid.
type ValidationResult struct {
	Errors []string `json:"errors"`
}

// ValidateSaga checks a definition without creating anything.
func (h *Hypervisor) ValidateSaga(req DefineSagaRequest) (*ValidationResult, error) {
	return do[ValidationResult](h, viaCall, "saga.validate", req)
}

// GetSaga returns one saga.
func (h *Hypervisor) GetSaga(req SagaIDRequest) (*Saga, error) {
	return do[Saga](h, viaCall, "saga.get", req)
}

// SagaList is the response of `saga.list`.
type SagaList struct {
	Sagas []Saga `json:"sagas"`
}

// ListSagas lists a session's sagas.
func (h *Hypervisor) ListSagas(req SessionIDRequest) (*SagaList, error) {
	return do[SagaList](h, viaCall, "saga.list", req)
}

// StepRequest addresses one step for governed execution (`saga.step.begin`, RunStep).
type StepRequest struct {
	SagaID        string `json:"saga_id"`
	StepID        string `json:"step_id"`
	HasConsensus  bool   `json:"has_consensus,omitempty"`
	HasSREWitness bool   `json:"has_sre_witness,omitempty"`
	TraceID       string `json:"trace_id,omitempty"`
}

// StepLease is the response of `saga.step.begin`.
type StepLease struct {
	StepID    string `json:"step_id"`
	Attempt   int    `json:"attempt"`
	Deadline  string `json:"deadline"`
	TimeoutMs int64  `json:"timeout_ms"`
}

// BeginStep runs the governance checks and marks the step executing until its deadline.
func (h *Hypervisor) BeginStep(req StepRequest) (*StepLease, error) {
	return do[StepLease](h, viaCall, "saga.step.begin", req)
}

// EndStepRequest is `saga.step.end`.
type EndStepRequest struct {
	SagaID  string          `json:"saga_id"`
	StepID  string          `json:"step_id"`
	OK      bool            `json:"ok"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	TraceID string          `json:"trace_id,omitempty"`
}

// StepOutcome is the response of `saga.step.end`.
type StepOutcome struct {
	StepID       string          `json:"step_id"`
	State        string          `json:"state"`
	Attempt      int             `json:"attempt"`
	RetryAfterMs *int64          `json:"retry_after_ms,omitempty"`
	Result       json.RawMessage `json:"result,omitempty"`
	Error        string          `json:"error,omitempty"`
	TimedOut     bool            `json:"timed_out"`
	FinalFailure bool            `json:"final_failure"`
}

// EndStep reports a step's outcome.
func (h *Hypervisor) EndStep(req EndStepRequest) (*StepOutcome, error) {
	req.Result = rawOrNil(req.Result)
	return do[StepOutcome](h, viaCall, "saga.step.end", req)
}

// CompensationPlan is the response of `saga.compensate.begin`.
type CompensationPlan struct {
	SagaID      string      `json:"saga_id"`
	State       string      `json:"state"`       // compensating, or completed/escalated at once
	Steps       []Step      `json:"steps"`       // to undo, in this order
	Unavailable []string    `json:"unavailable"` // committed steps without undo_api
	TimedOut    []string    `json:"timed_out"`
	Escalation  *Escalation `json:"escalation,omitempty"`
}

// BeginCompensation lists the committed steps to undo, in reverse order.
func (h *Hypervisor) BeginCompensation(req SagaIDRequest) (*CompensationPlan, error) {
	return do[CompensationPlan](h, viaCall, "saga.compensate.begin", req)
}

// EndCompensationRequest is `saga.compensate.end`.
type EndCompensationRequest struct {
	SagaID  string `json:"saga_id"`
	StepID  string `json:"step_id"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	TraceID string `json:"trace_id,omitempty"`
}

// CompensationReport is the response of `saga.compensate.end`: the Step plus the saga's
// progress.
type CompensationReport struct {
	Step
	Remaining  int         `json:"remaining"`
	SagaState  string      `json:"saga_state"`
	Escalation *Escalation `json:"escalation,omitempty"`
}

// EndCompensation reports one undo's outcome.
func (h *Hypervisor) EndCompensation(req EndCompensationRequest) (*CompensationReport, error) {
	return do[CompensationReport](h, viaCall, "saga.compensate.end", req)
}

// CompleteSaga completes a saga whose steps all committed.
func (h *Hypervisor) CompleteSaga(req SagaIDRequest) (*Saga, error) {
	return do[Saga](h, viaCall, "saga.complete", req)
}

// CreateFanOutRequest is `saga.fan_out.create`.
type CreateFanOutRequest struct {
	SagaID  string   `json:"saga_id"`
	Policy  string   `json:"policy"` // all_must_succeed | majority_must_succeed | any_must_succeed
	StepIDs []string `json:"step_ids"`
	TraceID string   `json:"trace_id,omitempty"`
}

// FanOutGroup is the response of `saga.fan_out.create`.
type FanOutGroup struct {
	GroupID string   `json:"group_id"`
	SagaID  string   `json:"saga_id"`
	Policy  string   `json:"policy"`
	StepIDs []string `json:"step_ids"`
}

// CreateFanOut groups ≥2 steps under a success policy.
func (h *Hypervisor) CreateFanOut(req CreateFanOutRequest) (*FanOutGroup, error) {
	return do[FanOutGroup](h, viaCall, "saga.fan_out.create", req)
}

// ResolveFanOutRequest is `saga.fan_out.resolve`.
type ResolveFanOutRequest struct {
	GroupID string `json:"group_id"`
	TraceID string `json:"trace_id,omitempty"`
}

// FanOutResult is the outcome of a fan-out group.
type FanOutResult struct {
	GroupID            string   `json:"group_id"`
	Policy             string   `json:"policy"`
	PolicySatisfied    bool     `json:"policy_satisfied"`
	SuccessCount       int      `json:"success_count"`
	FailureCount       int      `json:"failure_count"`
	PendingCount       int      `json:"pending_count"`
	Settled            bool     `json:"settled"` // no branch pending or executing
	CompensationNeeded []string `json:"compensation_needed"`
	// Branches is set by FanOut: one report per branch, in group order.
	Branches []BranchReport `json:"branches,omitempty"`
}

// BranchReport is one fan-out branch's outcome.
type BranchReport struct {
	StepID string       `json:"step_id"`
	State  string       `json:"state"`
	Error  *BranchError `json:"error,omitempty"`
}

// BranchError is why a branch did not commit (a denial or the step's failure).
type BranchError struct {
	Code    string `json:"code"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// ResolveFanOut evaluates a group's policy for branches run via BeginStep/EndStep.
func (h *Hypervisor) ResolveFanOut(req ResolveFanOutRequest) (*FanOutResult, error) {
	return do[FanOutResult](h, viaCall, "saga.fan_out.resolve", req)
}

// SaveCheckpointRequest is `saga.checkpoint.save`.
type SaveCheckpointRequest struct {
	SagaID  string          `json:"saga_id"`
	StepID  string          `json:"step_id"`
	Goal    string          `json:"goal"`
	State   json.RawMessage `json:"state,omitempty"`
	TraceID string          `json:"trace_id,omitempty"`
}

// Checkpoint is the response of `saga.checkpoint.save`.
type Checkpoint struct {
	CheckpointID string `json:"checkpoint_id"`
	GoalHash     string `json:"goal_hash"`
}

// SaveCheckpoint records a step's checkpoint.
func (h *Hypervisor) SaveCheckpoint(req SaveCheckpointRequest) (*Checkpoint, error) {
	req.State = rawOrNil(req.State)
	return do[Checkpoint](h, viaCall, "saga.checkpoint.save", req)
}

// InvalidateCheckpointRequest is `saga.checkpoint.invalidate`.
type InvalidateCheckpointRequest struct {
	SagaID  string `json:"saga_id"`
	StepID  string `json:"step_id"`
	Reason  string `json:"reason,omitempty"`
	TraceID string `json:"trace_id,omitempty"`
}

// CheckpointRecord is a stored checkpoint.
type CheckpointRecord struct {
	CheckpointID      string          `json:"checkpoint_id"`
	SagaID            string          `json:"saga_id"`
	StepID            string          `json:"step_id"`
	Goal              string          `json:"goal"`
	GoalHash          string          `json:"goal_hash"`
	State             json.RawMessage `json:"state,omitempty"`
	SavedAt           string          `json:"saved_at"`
	IsValid           bool            `json:"is_valid"`
	InvalidatedReason string          `json:"invalidated_reason,omitempty"`
}

// InvalidateCheckpoint marks a step's checkpoint invalid and returns it.
func (h *Hypervisor) InvalidateCheckpoint(req InvalidateCheckpointRequest) (*CheckpointRecord, error) {
	return do[CheckpointRecord](h, viaCall, "saga.checkpoint.invalidate", req)
}

// ReplayPlan is the response of `saga.replay_plan`: steps without a valid checkpoint, in
// order.
type ReplayPlan struct {
	SagaID  string   `json:"saga_id"`
	StepIDs []string `json:"step_ids"`
}

// ReplayPlan lists the steps a replay must run again.
func (h *Hypervisor) ReplayPlan(req SagaIDRequest) (*ReplayPlan, error) {
	return do[ReplayPlan](h, viaCall, "saga.replay_plan", req)
}
