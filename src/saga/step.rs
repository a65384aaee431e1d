//! One saga step: its specification, its wire shape (API.md §4.5 Step) and its state machine.
//!
//! Every field is private to the `saga` module; the engine reads them through getters and
//! changes them only through [`super::Saga`]'s operations, so a step's bookkeeping (attempts,
//! deadline, result, …) can never disagree with its state.

use serde::{Deserialize, Serialize};

use super::state::{StepEvent, StepMachine, StepState};
use crate::config::{
    CHECKPOINT_GOAL_MAX_BYTES, STEP_DEFAULT_TIMEOUT_SECS, STEP_MAX_RESOURCES, STEP_MAX_RETRIES,
    STEP_MAX_TIMEOUT_SECS,
};
use crate::error::{Code, Error, Result};
use crate::ids::{validate_api_path, validate_id, MAX_API_PATH_BYTES};
use crate::model::Timestamp;

/// Lock intent on a declared resource. Only read+read share a resource.
/// (The lead unifies this with the lock table's intent.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Shared read.
    Read,
    /// Write (exclusive against everyone else).
    Write,
    /// Exclusive.
    Exclusive,
}

/// A resource a step declares, locked while it executes in a `serializable` saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// VFS path.
    pub path: String,
    /// Lock intent.
    pub intent: Intent,
}

/// What `saga.add_step` supplies (the step id is passed separately: the engine mints one when
/// the request has none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepSpec {
    /// The action the step performs.
    pub action_id: String,
    /// The agent that runs it.
    pub agent_did: String,
    /// API invoked to execute it.
    pub execute_api: String,
    /// API invoked to undo it; without one, compensation of the step fails.
    pub undo_api: Option<String>,
    /// Seconds per attempt, 1..=`STEP_MAX_TIMEOUT_SECS` (default `STEP_DEFAULT_TIMEOUT_SECS`).
    pub timeout_seconds: Option<u32>,
    /// Retries after the first attempt, 0..=`STEP_MAX_RETRIES` (default 0).
    pub max_retries: Option<u32>,
    /// Declared resources (at most `STEP_MAX_RESOURCES`).
    pub resources: Vec<Resource>,
    /// Semantic goal saved as a checkpoint when the step commits.
    pub checkpoint_goal: Option<String>,
}

/// A saga step (API.md §4.5 Step). Serialises to the wire shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub(super) step_id: String,
    pub(super) saga_id: String,
    pub(super) action_id: String,
    pub(super) agent_did: String,
    pub(super) execute_api: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) undo_api: Option<String>,
    pub(super) timeout_seconds: u32,
    pub(super) max_retries: u32,
    pub(super) state: StepMachine,
    pub(super) attempts: u32,
    pub(super) retry_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) result: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) completed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) deadline: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) failed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) retry_due_at: Option<Timestamp>,
    pub(super) resources: Vec<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) checkpoint_goal: Option<String>,
}

