package hypervisor

/*
#include "trampolines.h"
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// Audit: hash-chained deltas, RFC 6962 Merkle tree, proofs, commitments (API.md §4.7).

// Change is one change recorded in an audit delta.
type Change struct {
	Path         string `json:"path"`
	Operation    string `json:"operation"` // add | modify | delete | permission
	ContentHash  string `json:"content_hash,omitempty"`
	PreviousHash string `json:"previous_hash,omitempty"`
}

// CaptureRequest is `audit.capture`.
type CaptureRequest struct {
	SessionID string   `json:"session_id"`
	AgentDID  string   `json:"agent_did"`
	Changes   []Change `json:"changes"`
	TraceID   string   `json:"trace_id,omitempty"`
}

// Delta is one hash-chained audit record.
type Delta struct {
	DeltaID    string   `json:"delta_id"`
	TurnID     uint64   `json:"turn_id"`
	SessionID  string   `json:"session_id"`
	AgentDID   string   `json:"agent_did"`
	Timestamp  string   `json:"timestamp"`
	Changes    []Change `json:"changes"`
	ParentHash *string  `json:"parent_hash"`
	DeltaHash  string   `json:"delta_hash"`
}

// CaptureDelta appends an audit delta.
func (h *Hypervisor) CaptureDelta(req CaptureRequest) (*Delta, error) {
	if req.Changes == nil {
		req.Changes = []Change{}
	}
	return do[Delta](h, viaCall, "audit.capture", req)
}

// DeltasRequest is `audit.deltas`.
type DeltasRequest struct {
	SessionID string  `json:"session_id"`
	AfterTurn *uint64 `json:"after_turn,omitempty"`
	Limit     int     `json:"limit,omitempty"`
	TraceID   string  `json:"trace_id,omitempty"`
}

// DeltaList is the response of `audit.deltas`.
type DeltaList struct {
	Deltas    []Delta `json:"deltas"`
	TreeSize  uint64  `json:"tree_size"`
	GCDropped uint64  `json:"gc_dropped"` // deltas dropped by retention GC
}

// Deltas pages through a session's deltas.
func (h *Hypervisor) Deltas(req DeltasRequest) (*DeltaList, error) {
	return do[DeltaList](h, viaCall, "audit.deltas", req)
}

// AuditVerification is the response of `audit.verify`.
type AuditVerification struct {
	Valid            bool    `json:"valid"`
	DeltaCount       int     `json:"delta_count"`
	FirstInvalidTurn *uint64 `json:"first_invalid_turn,omitempty"`
}

// VerifyAudit re-checks a session's hash chain.
func (h *Hypervisor) VerifyAudit(req SessionIDRequest) (*AuditVerification, error) {
	return do[AuditVerification](h, viaCall, "audit.verify", req)
}

// MerkleRoot is the response of `audit.root`; Root is nil for an empty tree.
type MerkleRoot struct {
	MerkleRoot *string `json:"merkle_root"`
	TreeSize   uint64  `json:"tree_size"`
}

// AuditRoot returns the session's current Merkle root.
func (h *Hypervisor) AuditRoot(req SessionIDRequest) (*MerkleRoot, error) {
	return do[MerkleRoot](h, viaCall, "audit.root", req)
}

// ProofRequest is `audit.proof`.
type ProofRequest struct {
	SessionID string `json:"session_id"`
	TurnID    uint64 `json:"turn_id"`
	TreeSize  uint64 `json:"tree_size,omitempty"` // default: current size
	TraceID   string `json:"trace_id,omitempty"`
}

// InclusionProof is an RFC 6962 inclusion proof; VerifyInclusion checks it offline.
type InclusionProof struct {
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	LeafHash  string   `json:"leaf_hash"`
	AuditPath []string `json:"audit_path"`
	Root      string   `json:"root"`
}

// AuditProof returns the inclusion proof of one turn.
func (h *Hypervisor) AuditProof(req ProofRequest) (*InclusionProof, error) {
	return do[InclusionProof](h, viaCall, "audit.proof", req)
}

// ConsistencyRequest is `audit.consistency`.
type ConsistencyRequest struct {
	SessionID  string `json:"session_id"`
	FirstSize  uint64 `json:"first_size"`
	SecondSize uint64 `json:"second_size"`
	TraceID    string `json:"trace_id,omitempty"`
}

// ConsistencyProof is an RFC 6962 consistency proof; VerifyConsistency checks it offline.
type ConsistencyProof struct {
	FirstSize  uint64   `json:"first_size"`
	SecondSize uint64   `json:"second_size"`
	FirstRoot  string   `json:"first_root"`
	SecondRoot string   `json:"second_root"`
	Proof      []string `json:"proof"`
}

// AuditConsistency proves the tree at FirstSize is a prefix of the tree at SecondSize.
func (h *Hypervisor) AuditConsistency(req ConsistencyRequest) (*ConsistencyProof, error) {
	return do[ConsistencyProof](h, viaCall, "audit.consistency", req)
}

// Commitment is a session's committed Merkle root.
type Commitment struct {
	SessionID       string   `json:"session_id"`
	MerkleRoot      string   `json:"merkle_root"`
	TreeSize        uint64   `json:"tree_size"`
	ParticipantDIDs []string `json:"participant_dids"`
	CommittedAt     string   `json:"committed_at"`
}

// Commitment returns a session's commitment.
func (h *Hypervisor) Commitment(req SessionIDRequest) (*Commitment, error) {
	return do[Commitment](h, viaCall, "audit.commitment", req)
}

// VerifyCommitmentRequest is `audit.verify_commitment`.
type VerifyCommitmentRequest struct {
	SessionID  string `json:"session_id"`
	MerkleRoot string `json:"merkle_root"`
	TraceID    string `json:"trace_id,omitempty"`
}

// VerifyCommitment checks a root against the session's commitment.
func (h *Hypervisor) VerifyCommitment(req VerifyCommitmentRequest) (*Validity, error) {
	return do[Validity](h, viaCall, "audit.verify_commitment", req)
}

// AuditGCRequest is `audit.gc`: one archived session, or all when SessionID is empty.
type AuditGCRequest struct {
	SessionID string `json:"session_id,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// GCSession is one session's part of a GC run.
type GCSession struct {
	SessionID      string `json:"session_id"`
	Collected      int    `json:"collected"`
	RetainedDeltas int    `json:"retained_deltas"`
}

// GCResult is the response of `audit.gc`.
type GCResult struct {
	Cutoff          string      `json:"cutoff"`
	Collected       int         `json:"collected"`
	SessionsChecked int         `json:"sessions_checked"`
	Sessions        []GCSession `json:"sessions"`
}

// AuditGC drops deltas of archived sessions older than the retention period (roots and
// commitments are kept).
func (h *Hypervisor) AuditGC(req AuditGCRequest) (*GCResult, error) {
	return do[GCResult](h, viaCall, "audit.gc", req)
}

// VerifyInclusion checks an inclusion proof offline (no engine needed).
func VerifyInclusion(proof InclusionProof) (bool, error) {
	return verifyOffline(proof, true)
}

// VerifyConsistency checks a consistency proof offline (no engine needed).
func VerifyConsistency(proof ConsistencyProof) (bool, error) {
	return verifyOffline(proof, false)
}

func verifyOffline(proof any, inclusion bool) (bool, error) {
	raw, err := json.Marshal(proof)
	if err != nil {
		return false, err
	}
	cp := C.CString(string(raw))
	defer C.free(unsafe.Pointer(cp))
	var out *C.char
	var st C.HvStatus
	if inclusion {
		st = C.hv_verify_inclusion(cp, &out)
	} else {
		st = C.hv_verify_consistency(cp, &out)
	}
	body := takeString(out)
	if Status(st) != StatusOK {
		return false, errorFromJSON(Status(st), body)
	}
	var v Validity
	if err := decodeResponse(body, &v); err != nil {
		return false, err
	}
	return v.Valid, nil
}
