//! Fault attribution after a failure (API.md §4.4 `liability.attribute`).
//!
//! **This is a heuristic** (the seed's), not a causal or Shapley computation. Each agent of
//! `agent_actions` gets a raw score from three components:
//!
//! * **direct cause** (weight 0.5): the `failure_agent_did`, when it has an action at
//!   `failure_step_id` (whatever that action's `success` flag says: the caller names it as
//!   the failure). Only that agent has `is_direct_cause = true`.
//! * **enabling failures** (0.3 shared): every *other* failed action (any agent, the direct
//!   cause's other failures included); the 0.3 is split by each agent's count of such
//!   failures.
//! * **risk proximity** (0.2 shared): split among agents that have at least one action, in
//!   proportion to their risk weight (`risk_weights[did]`, default
//!   [`ATTRIBUTION_DEFAULT_RISK`]). If those weights sum to 0 the component is dropped.
//!
//! Scores are then normalised to sum to 1 (the raw value is kept as `causal_contribution`).
//! If every raw score is 0, the liability is spread evenly. The root cause is the highest
//! score; ties go to the direct cause, then to the smallest DID. Attributions are listed by
//! descending score, ties by DID.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{ATTRIBUTION_DEFAULT_RISK, ATTRIBUTION_WEIGHTS};
use crate::error::{Error, Result};
use crate::model::check_score;

/// One action an agent performed in the failed run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentAction {
    /// The action's id.
    pub action_id: String,
    /// The saga step it ran in.
    pub step_id: String,
    /// Whether it succeeded.
    pub success: bool,
}

/// One agent's share of the fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultAttribution {
    /// The agent.
    pub agent_did: String,
    /// Normalised share in [0, 1]; all shares sum to 1.
    pub liability_score: f64,
    /// Raw score before normalisation.
    pub causal_contribution: f64,
    /// True for the agent whose action failed at the failure step.
    pub is_direct_cause: bool,
}

/// The `liability.attribute` response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionResult {
    /// Engine-minted id (`attr:…`).
    pub attribution_id: String,
    /// One entry per agent of `agent_actions`, highest score first.
    pub attributions: Vec<FaultAttribution>,
    /// The agent with the highest score.
    pub root_cause_agent: String,
}

impl AttributionResult {
    /// The score of one agent (0 when absent).
    pub fn score_of(&self, agent_did: &str) -> f64 {
        self.attributions
            .iter()
            .find(|a| a.agent_did == agent_did)
            .map_or(0.0, |a| a.liability_score)
    }
}

