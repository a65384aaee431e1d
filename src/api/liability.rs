//! Liability and integration methods (API.md §4.4, §4.8).

use serde_json::json;

use super::{parse, respond, Handler};
use crate::engine::{DriftRequest, Hypervisor, QuarantineRequest, VouchRequest};
use crate::error::Result;
use crate::integrations::iatp::Manifest;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("liability.vouch", vouch),
    ("liability.release", release),
    ("liability.sigma_eff", sigma_eff),
    ("liability.slash", slash),
    ("liability.exposure", exposure),
    ("liability.matrix", matrix),
    ("liability.quarantine", quarantine),
    ("liability.release_quarantine", release_quarantine),
    ("liability.ledger", ledger),
    ("iatp.analyze", iatp_analyze),
    ("verify.drift", verify_drift),
];

crate::request! {
    /// `{vouch_id}`.
    pub struct VouchIdReq {
        /// Vouch.
        pub vouch_id: String,
    }
}

crate::request! {
    /// `liability.sigma_eff`.
    pub struct SigmaEffReq {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// ω.
        pub risk_weight: f64,
    }
}

crate::request! {
    /// `liability.slash`.
    pub struct SlashReq {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// ω.
        pub risk_weight: f64,
        /// Why.
        pub reason: String,
    }
}

crate::request! {
    /// `{agent_did}`.
    pub struct AgentReq {
        /// Agent.
        pub agent_did: String,
    }
}

crate::request! {
    /// `iatp.analyze`.
    pub struct IatpReq {
        /// The capability manifest.
        pub manifest: Manifest,
    }
}

use super::core::{SessionAgentReq, SessionIdReq};

fn vouch(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.vouch(&parse::<VouchRequest>(req)?)?)
}

fn release(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: VouchIdReq = parse(req)?;
    respond(&hv.release_vouch(&r.vouch_id, r.trace_id.as_deref())?)
}

fn sigma_eff(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SigmaEffReq = parse(req)?;
    respond(&json!({"sigma_eff": hv.sigma_eff(&r.session_id, &r.agent_did, r.risk_weight)?}))
}

fn slash(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SlashReq = parse(req)?;
    respond(&hv.slash(
        &r.session_id,
        &r.agent_did,
        r.risk_weight,
        &r.reason,
        r.trace_id.as_deref(),
    )?)
}

fn exposure(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.exposure(&r.session_id, &r.agent_did)?)
}

fn matrix(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.matrix(&r.session_id)?)
}

fn quarantine(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.quarantine(parse::<QuarantineRequest>(req)?)?)
}

fn release_quarantine(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.release_quarantine(&r.session_id, &r.agent_did, r.trace_id.as_deref())?)
}

fn ledger(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: AgentReq = parse(req)?;
    respond(&hv.ledger(&r.agent_did)?)
}

fn iatp_analyze(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: IatpReq = parse(req)?;
    respond(&hv.iatp_analyze(r.manifest)?)
}

fn verify_drift(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.verify_drift(&parse::<DriftRequest>(req)?)?)
}
