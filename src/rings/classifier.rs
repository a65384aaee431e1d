//! Action classification by reversibility (API.md §4.3 `ring.classify`).

use serde::Serialize;

use crate::model::{ActionDescriptor, Reversibility, Ring};

/// Result of classifying an action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Classification {
    /// The ring the action requires.
    pub ring: Ring,
    /// ω: the midpoint of the reversibility band.
    pub risk_weight: f64,
    /// The action's reversibility.
    pub reversibility: Reversibility,
}

/// Classifies an action: required ring and risk weight.
pub fn classify(action: &ActionDescriptor) -> Classification {
    Classification {
        ring: action.required_ring(),
        risk_weight: action.risk_weight(),
        reversibility: action.reversibility,
    }
}

/// The descriptor a saga step implies when its action is not registered: `undo_api` present →
/// reversibility full, else none.
pub fn derived_from_step(
    action_id: &str,
    execute_api: &str,
    undo_api: Option<&str>,
) -> ActionDescriptor {
    ActionDescriptor {
        action_id: action_id.to_owned(),
        name: action_id.to_owned(),
        execute_api: execute_api.to_owned(),
        undo_api: undo_api.map(str::to_owned),
        reversibility: if undo_api.is_some() {
            Reversibility::Full
        } else {
            Reversibility::None
        },
        undo_window_seconds: None,
        compensation_method: None,
        is_read_only: false,
        is_admin: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_band_midpoints() {
        let mut a = derived_from_step("a", "/x", Some("/undo"));
        assert_eq!(classify(&a).risk_weight, 0.2);
        assert_eq!(classify(&a).ring, Ring::Standard);
        a.reversibility = Reversibility::Partial;
        assert_eq!(classify(&a).risk_weight, 0.65);
        let b = derived_from_step("b", "/x", None);
        assert_eq!(classify(&b).ring, Ring::Privileged);
        assert_eq!(classify(&b).risk_weight, 0.95);
    }
}
