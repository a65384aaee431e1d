//! Semantic checkpoints: a record that a step achieved its goal, so a replay can skip it.
//!
//! One store per saga, holding the latest checkpoint of each step (a new save replaces the old
//! one). Saves are only accepted for steps of the saga, so the store never holds more entries
//! than the saga has steps (itself capped by `max_steps_per_saga`).

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::orchestrator::Saga;
use super::step::validate_goal;
use crate::error::{Code, Error, Result};
use crate::ids::validate_id;
use crate::model::Timestamp;
use crate::security::id_hash::IdMap;

/// A saved checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    checkpoint_id: String,
    saga_id: String,
    step_id: String,
    goal: String,
    goal_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<serde_json::Value>,
    saved_at: Timestamp,
    is_valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    invalidated_reason: Option<String>,
}

impl Checkpoint {
    /// Checkpoint id.
    pub fn checkpoint_id(&self) -> &str {
        &self.checkpoint_id
    }
    /// The step that achieved the goal.
    pub fn step_id(&self) -> &str {
        &self.step_id
    }
    /// The goal as described.
    pub fn goal(&self) -> &str {
        &self.goal
    }
    /// SHA-256 (lowercase hex) of the goal's UTF-8 bytes.
    pub fn goal_hash(&self) -> &str {
        &self.goal_hash
    }
    /// The state snapshot saved with it.
    pub fn state(&self) -> Option<&serde_json::Value> {
        self.state.as_ref()
    }
    /// When it was saved.
    pub fn saved_at(&self) -> Timestamp {
        self.saved_at
    }
    /// False once invalidated.
    pub fn is_valid(&self) -> bool {
        self.is_valid
    }
    /// Why it was invalidated.
    pub fn invalidated_reason(&self) -> Option<&str> {
        self.invalidated_reason.as_deref()
    }
}

/// What `saga.checkpoint.save` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCheckpoint {
    /// The new checkpoint's id.
    pub checkpoint_id: String,
    /// SHA-256 (lowercase hex) of the goal.
    pub goal_hash: String,
}

/// The checkpoints of one saga.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckpointStore {
    saga_id: String,
    by_step: IdMap<String, Checkpoint>,
}

/// SHA-256 (lowercase hex) of a goal's UTF-8 bytes.
pub fn goal_hash(goal: &str) -> String {
    crate::audit::hex32(&Sha256::digest(goal.as_bytes()).into())
}

impl CheckpointStore {
    /// An empty store for `saga_id`.
    pub fn new(saga_id: &str) -> CheckpointStore {
        CheckpointStore {
            saga_id: saga_id.to_owned(),
            by_step: IdMap::default(),
        }
    }

    /// The saga this store belongs to.
    pub fn saga_id(&self) -> &str {
        &self.saga_id
    }

    /// Number of checkpoints held (valid or not).
    pub fn len(&self) -> usize {
        self.by_step.len()
    }

    /// True when no checkpoint is held.
    pub fn is_empty(&self) -> bool {
        self.by_step.is_empty()
    }

    fn check_saga(&self, saga: &Saga) -> Result<()> {
        if saga.saga_id() == self.saga_id {
            Ok(())
        } else {
            Err(Error::invalid(
                "saga_id",
                format!(
                    "checkpoint store of saga '{}' used with saga '{}'",
                    self.saga_id,
                    saga.saga_id()
                ),
            ))
        }
    }

    /// Saves (or replaces) the checkpoint of `step_id`, which must be a step of `saga`
    /// (`STEP_NOT_FOUND`). `goal` is 1..=`CHECKPOINT_GOAL_MAX_BYTES` bytes (`INVALID_ARGUMENT`
    /// on `goal`); `checkpoint_id` is minted by the engine. Any step state is accepted.
    pub fn save(
        &mut self,
        saga: &Saga,
        step_id: &str,
        goal: &str,
        state: Option<serde_json::Value>,
        now: Timestamp,
        checkpoint_id: String,
    ) -> Result<SavedCheckpoint> {
        self.check_saga(saga)?;
        validate_id(&checkpoint_id, "checkpoint_id")?;
        if saga.step(step_id).is_none() {
            return Err(Error::new(
                Code::STEP_NOT_FOUND,
                format!("step '{step_id}' not found in saga '{}'", self.saga_id),
            )
            .with_detail("step_id", step_id));
        }
        validate_goal(goal, "goal")?;
        let hash = goal_hash(goal);
        let saved = SavedCheckpoint {
            checkpoint_id: checkpoint_id.clone(),
            goal_hash: hash.clone(),
        };
        self.by_step.insert(
            step_id.to_owned(),
            Checkpoint {
                checkpoint_id,
                saga_id: self.saga_id.clone(),
                step_id: step_id.to_owned(),
                goal: goal.to_owned(),
                goal_hash: hash,
                state,
                saved_at: now,
                is_valid: true,
                invalidated_reason: None,
            },
        );
        Ok(saved)
    }

