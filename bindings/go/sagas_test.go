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
	skipIfMissing(t, err)
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
	skipIfMissing(t, err)
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
	skipIfMissing(t, err)
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
	skipIfMissing(t, err)
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
	skipIfMissing(t, err)
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
			skipIfMissing(t, err)
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
	skipIfMissing(t, err)
	if err != nil {
		t.Fatal(err)
	}
	var running, maxRunning, calls atomic.Int32
	res, err := h.FanOut(context.Background(), FanOutRequest{SagaID: sg.SagaID, GroupID: g.GroupID},
		func(ctx context.Context, step Step) (json.RawMessage, error) {
			calls.Add(1)
			n := running.Add(1)
			defer running.Add(-1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
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
	skipIfMissing(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || !res.PolicySatisfied || res.SuccessCount != 2 || res.FailureCount != 1 {
		t.Fatalf("fan-out %+v (calls %d)", res, calls.Load())
	}
	t.Logf("max concurrent executors: %d", maxRunning.Load())
}

func TestSagaDefinitionAndCheckpoints(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "dsl", "did:test:a")
	v, err := h.ValidateSaga(DefineSagaRequest{Definition: SagaDefinition{SessionID: "dsl",
		Steps: []DefinitionStep{{ID: "x", ActionID: "x", Agent: "did:test:a"}, {ID: "x", ActionID: "y", Agent: "did:test:a"}}}})
	skipIfMissing(t, err)
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
