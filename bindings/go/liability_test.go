package hypervisor

import (
	"testing"
)

func TestLiabilityFlow(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "liab", "did:test:a", "did:test:b", "did:test:c")
	v, err := h.Vouch(VouchRequest{SessionID: "liab", VoucherDID: "did:test:a", VoucheeDID: "did:test:b", BondPct: Ptr(0.25)})
	if err != nil || v.VouchID == "" || !v.IsActive || v.BondedAmount < 0.199 || v.BondedAmount > 0.201 {
		t.Fatalf("vouch %+v %v", v, err)
	}
	if _, err := h.Vouch(VouchRequest{SessionID: "liab", VoucherDID: "did:test:b", VoucheeDID: "did:test:a"}); err == nil {
		t.Fatal("circular vouch accepted")
	} else {
		mustCode(t, err, ErrConflict, "CIRCULAR_VOUCH")
	}
	se, err := h.SigmaEff(SigmaEffRequest{SessionID: "liab", AgentDID: "did:test:b", RiskWeight: 0.5})
	if err != nil || se.SigmaEff < 0.899 || se.SigmaEff > 0.901 {
		t.Fatalf("sigma_eff %+v %v", se, err)
	}
	ex, err := h.Exposure(SessionAgentRequest{SessionID: "liab", AgentDID: "did:test:a"})
	if err != nil || ex.BondedTotal <= 0 || ex.Limit <= ex.BondedTotal {
		t.Fatalf("exposure %+v %v", ex, err)
	}
	m, err := h.LiabilityMatrix(SessionIDRequest{SessionID: "liab"})
	if err != nil || len(m.Edges) != 1 || m.Edges[0].VouchID != v.VouchID || m.HasCycle {
		t.Fatalf("matrix %+v %v", m, err)
	}
	sl, err := h.Slash(SlashRequest{SessionID: "liab", AgentDID: "did:test:b", RiskWeight: 0.5, Reason: "test"})
	if err != nil || sl.VoucheeSigmaAfter != 0 || len(sl.VoucherClips) != 1 || sl.VoucherClips[0].VoucherDID != "did:test:a" {
		t.Fatalf("slash %+v %v", sl, err)
	}
	l, err := h.Ledger(LedgerRequest{AgentDID: "did:test:b"})
	if err != nil || l.Profile.SlashCount != 1 || len(l.Entries) == 0 {
		t.Fatalf("ledger %+v %v", l, err)
	}
	q, err := h.Quarantine(QuarantineRequest{SessionID: "liab", AgentDID: "did:test:c", Reason: "manual",
		DurationSeconds: 60, Details: map[string]any{"why": "test"}})
	if err != nil || !q.IsActive || q.Reason != "manual" {
		t.Fatalf("quarantine %+v %v", q, err)
	}
	_, err = h.Vouch(VouchRequest{SessionID: "liab", VoucherDID: "did:test:c", VoucheeDID: "did:test:a"})
	mustCode(t, err, ErrDenied, "AGENT_QUARANTINED")
	rq, err := h.ReleaseQuarantine(SessionAgentRequest{SessionID: "liab", AgentDID: "did:test:c"})
	if err != nil || rq.IsActive {
		t.Fatalf("release quarantine %+v %v", rq, err)
	}
	v2, err := h.Vouch(VouchRequest{SessionID: "liab", VoucherDID: "did:test:c", VoucheeDID: "did:test:a"})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := h.ReleaseVouch(ReleaseVouchRequest{VouchID: v2.VouchID})
	if err != nil || rv.IsActive || rv.VouchID != v2.VouchID {
		t.Fatalf("release %+v %v", rv, err)
	}
	_, err = h.ReleaseVouch(ReleaseVouchRequest{VouchID: "vouch:none"})
	mustCode(t, err, ErrNotFound, "")
}