    /// Invalidates the checkpoint of `step_id` (`CHECKPOINT_NOT_FOUND` when it has none).
    /// Invalidating twice keeps the first reason. `reason` defaults to "invalidated".
    pub fn invalidate(&mut self, step_id: &str, reason: Option<&str>) -> Result<()> {
        let ck = self.by_step.get_mut(step_id).ok_or_else(|| {
            Error::new(
                Code::CHECKPOINT_NOT_FOUND,
                format!(
                    "no checkpoint for step '{step_id}' in saga '{}'",
                    self.saga_id
                ),
            )
            .with_detail("step_id", step_id)
        })?;
        if ck.is_valid {
            ck.is_valid = false;
            ck.invalidated_reason = Some(reason.unwrap_or("invalidated").to_owned());
        }
        Ok(())
    }

    /// True when `step_id` has a valid checkpoint.
    pub fn is_valid(&self, step_id: &str) -> bool {
        self.by_step.get(step_id).is_some_and(|c| c.is_valid)
    }

    /// The checkpoint of `step_id`, valid or not.
    pub fn get(&self, step_id: &str) -> Option<&Checkpoint> {
        self.by_step.get(step_id)
    }

    /// `saga.replay_plan`: the saga's steps without a valid checkpoint, in step order.
    pub fn replay_plan(&self, saga: &Saga) -> Result<Vec<String>> {
        self.check_saga(saga)?;
        Ok(saga
            .steps()
            .iter()
            .filter(|s| !self.is_valid(s.step_id()))
            .map(|s| s.step_id().to_owned())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IsolationLevel;
    use crate::saga::StepSpec;

    const T0: Timestamp = Timestamp(1_767_225_600_000_000);

    fn saga() -> Saga {
        let mut s =
            Saga::new("saga1".into(), "sess1".into(), IsolationLevel::Snapshot, T0).unwrap();
        for id in ["a", "b", "c"] {
            let spec = StepSpec {
                action_id: "act".into(),
                agent_did: "did:ex:1".into(),
                execute_api: "/x".into(),
                ..Default::default()
            };
            s.add_step(spec, id.into(), 10).unwrap();
        }
        s
    }

    #[test]
    fn save_hashes_the_goal() {
        let s = saga();
        let mut st = CheckpointStore::new("saga1");
        let r = st
            .save(
                &s,
                "a",
                "schema migrated",
                Some(serde_json::json!({"v": 5})),
                T0,
                "ckpt:1".into(),
            )
            .unwrap();
        assert_eq!(r.checkpoint_id, "ckpt:1");
        assert_eq!(r.goal_hash, goal_hash("schema migrated"));
        assert_eq!(
            goal_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(st.is_valid("a"));
        assert_eq!(st.get("a").unwrap().state().unwrap()["v"], 5);
    }

    #[test]
    fn replay_plan_skips_valid_checkpoints_in_order() {
        let s = saga();
        let mut st = CheckpointStore::new("saga1");
        assert_eq!(st.replay_plan(&s).unwrap(), vec!["a", "b", "c"]);
        st.save(&s, "b", "g", None, T0, "ck1".into()).unwrap();
        st.save(&s, "a", "g", None, T0, "ck2".into()).unwrap();
        assert_eq!(st.replay_plan(&s).unwrap(), vec!["c"]);
        st.invalidate("a", Some("state changed")).unwrap();
        assert!(!st.is_valid("a"));
        assert_eq!(st.replay_plan(&s).unwrap(), vec!["a", "c"]);
        st.invalidate("a", Some("again")).unwrap();
        assert_eq!(
            st.get("a").unwrap().invalidated_reason(),
            Some("state changed")
        );
        // A new save makes it valid again.
        st.save(&s, "a", "g2", None, T0, "ck3".into()).unwrap();
        assert!(st.is_valid("a"));
        assert_eq!(st.len(), 2);
    }

    #[test]
    fn errors() {
        let s = saga();
        let mut st = CheckpointStore::new("saga1");
        let e = st.save(&s, "zz", "g", None, T0, "ck".into()).unwrap_err();
        assert_eq!(e.code(), Code::STEP_NOT_FOUND);
        let e = st.save(&s, "a", "", None, T0, "ck".into()).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "goal");
        let e = st.invalidate("a", None).unwrap_err();
        assert_eq!(e.code(), Code::CHECKPOINT_NOT_FOUND);
        let mut other = CheckpointStore::new("saga2");
        let e = other.save(&s, "a", "g", None, T0, "ck".into()).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "saga_id");
        assert!(other.replay_plan(&s).is_err());
    }
}
