//! Compensation of a saga (undo of committed steps in reverse order) and what the engine needs
//! afterwards for fault attribution and slashing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::orchestrator::Saga;
use super::state::{SagaEvent, SagaState, StepEvent, StepState};
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;

/// What `compensate_begin` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompensationStart {
    /// Committed steps with an undo_api, now compensating, in reverse order: the host undoes
    /// them in this order and reports each with `compensate_end`.
    pub step_ids: Vec<String>,
    /// Committed steps without an undo_api, now compensation_failed (reverse order).
    pub unavailable: Vec<String>,
    /// Executing steps past their deadline that were failed as timeouts.
    pub timed_out: Vec<String>,
    /// Set when nothing was left to undo and the saga resolved at once
    /// (completed, or escalated when some step could not be compensated).
    pub resolved: Option<SagaState>,
}

/// What `compensate_end` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompensationProgress {
    /// The step reported.
    pub step_id: String,
    /// Its state: compensated or compensation_failed.
    pub state: StepState,
    /// Compensations still outstanding.
    pub remaining: usize,
    /// Set when this was the last one: completed (all undone) or escalated.
    pub resolved: Option<SagaState>,
}

/// A step whose compensation failed: its agent is slashed on escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationTarget {
    /// The agent assigned to the step.
    pub agent_did: String,
    /// The step's action (its risk weight is the slash's ω).
    pub action_id: String,
    /// The step.
    pub step_id: String,
}

/// One attempted step as `liability.attribute` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentAction {
    /// The step's action.
    pub action_id: String,
    /// The step.
    pub step_id: String,
    /// True when the step committed and was not left un-compensated
    /// (committed, compensating, compensated).
    pub success: bool,
}

/// The input of `liability.attribute` for a saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AgentActions {
    /// agent_did → its attempted steps, in step order.
    pub agent_actions: BTreeMap<String, Vec<AgentAction>>,
    /// The failure step: the earliest execution failure (by failure time, then step order);
    /// failing that, the first step whose compensation failed; none when nothing failed.
    pub failure_step_id: Option<String>,
    /// The failure step's agent.
    pub failure_agent_did: Option<String>,
}

