//! The saga and step state machines: one transition table each (DESIGN.md "one transition table
//! per state machine").
//!
//! [`step_transition`] and [`saga_transition`] are the only places where a next state is
//! decided. The state itself lives in [`StepMachine`] / [`SagaMachine`], whose field is private:
//! the only way to change it is [`StepMachine::apply`] / [`SagaMachine::apply`], which consult the
//! table. An illegal event returns `INVALID_STEP_STATE` / `INVALID_SAGA_STATE` naming both the
//! state and the event, and leaves the state unchanged.
//!
//! Step table (anything else is illegal):
//!
//! | from                | event                     | to                    |
//! |---------------------|---------------------------|-----------------------|
//! | pending             | begin                     | executing             |
//! | pending             | handoff                   | pending               |
//! | executing           | handoff                   | pending               |
//! | executing           | commit                    | committed             |
//! | executing           | fail                      | failed                |
//! | executing           | timeout                   | failed                |
//! | failed              | retry                     | pending               |
//! | committed           | start_compensation        | compensating          |
//! | committed           | compensation_unavailable  | compensation_failed   |
//! | compensating        | compensated               | compensated           |
//! | compensating        | compensation_failed       | compensation_failed   |
//!
//! Saga table:
//!
//! | from          | event               | to            |
//! |---------------|---------------------|---------------|
//! | running       | complete            | completed     |
//! | running       | begin_compensation  | compensating  |
//! | running       | abort               | failed        |
//! | compensating  | rolled_back         | completed     |
//! | compensating  | escalate            | escalated     |
//! | compensating  | abort               | failed        |

use serde::Serialize;
use std::fmt;

use crate::error::{Code, Error, Result};

/// State of one saga step (wire names snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not started, or waiting for a retry.
    Pending,
    /// Begun and not yet ended; runs until its deadline.
    Executing,
    /// Succeeded; its result is kept.
    Committed,
    /// Failed after its last attempt (a retryable failure passes through here to pending).
    Failed,
    /// Its undo is running.
    Compensating,
    /// Its undo succeeded.
    Compensated,
    /// Its undo failed, or it has no undo_api.
    CompensationFailed,
}

impl StepState {
    /// Every step state, for tests and documentation.
    pub const ALL: [StepState; 7] = [
        StepState::Pending,
        StepState::Executing,
        StepState::Committed,
        StepState::Failed,
        StepState::Compensating,
        StepState::Compensated,
        StepState::CompensationFailed,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Executing => "executing",
            StepState::Committed => "committed",
            StepState::Failed => "failed",
            StepState::Compensating => "compensating",
            StepState::Compensated => "compensated",
            StepState::CompensationFailed => "compensation_failed",
        }
    }

    /// True for states only reachable through a commit (the step's execution succeeded).
    pub fn has_committed(self) -> bool {
        matches!(
            self,
            StepState::Committed
                | StepState::Compensating
                | StepState::Compensated
                | StepState::CompensationFailed
        )
    }
}

impl fmt::Display for StepState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Events that move a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepEvent {
    /// `saga.step.begin` passed every check.
    Begin,
    /// The step was reassigned to another agent (kill switch); an executing attempt is abandoned.
    Handoff,
    /// The executor succeeded before the deadline.
    Commit,
    /// The executor failed.
    Fail,
    /// The result arrived after the deadline (or never did).
    Timeout,
    /// A failed step with retries left goes back to pending (explicit, never implicit).
    Retry,
    /// Compensation began and the step has an undo_api.
    StartCompensation,
    /// Compensation began and the step has no undo_api.
    CompensationUnavailable,
    /// The undo succeeded.
    Compensated,
    /// The undo failed.
    CompensationFailed,
}

impl StepEvent {
    /// Every step event, for tests.
    pub const ALL: [StepEvent; 10] = [
        StepEvent::Begin,
        StepEvent::Handoff,
        StepEvent::Commit,
        StepEvent::Fail,
        StepEvent::Timeout,
        StepEvent::Retry,
        StepEvent::StartCompensation,
        StepEvent::CompensationUnavailable,
        StepEvent::Compensated,
        StepEvent::CompensationFailed,
    ];

