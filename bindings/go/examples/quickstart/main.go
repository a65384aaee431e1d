// Quickstart: a governed session with three agents, a vouch, a ring check, a governed saga
// step run by a Go executor, a slash, and the event stream. Run from bindings/go with
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

// runSaga books a hotel through a governed saga step executed by a Go func.
func runSaga(hv *hypervisor.Hypervisor, sessionID string) {
	saga, err := hv.CreateSaga(hypervisor.CreateSagaRequest{SessionID: sessionID})
	if errors.Is(err, &hypervisor.Error{Code: "UNKNOWN_METHOD"}) {
		fmt.Println("sagas: not in this engine build yet")
		return
	} else if err != nil {
		log.Fatal(err)
	}
	if _, err := hv.AddStep(hypervisor.AddStepRequest{SagaID: saga.SagaID, StepID: "book", ActionID: "book-hotel",
		AgentDID: "did:ex:payer", ExecuteAPI: "/hotel/book", UndoAPI: "/hotel/cancel", TimeoutSeconds: 30}); err != nil {
		log.Fatal(err)
	}
	step, err := hv.RunStep(context.Background(), hypervisor.StepRequest{SagaID: saga.SagaID, StepID: "book"},
		func(ctx context.Context, step hypervisor.Step) (json.RawMessage, error) {
			deadline, _ := ctx.Deadline()
			_ = deadline // a real executor passes ctx to its HTTP client
			return json.RawMessage(`{"confirmation":"H-1234"}`), nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("step %s %s with result %s\n", step.StepID, step.State, step.Result)
	done, err := hv.CompleteSaga(hypervisor.SagaIDRequest{SagaID: saga.SagaID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saga %s\n", done.State)
}