func TestRingsAndSecurity(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "sec", "did:test:a", "did:test:b", "did:test:sub")
	if _, err := h.JoinSession(JoinSessionRequest{SessionID: "sec", AgentDID: "did:test:hi", SigmaRaw: Ptr(0.9)}); err != nil {
		t.Fatal(err)
	}
	e, err := h.Elevate(ElevateRequest{SessionID: "sec", AgentDID: "did:test:hi", TargetRing: 1, Attestation: "sponsor:x", TTLSeconds: 60})
	if err != nil || e.ElevatedRing != 1 || e.OriginalRing != 2 {
		t.Fatalf("elevate %+v %v", e, err)
	}
	_, err = h.Elevate(ElevateRequest{SessionID: "sec", AgentDID: "did:test:b", TargetRing: 0})
	he := mustCode(t, err, ErrDenied, "")
	if he.Details["reason"] != "ring_0_forbidden" {
		t.Fatalf("details %v", he.Details)
	}
	el, err := h.Elevations(ElevationsRequest{SessionID: "sec"})
	if err != nil || len(el.Elevations) != 1 {
		t.Fatalf("elevations %+v %v", el, err)
	}
	rv, err := h.RevokeElevation(RevokeElevationRequest{ElevationID: e.ElevationID})
	if err != nil || rv.ElevationID != e.ElevationID {
		t.Fatalf("revoke %+v %v", rv, err)
	}
	if _, err := h.JoinSession(JoinSessionRequest{SessionID: "sec", AgentDID: "did:test:child", SigmaRaw: Ptr(0.99), HasConsensus: true}); err != nil {
		t.Fatal(err)
	}
	rc, err := h.RegisterChild(RegisterChildRequest{SessionID: "sec", ParentDID: "did:test:a", ChildDID: "did:test:child"})
	if err != nil || rc.Ring != 3 {
		t.Fatalf("register child %+v %v", rc, err)
	}
	cl, err := h.ClassifyAction(ClassifyActionRequest{Action: ActionDescriptor{ActionID: "r", Name: "read", ExecuteAPI: "/r", IsReadOnly: true}})
	if err != nil || cl.Ring != 3 {
		t.Fatalf("classify %+v %v", cl, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := h.CheckRing(RingCheckRequest{SessionID: "sec", AgentDID: "did:test:b",
			Action: &ActionDescriptor{ActionID: "pay", Name: "pay", ExecuteAPI: "/pay"}}); err != nil {
			t.Fatal(err)
		}
	}
	br, err := h.Breaker(SessionAgentRequest{SessionID: "sec", AgentDID: "did:test:b"})
	if err != nil || br.TotalCalls != 3 || br.RingDistribution["1"] != 3 {
		t.Fatalf("breaker %+v %v", br, err)
	}
	if br, err = h.ResetBreaker(SessionAgentRequest{SessionID: "sec", AgentDID: "did:test:b"}); err != nil || br.WindowCalls != 0 {
		t.Fatalf("reset breaker %+v %v", br, err)
	}
	r, err := h.RateCheck(RateCheckRequest{SessionID: "sec", AgentDID: "did:test:b", Cost: 2})
	if err != nil || !r.Allowed {
		t.Fatalf("rate check %+v %v", r, err)
	}
	_, err = h.RateCheck(RateCheckRequest{SessionID: "sec", AgentDID: "did:test:b", Cost: 39})
	mustCode(t, err, ErrRateLimited, "")
	rs, err := h.RateStats(SessionAgentRequest{SessionID: "sec", AgentDID: "did:test:b"})
	if err != nil || rs.TotalRequests != 2 || rs.RejectedRequests != 1 || rs.Ring != 2 {
		t.Fatalf("rate stats %+v %v", rs, err)
	}
	sb, err := h.SetSubstitute(SubstituteRequest{SessionID: "sec", AgentDID: "did:test:sub", Available: true})
	if err != nil || !sb.Available || len(sb.Substitutes) != 1 {
		t.Fatalf("substitute %+v %v", sb, err)
	}
	k, err := h.Kill(KillRequest{SessionID: "sec", AgentDID: "did:test:b", Reason: "manual", Details: "test"})
	if err != nil || !k.Terminated || k.KillID == "" {
		t.Fatalf("kill %+v %v", k, err)
	}
	_, err = h.RateCheck(RateCheckRequest{SessionID: "sec", AgentDID: "did:test:b"})
	mustCode(t, err, ErrDenied, "AGENT_KILLED")
}

func TestVerificationAndIATP(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "ver", "did:test:a")
	d, err := h.VerifyDrift(DriftRequest{SessionID: "ver", AgentDID: "did:test:a",
		ClaimedEmbedding: []float64{1, 0}, ObservedEmbedding: []float64{1, 0.01}})
	if err != nil || !d.Passed || d.Severity != "none" || d.ActionTaken != "none" {
		t.Fatalf("drift %+v %v", d, err)
	}
	_, err = h.VerifyDrift(DriftRequest{SessionID: "ver", AgentDID: "did:test:a",
		ClaimedEmbedding: []float64{1}, ObservedEmbedding: []float64{1, 0}})
	mustCode(t, err, ErrInvalidArgument, "")
	a, err := h.AnalyzeManifest(AnalyzeManifestRequest{Manifest: Manifest{AgentDID: "did:test:m", TrustLevel: "trusted",
		Actions: []ActionDescriptor{{ActionID: "x", Name: "x", ExecuteAPI: "/x"}}}})
	if err != nil || a.SigmaHint != 0.8 || a.RingHint != 2 || !a.HasNonReversible || len(a.Actions) != 1 {
		t.Fatalf("iatp %+v %v", a, err)
	}
	j, err := h.JoinSession(JoinSessionRequest{SessionID: "ver", AgentDID: "did:test:m",
		Manifest: &Manifest{AgentDID: "did:test:m", TrustLevel: "trusted", Actions: []ActionDescriptor{{ActionID: "x", Name: "x", ExecuteAPI: "/x"}}}})
	if err != nil || j.SigmaRaw != 0.8 || j.ConsistencyMode != "strong" {
		t.Fatalf("join with manifest %+v %v", j, err)
	}
}
