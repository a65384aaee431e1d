package hypervisor

/*
#include "trampolines.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Events: the bounded event log and subscriptions (API.md §4.9, §5).

// Event is one engine event.
type Event struct {
	Seq           uint64          `json:"seq"`
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	Timestamp     string          `json:"timestamp"`
	SessionID     string          `json:"session_id,omitempty"`
	AgentDID      string          `json:"agent_did,omitempty"`
	CausalTraceID string          `json:"causal_trace_id,omitempty"`
	Payload       json.RawMessage `json:"payload"`
}

// EventsQueryRequest is `events.query`.
type EventsQueryRequest struct {
	AfterSeq  *uint64 `json:"after_seq,omitempty"`
	EventType string  `json:"event_type,omitempty"`
	SessionID string  `json:"session_id,omitempty"`
	AgentDID  string  `json:"agent_did,omitempty"`
	Limit     int     `json:"limit,omitempty"`
	TraceID   string  `json:"trace_id,omitempty"`
}

// EventPage is the response of `events.query`.
type EventPage struct {
	Events  []Event `json:"events"`
	NextSeq uint64  `json:"next_seq"`
	Dropped uint64  `json:"dropped"`
}

// QueryEvents pages through the event log.
func (h *Hypervisor) QueryEvents(req EventsQueryRequest) (*EventPage, error) {
	return do[EventPage](h, viaCall, "events.query", req)
}

// EventStats is the response of `events.stats`.
type EventStats struct {
	Total      uint64            `json:"total"`
	TypeCounts map[string]uint64 `json:"type_counts"`
}

// EventStats counts events by type.
func (h *Hypervisor) EventStats() (*EventStats, error) {
	return do[EventStats](h, viaCall, "events.stats", nil)
}

// EventFilter selects the events a subscription receives; empty fields match everything.
type EventFilter struct {
	EventTypes []string `json:"event_types,omitempty"`
	SessionID  string   `json:"session_id,omitempty"`
	AgentDID   string   `json:"agent_did,omitempty"`
}

// Subscription is a live event subscription.
type Subscription struct {
	id      uint64
	fn      func(Event)
	handle  cgo.Handle
	stopped atomic.Bool

	mu       sync.Mutex
	panicErr error
}

// ID is the engine's subscription id.
func (s *Subscription) ID() uint64 { return s.id }

// Err reports the first panic (or undecodable event) recovered from the callback, if any.
// A panicking callback never reaches the engine; the event is dropped.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.panicErr
}

func (s *Subscription) recordPanic(r any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panicErr == nil {
		if err, ok := r.(error); ok {
			s.panicErr = fmt.Errorf("hypervisor: event callback: %w", err)
		} else {
			s.panicErr = fmt.Errorf("hypervisor: event callback panicked: %v", r)
		}
	}
}

// stop silences the callback and frees its handle (once).
func (s *Subscription) stop() {
	if s.stopped.CompareAndSwap(false, true) {
		s.handle.Delete()
	}
}

// Subscribe calls fn for every event matching filter. fn runs on the thread that caused the
// event (a worker thread for fan-out branches), possibly concurrently with itself, after the
// engine released its locks: it may call back into h but must not block for long or call
// Close.
func (h *Hypervisor) Subscribe(filter EventFilter, fn func(Event)) (*Subscription, error) {
	if fn == nil {
		return nil, &Error{Code: "NULL_POINTER", Status: StatusInvalidArgument, Message: "fn is nil", Details: map[string]any{"field": "on_event"}}
	}
	raw, err := json.Marshal(filter)
	if err != nil {
		return nil, err
	}
	ptr, err := h.acquire()
	if err != nil {
		return nil, err
	}
	defer h.release()
	s := &Subscription{fn: fn}
	s.handle = cgo.NewHandle(s)
	cf := C.CString(string(raw))
	defer C.free(unsafe.Pointer(cf))
	var id C.uint64_t
	st := C.hvgo_subscribe(ptr, cf, C.uintptr_t(s.handle), &id)
	runtime.KeepAlive(h)
	if err := statusError(st); err != nil {
		s.stop()
		return nil, err
	}
	s.id = uint64(id)
	h.mu.Lock()
	h.subs[s.id] = s
	h.mu.Unlock()
	return s, nil
}

// Unsubscribe removes a subscription; fn is not called after it returns. Unsubscribing
// twice, or after Close, is a no-op.
func (h *Hypervisor) Unsubscribe(s *Subscription) error {
	if s == nil || s.stopped.Load() {
		return nil
	}
	ptr, err := h.acquire()
	if err != nil {
		return nil // Close already stopped every subscription
	}
	st := C.hv_unsubscribe(ptr, C.uint64_t(s.id))
	h.release()
	h.mu.Lock()
	delete(h.subs, s.id)
	h.mu.Unlock()
	s.stop()
	return statusError(st)
}
