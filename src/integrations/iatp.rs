//! IATP manifest analysis (API.md §4.8 `iatp.analyze`, §4.1 join step 2).
//!
//! A manifest declares an agent, an optional trust level and its actions. The analysis maps
//! the trust level to a σ hint (verified_partner 0.95, trusted 0.80, standard 0.60,
//! probationary 0.35, untrusted 0.10; absent or unknown → standard; matched
//! case-insensitively) and derives the ring that σ would compute without consensus
//! (2 when σ > 0.60, else 3: ring 1 needs consensus, so it is never hinted).

use serde::{Deserialize, Serialize};

use crate::config::{
    IATP_SIGMA_PROBATIONARY, IATP_SIGMA_STANDARD, IATP_SIGMA_TRUSTED, IATP_SIGMA_UNTRUSTED,
    IATP_SIGMA_VERIFIED_PARTNER, RING2_SIGMA,
};
use crate::error::{Code, Error, Result};
use crate::ids::{validate_id, MAX_ID_BYTES};
use crate::model::{de_null_default, ActionDescriptor, Reversibility, Ring};

/// An IATP capability manifest as sent by a caller.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The agent the manifest describes.
    pub agent_did: String,
    /// Declared trust level (free text; unknown values mean standard).
    #[serde(default)]
    pub trust_level: Option<String>,
    /// Declared capabilities (validated, not interpreted).
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// The agent's actions.
    #[serde(default, deserialize_with = "de_null_default")]
    pub actions: Vec<ActionDescriptor>,
}

/// IATP trust levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustLevel {
    /// σ 0.95.
    VerifiedPartner,
    /// σ 0.80.
    Trusted,
    /// σ 0.60 (also absent or unknown levels).
    Standard,
    /// σ 0.35.
    Probationary,
    /// σ 0.10.
    Untrusted,
}

impl TrustLevel {
    /// Parses a declared level; absent or unknown → standard.
    pub fn parse(s: Option<&str>) -> TrustLevel {
        match s.map(str::to_ascii_lowercase).as_deref() {
            Some("verified_partner") => TrustLevel::VerifiedPartner,
            Some("trusted") => TrustLevel::Trusted,
            Some("probationary") => TrustLevel::Probationary,
            Some("untrusted") => TrustLevel::Untrusted,
            _ => TrustLevel::Standard,
        }
    }

    /// The σ hint of the level.
    pub fn sigma_hint(self) -> f64 {
        match self {
            TrustLevel::VerifiedPartner => IATP_SIGMA_VERIFIED_PARTNER,
            TrustLevel::Trusted => IATP_SIGMA_TRUSTED,
            TrustLevel::Standard => IATP_SIGMA_STANDARD,
            TrustLevel::Probationary => IATP_SIGMA_PROBATIONARY,
            TrustLevel::Untrusted => IATP_SIGMA_UNTRUSTED,
        }
    }
}

/// The `iatp.analyze` response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestAnalysis {
    /// The agent.
    pub agent_did: String,
    /// The resolved trust level.
    pub trust_level: TrustLevel,
    /// σ hint of the level.
    pub sigma_hint: f64,
    /// Ring the hint computes without consensus (2 or 3).
    pub ring_hint: Ring,
    /// The declared actions, validated.
    pub actions: Vec<ActionDescriptor>,
    /// True when any action is irreversible (forces strong consistency on join).
    pub has_non_reversible: bool,
}

/// Validates and analyses a manifest. `field` is its path in the request (`"manifest"`);
/// errors name `<field>.agent_did`, `<field>.actions[i].…`, `<field>.capabilities[i]`.
/// More than `max_actions` actions → `CAPACITY_EXCEEDED` (`<field>.actions`).
pub fn analyze(manifest: Manifest, field: &str, max_actions: usize) -> Result<ManifestAnalysis> {
    validate_id(&manifest.agent_did, &format!("{field}.agent_did"))?;
    if manifest.actions.len() > max_actions {
        let f = format!("{field}.actions");
        return Err(Error::new(
            Code::CAPACITY_EXCEEDED,
            format!(
                "{f}: {} actions, at most {max_actions}",
                manifest.actions.len()
            ),
        )
        .with_detail("field", f)
        .with_detail("limit", max_actions));
    }
    for (i, a) in manifest.actions.iter().enumerate() {
        a.validate(&format!("{field}.actions[{i}]"))?;
    }
    if let Some(caps) = &manifest.capabilities {
        if caps.len() > max_actions {
            return Err(Error::invalid(
                format!("{field}.capabilities"),
                format!("at most {max_actions} entries"),
            ));
        }
        for (i, c) in caps.iter().enumerate() {
            if c.is_empty() || c.len() > MAX_ID_BYTES || c.chars().any(char::is_control) {
                return Err(Error::invalid(
                    format!("{field}.capabilities[{i}]"),
                    format!("must be 1..={MAX_ID_BYTES} bytes without control characters"),
                ));
            }
        }
    }
    if let Some(t) = &manifest.trust_level {
        if t.len() > MAX_ID_BYTES {
            return Err(Error::invalid(
                format!("{field}.trust_level"),
                format!("must be at most {MAX_ID_BYTES} bytes"),
            ));
        }
    }
    let trust_level = TrustLevel::parse(manifest.trust_level.as_deref());
    let sigma_hint = trust_level.sigma_hint();
    let has_non_reversible = manifest
        .actions
        .iter()
        .any(|a| a.reversibility == Reversibility::None);
    Ok(ManifestAnalysis {
        agent_did: manifest.agent_did,
        trust_level,
        sigma_hint,
        ring_hint: ring_without_consensus(sigma_hint),
        actions: manifest.actions,
        has_non_reversible,
    })
}