    /// snake_case name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            StepEvent::Begin => "begin",
            StepEvent::Handoff => "handoff",
            StepEvent::Commit => "commit",
            StepEvent::Fail => "fail",
            StepEvent::Timeout => "timeout",
            StepEvent::Retry => "retry",
            StepEvent::StartCompensation => "start_compensation",
            StepEvent::CompensationUnavailable => "compensation_unavailable",
            StepEvent::Compensated => "compensated",
            StepEvent::CompensationFailed => "compensation_failed",
        }
    }
}

/// The step transition table. Anything not listed is `INVALID_STEP_STATE` naming both states.
pub fn step_transition(from: StepState, event: StepEvent) -> Result<StepState> {
    use StepEvent as E;
    use StepState as S;
    let to = match (from, event) {
        (S::Pending, E::Begin) => S::Executing,
        (S::Pending, E::Handoff) => S::Pending,
        (S::Executing, E::Handoff) => S::Pending,
        (S::Executing, E::Commit) => S::Committed,
        (S::Executing, E::Fail) => S::Failed,
        (S::Executing, E::Timeout) => S::Failed,
        (S::Failed, E::Retry) => S::Pending,
        (S::Committed, E::StartCompensation) => S::Compensating,
        (S::Committed, E::CompensationUnavailable) => S::CompensationFailed,
        (S::Compensating, E::Compensated) => S::Compensated,
        (S::Compensating, E::CompensationFailed) => S::CompensationFailed,
        _ => {
            return Err(Error::new(
                Code::INVALID_STEP_STATE,
                format!(
                    "step state '{}' does not allow '{}'",
                    from.as_str(),
                    event.as_str()
                ),
            )
            .with_detail("state", from.as_str())
            .with_detail("event", event.as_str()))
        }
    };
    Ok(to)
}

/// State of a saga (wire names snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaState {
    /// Steps may be added and run.
    Running,
    /// Committed steps are being undone.
    Compensating,
    /// All steps committed, or every compensation succeeded (then `error` notes the rollback).
    Completed,
    /// Abandoned before it resolved (e.g. its session ended).
    Failed,
    /// A compensation failed: attribution and slashing follow.
    Escalated,
}

impl SagaState {
    /// Every saga state, for tests and documentation.
    pub const ALL: [SagaState; 5] = [
        SagaState::Running,
        SagaState::Compensating,
        SagaState::Completed,
        SagaState::Failed,
        SagaState::Escalated,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaState::Running => "running",
            SagaState::Compensating => "compensating",
            SagaState::Completed => "completed",
            SagaState::Failed => "failed",
            SagaState::Escalated => "escalated",
        }
    }

    /// True once the saga can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SagaState::Completed | SagaState::Failed | SagaState::Escalated
        )
    }
}

impl fmt::Display for SagaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Events that move a saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SagaEvent {
    /// `saga.complete` with every step committed.
    Complete,
    /// `saga.compensate.begin`.
    BeginCompensation,
    /// The last compensation was reported and all succeeded.
    RolledBack,
    /// The last compensation was reported and at least one failed.
    Escalate,
    /// The saga is abandoned (its session ended before it resolved).
    Abort,
}

impl SagaEvent {
    /// Every saga event, for tests.
    pub const ALL: [SagaEvent; 5] = [
        SagaEvent::Complete,
        SagaEvent::BeginCompensation,
        SagaEvent::RolledBack,
        SagaEvent::Escalate,
        SagaEvent::Abort,
    ];

    /// snake_case name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaEvent::Complete => "complete",
            SagaEvent::BeginCompensation => "begin_compensation",
            SagaEvent::RolledBack => "rolled_back",
            SagaEvent::Escalate => "escalate",
            SagaEvent::Abort => "abort",
        }
    }
}

