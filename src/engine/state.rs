//! The per-session state the engine holds behind each session's lock.

use std::collections::VecDeque;

use crate::audit::{AuditLog, Commitment};
use crate::config::Limits;
use crate::error::{Code, Error, Result};
use crate::liability::ledger::{LedgerEntry, LedgerEntryType};
use crate::liability::quarantine::QuarantineTable;
use crate::liability::slashing::SigmaStore;
use crate::liability::vouching::VouchBook;
use crate::model::{ActionDescriptor, ConsistencyMode, Ring, SessionConfig, Timestamp};
use crate::observability::events::EventType;
use crate::rings::breach::BreachDetector;
use crate::rings::elevation::ElevationTable;
use crate::saga::checkpoint::CheckpointStore;
use crate::saga::fan_out::FanOutGroup;
use crate::saga::orchestrator::Saga;
use crate::security::id_hash::IdMap;
use crate::security::kill_switch::SubstitutePool;
use crate::security::rate_limiter::RateLimiter;
use crate::session::lifecycle::Lifecycle;
use crate::session::locks::LockTable;
use crate::session::vfs::{Vfs, VfsSnapshot};

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

/// A saga with its checkpoints.
pub(crate) struct SagaEntry {
    pub saga: Saga,
    pub checkpoints: CheckpointStore,
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
    pub(crate) index: IdMap<String, usize>,
    /// The reversibility registry: actions declared at join.
    pub(crate) actions: IdMap<String, ActionDescriptor>,
    // ---- VFS, consistency, audit
    pub(crate) vfs: Vfs,
    pub(crate) locks: LockTable,
    pub(crate) audit: AuditLog,
    pub(crate) snapshots: IdMap<String, VfsSnapshot>,
    pub(crate) snapshot_order: VecDeque<String>,
    pub(crate) commitment: Option<Commitment>,
    // ---- liability
    pub(crate) vouches: VouchBook,
    pub(crate) quarantine: QuarantineTable,
    // ---- rings and security
    pub(crate) rate: RateLimiter,
    /// Boxed for the same reason as `sagas`.
    pub(crate) breach: IdMap<String, Box<BreachDetector>>,
    pub(crate) elevations: ElevationTable,
    pub(crate) substitutes: SubstitutePool,
    // ---- sagas
    /// Boxed: a table slot then costs a pointer, not a whole entry, and a hash table holds at
    /// least four slots (one saga would otherwise cost four entries).
    pub(crate) sagas: IdMap<String, Box<SagaEntry>>,
    pub(crate) saga_order: Vec<String>,
    pub(crate) groups: IdMap<String, FanOutGroup>,
}

