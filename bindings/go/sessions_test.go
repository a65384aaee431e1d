package hypervisor

import (
	"sync"
	"testing"
)

func TestSessionLifecycle(t *testing.T) {
	h := newHV(t)
	s, err := h.CreateSession(CreateSessionRequest{
		CreatorDID: "did:test:creator",
		SessionID:  "life",
		Config:     &SessionConfig{MaxParticipants: 3, MinSigmaEff: Ptr(0.5), IsolationLevel: "serializable"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.SessionID != "life" || s.State != "handshaking" || s.Config.MaxParticipants != 3 ||
		s.Config.MinSigmaEff != 0.5 || s.IsolationLevel != "serializable" || s.CreatedAt == "" {
		t.Fatalf("created %+v", s)
	}
	j, err := h.JoinSession(JoinSessionRequest{SessionID: "life", AgentDID: "did:test:a", SigmaRaw: Ptr(0.8)})
	if err != nil {
		t.Fatal(err)
	}
	if j.Ring != 2 || j.SigmaEff != 0.8 || j.Admission.Recommendation == "" || j.Verification.Status == "" {
		t.Fatalf("joined %+v", j)
	}
	j, err = h.JoinSession(JoinSessionRequest{SessionID: "life", AgentDID: "did:test:b", SigmaRaw: Ptr(0.97), HasConsensus: true})
	if err != nil || j.Ring != 1 {
		t.Fatalf("join b: %+v %v", j, err)
	}
	s, err = h.ActivateSession(SessionIDRequest{SessionID: "life"})
	if err != nil || s.State != "active" || len(s.Participants) != 2 || s.Participants[0].AgentDID != "did:test:a" ||
		!s.Participants[0].IsActive || s.Participants[1].EffectiveRing != 1 {
		t.Fatalf("activated %+v %v", s, err)
	}
	l, err := h.ListSessions(ListSessionsRequest{State: "active"})
	if err != nil || len(l.Sessions) != 1 {
		t.Fatalf("list %+v %v", l, err)
	}
	p, err := h.LeaveSession(SessionAgentRequest{SessionID: "life", AgentDID: "did:test:b"})
	if err != nil || p.IsActive || p.AgentDID != "did:test:b" {
		t.Fatalf("leave %+v %v", p, err)
	}
	rc, err := h.CheckRing(RingCheckRequest{SessionID: "life", AgentDID: "did:test:a",
		Action: &ActionDescriptor{ActionID: "pay", Name: "pay", ExecuteAPI: "/pay"}})
	if err != nil || rc.Allowed || rc.RequiredRing != 1 || rc.AgentRing != 2 || !rc.RequiresConsensus {
		t.Fatalf("ring check (a denial is a response) %+v %v", rc, err)
	}
	tr, err := h.TerminateSession(SessionIDRequest{SessionID: "life"})
	if err != nil || tr.State != "archived" || tr.SessionID != "life" {
		t.Fatalf("terminate %+v %v", tr, err)
	}
	s, err = h.GetSession(SessionIDRequest{SessionID: "life"})
	if err != nil || s.State != "archived" || s.TerminatedAt == "" {
		t.Fatalf("get %+v %v", s, err)
	}
	st, err := h.Stats()
	if err != nil || st.Sessions != 1 || st.ActiveSessions != 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
}

func TestSessionDenials(t *testing.T) {
	h := newHV(t)
	_, err := h.JoinSession(JoinSessionRequest{SessionID: "ghost", AgentDID: "did:test:a"})
	mustCode(t, err, ErrNotFound, "SESSION_NOT_FOUND")
	if _, err := h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:c", SessionID: "tiny",
		Config: &SessionConfig{MaxParticipants: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.JoinSession(JoinSessionRequest{SessionID: "tiny", AgentDID: "did:test:a", SigmaRaw: Ptr(0.7)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.JoinSession(JoinSessionRequest{SessionID: "tiny", AgentDID: "did:test:a", SigmaRaw: Ptr(0.7)})
	mustCode(t, err, ErrConflict, "AGENT_ALREADY_JOINED")
	if _, err := h.JoinSession(JoinSessionRequest{SessionID: "tiny", AgentDID: "did:test:b", SigmaRaw: Ptr(0.7)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.JoinSession(JoinSessionRequest{SessionID: "tiny", AgentDID: "did:test:c", SigmaRaw: Ptr(0.7)})
	mustCode(t, err, ErrLimitExceeded, "SESSION_FULL")
	_, err = h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:c", SessionID: "tiny"})
	mustCode(t, err, ErrConflict, "")
	_, err = h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:c", Config: &SessionConfig{MaxParticipants: 5000}})
	he := mustCode(t, err, ErrInvalidArgument, "OUT_OF_RANGE")
	if he.Field() != "config.max_participants" {
		t.Fatalf("field %q", he.Field())
	}
}

func TestConcurrentCalls(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "conc", "did:test:a")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				if _, err := h.GetSession(SessionIDRequest{SessionID: "conc"}); err != nil {
					errs <- err
					return
				}
				if _, err := h.ComputeRing(ComputeRingRequest{SigmaEff: 0.7}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestTraceAndClock(t *testing.T) {
	h := newHV(t)
	tr, err := h.NewTrace()
	if err != nil || tr.TraceID == "" {
		t.Fatalf("trace %+v %v", tr, err)
	}
	child, err := h.ChildTrace(TraceRef{TraceID: tr.TraceID})
	if err != nil || child.TraceID == tr.TraceID {
		t.Fatalf("child %+v %v", child, err)
	}
	if _, err := h.CreateSession(CreateSessionRequest{CreatorDID: "did:test:c", SessionID: "traced", TraceID: tr.TraceID}); err != nil {
		t.Fatal(err)
	}
	page, err := h.QueryEvents(EventsQueryRequest{SessionID: "traced"})
	if err != nil || len(page.Events) == 0 || page.Events[0].CausalTraceID == "" {
		t.Fatalf("events %+v %v", page, err)
	}
	if _, err := h.AdvanceClock(AdvanceClockRequest{Seconds: 90}); err != nil {
		t.Fatal(err)
	}
	now, err := h.Now()
	if err != nil || now.Now != "2026-01-01T00:01:30.000000Z" {
		t.Fatalf("now %+v %v", now, err)
	}
	es, err := h.EventStats()
	if err != nil || es.Total == 0 || es.TypeCounts["session.created"] != 1 {
		t.Fatalf("event stats %+v %v", es, err)
	}
	hr, err := h.VerifyHistory(VerifyHistoryRequest{AgentDID: "did:test:a"})
	if err != nil || hr.Status != "probationary" {
		t.Fatalf("history %+v %v", hr, err)
	}
}
