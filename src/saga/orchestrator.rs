//! The saga itself: steps, governed execution bookkeeping (begin/end with deadlines and linear
//! retry backoff), completion, kill-switch handoff. Compensation lives in
//! [`super::compensation`].
//!
//! The engine drives a saga with `&mut Saga` and the current time; it performs the governance
//! checks (session, agent, breaker, rate, ring, locks) between [`Saga::check_begin`] and
//! [`Saga::begin_step`], both of which apply the same saga/step checks so nothing can slip in
//! between. Every state change goes through the transition tables of [`super::state`].

use serde::Serialize;

use super::state::{SagaEvent, SagaMachine, SagaState, StepEvent, StepState};
use super::step::{Step, StepSpec};
use crate::error::{Code, Error, Result};
use crate::ids::validate_id;
use crate::model::{IsolationLevel, Timestamp};
use crate::security::id_hash::IdMap;

/// A saga (API.md §4.5 Saga). Serialises to the wire shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saga {
    pub(super) saga_id: String,
    pub(super) session_id: String,
    pub(super) state: SagaMachine,
    pub(super) isolation_level: IsolationLevel,
    pub(super) steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
    pub(super) created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) completed_at: Option<Timestamp>,
    /// Set by the kill switch when an in-flight step had no substitute (see
    /// [`Saga::mark_for_compensation`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) compensation_required: bool,
    /// step_id → position in `steps` (steps are never removed, so positions are stable).
    #[serde(skip)]
    pub(super) index: IdMap<String, usize>,
    /// Steps still in `compensating` while the saga is compensating.
    #[serde(skip)]
    pub(super) open_compensations: usize,
}

/// What `saga.step.begin` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BeginInfo {
    /// The step begun.
    pub step_id: String,
    /// 1-based attempt number.
    pub attempt: u32,
    /// The attempt must end by this time.
    pub deadline: Timestamp,
    /// The step's timeout in milliseconds.
    pub timeout_ms: u64,
}

/// What `saga.step.end` returns (plus flags the engine uses for events and audit).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndOutcome {
    /// The step ended.
    pub step_id: String,
    /// Its state now: committed, pending (a retry follows) or failed (final).
    pub state: StepState,
    /// The attempt that ended.
    pub attempt: u32,
    /// Delay before the retry is due (attempt × base delay), when one follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// The committed result (a copy of the step's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The error recorded for a failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The end came after the deadline (counted as a failure, result discarded).
    pub timed_out: bool,
    /// The step failed for good (no attempts left); the saga stays running.
    pub final_failure: bool,
}

/// What the engine's begin ([`Saga::begin_at`]) returns: [`BeginInfo`] without the step id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Begun {
    /// 1-based attempt number.
    pub attempt: u32,
    /// The attempt must end by this time.
    pub deadline: Timestamp,
    /// The step's timeout in milliseconds.
    pub timeout_ms: u64,
}

/// Whether a begin enforces a pending retry's delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryDelay {
    Enforce,
    Skip,
}

impl RetryDelay {
    fn from_immediate(immediate: bool) -> RetryDelay {
        if immediate {
            RetryDelay::Skip
        } else {
            RetryDelay::Enforce
        }
    }
}

impl Saga {
    /// A new running saga. Both ids are validated (`INVALID_ID` naming the field).
    pub fn new(
        saga_id: String,
        session_id: String,
        isolation_level: IsolationLevel,
        now: Timestamp,
    ) -> Result<Saga> {
        validate_id(&saga_id, "saga_id")?;
        validate_id(&session_id, "session_id")?;
        Ok(Saga {
            saga_id,
            session_id,
            state: SagaMachine::new(),
            isolation_level,
            steps: Vec::new(),
            error: None,
            created_at: now,
            completed_at: None,
            compensation_required: false,
            index: IdMap::default(),
            open_compensations: 0,
        })
    }

    /// Releases spare capacity of the step list and its index (at terminate).
    pub fn shrink_to_fit(&mut self) {
        self.steps.shrink_to_fit();
        self.index.shrink_to_fit();
    }

