package hypervisor

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Status is the engine's status class (the C HvStatus without the HV_ prefix).
type Status int

// The HvStatus values of the C ABI.
const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1
	StatusNotFound        Status = 2
	StatusInvalidState    Status = 3
	StatusDenied          Status = 4
	StatusRateLimited     Status = 5
	StatusConflict        Status = 6
	StatusLimitExceeded   Status = 7
	StatusTimeout         Status = 8
	StatusStepFailed      Status = 9
	StatusIO              Status = 10
	StatusCorrupt         Status = 11
	StatusInternal        Status = 12
)

var statusNames = [...]string{
	"OK", "INVALID_ARGUMENT", "NOT_FOUND", "INVALID_STATE", "DENIED", "RATE_LIMITED",
	"CONFLICT", "LIMIT_EXCEEDED", "TIMEOUT", "STEP_FAILED", "IO", "CORRUPT", "INTERNAL",
}

// String returns the wire name, e.g. "NOT_FOUND".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "STATUS_" + strconv.Itoa(int(s))
}

// ParseStatus maps a wire name such as "DENIED" to its Status.
func ParseStatus(name string) (Status, bool) {
	for i, n := range statusNames {
		if n == name {
			return Status(i), true
		}
	}
	return 0, false
}

// Error is a failure reported by the engine: a stable Code (SCREAMING_SNAKE, e.g.
// "AGENT_ALREADY_JOINED"), its Status class, a human Message and structured Details (for
// INVALID_ARGUMENT, Details["field"] names the offending field).
//
// Match a status class with the sentinels (errors.Is(err, hypervisor.ErrConflict)) or a
// specific code with a probe value (errors.Is(err, &hypervisor.Error{Code: "SIGMA_TOO_LOW"})).
type Error struct {
	Code    string
	Status  Status
	Message string
	Details map[string]any

	rawDetails json.RawMessage
}

func (e *Error) Error() string {
	if e.Code == "" {
		return "hypervisor: " + e.Status.String() + ": " + e.Message
	}
	return fmt.Sprintf("hypervisor: %s (%s): %s", e.Code, e.Status, e.Message)
}

// Is reports whether target is an *Error whose non-zero fields (Status, Code) equal e's.
// The sentinels carry only a Status, so errors.Is(err, ErrDenied) matches every denial.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil || (t.Status == StatusOK && t.Code == "") {
		return false
	}
	return (t.Status == StatusOK || t.Status == e.Status) && (t.Code == "" || t.Code == e.Code)
}

// DecodeDetails unmarshals the error's details object into v (e.g. a *Step for
// STEP_FAILED, which carries the final Step).
func (e *Error) DecodeDetails(v any) error {
	if len(e.rawDetails) == 0 {
		return fmt.Errorf("hypervisor: error %s has no details", e.Code)
	}
	return json.Unmarshal(e.rawDetails, v)
}

// Field is Details["field"] (the dotted path an INVALID_ARGUMENT names), or "".
func (e *Error) Field() string {
	s, _ := e.Details["field"].(string)
	return s
}

// Sentinels, one per status class, for errors.Is.
var (
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument, Message: "invalid argument"}
	ErrNotFound        = &Error{Status: StatusNotFound, Message: "not found"}
	ErrInvalidState    = &Error{Status: StatusInvalidState, Message: "invalid state"}
	ErrDenied          = &Error{Status: StatusDenied, Message: "denied"}
	ErrRateLimited     = &Error{Status: StatusRateLimited, Message: "rate limited"}
	ErrConflict        = &Error{Status: StatusConflict, Message: "conflict"}
	ErrLimitExceeded   = &Error{Status: StatusLimitExceeded, Message: "limit exceeded"}
	ErrTimeout         = &Error{Status: StatusTimeout, Message: "timeout"}
	ErrStepFailed      = &Error{Status: StatusStepFailed, Message: "step failed"}
	ErrIO              = &Error{Status: StatusIO, Message: "i/o error"}
	ErrCorrupt         = &Error{Status: StatusCorrupt, Message: "corrupt"}
	ErrInternal        = &Error{Status: StatusInternal, Message: "internal error"}

	// ErrClosed is returned by every method called after Close (status INVALID_STATE,
	// code HANDLE_CLOSED).
	ErrClosed = &Error{Code: "HANDLE_CLOSED", Status: StatusInvalidState, Message: "hypervisor handle is closed"}
)

// errorFromJSON builds an *Error from a failure status and the engine's error object
// `{"error":{code,status,message,details}}` (raw may be empty when the C function has no
// out_json).
func errorFromJSON(st Status, raw []byte) *Error {
	var env struct {
		Error struct {
			Code    string          `json:"code"`
			Status  string          `json:"status"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	e := &Error{Status: st}
	if len(raw) == 0 || json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
		e.Code = st.String()
		e.Message = "call failed with status " + st.String()
		if len(raw) > 0 {
			e.Message += ": " + string(raw)
		}
		return e
	}
	e.Code, e.Message = env.Error.Code, env.Error.Message
	if s, ok := ParseStatus(env.Error.Status); ok && s != StatusOK {
		e.Status = s
	}
	if len(env.Error.Details) > 0 && string(env.Error.Details) != "null" {
		e.rawDetails = env.Error.Details
		var m map[string]any
		if json.Unmarshal(env.Error.Details, &m) == nil {
			e.Details = m
		}
	}
	return e
}