impl Step {
    /// Validates `spec` and builds a pending step. Field names in errors are the request's.
    pub(super) fn new(spec: StepSpec, step_id: String, saga_id: &str) -> Result<Step> {
        validate_id(&step_id, "step_id")?;
        validate_id(&spec.action_id, "action_id")?;
        validate_id(&spec.agent_did, "agent_did")?;
        validate_api_path(&spec.execute_api, "execute_api")?;
        if let Some(u) = &spec.undo_api {
            validate_api_path(u, "undo_api")?;
        }
        let timeout_seconds = spec.timeout_seconds.unwrap_or(STEP_DEFAULT_TIMEOUT_SECS);
        if !(1..=STEP_MAX_TIMEOUT_SECS).contains(&timeout_seconds) {
            return Err(Error::out_of_range(
                "timeout_seconds",
                format!("must be 1..={STEP_MAX_TIMEOUT_SECS}, got {timeout_seconds}"),
            ));
        }
        let max_retries = spec.max_retries.unwrap_or(0);
        if max_retries > STEP_MAX_RETRIES {
            return Err(Error::out_of_range(
                "max_retries",
                format!("must be 0..={STEP_MAX_RETRIES}, got {max_retries}"),
            ));
        }
        validate_resources(&spec.resources)?;
        if let Some(g) = &spec.checkpoint_goal {
            validate_goal(g, "checkpoint_goal")?;
        }
        Ok(Step {
            step_id,
            saga_id: saga_id.to_owned(),
            action_id: spec.action_id,
            agent_did: spec.agent_did,
            execute_api: spec.execute_api,
            undo_api: spec.undo_api,
            timeout_seconds,
            max_retries,
            state: StepMachine::new(),
            attempts: 0,
            retry_count: 0,
            error: None,
            result: None,
            started_at: None,
            completed_at: None,
            deadline: None,
            failed_at: None,
            retry_due_at: None,
            resources: spec.resources,
            checkpoint_goal: spec.checkpoint_goal,
        })
    }

    /// Applies `event` through the step table; the error names the step, its state and the event.
    pub(super) fn apply(&mut self, event: StepEvent) -> Result<StepState> {
        let from = self.state.state();
        self.state.apply(event).map_err(|e| {
            Error::new(
                e.code(),
                format!("step '{}': {}", self.step_id, e.message()),
            )
            .with_detail("step_id", self.step_id.as_str())
            .with_detail("state", from.as_str())
            .with_detail("event", event.as_str())
        })
    }

    /// Makes `self` equal to `src` field by field, reusing `self`'s buffers (a copy of the same
    /// step taken earlier needs no allocation to catch up, unless it gained a result).
    pub(crate) fn refresh_from(&mut self, src: &Step) {
        let Step {
            step_id,
            saga_id,
            action_id,
            agent_did,
            execute_api,
            undo_api,
            timeout_seconds,
            max_retries,
            state,
            attempts,
            retry_count,
            error,
            result,
            started_at,
            completed_at,
            deadline,
            failed_at,
            retry_due_at,
            resources,
            checkpoint_goal,
        } = src;
        self.step_id.clone_from(step_id);
        self.saga_id.clone_from(saga_id);
        self.action_id.clone_from(action_id);
        self.agent_did.clone_from(agent_did);
        self.execute_api.clone_from(execute_api);
        self.undo_api.clone_from(undo_api);
        self.timeout_seconds = *timeout_seconds;
        self.max_retries = *max_retries;
        self.state = *state;
        self.attempts = *attempts;
        self.retry_count = *retry_count;
        self.error.clone_from(error);
        self.result.clone_from(result);
        self.started_at = *started_at;
        self.completed_at = *completed_at;
        self.deadline = *deadline;
        self.failed_at = *failed_at;
        self.retry_due_at = *retry_due_at;
        self.resources.clone_from(resources);
        self.checkpoint_goal.clone_from(checkpoint_goal);
    }

    /// `INVALID_STEP_STATE` for this step: it is in `state` but `needed` is required.
    pub(super) fn wrong_state(&self, needed: &str) -> Error {
        let state = self.state.state();
        Error::new(
            Code::INVALID_STEP_STATE,
            format!(
                "step '{}' is {}, must be {needed}",
                self.step_id,
                state.as_str()
            ),
        )
        .with_detail("step_id", self.step_id.as_str())
        .with_detail("state", state.as_str())
    }

