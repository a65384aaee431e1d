//! TEMPORARY placeholder until the liability helper's module lands.
use crate::model::{ActionDescriptor, Ring};
use serde::{Deserialize, Serialize};
/// Manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// did
    pub agent_did: String,
    /// level
    pub trust_level: Option<String>,
    /// caps
    pub capabilities: Option<Vec<String>>,
    /// actions
    #[serde(default)]
    pub actions: Vec<ActionDescriptor>,
}
/// Analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestAnalysis {
    /// did
    pub agent_did: String,
    /// level
    pub trust_level: String,
    /// hint
    pub sigma_hint: f64,
    /// ring
    pub ring_hint: Ring,
    /// actions
    pub actions: Vec<ActionDescriptor>,
    /// nr
    pub has_non_reversible: bool,
}
/// analyze
pub fn analyze(m: &Manifest) -> crate::error::Result<ManifestAnalysis> {
    Ok(ManifestAnalysis {
        agent_did: m.agent_did.clone(),
        trust_level: "standard".into(),
        sigma_hint: 0.6,
        ring_hint: Ring::Sandbox,
        actions: m.actions.clone(),
        has_non_reversible: false,
    })
}
