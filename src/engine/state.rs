//! The per-session state the engine holds behind each session's lock.

use std::collections::HashMap;

use crate::error::{Code, Error, Result};
use crate::model::{ActionDescriptor, ConsistencyMode, Ring, SessionConfig, Timestamp};
use crate::session::lifecycle::Lifecycle;

use super::{Ctx, Stats};

/// A participant as the engine stores it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub agent_did: String,
    /// Base ring (elevation excluded).
    pub ring: Ring,
    pub sigma_raw: f64,
    /// Current σ (after slashes).
    pub sigma: f64,
    pub joined_at: Timestamp,
    pub is_active: bool,
    pub killed: bool,
    /// Slashed, quarantined or killed in this session: no `clean_session` ledger entry.
    pub tainted: bool,
}

/// One shared session.
pub struct Session {
    pub(crate) id: String,
    pub(crate) config: SessionConfig,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) consistency_mode: ConsistencyMode,
    pub(crate) creator_did: String,
    pub(crate) created_at: Timestamp,
    pub(crate) terminated_at: Option<Timestamp>,
    pub(crate) members: Vec<Member>,
    pub(crate) index: HashMap<String, usize>,
    /// The reversibility registry: actions declared at join.
    pub(crate) actions: HashMap<String, ActionDescriptor>,
}

impl Session {
    pub(crate) fn new(
        id: String,
        config: SessionConfig,
        creator_did: String,
        now: Timestamp,
    ) -> Session {
        Session {
            id,
            consistency_mode: config.consistency_mode,
            config,
            lifecycle: Lifecycle::default(),
            creator_did,
            created_at: now,
            terminated_at: None,
            members: Vec::new(),
            index: HashMap::new(),
            actions: HashMap::new(),
        }
    }

    /// The member record, or `AGENT_NOT_FOUND`.
    pub(crate) fn member(&self, agent: &str) -> Result<&Member> {
        match self.index.get(agent) {
            Some(&i) => Ok(&self.members[i]),
            None => Err(self.agent_not_found(agent)),
        }
    }

    /// Mutable member record, or `AGENT_NOT_FOUND`.
    pub(crate) fn member_mut(&mut self, agent: &str) -> Result<&mut Member> {
        match self.index.get(agent) {
            Some(&i) => Ok(&mut self.members[i]),
            None => Err(self.agent_not_found(agent)),
        }
    }

    fn agent_not_found(&self, agent: &str) -> Error {
        if let Err(e) = crate::ids::validate_id(agent, "agent_did") {
            return e;
        }
        Error::new(
            Code::AGENT_NOT_FOUND,
            format!(
                "agent '{agent}' is not a participant of session '{}'",
                self.id
            ),
        )
        .with_detail("agent_did", agent)
        .with_detail("session_id", self.id.as_str())
    }

    /// Number of active participants.
    pub(crate) fn active_count(&self) -> usize {
        self.members.iter().filter(|m| m.is_active).count()
    }

    /// Effective ring of a member at `now` (elevation included).
    pub(crate) fn effective_ring(&self, m: &Member, _now: Timestamp) -> Ring {
        m.ring
    }

    /// Expiries that must be noticed on every call: run before any operation.
    pub(crate) fn housekeeping(&mut self, _ctx: &mut Ctx<'_>) {}

    pub(crate) fn add_stats(&self, st: &mut Stats) {
        if self.lifecycle.state() == crate::model::SessionState::Active {
            st.active_sessions += 1;
        }
        st.participants += self.active_count();
    }
}

impl Session {
    /// A registered action, or `ACTION_NOT_FOUND`.
    pub(crate) fn action(&self, id: &str) -> Result<&ActionDescriptor> {
        self.actions.get(id).ok_or_else(|| {
            Error::not_found(Code::ACTION_NOT_FOUND, "action", id)
                .with_detail("session_id", self.id.as_str())
        })
    }

    /// Feeds the breach detector with one call by `agent` at `agent_ring` to an action
    /// requiring `required`.
    pub(crate) fn record_ring_call(
        &mut self,
        _agent: &str,
        _agent_ring: Ring,
        _required: Ring,
        _ctx: &mut Ctx<'_>,
    ) {
    }
}
