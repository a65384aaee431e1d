package hypervisor

import (
	"strings"
	"testing"
)

func TestVFSAndAudit(t *testing.T) {
	h := newHV(t)
	activeSession(t, h, "aud", "did:test:a", "did:test:b")
	w, err := h.WriteFile(VFSWriteRequest{SessionID: "aud", AgentDID: "did:test:a", Path: "/notes.txt", Content: "v1"})
	if err != nil || w.Operation != "create" || w.ContentHash == "" || w.Delta == nil || w.Delta.TurnID != 1 {
		t.Fatalf("write %+v %v", w, err)
	}
	r, err := h.ReadFile(VFSReadRequest{SessionID: "aud", Path: "/notes.txt", AgentDID: "did:test:b"})
	if err != nil || r.Content == nil || *r.Content != "v1" {
		t.Fatalf("read %+v %v", r, err)
	}
	if w, err = h.WriteFile(VFSWriteRequest{SessionID: "aud", AgentDID: "did:test:b", Path: "/notes.txt", Content: "v2"}); err != nil || w.Operation != "update" {
		t.Fatalf("update %+v %v", w, err)
	}
	if _, err := h.SetPermissions(VFSSetPermissionsRequest{SessionID: "aud", AgentDID: "did:test:a", Path: "/secret", AllowedAgents: []string{"did:test:a"}}); err != nil {
		t.Fatal(err)
	}
	_, err = h.WriteFile(VFSWriteRequest{SessionID: "aud", AgentDID: "did:test:b", Path: "/secret", Content: "x"})
	mustCode(t, err, ErrDenied, "PERMISSION_DENIED")
	if _, err := h.ClearPermissions(VFSPathRequest{SessionID: "aud", AgentDID: "did:test:a", Path: "/secret"}); err != nil {
		t.Fatal(err)
	}
	ls, err := h.ListFiles(SessionIDRequest{SessionID: "aud"})
	if err != nil || len(ls.Paths) != 1 {
		t.Fatalf("list %+v %v", ls, err)
	}
	ed, err := h.FileEdits(VFSEditsRequest{SessionID: "aud"})
	if err != nil || len(ed.Edits) != 4 || ed.Edits[1].Operation != "update" || ed.Edits[1].PreviousHash == "" {
		t.Fatalf("edits %+v %v", ed, err)
	}
	snap, err := h.SnapshotSession(SessionIDRequest{SessionID: "aud"})
	if err != nil || snap.SnapshotID == "" {
		t.Fatalf("snapshot %+v %v", snap, err)
	}
	if _, err := h.DeleteFile(VFSPathRequest{SessionID: "aud", AgentDID: "did:test:a", Path: "/notes.txt"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.RestoreSession(RestoreSessionRequest{SessionID: "aud", SnapshotID: snap.SnapshotID, AgentDID: "did:test:a"}); err != nil {
		t.Fatal(err)
	}
	if r, err = h.ReadFile(VFSReadRequest{SessionID: "aud", Path: "/notes.txt"}); err != nil || r.Content == nil || *r.Content != "v2" {
		t.Fatalf("read after restore %+v %v", r, err)
	}

	d, err := h.CaptureDelta(CaptureRequest{SessionID: "aud", AgentDID: "did:test:a",
		Changes: []Change{{Path: "/ext", Operation: "add", ContentHash: strings.Repeat("ab", 32)}}})
	if err != nil || d.DeltaHash == "" || d.ParentHash == nil {
		t.Fatalf("capture %+v %v", d, err)
	}
	dl, err := h.Deltas(DeltasRequest{SessionID: "aud", AfterTurn: Ptr(uint64(1))})
	if err != nil || len(dl.Deltas) == 0 || dl.Deltas[0].TurnID != 2 {
		t.Fatalf("deltas %+v %v", dl, err)
	}
	ver, err := h.VerifyAudit(SessionIDRequest{SessionID: "aud"})
	if err != nil || !ver.Valid {
		t.Fatalf("verify %+v %v", ver, err)
	}
	root, err := h.AuditRoot(SessionIDRequest{SessionID: "aud"})
	if err != nil || root.MerkleRoot == nil || root.TreeSize < 3 {
		t.Fatalf("root %+v %v", root, err)
	}
	proof, err := h.AuditProof(ProofRequest{SessionID: "aud", TurnID: 2})
	if err != nil || proof.Root != *root.MerkleRoot {
		t.Fatalf("proof %+v %v", proof, err)
	}
	ok, err := VerifyInclusion(*proof)
	if err != nil || !ok {
		t.Fatalf("inclusion %v %v", ok, err)
	}
	bad := *proof
	bad.LeafHash = strings.Repeat("0", 64)
	if ok, err := VerifyInclusion(bad); err == nil && ok {
		t.Fatal("tampered proof verified")
	}
	cons, err := h.AuditConsistency(ConsistencyRequest{SessionID: "aud", FirstSize: 1, SecondSize: root.TreeSize})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyConsistency(*cons); err != nil || !ok {
		t.Fatalf("consistency %v %v", ok, err)
	}
	tr, err := h.TerminateSession(SessionIDRequest{SessionID: "aud"})
	if err != nil || tr.MerkleRoot == nil || tr.Commitment == nil {
		t.Fatalf("terminate %+v %v", tr, err)
	}
	c, err := h.Commitment(SessionIDRequest{SessionID: "aud"})
	if err != nil || c.MerkleRoot != *tr.MerkleRoot || len(c.ParticipantDIDs) != 2 {
		t.Fatalf("commitment %+v %v", c, err)
	}
	vc, err := h.VerifyCommitment(VerifyCommitmentRequest{SessionID: "aud", MerkleRoot: c.MerkleRoot})
	if err != nil || !vc.Valid {
		t.Fatalf("verify commitment %+v %v", vc, err)
	}
	if _, err := h.AuditGC(AuditGCRequest{}); err != nil {
		t.Fatal(err)
	}
}
