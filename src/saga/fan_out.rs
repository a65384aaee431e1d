//! Fan-out groups: steps of one saga run in parallel, judged together by a policy.
//!
//! The engine runs the branches as governed steps (begin/end); a group only names them and
//! evaluates the policy over their states. A branch counts as a success once it committed
//! (committed, or any compensation state reached from committed), as a failure once it failed
//! for good, and as unsettled otherwise (pending, executing).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::orchestrator::Saga;
use super::state::{SagaState, StepState};
use crate::error::{Code, Error, Result};
use crate::ids::validate_id;

/// How a fan-out group's outcome is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanOutPolicy {
    /// Every branch must commit.
    AllMustSucceed,
    /// Strictly more than half of the branches must commit.
    MajorityMustSucceed,
    /// At least one branch must commit.
    AnyMustSucceed,
}

impl FanOutPolicy {
    /// Every policy.
    pub const ALL: [FanOutPolicy; 3] = [
        FanOutPolicy::AllMustSucceed,
        FanOutPolicy::MajorityMustSucceed,
        FanOutPolicy::AnyMustSucceed,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FanOutPolicy::AllMustSucceed => "all_must_succeed",
            FanOutPolicy::MajorityMustSucceed => "majority_must_succeed",
            FanOutPolicy::AnyMustSucceed => "any_must_succeed",
        }
    }

    /// The policy with this wire name.
    pub fn from_name(name: &str) -> Option<FanOutPolicy> {
        FanOutPolicy::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// True when `successes` out of `total` branches satisfy the policy.
    pub fn is_satisfied(self, successes: usize, total: usize) -> bool {
        match self {
            FanOutPolicy::AllMustSucceed => total > 0 && successes == total,
            FanOutPolicy::MajorityMustSucceed => successes.saturating_mul(2) > total,
            FanOutPolicy::AnyMustSucceed => successes >= 1,
        }
    }
}

/// A fan-out group (`saga.fan_out.create`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FanOutGroup {
    group_id: String,
    saga_id: String,
    policy: FanOutPolicy,
    step_ids: Vec<String>,
}

/// The policy evaluation (`saga.fan_out.resolve`, `hv_saga_fan_out`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FanOutResult {
    /// The group.
    pub group_id: String,
    /// Its policy.
    pub policy: FanOutPolicy,
    /// Whether the committed branches satisfy the policy.
    pub policy_satisfied: bool,
    /// Branches that committed.
    pub success_count: usize,
    /// Branches that failed for good.
    pub failure_count: usize,
    /// Branches still pending or executing.
    pub pending_count: usize,
    /// True when no branch is pending or executing.
    pub settled: bool,
    /// When the policy fails: every branch still committed, in group order (else empty).
    pub compensation_needed: Vec<String>,
}