    /// Adds a pending step. The saga must be running (`INVALID_SAGA_STATE`); a saga holds at
    /// most `max_steps` steps (refuse: `CAPACITY_EXCEEDED`, `details.table = "steps"`); a step id
    /// already in the saga is `DUPLICATE_ID`; the spec is validated (see [`StepSpec`]).
    pub fn add_step(&mut self, spec: StepSpec, step_id: String, max_steps: usize) -> Result<&Step> {
        self.require_running()?;
        if self.index.contains_key(&step_id) {
            return Err(Error::new(
                Code::DUPLICATE_ID,
                format!(
                    "step_id: step '{step_id}' already exists in saga '{}'",
                    self.saga_id
                ),
            )
            .with_detail("field", "step_id")
            .with_detail("step_id", step_id));
        }
        if self.steps.len() >= max_steps {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "saga '{}' already holds {} steps (max_steps_per_saga)",
                    self.saga_id,
                    self.steps.len()
                ),
            )
            .with_detail("table", "steps")
            .with_detail("limit", max_steps));
        }
        let step = Step::new(spec, step_id, &self.saga_id)?;
        let pos = self.steps.len();
        self.index.insert(step.step_id.clone(), pos);
        if self.steps.capacity() == 0 {
            // A first push would reserve four steps; most sagas hold one or two.
            self.steps.reserve_exact(1);
        }
        self.steps.push(step);
        self.steps
            .get(pos)
            .ok_or_else(|| Error::new(Code::INTERNAL, "saga step index out of sync"))
    }

    /// Saga id.
    pub fn saga_id(&self) -> &str {
        &self.saga_id
    }
    /// Owning session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }
    /// Current state.
    pub fn state(&self) -> SagaState {
        self.state.state()
    }
    /// Isolation level (serializable sagas take intent locks).
    pub fn isolation_level(&self) -> IsolationLevel {
        self.isolation_level
    }
    /// Steps in the order they were added.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
    /// The rollback / escalation / abort note.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// Creation time.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
    /// When the saga reached a terminal state.
    pub fn completed_at(&self) -> Option<Timestamp> {
        self.completed_at
    }
    /// True once the kill switch marked the saga for compensation.
    pub fn compensation_required(&self) -> bool {
        self.compensation_required
    }

    /// The step with this id.
    pub fn step(&self, step_id: &str) -> Option<&Step> {
        self.index.get(step_id).and_then(|&i| self.steps.get(i))
    }

    pub(super) fn position(&self, step_id: &str) -> Result<usize> {
        self.index.get(step_id).copied().ok_or_else(|| {
            Error::new(
                Code::STEP_NOT_FOUND,
                format!("step '{step_id}' not found in saga '{}'", self.saga_id),
            )
            .with_detail("step_id", step_id)
            .with_detail("saga_id", self.saga_id.as_str())
        })
    }

    pub(super) fn step_at(&mut self, pos: usize) -> Result<&mut Step> {
        self.steps
            .get_mut(pos)
            .ok_or_else(|| Error::new(Code::INTERNAL, "saga step index out of sync"))
    }

    pub(super) fn require_state(&self, needed: SagaState) -> Result<()> {
        let state = self.state.state();
        if state == needed {
            return Ok(());
        }
        Err(Error::new(
            Code::INVALID_SAGA_STATE,
            format!(
                "saga '{}' is {}, must be {}",
                self.saga_id,
                state.as_str(),
                needed.as_str()
            ),
        )
        .with_detail("saga_id", self.saga_id.as_str())
        .with_detail("state", state.as_str()))
    }

    fn require_running(&self) -> Result<()> {
        self.require_state(SagaState::Running)
    }

    /// The checks of `saga.step.begin` that concern the saga and the step, without mutating:
    /// saga running and not marked for compensation (`INVALID_SAGA_STATE`); step exists
    /// (`STEP_NOT_FOUND`); step pending (`INVALID_STEP_STATE`); retry due (`RETRY_NOT_DUE` with
    /// `details.retry_after_ms`, rounded up).
    pub fn check_begin(&self, step_id: &str, now: Timestamp) -> Result<()> {
        self.check_begin_at(step_id, now, RetryDelay::Enforce)
            .map(|_| ())
    }

    fn check_begin_at(&self, step_id: &str, now: Timestamp, delay: RetryDelay) -> Result<usize> {
        self.require_begin_saga()?;
        let pos = self.position(step_id)?;
        self.check_begin_pos(pos, step_id, now, delay)?;
        Ok(pos)
    }

    /// The saga half of the begin checks: running and not marked for compensation.
    fn require_begin_saga(&self) -> Result<()> {
        self.require_running()?;
        if self.compensation_required {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga '{}' is marked for compensation; no new step may begin",
                    self.saga_id
                ),
            )
            .with_detail("saga_id", self.saga_id.as_str())
            .with_detail("state", "running"));
        }
        Ok(())
    }

    /// The step half of the begin checks, for the step at `pos` (named `step_id`).
    fn check_begin_pos(
        &self,
        pos: usize,
        step_id: &str,
        now: Timestamp,
        delay: RetryDelay,
    ) -> Result<()> {
        let step = self
            .steps
            .get(pos)
            .ok_or_else(|| Error::new(Code::INTERNAL, "saga step index out of sync"))?;
        if step.state() != StepState::Pending {
            return Err(step.wrong_state("pending"));
        }
        if let (Some(due), RetryDelay::Enforce) = (step.retry_due_at, delay) {
            if now < due {
                let wait_us = due.micros().saturating_sub(now.micros());
                let wait_ms = u64::try_from(wait_us).unwrap_or(0).div_ceil(1000);
                return Err(Error::new(
                    Code::RETRY_NOT_DUE,
                    format!("step '{step_id}': retry is due in {wait_ms} ms"),
                )
                .with_detail("step_id", step_id)
                .with_detail("retry_after_ms", wait_ms));
            }
        }
        Ok(())
    }

    /// Begins the step (after [`Saga::check_begin`] and the engine's governance checks): it is
    /// executing until `now + timeout`. The same checks run again, so this is safe alone too.
    pub fn begin_step(&mut self, step_id: &str, now: Timestamp) -> Result<BeginInfo> {
        self.begin_with(step_id, now, RetryDelay::Enforce)
    }

    /// [`Saga::check_begin`] without the retry-delay check: for `hv_saga_step`'s own retry loop
    /// under a manual clock, which retries at once (API.md §3). `saga.step.begin` must use
    /// [`Saga::check_begin`].
    pub fn check_begin_immediate(&self, step_id: &str, now: Timestamp) -> Result<()> {
        self.check_begin_at(step_id, now, RetryDelay::Skip)
            .map(|_| ())
    }

    /// [`Saga::begin_step`] without the retry-delay check (see
    /// [`Saga::check_begin_immediate`]).
    pub fn begin_step_immediate(&mut self, step_id: &str, now: Timestamp) -> Result<BeginInfo> {
        self.begin_with(step_id, now, RetryDelay::Skip)
    }

    fn begin_with(
        &mut self,
        step_id: &str,
        now: Timestamp,
        delay: RetryDelay,
    ) -> Result<BeginInfo> {
        let pos = self.check_begin_at(step_id, now, delay)?;
        let b = self.begin_pos(pos, now)?;
        Ok(BeginInfo {
            step_id: self.step_at(pos)?.step_id.clone(),
            attempt: b.attempt,
            deadline: b.deadline,
            timeout_ms: b.timeout_ms,
        })
    }

    /// The position of a step the engine is about to begin, after the same checks as
    /// [`Saga::check_begin`] (or [`Saga::check_begin_immediate`] when `immediate`); the engine
    /// then begins it with [`Saga::begin_at`] without looking the step up again (positions are
    /// stable: steps are never removed).
    pub(crate) fn check_begin_position(
        &self,
        step_id: &str,
        now: Timestamp,
        immediate: bool,
    ) -> Result<usize> {
        self.check_begin_at(step_id, now, RetryDelay::from_immediate(immediate))
    }

    /// [`Saga::begin_step`] (or [`Saga::begin_step_immediate`]) of the step at `pos`, named
    /// `step_id`, from [`Saga::check_begin_position`]. The checks run again.
    pub(crate) fn begin_at(
        &mut self,
        pos: usize,
        step_id: &str,
        now: Timestamp,
        immediate: bool,
    ) -> Result<Begun> {
        self.require_begin_saga()?;
        let delay = RetryDelay::from_immediate(immediate);
        self.check_begin_pos(pos, step_id, now, delay)?;
        self.begin_pos(pos, now)
    }

    /// The begin itself, once the checks passed.
    fn begin_pos(&mut self, pos: usize, now: Timestamp) -> Result<Begun> {
        let step = self.step_at(pos)?;
        step.apply(StepEvent::Begin)?;
        step.attempts = step.attempts.saturating_add(1);
        let deadline = now.plus_micros(i64::from(step.timeout_seconds) * Timestamp::MICROS_PER_SEC);
        step.started_at = Some(now);
        step.deadline = Some(deadline);
        step.retry_due_at = None;
        Ok(Begun {
            attempt: step.attempts,
            deadline,
            timeout_ms: u64::from(step.timeout_seconds) * 1000,
        })
    }

    /// The step at `pos` (from [`Saga::check_begin_position`] or [`Saga::step_position`]).
    pub(crate) fn step_by_pos(&self, pos: usize) -> Result<&Step> {
        self.steps
            .get(pos)
            .ok_or_else(|| Error::new(Code::INTERNAL, "saga step index out of sync"))
    }

    /// The position of `step_id`, or `STEP_NOT_FOUND`.
    pub(crate) fn step_position(&self, step_id: &str) -> Result<usize> {
        self.position(step_id)
    }

    /// Ends the executing attempt. The saga must be running; the step executing.
    /// Past the deadline the attempt is a timeout failure (result discarded). Success →
    /// committed with its result. Failure with retries left → failed → pending (explicit retry
    /// transition), due `attempt × retry_base_delay_ms` after `now`. Final failure → failed;
    /// the saga stays running.
    pub fn end_step(
        &mut self,
        step_id: &str,
        ok: bool,
        result: Option<serde_json::Value>,
        error: Option<String>,
        now: Timestamp,
        retry_base_delay_ms: u64,
    ) -> Result<EndOutcome> {
        self.require_running()?;
        let pos = self.position(step_id)?;
        let mut out = self.end_at(pos, ok, result, error, now, retry_base_delay_ms)?;
        out.step_id.clone_from(&self.step_at(pos)?.step_id);
        Ok(out)
    }

    /// [`Saga::end_step`] of the step at `pos` (from [`Saga::step_position`]) after the saga
    /// was checked running, except that `step_id` of the outcome is left empty: the engine
    /// fills it in where the outcome is answered.
    pub(crate) fn end_at(
        &mut self,
        pos: usize,
        ok: bool,
        result: Option<serde_json::Value>,
        error: Option<String>,
        now: Timestamp,
        retry_base_delay_ms: u64,
    ) -> Result<EndOutcome> {
        self.require_running()?;
        let step = self.step_at(pos)?;
        if step.state() != StepState::Executing {
            return Err(step.wrong_state("executing"));
        }
        let attempt = step.attempts;
        let timed_out = step.deadline.is_some_and(|d| now > d);
        if ok && !timed_out {
            step.apply(StepEvent::Commit)?;
            step.result = result;
            step.error = None;
            step.completed_at = Some(now);
            return Ok(EndOutcome {
                step_id: String::new(),
                state: StepState::Committed,
                attempt,
                retry_after_ms: None,
                result: step.result.clone(),
                error: None,
                timed_out: false,
                final_failure: false,
            });
        }
        let message = if timed_out {
            let mut m = format!(
                "timeout: step '{}' passed its {} s deadline",
                step.step_id, step.timeout_seconds
            );
            if let Some(e) = error {
                m.push_str(&format!(" (executor reported: {e})"));
            }
            step.apply(StepEvent::Timeout)?;
            m
        } else {
            step.apply(StepEvent::Fail)?;
            error.unwrap_or_else(|| "step failed".to_owned())
        };
        step.result = None;
        step.error = Some(message);
        step.failed_at = Some(now);
        let mut retry_after_ms = None;
        if step.retry_count < step.max_retries {
            let delay = u64::from(attempt).saturating_mul(retry_base_delay_ms);
            step.apply(StepEvent::Retry)?;
            step.retry_count += 1;
            step.retry_due_at = Some(now.plus_millis(i64::try_from(delay).unwrap_or(i64::MAX)));
            retry_after_ms = Some(delay);
        } else {
            step.completed_at = Some(now);
        }
        Ok(EndOutcome {
            step_id: String::new(),
            state: step.state(),
            attempt,
            retry_after_ms,
            result: None,
            error: step.error.clone(),
            timed_out,
            final_failure: retry_after_ms.is_none(),
        })
    }

    /// `saga.complete`: every step committed → completed. Otherwise `INVALID_SAGA_STATE` naming
    /// the first step that is not committed. A saga marked for compensation cannot complete.
    pub fn complete(&mut self, now: Timestamp) -> Result<()> {
        self.require_running()?;
        if self.compensation_required {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga '{}' is marked for compensation and cannot complete",
                    self.saga_id
                ),
            )
            .with_detail("saga_id", self.saga_id.as_str()));
        }
        if let Some(s) = self
            .steps
            .iter()
            .find(|s| s.state() != StepState::Committed)
        {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga '{}' cannot complete: step '{}' is {}, not committed",
                    self.saga_id,
                    s.step_id,
                    s.state().as_str()
                ),
            )
            .with_detail("saga_id", self.saga_id.as_str())
            .with_detail("step_id", s.step_id.as_str())
            .with_detail("step_state", s.state().as_str()));
        }
        self.state.apply(SagaEvent::Complete)?;
        self.completed_at = Some(now);
        Ok(())
    }
}

mod kill;
pub use kill::Handoff;

#[cfg(test)]
mod tests;
