//! Dynamic ring and security methods (API.md §4.3 second half, §4.6).

use serde_json::json;

use super::core::SessionAgentReq;
use super::{parse, respond, Handler};
use crate::engine::{ElevateRequest, Hypervisor, KillRequest};
use crate::error::Result;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("ring.elevate", elevate),
    ("ring.revoke", revoke),
    ("ring.elevations", elevations),
    ("ring.register_child", register_child),
    ("ring.breaker", breaker),
    ("ring.reset_breaker", reset_breaker),
    ("security.rate_check", rate_check),
    ("security.rate_stats", rate_stats),
    ("security.substitute", substitute),
    ("security.kill", kill),
];

crate::request! {
    /// `{elevation_id}`.
    pub struct ElevationIdReq {
        /// Elevation.
        pub elevation_id: String,
    }
}

crate::request! {
    /// `ring.elevations`.
    pub struct ElevationsReq {
        /// Session.
        pub session_id: String,
        /// Only this agent.
        pub agent_did: Option<String>,
    }
}

crate::request! {
    /// `ring.register_child`.
    pub struct ChildReq {
        /// Session.
        pub session_id: String,
        /// Parent (an active participant).
        pub parent_did: String,
        /// Child.
        pub child_did: String,
    }
}

crate::request! {
    /// `security.rate_check`.
    pub struct RateReq {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// Tokens to consume (default 1).
        pub cost: Option<f64>,
    }
}

crate::request! {
    /// `security.substitute`.
    pub struct SubstituteReq {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// Register (true) or remove (false).
        pub available: bool,
    }
}

fn elevate(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.elevate(parse::<ElevateRequest>(req)?)?)
}

fn revoke(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ElevationIdReq = parse(req)?;
    respond(&hv.revoke_elevation(&r.elevation_id, r.trace_id.as_deref())?)
}

fn elevations(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ElevationsReq = parse(req)?;
    respond(&json!({"elevations": hv.elevations(&r.session_id, r.agent_did.as_deref())?}))
}

fn register_child(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ChildReq = parse(req)?;
    let ring = hv.register_child(
        &r.session_id,
        &r.parent_did,
        &r.child_did,
        r.trace_id.as_deref(),
    )?;
    respond(&json!({ "ring": ring }))
}

fn breaker(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.breaker(&r.session_id, &r.agent_did)?)
}

fn reset_breaker(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.reset_breaker(&r.session_id, &r.agent_did)?)
}

fn rate_check(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: RateReq = parse(req)?;
    respond(&hv.rate_check(&r.session_id, &r.agent_did, r.cost, r.trace_id.as_deref())?)
}

fn rate_stats(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.rate_stats(&r.session_id, &r.agent_did)?)
}

fn substitute(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SubstituteReq = parse(req)?;
    respond(&hv.substitute(&r.session_id, &r.agent_did, r.available)?)
}

fn kill(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.kill(parse::<KillRequest>(req)?)?)
}
