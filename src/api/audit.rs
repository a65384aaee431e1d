//! Audit methods (API.md §4.7).

use serde_json::json;

use super::core::SessionIdReq;
use super::{parse, respond, Handler};
use crate::engine::{
    CaptureRequest, ConsistencyRequest, DeltasRequest, GcRequest, Hypervisor, ProofRequest,
    VerifyCommitmentRequest,
};
use crate::error::Result;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("audit.capture", audit_capture),
    ("audit.deltas", audit_deltas),
    ("audit.verify", audit_verify),
    ("audit.root", audit_root),
    ("audit.proof", audit_proof),
    ("audit.consistency", audit_consistency),
    ("audit.commitment", audit_commitment),
    ("audit.verify_commitment", audit_verify_commitment),
    ("audit.gc", audit_gc),
];

fn audit_capture(hv: &Hypervisor, req: &str) -> Result<String> {
    hv.audit_capture_with(parse::<CaptureRequest>(req)?, respond)
}

fn audit_deltas(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.audit_deltas(&parse::<DeltasRequest>(req)?)?)
}

fn audit_verify(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.audit_verify(&r.session_id, r.trace_id.as_deref())?)
}

fn audit_root(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.audit_root(&r.session_id, r.trace_id.as_deref())?)
}

fn audit_proof(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.audit_proof(&parse::<ProofRequest>(req)?)?)
}

fn audit_consistency(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.audit_consistency(&parse::<ConsistencyRequest>(req)?)?)
}

fn audit_commitment(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.audit_commitment(&r.session_id, r.trace_id.as_deref())?)
}

fn audit_verify_commitment(hv: &Hypervisor, req: &str) -> Result<String> {
    let valid = hv.audit_verify_commitment(&parse::<VerifyCommitmentRequest>(req)?)?;
    respond(&json!({ "valid": valid }))
}

fn audit_gc(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.audit_gc(&parse::<GcRequest>(req)?)?)
}
