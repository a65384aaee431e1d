package hypervisor

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestVersionAndHealth(t *testing.T) {
	h := newHV(t)
	hl, err := h.Health()
	if err != nil {
		t.Fatal(err)
	}
	if hl.Status != "ok" || hl.Version != Version() || hl.ABIVersion != ABIVersion() || ABIVersion() < 1 {
		t.Fatalf("health %+v, version %q abi %d", hl, Version(), ABIVersion())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{MaxExposure: Ptr(1.5)})
	he := mustCode(t, err, ErrInvalidArgument, "")
	if he.Field() != "max_exposure" {
		t.Fatalf("field %q, details %v", he.Field(), he.Details)
	}
}

func TestCloseIdempotentAndConcurrent(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = h.Stats() }()
		go func() { defer wg.Done(); h.Close() }()
	}
	wg.Wait()
	h.Close()
	if _, err := h.Health(); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidState) {
		t.Fatalf("call after Close: %v", err)
	}
	if err := h.Call("health", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Call after Close: %v", err)
	}
}

func TestCallEscapeHatch(t *testing.T) {
	h := newHV(t)
	// Typed request, map response.
	var m map[string]any
	if err := h.Call("ring.compute", map[string]any{"sigma_eff": 0.7}, &m); err != nil {
		t.Fatal(err)
	}
	if m["ring"] != 2.0 {
		t.Fatalf("ring.compute: %v", m)
	}
	// Raw request, raw response.
	var raw json.RawMessage
	if err := h.Call("ring.compute", json.RawMessage(`{"sigma_eff":0.99,"has_consensus":true}`), &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"ring":1`) {
		t.Fatalf("raw: %s", raw)
	}
	body, err := h.CallJSON("clock.now", nil)
	if err != nil || !strings.Contains(string(body), "2026-01-01T00:00:00") {
		t.Fatalf("clock.now: %s %v", body, err)
	}
	// Unknown method.
	err = h.Call("no.such", nil, nil)
	mustCode(t, err, ErrNotFound, "UNKNOWN_METHOD")
	// Malformed JSON and a NUL byte both come back as INVALID_ARGUMENT.
	_, err = h.CallJSON("health", []byte("{"))
	mustCode(t, err, ErrInvalidArgument, "MALFORMED_JSON")
	_, err = h.CallJSON("health", []byte("{}\x00garbage"))
	mustCode(t, err, ErrInvalidArgument, "")
}

func TestErrorMapping(t *testing.T) {
	h := newHV(t)
	// Unknown field, named in details.field.
	err := h.Call("ring.compute", map[string]any{"sigma_eff": 0.5, "sigma_raw": 0.5}, nil)
	he := mustCode(t, err, ErrInvalidArgument, "UNKNOWN_FIELD")
	if he.Field() != "sigma_raw" || !strings.Contains(he.Error(), "UNKNOWN_FIELD") {
		t.Fatalf("error %v details %v", he, he.Details)
	}
	if errors.Is(err, ErrDenied) || errors.Is(err, &Error{Code: "OUT_OF_RANGE"}) {
		t.Fatal("Is matched the wrong status or code")
	}
	if !errors.Is(err, &Error{Code: "UNKNOWN_FIELD"}) || !errors.Is(err, &Error{Status: StatusInvalidArgument, Code: "UNKNOWN_FIELD"}) {
		t.Fatal("Is did not match by code")
	}
	// Unknown session.
	_, err = h.GetSession(SessionIDRequest{SessionID: "nope"})
	mustCode(t, err, ErrNotFound, "SESSION_NOT_FOUND")
	// Duplicate agent.
	activeSession(t, h, "s1", "did:test:a")
	_, err = h.JoinSession(JoinSessionRequest{SessionID: "s1", AgentDID: "did:test:a", SigmaRaw: Ptr(0.8)})
	mustCode(t, err, ErrConflict, "AGENT_ALREADY_JOINED")
	// Lifecycle violation.
	_, err = h.ActivateSession(SessionIDRequest{SessionID: "s1"})
	mustCode(t, err, ErrInvalidState, "")
	// Manual clock only.
	sys, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	_, err = sys.AdvanceClock(AdvanceClockRequest{Seconds: 1})
	mustCode(t, err, ErrInvalidState, "CLOCK_NOT_MANUAL")
}

func TestStatusNames(t *testing.T) {
	for s := StatusOK; s <= StatusInternal; s++ {
		back, ok := ParseStatus(s.String())
		if !ok || back != s {
			t.Fatalf("status %d round trip: %v %v", s, back, ok)
		}
	}
	if Status(99).String() != "STATUS_99" {
		t.Fatal(Status(99).String())
	}
}

func TestFinalizerClosesUnreachableHandle(t *testing.T) {
	before := finalized.Load()
	func() {
		h, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Health(); err != nil {
			t.Fatal(err)
		}
	}()
	for i := 0; i < 100 && finalized.Load() == before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if finalized.Load() == before {
		t.Fatal("finalizer did not close the unreachable handle")
	}
}
