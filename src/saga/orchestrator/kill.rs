//! The kill switch's side of a saga: finding an agent's in-flight steps, handing a step to a
//! substitute, marking the saga for compensation, aborting it.

use serde::Serialize;

use super::Saga;
use crate::error::{Error, Result};
use crate::ids::validate_id;
use crate::model::Timestamp;
use crate::saga::state::{SagaEvent, SagaState, StepEvent, StepState};

/// Result of a kill-switch handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handoff {
    /// The step reassigned.
    pub step_id: String,
    /// The previous agent.
    pub from_agent: String,
    /// The new agent.
    pub to_agent: String,
    /// True when an executing attempt was abandoned (the step is pending again; the engine
    /// releases the step's locks).
    pub abandoned_attempt: bool,
}

impl Saga {
    /// Ids of `agent_did`'s in-flight (pending or executing) steps, in order — what the kill
    /// switch hands off. Empty unless the saga is running.
    pub fn in_flight_steps_of(&self, agent_did: &str) -> Vec<String> {
        if self.state() != SagaState::Running {
            return Vec::new();
        }
        self.steps
            .iter()
            .filter(|s| {
                s.agent_did == agent_did
                    && matches!(s.state(), StepState::Pending | StepState::Executing)
            })
            .map(|s| s.step_id.clone())
            .collect()
    }

    /// Kill switch: reassigns a pending or executing step to `new_agent` (saga running, else
    /// `INVALID_SAGA_STATE`; other step states `INVALID_STEP_STATE`). An executing attempt is
    /// abandoned: the step goes back to pending (a late `end_step` from the old agent is then
    /// refused) and the new agent begins it afresh; abandoned attempts do not use up retries.
    pub fn handoff(&mut self, step_id: &str, new_agent: &str) -> Result<Handoff> {
        validate_id(new_agent, "to_agent")?;
        self.require_running()?;
        let pos = self.position(step_id)?;
        let step = self.step_at(pos)?;
        let was_executing = match step.state() {
            StepState::Pending => false,
            StepState::Executing => true,
            _ => return Err(step.wrong_state("pending or executing")),
        };
        step.apply(StepEvent::Handoff)?;
        let from_agent = std::mem::replace(&mut step.agent_did, new_agent.to_owned());
        if was_executing {
            step.deadline = None;
            step.error = Some(format!(
                "attempt {} abandoned: step handed off from '{from_agent}'",
                step.attempts
            ));
        }
        Ok(Handoff {
            step_id: step.step_id.clone(),
            from_agent,
            to_agent: new_agent.to_owned(),
            abandoned_attempt: was_executing,
        })
    }

    /// Kill switch without a substitute: flags a running saga for compensation. Executing steps
    /// may still end, but no step may begin and `complete` is refused; the saga is rolled back
    /// by `compensate_begin`. Returns true when the flag was newly set (false when already set
    /// or the saga is not running).
    pub fn mark_for_compensation(&mut self) -> bool {
        if self.state() != SagaState::Running || self.compensation_required {
            return false;
        }
        self.compensation_required = true;
        true
    }

    /// Abandons a running or compensating saga (e.g. its session ended): → failed with
    /// `reason` as its error. Steps are left as they are; later step reports are refused.
    pub fn abort(&mut self, reason: &str, now: Timestamp) -> Result<()> {
        self.state.apply(SagaEvent::Abort).map_err(|e| {
            Error::new(
                e.code(),
                format!("saga '{}': {}", self.saga_id, e.message()),
            )
            .with_detail("saga_id", self.saga_id.as_str())
        })?;
        self.error = Some(reason.to_owned());
        self.completed_at = Some(now);
        Ok(())
    }
}
