package hypervisor

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"
)

// Every method of API.md §4 has a typed wrapper; each wrapper reaches the engine under its
// method name (an empty request must fail validation, not be UNKNOWN_METHOD).
func TestEveryMethodHasAWrapper(t *testing.T) {
	h := newHV(t)
	noop := func(context.Context, Step) (json.RawMessage, error) { return nil, nil }
	bg := context.Background()
	calls := map[string]func() error{
		"session.create":    func() error { _, e := h.CreateSession(CreateSessionRequest{}); return e },
		"session.join":      func() error { _, e := h.JoinSession(JoinSessionRequest{}); return e },
		"session.activate":  func() error { _, e := h.ActivateSession(SessionIDRequest{}); return e },
		"session.leave":     func() error { _, e := h.LeaveSession(SessionAgentRequest{}); return e },
		"session.get":       func() error { _, e := h.GetSession(SessionIDRequest{}); return e },
		"session.list":      func() error { _, e := h.ListSessions(ListSessionsRequest{State: "?"}); return e },
		"session.terminate": func() error { _, e := h.TerminateSession(SessionIDRequest{}); return e },
		"session.snapshot":  func() error { _, e := h.SnapshotSession(SessionIDRequest{}); return e },
		"session.restore":   func() error { _, e := h.RestoreSession(RestoreSessionRequest{}); return e },

		"vfs.write":             func() error { _, e := h.WriteFile(VFSWriteRequest{}); return e },
		"vfs.read":              func() error { _, e := h.ReadFile(VFSReadRequest{}); return e },
		"vfs.delete":            func() error { _, e := h.DeleteFile(VFSPathRequest{}); return e },
		"vfs.list":              func() error { _, e := h.ListFiles(SessionIDRequest{}); return e },
		"vfs.set_permissions":   func() error { _, e := h.SetPermissions(VFSSetPermissionsRequest{}); return e },
		"vfs.clear_permissions": func() error { _, e := h.ClearPermissions(VFSPathRequest{}); return e },
		"vfs.edits":             func() error { _, e := h.FileEdits(VFSEditsRequest{}); return e },

		"ring.compute":        func() error { _, e := h.ComputeRing(ComputeRingRequest{SigmaEff: 2}); return e },
		"ring.classify":       func() error { _, e := h.ClassifyAction(ClassifyActionRequest{}); return e },
		"ring.check":          func() error { _, e := h.CheckRing(RingCheckRequest{}); return e },
		"ring.elevate":        func() error { _, e := h.Elevate(ElevateRequest{}); return e },
		"ring.revoke":         func() error { _, e := h.RevokeElevation(RevokeElevationRequest{}); return e },
		"ring.elevations":     func() error { _, e := h.Elevations(ElevationsRequest{}); return e },
		"ring.register_child": func() error { _, e := h.RegisterChild(RegisterChildRequest{}); return e },
		"ring.breaker":        func() error { _, e := h.Breaker(SessionAgentRequest{}); return e },
		"ring.reset_breaker":  func() error { _, e := h.ResetBreaker(SessionAgentRequest{}); return e },

		"liability.vouch":              func() error { _, e := h.Vouch(VouchRequest{}); return e },
		"liability.release":            func() error { _, e := h.ReleaseVouch(ReleaseVouchRequest{}); return e },
		"liability.sigma_eff":          func() error { _, e := h.SigmaEff(SigmaEffRequest{}); return e },
		"liability.slash":              func() error { _, e := h.Slash(SlashRequest{}); return e },
		"liability.exposure":           func() error { _, e := h.Exposure(SessionAgentRequest{}); return e },
		"liability.matrix":             func() error { _, e := h.LiabilityMatrix(SessionIDRequest{}); return e },
		"liability.attribute":          func() error { _, e := h.Attribute(AttributeRequest{}); return e },
		"liability.quarantine":         func() error { _, e := h.Quarantine(QuarantineRequest{}); return e },
		"liability.release_quarantine": func() error { _, e := h.ReleaseQuarantine(SessionAgentRequest{}); return e },
		"liability.ledger":             func() error { _, e := h.Ledger(LedgerRequest{}); return e },

		"saga.create":                func() error { _, e := h.CreateSaga(CreateSagaRequest{}); return e },
		"saga.add_step":              func() error { _, e := h.AddStep(AddStepRequest{}); return e },
		"saga.define":                func() error { _, e := h.DefineSaga(DefineSagaRequest{}); return e },
		"saga.validate":              func() error { _, e := h.ValidateSaga(DefineSagaRequest{TraceID: "bad trace"}); return e },
		"saga.get":                   func() error { _, e := h.GetSaga(SagaIDRequest{}); return e },
		"saga.list":                  func() error { _, e := h.ListSagas(SessionIDRequest{}); return e },
		"saga.step.begin":            func() error { _, e := h.BeginStep(StepRequest{}); return e },
		"saga.step.end":              func() error { _, e := h.EndStep(EndStepRequest{}); return e },
		"saga.compensate.begin":      func() error { _, e := h.BeginCompensation(SagaIDRequest{}); return e },
		"saga.compensate.end":        func() error { _, e := h.EndCompensation(EndCompensationRequest{}); return e },
		"saga.complete":              func() error { _, e := h.CompleteSaga(SagaIDRequest{}); return e },
		"saga.fan_out.create":        func() error { _, e := h.CreateFanOut(CreateFanOutRequest{}); return e },
		"saga.fan_out.resolve":       func() error { _, e := h.ResolveFanOut(ResolveFanOutRequest{}); return e },
		"saga.checkpoint.save":       func() error { _, e := h.SaveCheckpoint(SaveCheckpointRequest{}); return e },
		"saga.checkpoint.invalidate": func() error { _, e := h.InvalidateCheckpoint(InvalidateCheckpointRequest{}); return e },
		"saga.replay_plan":           func() error { _, e := h.ReplayPlan(SagaIDRequest{}); return e },
		"hv_saga_step":               func() error { _, e := h.RunStep(bg, StepRequest{}, noop); return e },
		"hv_saga_compensate":         func() error { _, e := h.Compensate(bg, SagaIDRequest{}, noop); return e },
		"hv_saga_fan_out":            func() error { _, e := h.FanOut(bg, FanOutRequest{}, noop); return e },

		"security.rate_check": func() error { _, e := h.RateCheck(RateCheckRequest{}); return e },
		"security.rate_stats": func() error { _, e := h.RateStats(SessionAgentRequest{}); return e },
		"security.substitute": func() error { _, e := h.SetSubstitute(SubstituteRequest{}); return e },
		"security.kill":       func() error { _, e := h.Kill(KillRequest{}); return e },

		"audit.capture":           func() error { _, e := h.CaptureDelta(CaptureRequest{}); return e },
		"audit.deltas":            func() error { _, e := h.Deltas(DeltasRequest{}); return e },
		"audit.verify":            func() error { _, e := h.VerifyAudit(SessionIDRequest{}); return e },
		"audit.root":              func() error { _, e := h.AuditRoot(SessionIDRequest{}); return e },
		"audit.proof":             func() error { _, e := h.AuditProof(ProofRequest{}); return e },
		"audit.consistency":       func() error { _, e := h.AuditConsistency(ConsistencyRequest{}); return e },
		"audit.commitment":        func() error { _, e := h.Commitment(SessionIDRequest{}); return e },
		"audit.verify_commitment": func() error { _, e := h.VerifyCommitment(VerifyCommitmentRequest{}); return e },
		"audit.gc":                func() error { _, e := h.AuditGC(AuditGCRequest{TraceID: "bad trace"}); return e },
		"hv_verify_inclusion":     func() error { _, e := VerifyInclusion(InclusionProof{}); return e },
		"hv_verify_consistency":   func() error { _, e := VerifyConsistency(ConsistencyProof{}); return e },

		"verify.history": func() error { _, e := h.VerifyHistory(VerifyHistoryRequest{}); return e },
		"verify.drift":   func() error { _, e := h.VerifyDrift(DriftRequest{}); return e },
		"iatp.analyze":   func() error { _, e := h.AnalyzeManifest(AnalyzeManifestRequest{}); return e },

		"events.query":  func() error { _, e := h.QueryEvents(EventsQueryRequest{Limit: -1}); return e },
		"events.stats":  func() error { _, e := h.EventStats(); return e },
		"trace.new":     func() error { _, e := h.NewTrace(); return e },
		"trace.child":   func() error { _, e := h.ChildTrace(TraceRef{}); return e },
		"clock.now":     func() error { _, e := h.Now(); return e },
		"clock.advance": func() error { _, e := h.AdvanceClock(AdvanceClockRequest{Seconds: -1}); return e },
		"stats":         func() error { _, e := h.Stats(); return e },
		"health":        func() error { _, e := h.Health(); return e },
	}
	var missing []string
	for name, call := range calls {
		err := call()
		if errors.Is(err, &Error{Code: "UNKNOWN_METHOD"}) {
			missing = append(missing, name)
			continue
		}
		var he *Error
		if err != nil && !errors.As(err, &he) {
			t.Errorf("%s: non-engine error %v", name, err)
		}
		if he != nil && he.Status == StatusInternal {
			t.Errorf("%s: %v", name, err)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("wrappers whose method the engine does not know (%d): %v", len(missing), missing)
	}
}
