//! Ring methods: compute, classify, check.

use crate::error::{Error, Result};
use crate::model::{ActionDescriptor, Ring};
use crate::rings::classifier::{classify, Classification};
use crate::rings::enforcer::{check, compute_ring, CheckInput, CheckResult};

use super::sessions::killed;
use super::Hypervisor;

crate::request! {
    /// `ring.check`.
    pub struct RingCheckRequest {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// A registered action.
        pub action_id: Option<String>,
        /// An inline action.
        pub action: Option<ActionDescriptor>,
        /// Consensus obtained.
        pub has_consensus: Option<bool>,
        /// SRE witness present.
        pub has_sre_witness: Option<bool>,
    }
}

impl Hypervisor {
    /// `ring.compute`.
    pub fn ring_compute(&self, sigma_eff: f64, has_consensus: bool) -> Result<Ring> {
        crate::model::check_score(sigma_eff, "sigma_eff")?;
        Ok(compute_ring(sigma_eff, has_consensus))
    }

    /// `ring.classify`.
    pub fn ring_classify(&self, action: &ActionDescriptor) -> Result<Classification> {
        action.validate("action")?;
        Ok(classify(action))
    }

    /// `ring.check`: a denial is `Ok` with `allowed: false`. Every check is recorded by the
    /// agent's breach detector.
    pub fn ring_check(&self, req: &RingCheckRequest) -> Result<CheckResult> {
        if let Some(a) = &req.action {
            a.validate("action")?;
        }
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            let m = s.member(&req.agent_did)?;
            if m.killed {
                return Err(killed(&req.agent_did, &s.id));
            }
            let action = match (&req.action_id, &req.action) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "action",
                        "give either action_id or action, not both",
                    ))
                }
                (None, None) => {
                    return Err(Error::field(
                        crate::error::Code::MISSING_FIELD,
                        "action_id",
                        "one of action_id or action is required",
                    ))
                }
                (Some(id), None) => s.action(id)?.clone(),
                (None, Some(a)) => a.clone(),
            };
            let agent_ring = s.effective_ring(m, ctx.now);
            let result = check(CheckInput {
                required_ring: action.required_ring(),
                agent_ring,
                sigma_eff: s.sigma_eff(m, action.risk_weight()),
                has_consensus: req.has_consensus.unwrap_or(false),
                has_sre_witness: req.has_sre_witness.unwrap_or(false),
            });
            s.record_ring_call(&req.agent_did, agent_ring, result.required_ring, ctx);
            Ok(result)
        })
    }
}
