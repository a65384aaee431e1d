// Quickstart: a governed session with three agents scored by a trust provider, a vouch, a
// ring check, a saga whose Go executor fails a step and whose Go undo callback compensates,
// an audit inclusion proof checked offline, a slash, and the event stream. Run from bindings/go with
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sync/atomic"

	hypervisor "github.com/agent-hypervisor/agent-hypervisor/bindings/go"
)

func main() {
	fmt.Printf("agent-hypervisor %s (C ABI v%d)\n", hypervisor.Version(), hypervisor.ABIVersion())
	hv, err := hypervisor.New(hypervisor.Config{Clock: "manual", StartTime: "2026-01-01T00:00:00Z"})
	if err != nil {
		log.Fatal(err)
	}
	defer hv.Close()

	// Count every event the engine emits.
	var events atomic.Int64
	sub, err := hv.Subscribe(hypervisor.EventFilter{}, func(hypervisor.Event) { events.Add(1) })
	if err != nil {
		log.Fatal(err)
	}
	defer hv.Unsubscribe(sub)

	// A trust provider (Nexus-style) scores agents that join without sigma_raw.
	scores := map[string]float64{"did:ex:planner": 0.92, "did:ex:payer": 0.80, "did:ex:intern": 0.55}
	err = hv.SetTrustProvider(func(agent string, _ hypervisor.TrustContext) (float64, bool) {
		s, ok := scores[agent]
		return s, ok
	})
	if err != nil {
		log.Fatal(err)
	}

	s, err := hv.CreateSession(hypervisor.CreateSessionRequest{CreatorDID: "did:ex:planner", SessionID: "trip"})
	if err != nil {
		log.Fatal(err)
	}
	for _, agent := range []string{"did:ex:planner", "did:ex:payer", "did:ex:intern"} {
		j, err := hv.JoinSession(hypervisor.JoinSessionRequest{SessionID: s.SessionID, AgentDID: agent})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("joined %-15s sigma=%.2f ring=%d\n", agent, j.SigmaRaw, j.Ring)
	}
	if _, err := hv.ActivateSession(hypervisor.SessionIDRequest{SessionID: s.SessionID}); err != nil {
		log.Fatal(err)
	}

	// Joining twice is a conflict, reported as a Go error.
	_, err = hv.JoinSession(hypervisor.JoinSessionRequest{SessionID: s.SessionID, AgentDID: "did:ex:payer"})
	var he *hypervisor.Error
	if errors.Is(err, hypervisor.ErrConflict) && errors.As(err, &he) {
		fmt.Printf("second join refused: %s\n", he.Code)
	}

	// The planner vouches for the intern; a ring check is a normal response, not an error.
	v, err := hv.Vouch(hypervisor.VouchRequest{SessionID: s.SessionID, VoucherDID: "did:ex:planner", VoucheeDID: "did:ex:intern"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("vouch %s bonds %.3f of the planner's sigma\n", v.VouchID, v.BondedAmount)
	pay := &hypervisor.ActionDescriptor{ActionID: "pay", Name: "pay", ExecuteAPI: "/pay"}
	rc, err := hv.CheckRing(hypervisor.RingCheckRequest{SessionID: s.SessionID, AgentDID: "did:ex:payer", Action: pay})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("payer may call /pay: %v (needs ring %d, has ring %d)\n", rc.Allowed, rc.RequiredRing, rc.AgentRing)

	runSaga(hv, s.SessionID)
	auditProof(hv, s.SessionID)

	sl, err := hv.Slash(hypervisor.SlashRequest{SessionID: s.SessionID, AgentDID: "did:ex:intern", RiskWeight: 0.5, Reason: "leaked data"})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range sl.VoucherClips {
		fmt.Printf("slash: intern -> 0, voucher %s %.2f -> %.2f\n", c.VoucherDID, c.SigmaBefore, c.SigmaAfter)
	}

	t, err := hv.TerminateSession(hypervisor.SessionIDRequest{SessionID: s.SessionID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("session %s %s, bonds released: %d\n", t.SessionID, t.State, t.BondsReleased)
	fmt.Printf("events observed: %d\n", events.Load())
}

// runSaga books a hotel and then fails to pay: the Go undo callback cancels the booking.
func runSaga(hv *hypervisor.Hypervisor, sessionID string) {
	saga, err := hv.CreateSaga(hypervisor.CreateSagaRequest{SessionID: sessionID})
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range []hypervisor.AddStepRequest{
		{StepID: "book", ActionID: "book-hotel", ExecuteAPI: "/hotel/book", UndoAPI: "/hotel/cancel", MaxRetries: 1},
		{StepID: "charge", ActionID: "charge-card", ExecuteAPI: "/card/charge", UndoAPI: "/card/refund"},
	} {
		st.SagaID, st.AgentDID, st.TimeoutSeconds = saga.SagaID, "did:ex:payer", 30
		if _, err := hv.AddStep(st); err != nil {
			log.Fatal(err)
		}
	}
	execute := func(ctx context.Context, step hypervisor.Step) (json.RawMessage, error) {
		left, _ := hypervisor.StepRemaining(ctx) // the engine's deadline; ctx carries it too
		fmt.Printf("  executing %s (attempt %d, %v left)\n", step.ExecuteAPI, step.Attempts, left)
		if step.StepID == "charge" {
			return nil, errors.New("card declined")
		}
		return json.RawMessage(`{"confirmation":"H-1234"}`), nil
	}
	ctx := context.Background()
	step, err := hv.RunStep(ctx, hypervisor.StepRequest{SagaID: saga.SagaID, StepID: "book"}, execute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("step %s %s with result %s\n", step.StepID, step.State, step.Result)
	step, err = hv.RunStep(ctx, hypervisor.StepRequest{SagaID: saga.SagaID, StepID: "charge"}, execute)
	if !errors.Is(err, hypervisor.ErrStepFailed) {
		log.Fatalf("expected a failed step, got %v", err)
	}
	fmt.Printf("step %s %s: %s\n", step.StepID, step.State, step.Error)
	final, err := hv.Compensate(ctx, hypervisor.SagaIDRequest{SagaID: saga.SagaID},
		func(ctx context.Context, step hypervisor.Step) (json.RawMessage, error) {
			fmt.Printf("  undoing %s via %s\n", step.StepID, step.UndoAPI)
			return nil, nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saga %s\n", final.State)
}

// auditProof writes a file (an audit delta) and checks its Merkle inclusion offline.
func auditProof(hv *hypervisor.Hypervisor, sessionID string) {
	w, err := hv.WriteFile(hypervisor.VFSWriteRequest{SessionID: sessionID, AgentDID: "did:ex:payer",
		Path: "/itinerary.md", Content: "Hotel H-1234, 2 nights"})
	if err != nil {
		log.Fatal(err)
	}
	proof, err := hv.AuditProof(hypervisor.ProofRequest{SessionID: sessionID, TurnID: w.Delta.TurnID})
	if err != nil {
		log.Fatal(err)
	}
	ok, err := hypervisor.VerifyInclusion(*proof)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("audit turn %d in a tree of %d: inclusion proof valid=%v\n", w.Delta.TurnID, proof.TreeSize, ok)
}
