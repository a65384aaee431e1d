//! Ring computation and ring checks (API.md §4.3 `ring.compute`, `ring.check`).

use serde::Serialize;

use crate::config::{CHECK_RING1_SIGMA, CHECK_RING2_SIGMA, RING1_SIGMA, RING2_SIGMA};
use crate::model::Ring;

/// Ring from σ_eff: 1 if σ_eff > 0.95 with consensus; else 2 if σ_eff > 0.60; else 3.
/// Strict inequalities; ring 0 is never assigned from a score.
pub fn compute_ring(sigma_eff: f64, has_consensus: bool) -> Ring {
    if sigma_eff > RING1_SIGMA && has_consensus {
        Ring::Privileged
    } else if sigma_eff > RING2_SIGMA {
        Ring::Standard
    } else {
        Ring::Sandbox
    }
}

/// Inputs of a ring check.
#[derive(Debug, Clone, Copy)]
pub struct CheckInput {
    /// Ring the action requires.
    pub required_ring: Ring,
    /// The agent's effective ring (elevation included).
    pub agent_ring: Ring,
    /// The agent's σ_eff for the action's ω.
    pub sigma_eff: f64,
    /// Consensus obtained.
    pub has_consensus: bool,
    /// SRE witness present.
    pub has_sre_witness: bool,
}

/// Result of `ring.check`; a denial is a normal result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckResult {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// Ring the action requires.
    pub required_ring: Ring,
    /// The agent's effective ring.
    pub agent_ring: Ring,
    /// σ_eff used.
    pub sigma_eff: f64,
    /// Why (stable short phrase).
    pub reason: &'static str,
    /// The action needs consensus (required ring 1).
    pub requires_consensus: bool,
    /// The action needs an SRE witness (required ring 0).
    pub requires_sre_witness: bool,
}

/// Applies the rules in order: ring 0 needs a witness; ring 1 needs σ_eff ≥ 0.95 and
/// consensus; ring 2 needs σ_eff ≥ 0.60; then the agent's effective ring must be ≤ required.
pub fn check(i: CheckInput) -> CheckResult {
    let reason = match i.required_ring {
        Ring::Root if !i.has_sre_witness => Some("ring 0 requires an SRE witness"),
        Ring::Privileged if i.sigma_eff < CHECK_RING1_SIGMA => {
            Some("ring 1 requires sigma_eff >= 0.95")
        }
        Ring::Privileged if !i.has_consensus => Some("ring 1 requires consensus"),
        Ring::Standard if i.sigma_eff < CHECK_RING2_SIGMA => {
            Some("ring 2 requires sigma_eff >= 0.60")
        }
        _ => None,
    };
    let reason = reason.or(if i.agent_ring.level() > i.required_ring.level() {
        Some("agent ring is less privileged than the required ring")
    } else {
        None
    });
    CheckResult {
        allowed: reason.is_none(),
        required_ring: i.required_ring,
        agent_ring: i.agent_ring,
        sigma_eff: i.sigma_eff,
        reason: reason.unwrap_or("allowed"),
        requires_consensus: i.required_ring == Ring::Privileged,
        requires_sre_witness: i.required_ring == Ring::Root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_boundaries_are_strict() {
        assert_eq!(compute_ring(0.60, false), Ring::Sandbox);
        assert_eq!(compute_ring(0.61, false), Ring::Standard);
        assert_eq!(compute_ring(0.95, true), Ring::Standard);
        assert_eq!(compute_ring(0.96, false), Ring::Standard);
        assert_eq!(compute_ring(0.96, true), Ring::Privileged);
        assert_eq!(compute_ring(1.0, true), Ring::Privileged);
        assert_eq!(compute_ring(0.0, true), Ring::Sandbox);
    }

    fn input(req: Ring, agent: Ring, s: f64) -> CheckInput {
        CheckInput {
            required_ring: req,
            agent_ring: agent,
            sigma_eff: s,
            has_consensus: false,
            has_sre_witness: false,
        }
    }

    #[test]
    fn check_rules_in_order() {
        let r = check(input(Ring::Root, Ring::Root, 1.0));
        assert!(!r.allowed && r.requires_sre_witness);
        assert_eq!(r.reason, "ring 0 requires an SRE witness");
        let r = check(CheckInput {
            has_sre_witness: true,
            ..input(Ring::Root, Ring::Standard, 1.0)
        });
        assert!(!r.allowed);
        let r = check(input(Ring::Privileged, Ring::Privileged, 0.94));
        assert_eq!(r.reason, "ring 1 requires sigma_eff >= 0.95");
        let r = check(input(Ring::Privileged, Ring::Privileged, 0.95));
        assert_eq!(r.reason, "ring 1 requires consensus");
        let r = check(CheckInput {
            has_consensus: true,
            ..input(Ring::Privileged, Ring::Privileged, 0.95)
        });
        assert!(r.allowed && r.requires_consensus);
        assert!(!check(input(Ring::Standard, Ring::Standard, 0.59)).allowed);
        assert!(check(input(Ring::Standard, Ring::Standard, 0.60)).allowed);
        assert!(!check(input(Ring::Standard, Ring::Sandbox, 0.9)).allowed);
        assert!(check(input(Ring::Sandbox, Ring::Sandbox, 0.0)).allowed);
    }
}
