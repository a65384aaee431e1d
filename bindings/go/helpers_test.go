package hypervisor

import (
	"errors"
	"testing"
)

// newHV returns an engine on a manual clock, closed at the end of the test.
func newHV(t *testing.T) *Hypervisor {
	t.Helper()
	h, err := New(Config{Clock: "manual", StartTime: "2026-01-01T00:00:00Z"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// activeSession creates session sid with the given agents (σ 0.8 → ring 2) and activates it.
func activeSession(t *testing.T, h *Hypervisor, sid string, agents ...string) {
	t.Helper()
	if _, err := h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:creator", SessionID: sid}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	for _, a := range agents {
		if _, err := h.JoinSession(JoinSessionRequest{SessionID: sid, AgentDID: a, SigmaRaw: Ptr(0.8)}); err != nil {
			t.Fatalf("JoinSession %s: %v", a, err)
		}
	}
	if _, err := h.ActivateSession(SessionIDRequest{SessionID: sid}); err != nil {
		t.Fatalf("ActivateSession: %v", err)
	}
}

func mustCode(t *testing.T, err error, sentinel *Error, code string) *Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("want %s, got %v", sentinel.Status, err)
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("not an *Error: %T", err)
	}
	if code != "" && he.Code != code {
		t.Fatalf("want code %s, got %s (%s)", code, he.Code, he.Message)
	}
	return he
}
