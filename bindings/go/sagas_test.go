package hypervisor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sagaWithSteps creates an active session "saga-s" with agent did:test:a (ring 2), a saga,
// and one reversible step per id (timeout 10 s, retries as given).
func sagaWithSteps(t *testing.T, h *Hypervisor, retries int, stepIDs ...string) *Saga {
	t.Helper()
	activeSession(t, h, "saga-s", "did:test:a")
	sg, err := h.CreateSaga(CreateSagaRequest{SessionID: "saga-s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range stepIDs {
		if _, err := h.AddStep(AddStepRequest{SagaID: sg.SagaID, StepID: id, ActionID: "act-" + id,
			AgentDID: "did:test:a", ExecuteAPI: "/do/" + id, UndoAPI: "/undo/" + id,
			TimeoutSeconds: 10, MaxRetries: retries}); err != nil {
			t.Fatalf("AddStep %s: %v", id, err)
		}
	}
	return sg
}

func TestRunStepSuccess(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "s1")
	var sawDeadline, sawRemaining atomic.Bool
	st, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s1"},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			if _, ok := ctx.Deadline(); ok {
				sawDeadline.Store(true)
			}
			if rem, ok := StepRemaining(ctx); ok && rem > 9*time.Second && rem <= 10*time.Second {
				sawRemaining.Store(true)
			}
			if step.StepID != "s1" || step.ExecuteAPI != "/do/s1" || step.State != "executing" {
				return nil, errors.New("unexpected step " + step.StepID + " " + step.State)
			}
			return json.RawMessage(`{"paid":42}`), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "committed" || !strings.Contains(string(st.Result), `"paid":42`) {
		t.Fatalf("step %+v result %s", st, st.Result)
	}
	if !sawDeadline.Load() || !sawRemaining.Load() {
		t.Fatal("executor context lacked the step deadline")
	}
	if _, ok := StepRemaining(context.Background()); ok {
		t.Fatal("StepRemaining outside an executor")
	}
	done, err := h.CompleteSaga(SagaIDRequest{SagaID: sg.SagaID})
	if err != nil || done.State != "completed" {
		t.Fatalf("complete %+v %v", done, err)
	}
}

func TestRunStepErrorRetriesAndPanic(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 1, "s1", "s2")
	var calls atomic.Int32
	st, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s1"},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			calls.Add(1)
			return nil, errors.New("card declined")
		})
	mustCode(t, err, ErrStepFailed, "")
	if calls.Load() != 2 {
		t.Fatalf("executor ran %d times, want 1 + 1 retry", calls.Load())
	}
	if st == nil || st.State != "failed" || !strings.Contains(st.Error, "card declined") {
		t.Fatalf("failed step %+v", st)
	}
	st, err = h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s2"},
		func(ctx context.Context, step Step) (json.RawMessage, error) { panic("executor exploded") })
	mustCode(t, err, ErrStepFailed, "")
	if st == nil || !strings.Contains(st.Error, "executor exploded") {
		t.Fatalf("panicking step %+v", st)
	}
	if _, err := h.Health(); err != nil {
		t.Fatal(err)
	}
}

func TestRunStepTimeoutViaManualClock(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "slow")
	var remAfter time.Duration
	st, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "slow"},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			// Re-enter the handle: move the engine clock past the step's deadline.
			if _, err := h.AdvanceClock(AdvanceClockRequest{Seconds: 11}); err != nil {
				return nil, err
			}
			remAfter, _ = StepRemaining(ctx)
			return json.RawMessage(`{"late":true}`), nil
		})
	mustCode(t, err, ErrStepFailed, "")
	if remAfter > 0 {
		t.Fatalf("StepRemaining after the deadline = %v", remAfter)
	}
	if st == nil || st.State != "failed" || len(st.Result) != 0 && string(st.Result) != "null" {
		t.Fatalf("late step %+v", st)
	}
}

