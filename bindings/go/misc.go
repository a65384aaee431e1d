package hypervisor

/*
#include "trampolines.h"
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"sync/atomic"
)

// Verification, integrations, the trust provider, traces, clock, stats, health
// (API.md §4.8, §4.9).

// VerifyHistoryRequest is `verify.history`.
type VerifyHistoryRequest struct {
	AgentDID string              `json:"agent_did"`
	History  []TransactionRecord `json:"history"`
	TraceID  string              `json:"trace_id,omitempty"`
}

// VerifyHistory checks an agent's transaction history.
func (h *Hypervisor) VerifyHistory(req VerifyHistoryRequest) (*HistoryReport, error) {
	if req.History == nil {
		req.History = []TransactionRecord{} // required: send [] rather than null
	}
	return do[HistoryReport](h, viaCall, "verify.history", req)
}

// DriftRequest is `verify.drift`.
type DriftRequest struct {
	SessionID         string    `json:"session_id"`
	AgentDID          string    `json:"agent_did"`
	ClaimedEmbedding  []float64 `json:"claimed_embedding"`
	ObservedEmbedding []float64 `json:"observed_embedding"`
	ActionID          string    `json:"action_id,omitempty"`
	Metric            string    `json:"metric,omitempty"` // "cosine" | "euclidean"
	TraceID           string    `json:"trace_id,omitempty"`
}

// DriftResult is the response of `verify.drift`.
type DriftResult struct {
	DriftScore  float64 `json:"drift_score"`
	Severity    string  `json:"severity"` // none | low | medium | high | critical
	Passed      bool    `json:"passed"`
	ActionTaken string  `json:"action_taken"` // none | demoted | slashed
}

// VerifyDrift compares claimed and observed behaviour embeddings.
func (h *Hypervisor) VerifyDrift(req DriftRequest) (*DriftResult, error) {
	return do[DriftResult](h, viaCall, "verify.drift", req)
}

// AnalyzeManifestRequest is `iatp.analyze`.
type AnalyzeManifestRequest struct {
	Manifest Manifest `json:"manifest"`
	TraceID  string   `json:"trace_id,omitempty"`
}

// ManifestAnalysis is the response of `iatp.analyze`.
type ManifestAnalysis struct {
	AgentDID         string             `json:"agent_did"`
	TrustLevel       string             `json:"trust_level"`
	SigmaHint        float64            `json:"sigma_hint"`
	RingHint         int                `json:"ring_hint"`
	Actions          []ActionDescriptor `json:"actions"`
	HasNonReversible bool               `json:"has_non_reversible"`
}

// AnalyzeManifest analyses an IATP manifest.
func (h *Hypervisor) AnalyzeManifest(req AnalyzeManifestRequest) (*ManifestAnalysis, error) {
	return do[ManifestAnalysis](h, viaCall, "iatp.analyze", req)
}

// TrustContext is what the engine tells the trust provider about a join.
type TrustContext struct {
	SessionID string   `json:"session_id"`
	SigmaRaw  *float64 `json:"sigma_raw"`
	SigmaHint *float64 `json:"sigma_hint"`
}

// TrustProvider scores an agent on every session.join: return (σ in [0,1], true), or
// (_, false) for "unknown". It runs on the joining goroutine's thread, possibly
// concurrently, and may call back into the handle. A panic counts as "unknown".
type TrustProvider func(agentDID string, ctx TrustContext) (sigma float64, ok bool)

// trustSlot holds the current provider behind one long-lived cgo.Handle, so replacing the
// provider never invalidates a handle a concurrent join is using.
type trustSlot struct{ fn atomic.Pointer[TrustProvider] }

func (s *trustSlot) load() TrustProvider {
	if p := s.fn.Load(); p != nil {
		return *p
	}
	return nil
}

// SetTrustProvider installs fn as the trust provider; nil clears it.
func (h *Hypervisor) SetTrustProvider(fn TrustProvider) error {
	ptr, err := h.acquire()
	if err != nil {
		return err
	}
	defer h.release()
	h.mu.Lock()
	if h.trust == nil {
		h.trust = &trustSlot{}
		h.trustHandle = cgo.NewHandle(h.trust)
	}
	slot, handle := h.trust, h.trustHandle
	h.mu.Unlock()
	var st C.HvStatus
	if fn == nil {
		slot.fn.Store(nil)
		st = C.hvgo_set_trust_provider(ptr, 0)
	} else {
		slot.fn.Store(&fn)
		st = C.hvgo_set_trust_provider(ptr, C.uintptr_t(handle))
	}
	runtime.KeepAlive(h)
	return statusError(st)
}

// TraceRef is `{trace_id}`.
type TraceRef struct {
	TraceID string `json:"trace_id"`
}

// NewTrace mints a causal trace id.
func (h *Hypervisor) NewTrace() (*TraceRef, error) {
	return do[TraceRef](h, viaCall, "trace.new", nil)
}

// ChildTrace derives a child span: ChildTrace(TraceRef{TraceID: parent}).
func (h *Hypervisor) ChildTrace(req TraceRef) (*TraceRef, error) {
	return do[TraceRef](h, viaCall, "trace.child", req)
}

// ClockTime is `{now}`.
type ClockTime struct {
	Now string `json:"now"`
}

// Now reads the engine clock.
func (h *Hypervisor) Now() (*ClockTime, error) {
	return do[ClockTime](h, viaCall, "clock.now", nil)
}

// AdvanceClockRequest is `clock.advance` (manual clock only, else CLOCK_NOT_MANUAL).
type AdvanceClockRequest struct {
	Seconds float64 `json:"seconds,omitempty"`
	Ms      uint64  `json:"ms,omitempty"`
	TraceID string  `json:"trace_id,omitempty"`
}

// AdvanceClock moves a manual clock forward.
func (h *Hypervisor) AdvanceClock(req AdvanceClockRequest) (*ClockTime, error) {
	return do[ClockTime](h, viaCall, "clock.advance", req)
}

// Stats is the response of `stats`.
type Stats struct {
	Sessions       int `json:"sessions"`
	ActiveSessions int `json:"active_sessions"`
	Participants   int `json:"participants"`
	ActiveSagas    int `json:"active_sagas"`
	ActiveVouches  int `json:"active_vouches"`
	Events         int `json:"events"`
}

// Stats returns engine-wide counters.
func (h *Hypervisor) Stats() (*Stats, error) {
	return do[Stats](h, viaCall, "stats", nil)
}

// Health is the response of `health`.
type Health struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	ABIVersion uint32 `json:"abi_version"`
}

// Health reports the engine's status and version.
func (h *Hypervisor) Health() (*Health, error) {
	return do[Health](h, viaCall, "health", nil)
}
