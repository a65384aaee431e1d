package hypervisor_test

import (
	"errors"
	"fmt"

	hypervisor "github.com/agent-hypervisor/agent-hypervisor/bindings/go"
)

func Example() {
	hv, err := hypervisor.New(hypervisor.Config{Clock: "manual"})
	if err != nil {
		panic(err)
	}
	defer hv.Close()

	s, _ := hv.CreateSession(hypervisor.CreateSessionRequest{CreatorDID: "did:ex:alice"})
	j, _ := hv.JoinSession(hypervisor.JoinSessionRequest{SessionID: s.SessionID, AgentDID: "did:ex:bot", SigmaRaw: hypervisor.Ptr(0.8)})
	fmt.Println("ring:", j.Ring)

	_, err = hv.JoinSession(hypervisor.JoinSessionRequest{SessionID: s.SessionID, AgentDID: "did:ex:bot"})
	var he *hypervisor.Error
	if errors.Is(err, hypervisor.ErrConflict) && errors.As(err, &he) {
		fmt.Println("refused:", he.Code)
	}
	// Output:
	// ring: 2
	// refused: AGENT_ALREADY_JOINED
}