impl Session {
    pub(crate) fn new(
        id: String,
        config: SessionConfig,
        creator_did: String,
        now: Timestamp,
        limits: &Limits,
    ) -> Session {
        Session {
            vouches: VouchBook::new(id.as_str()),
            id,
            consistency_mode: config.consistency_mode,
            quarantine: QuarantineTable::new(limits.max_members_per_session),
            config,
            lifecycle: Lifecycle::default(),
            creator_did,
            created_at: now,
            terminated_at: None,
            members: Vec::new(),
            index: IdMap::default(),
            actions: IdMap::default(),
            vfs: Vfs::new(),
            locks: LockTable::new(limits),
            audit: AuditLog::new(limits.max_deltas_per_session),
            snapshots: IdMap::default(),
            snapshot_order: VecDeque::new(),
            commitment: None,
            rate: RateLimiter::new(),
            breach: IdMap::default(),
            elevations: ElevationTable::new(),
            substitutes: SubstitutePool::new(),
            sagas: IdMap::default(),
            saga_order: Vec::new(),
            groups: IdMap::default(),
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

    /// Effective ring of a member at `now` (an active elevation included).
    pub(crate) fn effective_ring(&self, m: &Member, now: Timestamp) -> Ring {
        self.elevations.effective_ring(&m.agent_did, m.ring, now)
    }

    /// σ_eff of a member for risk weight ω: min(1, σ + ω × active bonds). O(1).
    pub(crate) fn sigma_eff(&self, m: &Member, omega: f64) -> f64 {
        self.vouches.sigma_eff(m.sigma, omega, &m.agent_did)
    }

    /// True when the agent is under an active quarantine at `now`.
    pub(crate) fn is_quarantined(&self, agent: &str, now: Timestamp) -> bool {
        self.quarantine.is_quarantined(agent, now)
    }

    /// A registered action, or `ACTION_NOT_FOUND`.
    pub(crate) fn action(&self, id: &str) -> Result<&ActionDescriptor> {
        self.actions.get(id).ok_or_else(|| {
            Error::not_found(Code::ACTION_NOT_FOUND, "action", id)
                .with_detail("session_id", self.id.as_str())
        })
    }

    /// Active participant DIDs in join order.
    pub(crate) fn participant_dids(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| m.is_active)
            .map(|m| m.agent_did.clone())
            .collect()
    }

    /// Expiries noticed on every call (no background tick): vouches, elevations and
    /// quarantines whose time has passed are released, with their events and ledger entries.
    pub(crate) fn housekeeping(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let live = matches!(
            self.lifecycle.state(),
            crate::model::SessionState::Handshaking | crate::model::SessionState::Active
        );
        let deadline = self
            .created_at
            .plus_secs(f64::from(self.config.max_duration_seconds));
        if live && now >= deadline {
            // max_duration_seconds elapsed: the session ends as if terminated, noticed by the
            // first call that touches it (the call then sees an archived session).
            let _ = self.terminate_locked(ctx, "max_duration_seconds elapsed");
            return;
        }
        for vouch_id in self.vouches.expire_due(now) {
            if let Some(v) = self.vouches.get(&vouch_id) {
                let (voucher, vouchee) = (v.voucher_did.clone(), v.vouchee_did.clone());
                ctx.out.push(
                    EventType::VouchReleased,
                    now,
                    Some(&self.id),
                    Some(&voucher),
                    crate::payload!({"vouch_id": vouch_id, "vouchee_did": vouchee, "reason": "expired"}),
                );
                self.ledger(
                    ctx,
                    &voucher,
                    LedgerEntryType::VouchReleased,
                    0.0,
                    "vouch expired",
                    Some(&vouchee),
                );
            }
        }
        for e in self.elevations.expire_due(now) {
            ctx.hv
                .unregister_owner(super::Owned::Elevation, &e.elevation_id);
            ctx.out.push(
                EventType::RingElevationExpired,
                now,
                Some(&self.id),
                Some(&e.agent_did),
                crate::payload!({"elevation_id": e.elevation_id, "elevated_ring": e.elevated_ring,
                       "original_ring": e.original_ring, "expires_at": e.expires_at}),
            );
        }
        for q in self.quarantine.expire_due(now) {
            ctx.out.push(
                EventType::QuarantineReleased,
                now,
                Some(&self.id),
                Some(&q.agent_did),
                crate::payload!({"quarantine_id": q.quarantine_id, "reason": "expired"}),
            );
            self.ledger(
                ctx,
                &q.agent_did,
                LedgerEntryType::QuarantineReleased,
                0.0,
                "quarantine expired",
                None,
            );
        }
    }

    /// Writes a ledger entry for `agent`. The ledger is engine-wide; a full ledger (refused
    /// new agent) is counted there and never blocks the governance action that caused it.
    pub(crate) fn ledger(
        &self,
        ctx: &Ctx<'_>,
        agent: &str,
        entry_type: LedgerEntryType,
        severity: f64,
        details: &str,
        related: Option<&str>,
    ) {
        let entry = LedgerEntry {
            entry_type,
            session_id: self.id.clone(),
            severity: severity.clamp(0.0, 1.0),
            details: details.to_owned(),
            related_agent: related.map(str::to_owned),
            timestamp: ctx.now,
        };
        let _ = ctx.hv.ledger.lock().record(agent, entry);
    }

    /// At terminate, after the teardown: an archived session only grows again in rare paths,
    /// so capacity its tables and vectors were left with by growth is released (contents are
    /// untouched: everything a read method answers stays). The VFS, lock and bond tables were
    /// emptied by the teardown; their buffers go here too.
    pub(crate) fn release_spare_capacity(&mut self) {
        self.members.shrink_to_fit();
        self.index.shrink_to_fit();
        self.actions.shrink_to_fit();
        self.audit.shrink_to_fit();
        self.snapshots.shrink_to_fit();
        self.snapshot_order.shrink_to_fit();
        for d in self.breach.values_mut() {
            d.shrink_to_fit();
        }
        self.breach.shrink_to_fit();
        for e in self.sagas.values_mut() {
            e.saga.shrink_to_fit();
        }
        self.sagas.shrink_to_fit();
        self.saga_order.shrink_to_fit();
        self.groups.shrink_to_fit();
    }

    pub(crate) fn add_stats(&self, st: &mut Stats) {
        if self.lifecycle.state() == crate::model::SessionState::Active {
            st.active_sessions += 1;
        }
        st.participants += self.active_count();
        st.active_vouches += self.vouches.active_count();
        st.active_sagas += self
            .sagas
            .values()
            .filter(|e| !e.saga.state().is_terminal())
            .count();
    }
}

/// The members' σ values as the slashing module sees them.
pub(crate) struct MemberSigmas<'a> {
    pub members: &'a mut [Member],
    pub index: &'a IdMap<String, usize>,
}

impl SigmaStore for MemberSigmas<'_> {
    fn sigma(&self, agent: &str) -> Option<f64> {
        self.index.get(agent).map(|&i| self.members[i].sigma)
    }

    fn set_sigma(&mut self, agent: &str, v: f64) {
        if let Some(&i) = self.index.get(agent) {
            self.members[i].sigma = v;
        }
    }
}