/// The ring σ computes without consensus: 2 when σ > [`RING2_SIGMA`], else 3.
fn ring_without_consensus(sigma: f64) -> Ring {
    if sigma > RING2_SIGMA {
        Ring::Standard
    } else {
        Ring::Sandbox
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Manifest {
        serde_json::from_str(json).unwrap()
    }

    const ACTION: &str =
        r#"{"action_id":"pay","name":"Pay","execute_api":"/pay","reversibility":"partial"}"#;

    #[test]
    fn trust_levels_map_to_sigma_and_ring() {
        for (lvl, sigma, ring) in [
            ("verified_partner", 0.95, 2),
            ("trusted", 0.80, 2),
            ("standard", 0.60, 3),
            ("probationary", 0.35, 3),
            ("untrusted", 0.10, 3),
            ("galactic", 0.60, 3),
            ("TRUSTED", 0.80, 2),
        ] {
            let m = parse(&format!(
                r#"{{"agent_did":"did:x:a","trust_level":"{lvl}","actions":[]}}"#
            ));
            let a = analyze(m, "manifest", 10).unwrap();
            assert_eq!(a.sigma_hint, sigma, "{lvl}");
            assert_eq!(a.ring_hint.level(), ring, "{lvl}");
        }
        let a = analyze(parse(r#"{"agent_did":"a","actions":[]}"#), "manifest", 10).unwrap();
        assert_eq!(a.trust_level, TrustLevel::Standard);
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["trust_level"], "standard");
        assert_eq!(j["ring_hint"], 3);
    }

    #[test]
    fn actions_and_reversibility() {
        let m = parse(&format!(
            r#"{{"agent_did":"a","capabilities":["pay"],"actions":[{ACTION}]}}"#
        ));
        let a = analyze(m, "manifest", 10).unwrap();
        assert_eq!(a.actions.len(), 1);
        assert!(!a.has_non_reversible);
        // Reversibility defaults to none.
        let m = parse(
            r#"{"agent_did":"a","actions":[{"action_id":"x","name":"X","execute_api":"/x"}]}"#,
        );
        assert!(analyze(m, "manifest", 10).unwrap().has_non_reversible);
    }

    #[test]
    fn validation_names_fields() {
        let field = |json: &str, max: usize| {
            analyze(parse(json), "manifest", max)
                .unwrap_err()
                .details()
                .unwrap()["field"]
                .clone()
        };
        assert_eq!(
            field(r#"{"agent_did":"bad did","actions":[]}"#, 9),
            "manifest.agent_did"
        );
        assert_eq!(
            field(
                r#"{"agent_did":"a","actions":[{"action_id":"-x","name":"X","execute_api":"/x"}]}"#,
                9
            ),
            "manifest.actions[0].action_id"
        );
        assert_eq!(
            field(
                &format!(r#"{{"agent_did":"a","actions":[{ACTION},{ACTION}]}}"#),
                1
            ),
            "manifest.actions"
        );
        assert_eq!(
            field(r#"{"agent_did":"a","capabilities":[""],"actions":[]}"#, 9),
            "manifest.capabilities[0]"
        );
        assert!(
            serde_json::from_str::<Manifest>(r#"{"agent_did":"a","actions":[],"x":1}"#).is_err()
        );
        // null means absent.
        let m = parse(r#"{"agent_did":"a","trust_level":null,"capabilities":null,"actions":null}"#);
        assert!(analyze(m, "manifest", 9).unwrap().actions.is_empty());
    }
}