/// Attributes a failure (see the module docs for the heuristic).
///
/// Errors: `agent_actions` empty → `INVALID_ARGUMENT` (`agent_actions`);
/// `failure_agent_did` not a key of `agent_actions` → `INVALID_ARGUMENT`
/// (`failure_agent_did`); a risk weight outside [0, 1] → `OUT_OF_RANGE`
/// (`risk_weights.<did>`). Risk weights for agents absent from `agent_actions` are ignored.
pub fn attribute(
    agent_actions: &BTreeMap<String, Vec<AgentAction>>,
    failure_step_id: &str,
    failure_agent_did: &str,
    risk_weights: &BTreeMap<String, f64>,
    attribution_id: String,
) -> Result<AttributionResult> {
    if agent_actions.is_empty() {
        return Err(Error::invalid(
            "agent_actions",
            "must name at least one agent",
        ));
    }
    let Some(failing) = agent_actions.get(failure_agent_did) else {
        return Err(Error::invalid(
            "failure_agent_did",
            format!("'{failure_agent_did}' is not a key of agent_actions"),
        ));
    };
    for (did, w) in risk_weights {
        check_score(*w, &format!("risk_weights.{did}"))?;
    }
    let (w_direct, w_enabling, w_risk) = ATTRIBUTION_WEIGHTS;
    let is_root =
        |did: &str, a: &AgentAction| did == failure_agent_did && a.step_id == failure_step_id;
    let has_direct = failing.iter().any(|a| a.step_id == failure_step_id);

    let enabling_count = |did: &str, acts: &[AgentAction]| {
        acts.iter()
            .filter(|a| !a.success && !is_root(did, a))
            .count()
    };
    let total_enabling: usize = agent_actions
        .iter()
        .map(|(d, acts)| enabling_count(d, acts))
        .sum();
    let risk_of = |did: &str, acts: &[AgentAction]| {
        if acts.is_empty() {
            0.0
        } else {
            risk_weights
                .get(did)
                .copied()
                .unwrap_or(ATTRIBUTION_DEFAULT_RISK)
        }
    };
    let total_risk: f64 = agent_actions.iter().map(|(d, a)| risk_of(d, a)).sum();

    let mut rows: Vec<FaultAttribution> = agent_actions
        .iter()
        .map(|(did, acts)| {
            let direct = has_direct && did == failure_agent_did;
            let mut raw = if direct { w_direct } else { 0.0 };
            if total_enabling > 0 {
                raw += w_enabling * enabling_count(did, acts) as f64 / total_enabling as f64;
            }
            if total_risk > 0.0 {
                raw += w_risk * risk_of(did, acts) / total_risk;
            }
            FaultAttribution {
                agent_did: did.clone(),
                liability_score: 0.0,
                causal_contribution: raw,
                is_direct_cause: direct,
            }
        })
        .collect();

    let total: f64 = rows.iter().map(|r| r.causal_contribution).sum();
    let even = 1.0 / rows.len() as f64;
    for r in &mut rows {
        r.liability_score = if total > 0.0 {
            r.causal_contribution / total
        } else {
            even
        };
    }
    // Highest first; ties: direct cause first, then DID (rows are already DID-sorted and the
    // sort is stable).
    rows.sort_by(|a, b| {
        b.liability_score
            .total_cmp(&a.liability_score)
            .then(b.is_direct_cause.cmp(&a.is_direct_cause))
    });
    let root_cause_agent = rows
        .first()
        .map(|r| r.agent_did.clone())
        .unwrap_or_default();
    Ok(AttributionResult {
        attribution_id,
        attributions: rows,
        root_cause_agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn act(id: &str, step: &str, ok: bool) -> AgentAction {
        AgentAction {
            action_id: id.into(),
            step_id: step.into(),
            success: ok,
        }
    }

    fn run(
        actions: &[(&str, Vec<AgentAction>)],
        step: &str,
        agent: &str,
        risks: &[(&str, f64)],
    ) -> Result<AttributionResult> {
        let m = actions
            .iter()
            .map(|(d, a)| (d.to_string(), a.clone()))
            .collect();
        let r = risks.iter().map(|(d, w)| (d.to_string(), *w)).collect();
        attribute(&m, step, agent, &r, "attr:1".into())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn exact_numbers_all_components() {
        let r = run(
            &[
                ("a", vec![act("x1", "s1", false)]),
                ("b", vec![act("x0", "s0", false), act("x2", "s2", true)]),
                ("c", vec![act("x3", "s3", true)]),
            ],
            "s1",
            "a",
            &[("a", 0.6), ("b", 0.2), ("c", 0.2)],
        )
        .unwrap();
        // a: 0.5 + 0.2×0.6 = 0.62; b: 0.3 + 0.04 = 0.34; c: 0.04. Total 1.
        assert!(close(r.score_of("a"), 0.62));
        assert!(close(r.score_of("b"), 0.34));
        assert!(close(r.score_of("c"), 0.04));
        assert_eq!(r.root_cause_agent, "a");
        let names: Vec<&str> = r
            .attributions
            .iter()
            .map(|a| a.agent_did.as_str())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(r.attributions[0].is_direct_cause);
        assert!(!r.attributions[1].is_direct_cause);
    }

    #[test]
    fn normalises_and_defaults_risk() {
        // No enabling failures: raw a = 0.5 + 0.1, b = 0.1 (default risks 0.5 each).
        let r = run(
            &[
                ("a", vec![act("x1", "s1", false)]),
                ("b", vec![act("x2", "s2", true)]),
                ("idle", vec![]),
            ],
            "s1",
            "a",
            &[],
        )
        .unwrap();
        assert!(close(r.score_of("a"), 0.6 / 0.7));
        assert!(close(r.score_of("b"), 0.1 / 0.7));
        assert_eq!(r.score_of("idle"), 0.0);
        assert_eq!(r.attributions.len(), 3);
        let a = &r.attributions[0];
        assert!(close(a.causal_contribution, 0.6));
    }

    #[test]
    fn enabling_share_split_by_failure_counts() {
        let r = run(
            &[
                ("a", vec![act("x1", "s1", false), act("x9", "s9", false)]),
                ("b", vec![act("x2", "s2", false), act("x3", "s3", false)]),
            ],
            "s1",
            "a",
            &[("a", 0.0), ("b", 0.0)],
        )
        .unwrap();
        // Enabling failures: a has 1 (x9), b has 2 → 0.1 and 0.2. Risk dropped (weights 0).
        assert!(close(r.attributions[0].causal_contribution, 0.6));
        assert!(close(r.score_of("a"), 0.6 / 0.8));
        assert!(close(r.score_of("b"), 0.2 / 0.8));
    }

    #[test]
    fn all_zero_spreads_evenly_and_ties_prefer_direct_cause() {
        // Failure agent has no action at the failure step: no direct cause at all.
        let r = run(
            &[("b", vec![act("x", "s2", true)]), ("a", vec![])],
            "s1",
            "a",
            &[("b", 0.0)],
        )
        .unwrap();
        assert!(r.attributions.iter().all(|a| close(a.liability_score, 0.5)));
        assert!(r.attributions.iter().all(|a| !a.is_direct_cause));
        assert_eq!(r.root_cause_agent, "a"); // smallest DID
                                             // Tie between direct cause "z" and "b": z wins.
        let r = run(
            &[
                ("b", vec![act("x", "s0", false)]),
                ("z", vec![act("y", "s1", false)]),
            ],
            "s1",
            "z",
            &[("b", 1.0), ("z", 0.0)],
        )
        .unwrap();
        // b: 0.3 + 0.2 = 0.5; z: 0.5.
        assert!(close(r.score_of("b"), r.score_of("z")));
        assert_eq!(r.root_cause_agent, "z");
    }

    #[test]
    fn errors_name_fields() {
        let e = run(&[], "s", "a", &[]).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "agent_actions");
        let e = run(&[("b", vec![])], "s", "a", &[]).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "failure_agent_did");
        let e = run(&[("a", vec![])], "s", "a", &[("a", 2.0)]).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "risk_weights.a");
    }

    fn arb_actions() -> impl Strategy<Value = BTreeMap<String, Vec<AgentAction>>> {
        proptest::collection::btree_map(
            (0u8..6).prop_map(|i| format!("a{i}")),
            proptest::collection::vec(
                ((0u8..4).prop_map(|s| format!("s{s}")), any::<bool>())
                    .prop_map(|(s, ok)| act("x", &s, ok)),
                0..4,
            ),
            1..6,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn scores_sum_to_one(
            actions in arb_actions(),
            pick in 0usize..6,
            step in 0u8..4,
            weights in proptest::collection::vec(0.0f64..=1.0, 6),
        ) {
            let keys: Vec<String> = actions.keys().cloned().collect();
            let agent = &keys[pick % keys.len()];
            let risks = keys.iter().zip(&weights).map(|(k, w)| (k.clone(), *w)).collect();
            let r = attribute(&actions, &format!("s{step}"), agent, &risks, "attr:x".into()).unwrap();
            let sum: f64 = r.attributions.iter().map(|a| a.liability_score).sum();
            prop_assert!((sum - 1.0).abs() < 1e-9);
            prop_assert_eq!(r.attributions.len(), actions.len());
            prop_assert!(r.attributions.iter().all(|a| (0.0..=1.0 + 1e-12).contains(&a.liability_score)));
            prop_assert!(r.attributions.iter().filter(|a| a.is_direct_cause).count() <= 1);
            let max = r.attributions.iter().map(|a| a.liability_score).fold(0.0, f64::max);
            prop_assert_eq!(r.score_of(&r.root_cause_agent), max);
        }
    }
}