func TestRunStepDenialSkipsExecutor(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "s1")
	if _, err := h.Quarantine(QuarantineRequest{SessionID: "saga-s", AgentDID: "did:test:a", Reason: "manual"}); err != nil {
		t.Fatal(err)
	}
	var called atomic.Bool
	_, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s1"},
		func(ctx context.Context, step Step) (json.RawMessage, error) { called.Store(true); return nil, nil })
	mustCode(t, err, ErrDenied, "AGENT_QUARANTINED")
	if called.Load() {
		t.Fatal("executor ran despite the denial")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.RunStep(ctx, StepRequest{SagaID: sg.SagaID, StepID: "s1"},
		func(context.Context, Step) (json.RawMessage, error) { return nil, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestCompensate(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "s1", "s2", "s3")
	ok := func(context.Context, Step) (json.RawMessage, error) { return nil, nil }
	for _, id := range []string{"s1", "s2"} {
		if _, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: id}, ok); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s3"},
		func(context.Context, Step) (json.RawMessage, error) { return nil, errors.New("boom") })
	mustCode(t, err, ErrStepFailed, "")
	var order []string
	saga, err := h.Compensate(context.Background(), SagaIDRequest{SagaID: sg.SagaID},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			order = append(order, step.StepID) // compensation runs on the calling goroutine's thread
			return nil, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if saga.State != "completed" || strings.Join(order, ",") != "s2,s1" {
		t.Fatalf("saga %s, undo order %v", saga.State, order)
	}
	for _, s := range saga.Steps[:2] {
		if s.State != "compensated" {
			t.Fatalf("step %s is %s", s.StepID, s.State)
		}
	}
}

func TestFanOutConcurrentExecutors(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "b1", "b2", "b3")
	g, err := h.CreateFanOut(CreateFanOutRequest{SagaID: sg.SagaID, Policy: "majority_must_succeed", StepIDs: []string{"b1", "b2", "b3"}})
	if err != nil {
		t.Fatal(err)
	}
	// A barrier: every branch waits until all three are inside the executor at once, which
	// only happens if the engine runs them concurrently (the timeout is a safety net).
	var calls atomic.Int32
	allIn := make(chan struct{})
	res, err := h.FanOut(context.Background(), FanOutRequest{SagaID: sg.SagaID, GroupID: g.GroupID},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			if calls.Add(1) == 3 {
				close(allIn)
			}
			select {
			case <-allIn:
			case <-time.After(20 * time.Second):
				return nil, errors.New("branches did not run concurrently")
			}
			// Re-enter the handle from a worker thread.
			if _, err := h.GetSaga(SagaIDRequest{SagaID: step.SagaID}); err != nil {
				return nil, err
			}
			if step.StepID == "b3" {
				return nil, errors.New("branch failed")
			}
			return json.RawMessage(`{"branch":"` + step.StepID + `"}`), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || !res.PolicySatisfied || res.SuccessCount != 2 || res.FailureCount != 1 ||
		!res.Settled || len(res.Branches) != 3 {
		t.Fatalf("fan-out %+v (calls %d)", res, calls.Load())
	}
	for _, b := range res.Branches {
		if (b.StepID == "b3") != (b.State == "failed") || (b.StepID == "b3") != (b.Error != nil) {
			t.Fatalf("branch %+v", b)
		}
	}
	if !strings.Contains(res.Branches[2].Error.Message, "branch failed") {
		t.Fatalf("branch error %+v", res.Branches[2].Error)
	}
}

func TestSagaDefinitionAndCheckpoints(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "dsl", "did:test:a")
	v, err := h.ValidateSaga(DefineSagaRequest{Definition: SagaDefinition{SessionID: "dsl",
		Steps: []DefinitionStep{{ID: "x", ActionID: "x", Agent: "did:test:a"}, {ID: "x", ActionID: "y", Agent: "did:test:a"}}}})
	if err != nil || len(v.Errors) < 2 {
		t.Fatalf("validate %+v %v", v, err)
	}
	sg, err := h.DefineSaga(DefineSagaRequest{Definition: SagaDefinition{Name: "n", SessionID: "dsl",
		Steps: []DefinitionStep{
			{ID: "a", ActionID: "a", Agent: "did:test:a", ExecuteAPI: "/a", UndoAPI: "/ua", CheckpointGoal: "goal a"},
			{ID: "b", ActionID: "b", Agent: "did:test:a", ExecuteAPI: "/b", UndoAPI: "/ub"},
		}}})
	if err != nil || len(sg.Steps) != 2 {
		t.Fatalf("define %+v %v", sg, err)
	}
	if _, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "a"},
		func(context.Context, Step) (json.RawMessage, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	plan, err := h.ReplayPlan(SagaIDRequest{SagaID: sg.SagaID})
	if err != nil || strings.Join(plan.StepIDs, ",") != "b" {
		t.Fatalf("replay plan %+v %v", plan, err)
	}
	if _, err := h.InvalidateCheckpoint(InvalidateCheckpointRequest{SagaID: sg.SagaID, StepID: "a"}); err != nil {
		t.Fatal(err)
	}
	if plan, err = h.ReplayPlan(SagaIDRequest{SagaID: sg.SagaID}); err != nil || len(plan.StepIDs) != 2 {
		t.Fatalf("replay plan after invalidate %+v %v", plan, err)
	}
	cp, err := h.SaveCheckpoint(SaveCheckpointRequest{SagaID: sg.SagaID, StepID: "a", Goal: "goal a", State: json.RawMessage(`{"k":1}`)})
	if err != nil || cp.CheckpointID == "" || cp.GoalHash == "" {
		t.Fatalf("save checkpoint %+v %v", cp, err)
	}
	// Begin/end by hand for b.
	lease, err := h.BeginStep(StepRequest{SagaID: sg.SagaID, StepID: "b"})
	if err != nil || lease.Attempt != 1 || lease.TimeoutMs <= 0 {
		t.Fatalf("begin %+v %v", lease, err)
	}
	out, err := h.EndStep(EndStepRequest{SagaID: sg.SagaID, StepID: "b", OK: true, Result: json.RawMessage(`"done"`)})
	if err != nil || out.State != "committed" {
		t.Fatalf("end %+v %v", out, err)
	}
	list, err := h.ListSagas(SessionIDRequest{SessionID: "dsl"})
	if err != nil || len(list.Sagas) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
}