/// The saga transition table. Anything not listed is `INVALID_SAGA_STATE` naming both states.
pub fn saga_transition(from: SagaState, event: SagaEvent) -> Result<SagaState> {
    use SagaEvent as E;
    use SagaState as S;
    let to = match (from, event) {
        (S::Running, E::Complete) => S::Completed,
        (S::Running, E::BeginCompensation) => S::Compensating,
        (S::Running, E::Abort) => S::Failed,
        (S::Compensating, E::RolledBack) => S::Completed,
        (S::Compensating, E::Escalate) => S::Escalated,
        (S::Compensating, E::Abort) => S::Failed,
        _ => {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!(
                    "saga state '{}' does not allow '{}'",
                    from.as_str(),
                    event.as_str()
                ),
            )
            .with_detail("state", from.as_str())
            .with_detail("event", event.as_str()))
        }
    };
    Ok(to)
}

/// A step's state, changeable only through [`step_transition`]. Serialises as the state name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StepMachine(StepState);

impl StepMachine {
    /// A new step: pending.
    pub fn new() -> StepMachine {
        StepMachine(StepState::Pending)
    }

    /// The current state.
    pub fn state(&self) -> StepState {
        self.0
    }

    /// Applies `event` through the table; on error the state is unchanged.
    pub fn apply(&mut self, event: StepEvent) -> Result<StepState> {
        self.0 = step_transition(self.0, event)?;
        Ok(self.0)
    }
}

impl Default for StepMachine {
    fn default() -> Self {
        StepMachine::new()
    }
}

/// A saga's state, changeable only through [`saga_transition`]. Serialises as the state name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SagaMachine(SagaState);

impl SagaMachine {
    /// A new saga: running.
    pub fn new() -> SagaMachine {
        SagaMachine(SagaState::Running)
    }

    /// The current state.
    pub fn state(&self) -> SagaState {
        self.0
    }

    /// Applies `event` through the table; on error the state is unchanged.
    pub fn apply(&mut self, event: SagaEvent) -> Result<SagaState> {
        self.0 = saga_transition(self.0, event)?;
        Ok(self.0)
    }
}

impl Default for SagaMachine {
    fn default() -> Self {
        SagaMachine::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The documented step table, written independently of the `match`.
    const STEP_TABLE: &[(StepState, StepEvent, StepState)] = {
        use StepEvent as E;
        use StepState as S;
        &[
            (S::Pending, E::Begin, S::Executing),
            (S::Pending, E::Handoff, S::Pending),
            (S::Executing, E::Handoff, S::Pending),
            (S::Executing, E::Commit, S::Committed),
            (S::Executing, E::Fail, S::Failed),
            (S::Executing, E::Timeout, S::Failed),
            (S::Failed, E::Retry, S::Pending),
            (S::Committed, E::StartCompensation, S::Compensating),
            (
                S::Committed,
                E::CompensationUnavailable,
                S::CompensationFailed,
            ),
            (S::Compensating, E::Compensated, S::Compensated),
            (
                S::Compensating,
                E::CompensationFailed,
                S::CompensationFailed,
            ),
        ]
    };

    const SAGA_TABLE: &[(SagaState, SagaEvent, SagaState)] = {
        use SagaEvent as E;
        use SagaState as S;
        &[
            (S::Running, E::Complete, S::Completed),
            (S::Running, E::BeginCompensation, S::Compensating),
            (S::Running, E::Abort, S::Failed),
            (S::Compensating, E::RolledBack, S::Completed),
            (S::Compensating, E::Escalate, S::Escalated),
            (S::Compensating, E::Abort, S::Failed),
        ]
    };

    #[test]
    fn step_match_equals_documented_table() {
        for from in StepState::ALL {
            for ev in StepEvent::ALL {
                let expected = STEP_TABLE
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == ev)
                    .map(|t| t.2);
                match (step_transition(from, ev), expected) {
                    (Ok(to), Some(exp)) => assert_eq!(to, exp, "{from} --{}-->", ev.as_str()),
                    (Err(e), None) => {
                        assert_eq!(e.code(), Code::INVALID_STEP_STATE);
                        assert!(e.message().contains(from.as_str()));
                        assert!(e.message().contains(ev.as_str()));
                    }
                    (got, exp) => panic!("{from} --{}--> got {got:?}, want {exp:?}", ev.as_str()),
                }
            }
        }
    }