    /// Step id.
    pub fn step_id(&self) -> &str {
        &self.step_id
    }
    /// Owning saga id.
    pub fn saga_id(&self) -> &str {
        &self.saga_id
    }
    /// Action id (ring check, risk weight).
    pub fn action_id(&self) -> &str {
        &self.action_id
    }
    /// The agent currently assigned (changes only by handoff).
    pub fn agent_did(&self) -> &str {
        &self.agent_did
    }
    /// Execute API path.
    pub fn execute_api(&self) -> &str {
        &self.execute_api
    }
    /// Undo API path, if any.
    pub fn undo_api(&self) -> Option<&str> {
        self.undo_api.as_deref()
    }
    /// Seconds per attempt.
    pub fn timeout_seconds(&self) -> u32 {
        self.timeout_seconds
    }
    /// Retries allowed after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }
    /// Current state.
    pub fn state(&self) -> StepState {
        self.state.state()
    }
    /// Attempts begun so far (an attempt abandoned by a handoff counts).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// Retries consumed so far (failures that went back to pending).
    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }
    /// Last error (execution or compensation).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// Result of the committed attempt.
    pub fn result(&self) -> Option<&serde_json::Value> {
        self.result.as_ref()
    }
    /// When the latest attempt began.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.started_at
    }
    /// When the step committed or failed for good.
    pub fn completed_at(&self) -> Option<Timestamp> {
        self.completed_at
    }
    /// Deadline of the executing attempt.
    pub fn deadline(&self) -> Option<Timestamp> {
        self.deadline
    }
    /// When the latest attempt failed.
    pub fn failed_at(&self) -> Option<Timestamp> {
        self.failed_at
    }
    /// When a pending retry becomes due.
    pub fn retry_due_at(&self) -> Option<Timestamp> {
        self.retry_due_at
    }
    /// Declared resources.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    /// Checkpoint goal saved on commit.
    pub fn checkpoint_goal(&self) -> Option<&str> {
        self.checkpoint_goal.as_deref()
    }
}

fn validate_resources(resources: &[Resource]) -> Result<()> {
    if resources.len() > STEP_MAX_RESOURCES {
        return Err(Error::field(
            Code::OUT_OF_RANGE,
            "resources",
            format!(
                "at most {STEP_MAX_RESOURCES} resources per step, got {}",
                resources.len()
            ),
        ));
    }
    for (i, r) in resources.iter().enumerate() {
        let p = &r.path;
        if p.is_empty() || p.len() > MAX_API_PATH_BYTES || p.chars().any(char::is_control) {
            return Err(Error::field(
                Code::INVALID_PATH,
                format!("resources[{i}].path"),
                "must be 1..=2048 bytes without control characters",
            ));
        }
    }
    Ok(())
}

