//! Request and response types of the session methods (API.md §4.1).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::integrations::iatp::Manifest;
use crate::liability::ledger::Recommendation;
use crate::model::{
    check_score, ActionDescriptor, ConsistencyMode, IsolationLevel, Ring, SessionConfig,
    SessionState, Timestamp,
};
use crate::verification::history::{HistoryReport, TransactionRecord};

/// `SessionConfig` as sent: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfigInput {
    /// "eventual" | "strong".
    pub consistency_mode: Option<ConsistencyMode>,
    /// 1..=1000 (and ≤ the engine's `limits.max_participants`).
    pub max_participants: Option<u32>,
    /// 1..=604800.
    pub max_duration_seconds: Option<u32>,
    /// Minimum σ_eff for a non-sandbox ring, [0, 1].
    pub min_sigma_eff: Option<f64>,
    /// Audit writes and steps.
    pub enable_audit: Option<bool>,
    /// "snapshot" | "read_committed" | "serializable".
    pub isolation_level: Option<IsolationLevel>,
}

impl SessionConfigInput {
    /// Applies defaults and validates ranges; errors name `config.<field>`.
    pub fn resolve(self, max_participants_cap: usize) -> Result<SessionConfig> {
        let mut c = SessionConfig::default();
        // The default (10) never exceeds the engine's cap either.
        c.max_participants = c
            .max_participants
            .min(max_participants_cap.min(1000) as u32);
        if let Some(v) = self.consistency_mode {
            c.consistency_mode = v;
        }
        if let Some(v) = self.max_participants {
            let cap = max_participants_cap.min(1000);
            if v == 0 || v as usize > cap {
                return Err(Error::out_of_range(
                    "config.max_participants",
                    format!("must be 1..={cap}, got {v}"),
                ));
            }
            c.max_participants = v;
        }
        if let Some(v) = self.max_duration_seconds {
            if v == 0 || v > 604_800 {
                return Err(Error::out_of_range(
                    "config.max_duration_seconds",
                    format!("must be 1..=604800, got {v}"),
                ));
            }
            c.max_duration_seconds = v;
        }
        if let Some(v) = self.min_sigma_eff {
            c.min_sigma_eff = check_score(v, "config.min_sigma_eff")?;
        }
        if let Some(v) = self.enable_audit {
            c.enable_audit = v;
        }
        if let Some(v) = self.isolation_level {
            c.isolation_level = v;
        }
        Ok(c)
    }
}

crate::request! {
    /// `session.create`.
    pub struct CreateRequest {
        /// Session configuration.
        pub config: Option<SessionConfigInput>,
        /// The creating agent.
        pub creator_did: String,
        /// Caller-chosen id (minted `session:<hex>` when absent).
        pub session_id: Option<String>,
    }
}

crate::request! {
    /// `session.join`.
    pub struct JoinRequest {
        /// Session to join.
        pub session_id: String,
        /// The joining agent.
        pub agent_did: String,
        /// Caller-asserted σ.
        pub sigma_raw: Option<f64>,
        /// Actions the agent declares (registered in the session's reversibility registry).
        pub actions: Option<Vec<ActionDescriptor>>,
        /// IATP capability manifest.
        pub manifest: Option<Manifest>,
        /// Transaction history to verify.
        pub history: Option<Vec<TransactionRecord>>,
        /// Parent agent (an active participant): caps the ring at parent's + 1.
        pub parent_did: Option<String>,
        /// Consensus for ring 1.
        pub has_consensus: Option<bool>,
    }
}

/// A participant as returned in Session objects.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Participant {
    /// The agent.
    pub agent_did: String,
    /// Base ring.
    pub ring: Ring,
    /// Ring including an active elevation.
    pub effective_ring: Ring,
    /// σ at join.
    pub sigma_raw: f64,
    /// Current σ (after slashes).
    pub sigma: f64,
    /// σ plus ω × active bonds, with ω = the default risk weight 0.5.
    pub sigma_eff: f64,
    /// When the agent joined.
    pub joined_at: Timestamp,
    /// False after leave or kill.
    pub is_active: bool,
    /// Under an active quarantine.
    pub quarantined: bool,
    /// Killed.
    pub killed: bool,
}

/// A Session object (API.md §4.1).
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Id.
    pub session_id: String,
    /// Lifecycle state.
    pub state: SessionState,
    /// Effective consistency mode.
    pub consistency_mode: ConsistencyMode,
    /// Isolation level.
    pub isolation_level: IsolationLevel,
    /// Resolved configuration.
    pub config: SessionConfig,
    /// Creator.
    pub creator_did: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Termination time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminated_at: Option<Timestamp>,
    /// Participants in join order.
    pub participants: Vec<Participant>,
}

/// `admission` part of a join result.
#[derive(Debug, Clone, Serialize)]
pub struct Admission {
    /// Ledger recommendation.
    pub recommendation: Recommendation,
    /// Ledger risk score.
    pub risk_score: f64,
}

/// `session.join` result.
#[derive(Debug, Clone, Serialize)]
pub struct JoinResult {
    /// Session.
    pub session_id: String,
    /// Agent.
    pub agent_did: String,
    /// Assigned ring.
    pub ring: Ring,
    /// Resolved σ.
    pub sigma_raw: f64,
    /// σ_eff at join (no bonds yet, so equal to σ).
    pub sigma_eff: f64,
    /// The session's consistency mode after registering the agent's actions.
    pub consistency_mode: ConsistencyMode,
    /// History verification.
    pub verification: HistoryReport,
    /// Ledger admission.
    pub admission: Admission,
    /// Declared actions whose id was already registered with a different descriptor; the
    /// first registration stays authoritative (a later joiner cannot weaken an action).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicting_actions: Vec<String>,
}

/// `gc` part of a terminate result.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TerminateGc {
    /// VFS files purged.
    pub purged_vfs_files: usize,
    /// Audit deltas kept (until retention GC).
    pub retained_deltas: usize,
}

/// `session.terminate` result.
#[derive(Debug, Clone, Serialize)]
pub struct TerminateResult {
    /// Session.
    pub session_id: String,
    /// Always archived.
    pub state: SessionState,
    /// Committed Merkle root (null without audit or deltas).
    pub merkle_root: Option<String>,
    /// Deltas in the tree.
    pub tree_size: u64,
    /// Bonds released.
    pub bonds_released: usize,
    /// Purge summary.
    pub gc: TerminateGc,
    /// The recorded commitment, when there is a root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment: Option<crate::audit::Commitment>,
}