impl FanOutGroup {
    /// Validates and creates a group over `step_ids` of a running saga (`INVALID_SAGA_STATE`
    /// otherwise): at least 2 ids (`INVALID_ARGUMENT` on `step_ids`), each a step of the saga
    /// and none repeated (`INVALID_ARGUMENT` naming `step_ids[i]`). The number of ids is thus
    /// bounded by the saga's step count.
    pub fn create(
        group_id: String,
        saga: &Saga,
        policy: FanOutPolicy,
        step_ids: Vec<String>,
    ) -> Result<FanOutGroup> {
        validate_id(&group_id, "group_id")?;
        if saga.state() != SagaState::Running {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga '{}' is {}, must be running",
                    saga.saga_id(),
                    saga.state().as_str()
                ),
            )
            .with_detail("saga_id", saga.saga_id())
            .with_detail("state", saga.state().as_str()));
        }
        if step_ids.len() < 2 {
            return Err(Error::invalid(
                "step_ids",
                format!(
                    "a fan-out needs at least 2 step ids, got {}",
                    step_ids.len()
                ),
            ));
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(step_ids.len());
        for (i, id) in step_ids.iter().enumerate() {
            if saga.step(id).is_none() {
                return Err(Error::invalid(
                    format!("step_ids[{i}]"),
                    format!("step '{id}' is not in saga '{}'", saga.saga_id()),
                ));
            }
            if let Some(j) = seen.insert(id.as_str(), i) {
                return Err(Error::invalid(
                    format!("step_ids[{i}]"),
                    format!("duplicate step id '{id}' (also step_ids[{j}])"),
                ));
            }
        }
        Ok(FanOutGroup {
            group_id,
            saga_id: saga.saga_id().to_owned(),
            policy,
            step_ids,
        })
    }

    /// Group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }
    /// Owning saga id.
    pub fn saga_id(&self) -> &str {
        &self.saga_id
    }
    /// Policy.
    pub fn policy(&self) -> FanOutPolicy {
        self.policy
    }
    /// Branch step ids, in the order given.
    pub fn step_ids(&self) -> &[String] {
        &self.step_ids
    }

    /// Evaluates the policy over the branches' current states. `saga` must be the group's saga
    /// (`INVALID_ARGUMENT` on `saga_id` otherwise).
    pub fn resolve(&self, saga: &Saga) -> Result<FanOutResult> {
        if saga.saga_id() != self.saga_id {
            return Err(Error::invalid(
                "saga_id",
                format!(
                    "group '{}' belongs to saga '{}', not '{}'",
                    self.group_id,
                    self.saga_id,
                    saga.saga_id()
                ),
            ));
        }
        let mut success_count = 0;
        let mut failure_count = 0;
        let mut pending_count = 0;
        let mut committed = Vec::new();
        for id in &self.step_ids {
            let state = saga.step(id).map(|s| s.state()).ok_or_else(|| {
                Error::new(
                    Code::STEP_NOT_FOUND,
                    format!("step '{id}' of group '{}' not found", self.group_id),
                )
                .with_detail("step_id", id.as_str())
            })?;
            if state.has_committed() {
                success_count += 1;
                if state == StepState::Committed {
                    committed.push(id);
                }
            } else if state == StepState::Failed {
                failure_count += 1;
            } else {
                pending_count += 1;
            }
        }
        let policy_satisfied = self.policy.is_satisfied(success_count, self.step_ids.len());
        let compensation_needed = if policy_satisfied {
            Vec::new()
        } else {
            committed.into_iter().cloned().collect()
        };
        Ok(FanOutResult {
            group_id: self.group_id.clone(),
            policy: self.policy,
            policy_satisfied,
            success_count,
            failure_count,
            pending_count,
            settled: pending_count == 0,
            compensation_needed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IsolationLevel, Timestamp};
    use crate::saga::StepSpec;

    const T0: Timestamp = Timestamp(1_767_225_600_000_000);

    fn saga(n: usize) -> Saga {
        let mut s =
            Saga::new("saga1".into(), "sess1".into(), IsolationLevel::Snapshot, T0).unwrap();
        for i in 0..n {
            let spec = StepSpec {
                action_id: "act".into(),
                agent_did: format!("did:ex:{i}"),
                execute_api: "/x".into(),
                undo_api: Some("/undo".into()),
                ..Default::default()
            };
            s.add_step(spec, format!("b{i}"), 100).unwrap();
        }
        s
    }

    fn run(s: &mut Saga, id: &str, ok: bool) {
        s.begin_step(id, T0).unwrap();
        s.end_step(id, ok, None, None, T0, 1000).unwrap();
    }

    fn group(s: &Saga, policy: FanOutPolicy, n: usize) -> FanOutGroup {
        let ids = (0..n).map(|i| format!("b{i}")).collect();
        FanOutGroup::create("g1".into(), s, policy, ids).unwrap()
    }

    #[test]
    fn majority_two_of_three_is_satisfied() {
        let mut s = saga(3);
        run(&mut s, "b0", true);
        run(&mut s, "b1", true);
        run(&mut s, "b2", false);
        let r = group(&s, FanOutPolicy::MajorityMustSucceed, 3)
            .resolve(&s)
            .unwrap();
        assert!(r.policy_satisfied);
        assert_eq!((r.success_count, r.failure_count), (2, 1));
        assert!(r.settled);
        assert!(r.compensation_needed.is_empty());
    }

    #[test]
    fn majority_one_of_three_fails_and_lists_committed() {
        let mut s = saga(3);
        run(&mut s, "b0", false);
        run(&mut s, "b1", true);
        run(&mut s, "b2", false);
        let r = group(&s, FanOutPolicy::MajorityMustSucceed, 3)
            .resolve(&s)
            .unwrap();
        assert!(!r.policy_satisfied);
        assert_eq!((r.success_count, r.failure_count), (1, 2));
        assert_eq!(r.compensation_needed, vec!["b1".to_string()]);
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["policy"], "majority_must_succeed");
    }

    #[test]
    fn majority_is_strict() {
        assert!(!FanOutPolicy::MajorityMustSucceed.is_satisfied(2, 4));
        assert!(FanOutPolicy::MajorityMustSucceed.is_satisfied(3, 4));
    }

    #[test]
    fn any_policy() {
        let mut s = saga(3);
        run(&mut s, "b0", false);
        run(&mut s, "b1", false);
        run(&mut s, "b2", true);
        let g = group(&s, FanOutPolicy::AnyMustSucceed, 3);
        assert!(g.resolve(&s).unwrap().policy_satisfied);
        let mut s = saga(2);
        run(&mut s, "b0", false);
        run(&mut s, "b1", false);
        let r = group(&s, FanOutPolicy::AnyMustSucceed, 2)
            .resolve(&s)
            .unwrap();
        assert!(!r.policy_satisfied);
        assert!(r.compensation_needed.is_empty());
    }

    #[test]
    fn all_policy() {
        let mut s = saga(3);
        run(&mut s, "b0", true);
        run(&mut s, "b1", true);
        let g = group(&s, FanOutPolicy::AllMustSucceed, 3);
        let r = g.resolve(&s).unwrap();
        assert!(!r.policy_satisfied);
        assert!(!r.settled);
        assert_eq!(r.pending_count, 1);
        assert_eq!(
            r.compensation_needed,
            vec!["b0".to_string(), "b1".to_string()]
        );
        run(&mut s, "b2", true);
        let r = g.resolve(&s).unwrap();
        assert!(r.policy_satisfied);
        assert!(r.compensation_needed.is_empty());
    }

    #[test]
    fn create_validation_names_the_entry() {
        let s = saga(3);
        let e = FanOutGroup::create(
            "g".into(),
            &s,
            FanOutPolicy::AnyMustSucceed,
            vec!["b0".into()],
        )
        .unwrap_err();
        assert_eq!(e.code(), Code::INVALID_ARGUMENT);
        assert_eq!(e.details().unwrap()["field"], "step_ids");
        let e = FanOutGroup::create(
            "g".into(),
            &s,
            FanOutPolicy::AnyMustSucceed,
            vec!["b0".into(), "nope".into()],
        )
        .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "step_ids[1]");
        let e = FanOutGroup::create(
            "g".into(),
            &s,
            FanOutPolicy::AnyMustSucceed,
            vec!["b0".into(), "b1".into(), "b0".into()],
        )
        .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "step_ids[2]");
        assert!(e.message().contains("duplicate"));
        let e = FanOutGroup::create(
            "bad id".into(),
            &s,
            FanOutPolicy::AnyMustSucceed,
            vec!["b0".into(), "b1".into()],
        )
        .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "group_id");
    }

    #[test]
    fn create_needs_a_running_saga_and_resolve_the_right_saga() {
        let mut s = saga(2);
        let g = group(&s, FanOutPolicy::AllMustSucceed, 2);
        let other = saga(2);
        let mut other2 =
            Saga::new("saga2".into(), "sess1".into(), IsolationLevel::Snapshot, T0).unwrap();
        assert!(g.resolve(&other).is_ok());
        assert_eq!(
            g.resolve(&other2).unwrap_err().details().unwrap()["field"],
            "saga_id"
        );
        other2.abort("gone", T0).unwrap();
        s.abort("gone", T0).unwrap();
        let e = FanOutGroup::create(
            "g".into(),
            &s,
            FanOutPolicy::AnyMustSucceed,
            vec!["b0".into(), "b1".into()],
        )
        .unwrap_err();
        assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    }

    #[test]
    fn policy_names_round_trip() {
        for p in FanOutPolicy::ALL {
            assert_eq!(FanOutPolicy::from_name(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert_eq!(FanOutPolicy::from_name("most"), None);
    }
}