/// Validates a checkpoint goal: non-empty, at most `CHECKPOINT_GOAL_MAX_BYTES`.
pub(super) fn validate_goal(goal: &str, field: &str) -> Result<()> {
    if goal.is_empty() || goal.len() > CHECKPOINT_GOAL_MAX_BYTES {
        return Err(Error::invalid(
            field,
            format!("must be 1..={CHECKPOINT_GOAL_MAX_BYTES} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> StepSpec {
        StepSpec {
            action_id: "pay".into(),
            agent_did: "did:ex:a".into(),
            execute_api: "/pay".into(),
            ..Default::default()
        }
    }

    #[test]
    fn refresh_from_makes_an_equal_copy() {
        let mut other = Step::new(spec(), "s1".into(), "saga1").unwrap();
        let mut s = Step::new(
            StepSpec {
                undo_api: Some("/undo".into()),
                checkpoint_goal: Some("goal".into()),
                resources: vec![Resource {
                    path: "/r".into(),
                    intent: Intent::Write,
                }],
                ..spec()
            },
            "s2".into(),
            "saga2",
        )
        .unwrap();
        s.apply(StepEvent::Begin).unwrap();
        s.attempts = 1;
        s.deadline = Some(Timestamp(5));
        s.apply(StepEvent::Commit).unwrap();
        s.result = Some(serde_json::json!({"k": 1}));
        other.refresh_from(&s);
        assert_eq!(other, s);
        let fresh = Step::new(spec(), "s1".into(), "saga1").unwrap();
        other.refresh_from(&fresh);
        assert_eq!(other, fresh);
    }

    #[test]
    fn defaults_and_wire_shape() {
        let s = Step::new(spec(), "s1".into(), "saga1").unwrap();
        assert_eq!(s.timeout_seconds(), STEP_DEFAULT_TIMEOUT_SECS);
        assert_eq!(s.max_retries(), 0);
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["state"], "pending");
        assert_eq!(j["step_id"], "s1");
        assert_eq!(j["saga_id"], "saga1");
        assert_eq!(j["attempts"], 0);
        assert!(j.get("undo_api").is_none());
        assert!(j.get("deadline").is_none());
    }

    #[test]
    fn validation_names_fields() {
        let cases: Vec<(StepSpec, &str, Code)> = vec![
            (
                StepSpec {
                    action_id: "bad id".into(),
                    ..spec()
                },
                "action_id",
                Code::INVALID_ID,
            ),
            (
                StepSpec {
                    agent_did: "".into(),
                    ..spec()
                },
                "agent_did",
                Code::INVALID_ID,
            ),
            (
                StepSpec {
                    execute_api: "".into(),
                    ..spec()
                },
                "execute_api",
                Code::INVALID_ARGUMENT,
            ),
            (
                StepSpec {
                    undo_api: Some("x".repeat(2049)),
                    ..spec()
                },
                "undo_api",
                Code::INVALID_ARGUMENT,
            ),
            (
                StepSpec {
                    timeout_seconds: Some(0),
                    ..spec()
                },
                "timeout_seconds",
                Code::OUT_OF_RANGE,
            ),
            (
                StepSpec {
                    timeout_seconds: Some(STEP_MAX_TIMEOUT_SECS + 1),
                    ..spec()
                },
                "timeout_seconds",
                Code::OUT_OF_RANGE,
            ),
            (
                StepSpec {
                    max_retries: Some(STEP_MAX_RETRIES + 1),
                    ..spec()
                },
                "max_retries",
                Code::OUT_OF_RANGE,
            ),
            (
                StepSpec {
                    resources: vec![Resource {
                        path: String::new(),
                        intent: Intent::Read,
                    }],
                    ..spec()
                },
                "resources[0].path",
                Code::INVALID_PATH,
            ),
            (
                StepSpec {
                    checkpoint_goal: Some(String::new()),
                    ..spec()
                },
                "checkpoint_goal",
                Code::INVALID_ARGUMENT,
            ),
        ];
        for (s, field, code) in cases {
            let e = Step::new(s, "s1".into(), "saga1").unwrap_err();
            assert_eq!(e.code(), code, "{field}");
            assert_eq!(e.details().unwrap()["field"], field);
        }
        let e = Step::new(spec(), "-x".into(), "saga1").unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "step_id");
        let too_many = vec![
            Resource {
                path: "/a".into(),
                intent: Intent::Write
            };
            STEP_MAX_RESOURCES + 1
        ];
        let e = Step::new(
            StepSpec {
                resources: too_many,
                ..spec()
            },
            "s1".into(),
            "saga1",
        )
        .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "resources");
    }

    #[test]
    fn intent_wire_names() {
        let r: Resource = serde_json::from_str(r#"{"path":"/a","intent":"exclusive"}"#).unwrap();
        assert_eq!(r.intent, Intent::Exclusive);
        assert!(serde_json::from_str::<Resource>(r#"{"path":"/a","intent":"rw"}"#).is_err());
        assert!(
            serde_json::from_str::<Resource>(r#"{"path":"/a","intent":"read","x":1}"#).is_err()
        );
    }

    #[test]
    fn apply_errors_name_the_step() {
        let mut s = Step::new(spec(), "s1".into(), "saga1").unwrap();
        let e = s.apply(StepEvent::Commit).unwrap_err();
        assert_eq!(e.code(), Code::INVALID_STEP_STATE);
        assert!(e.message().contains("'s1'"));
        assert_eq!(e.details().unwrap()["state"], "pending");
        assert_eq!(s.state(), StepState::Pending);
    }
}