    #[test]
    fn saga_match_equals_documented_table() {
        for from in SagaState::ALL {
            for ev in SagaEvent::ALL {
                let expected = SAGA_TABLE
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == ev)
                    .map(|t| t.2);
                match (saga_transition(from, ev), expected) {
                    (Ok(to), Some(exp)) => assert_eq!(to, exp),
                    (Err(e), None) => {
                        assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
                        assert!(e.message().contains(from.as_str()));
                    }
                    (got, exp) => panic!("{from} --{}--> got {got:?}, want {exp:?}", ev.as_str()),
                }
            }
        }
    }

    #[test]
    fn retry_is_an_explicit_transition() {
        let mut m = StepMachine::new();
        m.apply(StepEvent::Begin).unwrap();
        m.apply(StepEvent::Fail).unwrap();
        assert_eq!(m.state(), StepState::Failed);
        // A failed step cannot be begun directly; it must be retried first.
        assert!(m.apply(StepEvent::Begin).is_err());
        assert_eq!(m.apply(StepEvent::Retry).unwrap(), StepState::Pending);
        assert_eq!(m.apply(StepEvent::Begin).unwrap(), StepState::Executing);
    }

    #[test]
    fn terminal_saga_states_accept_nothing() {
        for s in SagaState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for ev in SagaEvent::ALL {
                assert!(saga_transition(s, ev).is_err());
            }
        }
    }

    #[test]
    fn machines_serialise_as_state_names() {
        let mut m = StepMachine::new();
        assert_eq!(serde_json::to_value(m).unwrap(), "pending");
        m.apply(StepEvent::Begin).unwrap();
        m.apply(StepEvent::Commit).unwrap();
        m.apply(StepEvent::CompensationUnavailable).unwrap();
        assert_eq!(serde_json::to_value(m).unwrap(), "compensation_failed");
        assert_eq!(serde_json::to_value(SagaMachine::new()).unwrap(), "running");
    }

    fn step_event() -> impl Strategy<Value = StepEvent> {
        (0..StepEvent::ALL.len()).prop_map(|i| StepEvent::ALL[i])
    }

    fn saga_event() -> impl Strategy<Value = SagaEvent> {
        (0..SagaEvent::ALL.len()).prop_map(|i| SagaEvent::ALL[i])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn random_step_sequences_stay_in_the_table(events in prop::collection::vec(step_event(), 0..64)) {
            let mut m = StepMachine::new();
            for ev in events {
                let before = m.state();
                match m.apply(ev) {
                    Ok(after) => {
                        prop_assert_eq!(after, m.state());
                        prop_assert!(STEP_TABLE.contains(&(before, ev, after)));
                    }
                    Err(e) => {
                        prop_assert_eq!(e.code(), Code::INVALID_STEP_STATE);
                        prop_assert_eq!(m.state(), before);
                        prop_assert!(!STEP_TABLE.iter().any(|(f, x, _)| *f == before && *x == ev));
                    }
                }
            }
        }

        #[test]
        fn random_saga_sequences_stay_in_the_table(events in prop::collection::vec(saga_event(), 0..32)) {
            let mut m = SagaMachine::new();
            for ev in events {
                let before = m.state();
                match m.apply(ev) {
                    Ok(after) => prop_assert!(SAGA_TABLE.contains(&(before, ev, after))),
                    Err(e) => {
                        prop_assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
                        prop_assert_eq!(m.state(), before);
                    }
                }
            }
        }
    }
}
