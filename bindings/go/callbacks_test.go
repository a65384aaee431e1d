package hypervisor

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestSubscriptionReceivesEvents(t *testing.T) {
	h := newHV(t)
	var mu sync.Mutex
	var got []Event
	sub, err := h.Subscribe(EventFilter{SessionID: "sub"}, func(e Event) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	var joins atomic.Int32
	typed, err := h.Subscribe(EventFilter{EventTypes: []string{"session.joined"}}, func(e Event) { joins.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	activeSession(t, h, "sub", "did:test:a", "did:test:b")
	activeSession(t, h, "other", "did:test:c")
	mu.Lock()
	types := map[string]int{}
	for _, e := range got {
		if e.SessionID != "sub" || e.Seq == 0 || e.EventID == "" || e.Timestamp == "" {
			t.Errorf("bad event %+v", e)
		}
		types[e.EventType]++
	}
	mu.Unlock()
	if types["session.created"] != 1 || types["session.joined"] != 2 || types["session.activated"] != 1 {
		t.Fatalf("event types %v", types)
	}
	if joins.Load() != 3 {
		t.Fatalf("typed subscription got %d joins", joins.Load())
	}
	if err := h.Unsubscribe(sub); err != nil {
		t.Fatal(err)
	}
	if err := h.Unsubscribe(sub); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	mu.Lock()
	before := len(got)
	mu.Unlock()
	if _, err := h.LeaveSession(SessionAgentRequest{SessionID: "sub", AgentDID: "did:test:a"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	after := len(got)
	mu.Unlock()
	if after != before {
		t.Fatalf("callback ran after Unsubscribe (%d → %d)", before, after)
	}
	if sub.Err() != nil || typed.Err() != nil {
		t.Fatal(sub.Err(), typed.Err())
	}
	_, err = h.Subscribe(EventFilter{}, nil)
	mustCode(t, err, ErrInvalidArgument, "NULL_POINTER")
	_, err = h.Subscribe(EventFilter{EventTypes: []string{"no.such_type"}}, func(Event) {})
	mustCode(t, err, ErrInvalidArgument, "")
}

func TestSubscriberPanicIsContained(t *testing.T) {
	h := newHV(t)
	sub, err := h.Subscribe(EventFilter{}, func(e Event) { panic("subscriber exploded") })
	if err != nil {
		t.Fatal(err)
	}
	activeSession(t, h, "boom", "did:test:a")
	if sub.Err() == nil {
		t.Fatal("panic not recorded")
	}
	// The engine is still fine.
	if _, err := h.GetSession(SessionIDRequest{SessionID: "boom"}); err != nil {
		t.Fatal(err)
	}
}

func TestCallbackReentersHandle(t *testing.T) {
	h := newHV(t)
	var seen atomic.Int32
	var reentryErr atomic.Value
	_, err := h.Subscribe(EventFilter{EventTypes: []string{"session.joined"}}, func(e Event) {
		// Read the session from inside the callback, and cause another event.
		s, err := h.GetSession(SessionIDRequest{SessionID: e.SessionID})
		if err == nil && len(s.Participants) == 0 {
			err = &Error{Message: "no participants seen"}
		}
		if err == nil {
			_, err = h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:x"})
		}
		if err != nil {
			reentryErr.Store(err)
		}
		seen.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	activeSession(t, h, "re", "did:test:a", "did:test:b")
	if v := reentryErr.Load(); v != nil {
		t.Fatal(v)
	}
	st, err := h.Stats()
	if err != nil || seen.Load() != 2 || st.Sessions != 3 {
		t.Fatalf("seen %d, stats %+v %v", seen.Load(), st, err)
	}
}

func TestTrustProvider(t *testing.T) {
	h := newHV(t)
	if _, err := h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:c", SessionID: "trust"}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var lastCtx atomic.Value
	err := h.SetTrustProvider(func(agent string, tc TrustContext) (float64, bool) {
		calls.Add(1)
		lastCtx.Store(tc)
		// Re-enter the handle from the provider.
		if _, err := h.Health(); err != nil {
			return 0, false
		}
		switch agent {
		case "did:test:trusted":
			return 0.9, true
		case "did:test:panics":
			panic("provider exploded")
		}
		return 0, false
	})
	if err != nil {
		t.Fatal(err)
	}
	join := func(agent string, sigma *float64) *JoinResult {
		t.Helper()
		j, err := h.JoinSession(JoinSessionRequest{SessionID: "trust", AgentDID: agent, SigmaRaw: sigma})
		if err != nil {
			t.Fatalf("join %s: %v", agent, err)
		}
		return j
	}
	if j := join("did:test:trusted", nil); j.SigmaRaw != 0.9 || j.Ring != 2 {
		t.Fatalf("provider σ not used: %+v", j)
	}
	if tc := lastCtx.Load().(TrustContext); tc.SessionID != "trust" {
		t.Fatalf("context %+v", tc)
	}
	// Both given: the lower wins.
	if j := join("did:test:trusted2", Ptr(0.7)); j.SigmaRaw != 0.7 {
		t.Fatalf("unknown agent should keep sigma_raw: %+v", j)
	}
	// Unknown, and a panicking provider, fall back to sigma_raw (here absent → 0, ring 3).
	if j := join("did:test:unknown", nil); j.SigmaRaw != 0 || j.Ring != 3 {
		t.Fatalf("unknown: %+v", j)
	}
	if j := join("did:test:panics", Ptr(0.65)); j.SigmaRaw != 0.65 {
		t.Fatalf("panicking provider: %+v", j)
	}
	if calls.Load() != 4 {
		t.Fatalf("provider calls %d", calls.Load())
	}
	// Replace, then clear.
	if err := h.SetTrustProvider(func(string, TrustContext) (float64, bool) { return 0.62, true }); err != nil {
		t.Fatal(err)
	}
	if j := join("did:test:x", Ptr(0.9)); j.SigmaRaw != 0.62 {
		t.Fatalf("replaced provider: lower should win: %+v", j)
	}
	if err := h.SetTrustProvider(nil); err != nil {
		t.Fatal(err)
	}
	if j := join("did:test:y", Ptr(0.9)); j.SigmaRaw != 0.9 {
		t.Fatalf("cleared provider still used: %+v", j)
	}
}

func TestCallbacksFreedOnClose(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.Subscribe(EventFilter{}, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetTrustProvider(func(string, TrustContext) (float64, bool) { return 1, true }); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if !sub.stopped.Load() || h.trust != nil || len(h.subs) != 0 {
		t.Fatal("callbacks not released by Close")
	}
	if err := h.Unsubscribe(sub); err != nil {
		t.Fatalf("Unsubscribe after Close: %v", err)
	}
	if err := h.SetTrustProvider(nil); err != ErrClosed {
		t.Fatalf("SetTrustProvider after Close: %v", err)
	}
}