func TestCompensateEscalates(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "s1")
	if _, err := h.RunStep(context.Background(), StepRequest{SagaID: sg.SagaID, StepID: "s1"},
		func(context.Context, Step) (json.RawMessage, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	saga, err := h.Compensate(context.Background(), SagaIDRequest{SagaID: sg.SagaID},
		func(context.Context, Step) (json.RawMessage, error) { return nil, errors.New("refund API down") })
	if err != nil {
		t.Fatal(err)
	}
	if saga.State != "escalated" || saga.Escalation == nil || len(saga.Escalation.Slashes) != 1 ||
		saga.Escalation.Slashes[0].VoucheeDID != "did:test:a" || saga.Steps[0].State != "compensation_failed" {
		t.Fatalf("saga %+v escalation %+v", saga, saga.Escalation)
	}
}

func TestManualCompensationAndFanOutResolve(t *testing.T) {
	h := newHV(t)
	sg := sagaWithSteps(t, h, 0, "s1", "s2")
	g, err := h.CreateFanOut(CreateFanOutRequest{SagaID: sg.SagaID, Policy: "all_must_succeed", StepIDs: []string{"s1", "s2"}})
	if err != nil || g.Policy != "all_must_succeed" || len(g.StepIDs) != 2 {
		t.Fatalf("fan-out group %+v %v", g, err)
	}
	for _, id := range []string{"s1", "s2"} {
		if _, err := h.BeginStep(StepRequest{SagaID: sg.SagaID, StepID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.EndStep(EndStepRequest{SagaID: sg.SagaID, StepID: "s1", OK: true}); err != nil {
		t.Fatal(err)
	}
	out, err := h.EndStep(EndStepRequest{SagaID: sg.SagaID, StepID: "s2", OK: false, Error: "nope"})
	if err != nil || out.State != "failed" || !out.FinalFailure {
		t.Fatalf("end s2 %+v %v", out, err)
	}
	r, err := h.ResolveFanOut(ResolveFanOutRequest{GroupID: g.GroupID})
	if err != nil || r.PolicySatisfied || strings.Join(r.CompensationNeeded, ",") != "s1" {
		t.Fatalf("resolve %+v %v", r, err)
	}
	plan, err := h.BeginCompensation(SagaIDRequest{SagaID: sg.SagaID})
	if err != nil || plan.State != "compensating" || len(plan.Steps) != 1 || plan.Steps[0].StepID != "s1" {
		t.Fatalf("compensate begin %+v %v", plan, err)
	}
	rep, err := h.EndCompensation(EndCompensationRequest{SagaID: sg.SagaID, StepID: "s1", OK: true})
	if err != nil || rep.StepID != "s1" || rep.State != "compensated" || rep.Remaining != 0 || rep.SagaState != "completed" {
		t.Fatalf("compensate end %+v %v", rep, err)
	}
	at, err := h.Attribute(AttributeRequest{SagaID: sg.SagaID})
	if err != nil || len(at.Attributions) == 0 {
		t.Fatalf("attribute %+v %v", at, err)
	}
	got, err := h.GetSaga(SagaIDRequest{SagaID: sg.SagaID})
	if err != nil || got.State != "completed" {
		t.Fatalf("get %+v %v", got, err)
	}
}