impl Saga {
    /// `saga.compensate.begin`. The saga must be running (a compensating saga is refused, so
    /// steps are never listed twice). A step still executing before its deadline refuses the
    /// call (`INVALID_SAGA_STATE` naming it; wait for it to end); one past its deadline is
    /// failed as a timeout. Then the saga is compensating; committed steps, in reverse order,
    /// go to compensating (listed) or, without an undo_api, straight to compensation_failed.
    /// With nothing to undo the saga resolves at once. Pending steps stay pending.
    pub fn compensate_begin(&mut self, now: Timestamp) -> Result<CompensationStart> {
        self.require_state(SagaState::Running)?;
        if let Some(s) = self
            .steps
            .iter()
            .find(|s| s.state() == StepState::Executing && s.deadline.is_none_or(|d| now <= d))
        {
            let mut e = Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga '{}' cannot begin compensation: step '{}' is still executing",
                    self.saga_id, s.step_id
                ),
            )
            .with_detail("saga_id", self.saga_id.as_str())
            .with_detail("step_id", s.step_id.as_str());
            if let Some(d) = s.deadline {
                e = e.with_detail("deadline", d.to_rfc3339());
            }
            return Err(e);
        }
        // Every check passed: nothing below can fail on caller input.
        let mut timed_out = Vec::new();
        for s in self
            .steps
            .iter_mut()
            .filter(|s| s.state() == StepState::Executing)
        {
            s.apply(StepEvent::Timeout)?;
            s.error = Some(format!(
                "timeout: step '{}' passed its {} s deadline before compensation began",
                s.step_id, s.timeout_seconds
            ));
            s.failed_at = Some(now);
            s.completed_at = Some(now);
            timed_out.push(s.step_id.clone());
        }
        self.state.apply(SagaEvent::BeginCompensation)?;
        let mut step_ids = Vec::new();
        let mut unavailable = Vec::new();
        for s in self
            .steps
            .iter_mut()
            .rev()
            .filter(|s| s.state() == StepState::Committed)
        {
            if s.undo_api.is_some() {
                s.apply(StepEvent::StartCompensation)?;
                step_ids.push(s.step_id.clone());
            } else {
                s.apply(StepEvent::CompensationUnavailable)?;
                s.error = Some("cannot compensate: step has no undo_api".to_owned());
                unavailable.push(s.step_id.clone());
            }
        }
        self.open_compensations = step_ids.len();
        let resolved = if step_ids.is_empty() {
            Some(self.resolve(now)?)
        } else {
            None
        };
        Ok(CompensationStart {
            step_ids,
            unavailable,
            timed_out,
            resolved,
        })
    }

    /// `saga.compensate.end`: the saga must be compensating and the step compensating. When the
    /// last one is reported the saga resolves: all compensated → completed (`error` notes the
    /// rollback), otherwise escalated.
    pub fn compensate_end(
        &mut self,
        step_id: &str,
        ok: bool,
        error: Option<String>,
        now: Timestamp,
    ) -> Result<CompensationProgress> {
        self.require_state(SagaState::Compensating)?;
        let pos = self.position(step_id)?;
        let step = self.step_at(pos)?;
        if step.state() != StepState::Compensating {
            return Err(step.wrong_state("compensating"));
        }
        let state = if ok {
            step.apply(StepEvent::Compensated)?
        } else {
            let st = step.apply(StepEvent::CompensationFailed)?;
            step.error = Some(error.unwrap_or_else(|| "compensation failed".to_owned()));
            st
        };
        let step_id = step.step_id.clone();
        self.open_compensations = self.open_compensations.saturating_sub(1);
        let resolved = if self.open_compensations == 0 {
            Some(self.resolve(now)?)
        } else {
            None
        };
        Ok(CompensationProgress {
            step_id,
            state,
            remaining: self.open_compensations,
            resolved,
        })
    }

    /// Resolves a compensating saga with no open compensation.
    fn resolve(&mut self, now: Timestamp) -> Result<SagaState> {
        let failed: Vec<&str> = self
            .steps
            .iter()
            .filter(|s| s.state() == StepState::CompensationFailed)
            .map(|s| s.step_id.as_str())
            .collect();
        let (event, note) = if failed.is_empty() {
            let cause = match self.failure_step().and_then(|i| self.steps.get(i)) {
                Some(s) => {
                    format!(
                        "saga rolled back after step '{}' failed: {}",
                        s.step_id,
                        s.error.as_deref().unwrap_or("failed")
                    )
                }
                None if self.compensation_required => {
                    "saga rolled back: an agent was killed without a substitute".to_owned()
                }
                None => "saga rolled back".to_owned(),
            };
            (SagaEvent::RolledBack, cause)
        } else {
            let list = failed
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ");
            (
                SagaEvent::Escalate,
                format!("saga escalated: compensation failed for step(s) {list}"),
            )
        };
        let state = self.state.apply(event)?;
        self.error = Some(note);
        self.completed_at = Some(now);
        Ok(state)
    }

    /// Position of the failure step (see [`AgentActions::failure_step_id`]).
    fn failure_step(&self) -> Option<usize> {
        let earliest_failed = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state() == StepState::Failed)
            .min_by_key(|(i, s)| (s.failed_at, *i))
            .map(|(i, _)| i);
        earliest_failed.or_else(|| {
            self.steps
                .iter()
                .position(|s| s.state() == StepState::CompensationFailed)
        })
    }

    /// The steps whose compensation failed (their agents are slashed on escalation), in step
    /// order.
    pub fn escalation_targets(&self) -> Vec<EscalationTarget> {
        self.steps
            .iter()
            .filter(|s| s.state() == StepState::CompensationFailed)
            .map(|s| EscalationTarget {
                agent_did: s.agent_did.clone(),
                action_id: s.action_id.clone(),
                step_id: s.step_id.clone(),
            })
            .collect()
    }

    /// The attribution input for this saga: every attempted step (attempts > 0) grouped by its
    /// current agent, plus the failure step and its agent.
    pub fn agent_actions(&self) -> AgentActions {
        let mut out = AgentActions::default();
        for s in self.steps.iter().filter(|s| s.attempts > 0) {
            out.agent_actions
                .entry(s.agent_did.clone())
                .or_default()
                .push(AgentAction {
                    action_id: s.action_id.clone(),
                    step_id: s.step_id.clone(),
                    success: matches!(
                        s.state(),
                        StepState::Committed | StepState::Compensating | StepState::Compensated
                    ),
                });
        }
        if let Some(s) = self.failure_step().and_then(|i| self.steps.get(i)) {
            out.failure_step_id = Some(s.step_id.clone());
            out.failure_agent_did = Some(s.agent_did.clone());
        }
        out
    }
}
