//! The session lifecycle state machine: one transition table
//! (created → handshaking → active → terminating → archived).

use crate::error::{Code, Error, Result};
use crate::model::SessionState;

/// Lifecycle events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// Creation finished: start accepting participants.
    Handshake,
    /// `session.activate`.
    Activate,
    /// `session.terminate` begins.
    Terminate,
    /// Teardown finished.
    Archive,
}

/// The transition table. Anything not listed is `INVALID_SESSION_STATE`.
pub fn transition(from: SessionState, ev: SessionEvent) -> Result<SessionState> {
    use SessionEvent as E;
    use SessionState as S;
    match (from, ev) {
        (S::Created, E::Handshake) => Ok(S::Handshaking),
        (S::Handshaking, E::Activate) => Ok(S::Active),
        (S::Handshaking | S::Active, E::Terminate) => Ok(S::Terminating),
        (S::Terminating, E::Archive) => Ok(S::Archived),
        _ => Err(Error::new(
            Code::INVALID_SESSION_STATE,
            format!("session in state '{}' cannot {:?}", from.as_str(), ev),
        )
        .with_detail("state", from.as_str())),
    }
}

/// A session's lifecycle state; changes only through [`transition`].
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle(SessionState);

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle(SessionState::Created)
    }
}

impl Lifecycle {
    /// Current state.
    pub fn state(self) -> SessionState {
        self.0
    }

    /// Applies an event through the table.
    pub fn apply(&mut self, ev: SessionEvent) -> Result<SessionState> {
        self.0 = transition(self.0, ev)?;
        Ok(self.0)
    }

    /// `INVALID_SESSION_STATE` unless the state is one of `allowed`; `what` names the operation.
    pub fn require(self, allowed: &[SessionState], what: &str) -> Result<()> {
        if allowed.contains(&self.0) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            Err(Error::new(
                Code::INVALID_SESSION_STATE,
                format!(
                    "{what} needs the session in state {}, it is '{}'",
                    names.join(" or "),
                    self.0.as_str()
                ),
            )
            .with_detail("state", self.0.as_str()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn happy_path() {
        let mut l = Lifecycle::default();
        l.apply(SessionEvent::Handshake).unwrap();
        l.apply(SessionEvent::Activate).unwrap();
        l.apply(SessionEvent::Terminate).unwrap();
        assert_eq!(
            l.apply(SessionEvent::Archive).unwrap(),
            SessionState::Archived
        );
        assert!(l.apply(SessionEvent::Activate).is_err());
    }

    fn ev() -> impl Strategy<Value = SessionEvent> {
        prop_oneof![
            Just(SessionEvent::Handshake),
            Just(SessionEvent::Activate),
            Just(SessionEvent::Terminate),
            Just(SessionEvent::Archive),
        ]
    }

    proptest! {
        #[test]
        fn states_only_move_forward(events in proptest::collection::vec(ev(), 0..20)) {
            let order = |s: SessionState| s as u8;
            let mut l = Lifecycle::default();
            for e in events {
                let before = l.state();
                match l.apply(e) {
                    Ok(after) => prop_assert!(order(after) > order(before)),
                    Err(_) => prop_assert_eq!(l.state(), before),
                }
            }
        }
    }
}
