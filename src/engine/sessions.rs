//! Session lifecycle methods: create, join (with admission), activate, leave, get, list,
//! terminate.

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::json;

use super::session_types::*;
use super::state::{Member, Session};
use super::{Hypervisor, SessionCell};
use crate::error::{Code, Error, Result};
use crate::ids::{mint, IdKind};
use crate::integrations::iatp::{self};
use crate::liability::ledger::Recommendation;
use crate::model::{
    check_score, ActionDescriptor, ConsistencyMode, Reversibility, Ring, SessionState, Timestamp,
};
use crate::observability::events::EventType;
use crate::rings::enforcer::compute_ring;
use crate::session::lifecycle::SessionEvent;
use crate::verification::history::{validate_records, verify_history, HistoryStatus};

/// Archived session ids in archive order: evicted oldest-first when the session table is full.
pub(crate) type ArchiveQueue = Mutex<std::collections::VecDeque<String>>;

impl Session {
    pub(crate) fn participant_view(&self, m: &Member, now: Timestamp) -> Participant {
        Participant {
            agent_did: m.agent_did.clone(),
            ring: m.ring,
            effective_ring: self.effective_ring(m, now),
            sigma_raw: m.sigma_raw,
            sigma: m.sigma,
            sigma_eff: self.sigma_eff(m, crate::config::ATTRIBUTION_DEFAULT_RISK),
            joined_at: m.joined_at,
            is_active: m.is_active,
            quarantined: self.is_quarantined(&m.agent_did, now),
            killed: m.killed,
        }
    }

    pub(crate) fn view(&self, now: Timestamp) -> SessionView {
        SessionView {
            session_id: self.id.clone(),
            state: self.lifecycle.state(),
            consistency_mode: self.consistency_mode,
            isolation_level: self.config.isolation_level,
            config: self.config.clone(),
            creator_did: self.creator_did.clone(),
            created_at: self.created_at,
            terminated_at: self.terminated_at,
            participants: self
                .members
                .iter()
                .map(|m| self.participant_view(m, now))
                .collect(),
        }
    }
}

impl Hypervisor {
    /// `session.create`: a new session in state handshaking.
    pub fn create_session(&self, req: CreateRequest) -> Result<SessionView> {
        Hypervisor::check_new_id(&req.creator_did, "creator_did")?;
        let config = req
            .config
            .unwrap_or_default()
            .resolve(self.cfg.limits.max_participants)?;
        let id = match req.session_id {
            Some(id) => {
                Hypervisor::check_new_id(&id, "session_id")?;
                id
            }
            None => mint(IdKind::Session),
        };
        let now = self.clock.now();
        let mut session = Session::new(id.clone(), config, req.creator_did, now, &self.cfg.limits);
        session.lifecycle.apply(SessionEvent::Handshake)?;
        let view = session.view(now);
        let cell = Arc::new(SessionCell {
            id: id.clone(),
            inner: parking_lot::Mutex::new(session),
            owned: Default::default(),
        });
        // Dropped after the session table's lock is released.
        let mut evicted = None;
        {
            let mut sessions = self.sessions.write();
            if sessions.contains_key(&id) {
                return Err(Error::new(
                    Code::DUPLICATE_ID,
                    format!("session '{id}' already exists"),
                )
                .with_detail("session_id", id));
            }
            if sessions.len() >= self.cfg.limits.max_sessions {
                // Overflow policy: evict the oldest archived session; refuse if none.
                let victim = self.archived.lock().pop_front();
                match victim {
                    Some(v) => {
                        if let Some(old) = sessions.remove(&v) {
                            self.forget_owners(&old);
                            evicted = Some(old);
                        }
                    }
                    None => {
                        return Err(Error::new(
                            Code::CAPACITY_EXCEEDED,
                            format!(
                                "at most {} sessions (limits.max_sessions) and none archived to evict",
                                self.cfg.limits.max_sessions
                            ),
                        )
                        .with_detail("table", "sessions"));
                    }
                }
            }
            sessions.insert(id.clone(), cell);
        }
        drop(evicted);
        let mut out = crate::observability::events::Outbox::default();
        out.push(
            EventType::SessionCreated,
            now,
            Some(&id),
            Some(&view.creator_did),
            crate::payload!({"config": &view.config, "creator_did": &view.creator_did}),
        );
        self.publish(out, req.trace_id.as_deref());
        Ok(view)
    }

    /// `session.join`, in the order of API.md §4.1.
    pub fn join_session(&self, req: JoinRequest) -> Result<JoinResult> {
        let agent = req.agent_did.as_str();
        Hypervisor::check_new_id(agent, "agent_did")?;
        if let Some(s) = req.sigma_raw {
            check_score(s, "sigma_raw")?;
        }
        if let Some(p) = &req.parent_did {
            crate::ids::validate_id(p, "parent_did")?;
        }
        let cell = self.cell(&req.session_id)?;
        // (1) state, checked before any host callback runs.
        cell.inner.lock().lifecycle.require(
            &[SessionState::Handshaking, SessionState::Active],
            "session.join",
        )?;
        // (2) manifest.
        let analysis = match &req.manifest {
            Some(m) => {
                if m.agent_did != agent {
                    return Err(Error::invalid(
                        "manifest.agent_did",
                        format!("manifest is for '{}', not '{agent}'", m.agent_did),
                    ));
                }
                Some(iatp::analyze(
                    m.clone(),
                    "manifest",
                    self.cfg.limits.max_actions_per_session,
                )?)
            }
            None => None,
        };
        let actions: Vec<ActionDescriptor> = match (&req.actions, &analysis) {
            (Some(a), _) => {
                for (i, d) in a.iter().enumerate() {
                    d.validate(&format!("actions[{i}]"))?;
                }
                a.clone()
            }
            (None, Some(an)) => an.actions.clone(),
            (None, None) => Vec::new(),
        };
        // (4) history.
        let history = req.history.as_deref().unwrap_or(&[]);
        validate_records(history, self.cfg.limits.max_history_records, "history")?;
        let verification = verify_history(history);
        // (5) σ: the provider is asked on every join, outside every engine lock.
        let provider = self.trust.read().clone();
        let hint = analysis.as_ref().map(|a| a.sigma_hint);
        let provided = provider.and_then(|p| {
            let ctx = json!({
                "session_id": &req.session_id,
                "sigma_raw": req.sigma_raw,
                "sigma_hint": hint,
            })
            .to_string();
            p(agent, &ctx).filter(|s| s.is_finite() && (0.0..=1.0).contains(s))
        });
        let sigma = match (req.sigma_raw, provided) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => hint.unwrap_or(0.0),
        };
        // (7) ledger admission (engine-wide).
        let profile = self.ledger.lock().profile(agent);
        let has_consensus = req.has_consensus.unwrap_or(false);
        let trace = req.trace_id.as_deref();

        self.with_cell(&cell, trace, |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Handshaking, SessionState::Active], "session.join")?;
            if let Some(m) = s.index.get(agent).map(|&i| &s.members[i]) {
                if m.killed {
                    return Err(Error::new(
                        Code::AGENT_KILLED,
                        format!("agent '{agent}' was killed in session '{}'", s.id),
                    )
                    .with_detail("agent_did", agent));
                }
            }
            // (6) ring from σ_eff (no bonds exist before joining, so σ_eff = σ).
            let sigma_eff = sigma;
            let mut ring = compute_ring(sigma_eff, has_consensus);
            // (7)
            match profile.recommendation {
                Recommendation::Deny => {
                    return Err(Error::new(
                        Code::ADMISSION_DENIED,
                        format!(
                            "agent '{agent}' denied admission by the liability ledger (risk {:.2})",
                            profile.risk_score
                        ),
                    )
                    .with_detail("agent_did", agent)
                    .with_detail("risk_score", profile.risk_score));
                }
                Recommendation::Probation => ring = Ring::Sandbox,
                Recommendation::Admit => {}
            }
            // (8)
            if verification.status == HistoryStatus::Suspicious {
                ring = Ring::Sandbox;
            }
            // (9)
            if let Some(p) = &req.parent_did {
                let pm = s.member(p).map_err(|e| {
                    if e.code() == Code::AGENT_NOT_FOUND {
                        e.with_detail("field", "parent_did")
                    } else {
                        e
                    }
                })?;
                if !pm.is_active {
                    return Err(Error::new(
                        Code::AGENT_INACTIVE,
                        format!("parent_did '{p}' is not an active participant"),
                    )
                    .with_detail("field", "parent_did"));
                }
                let cap = s.effective_ring(pm, ctx.now).demoted();
                if cap.level() > ring.level() {
                    ring = cap;
                }
            }
            // (10)
            if s.active_count() >= s.config.max_participants as usize {
                return Err(Error::new(
                    Code::SESSION_FULL,
                    format!(
                        "session '{}' is full ({} participants)",
                        s.id, s.config.max_participants
                    ),
                )
                .with_detail("session_id", s.id.as_str()));
            }
            if s.index.contains_key(agent) {
                return Err(Error::new(
                    Code::AGENT_ALREADY_JOINED,
                    format!("agent '{agent}' already joined session '{}'", s.id),
                )
                .with_detail("agent_did", agent));
            }
            let max_members = ctx.hv.cfg.limits.max_members_per_session;
            if s.members.len() >= max_members {
                return Err(Error::new(
                    Code::CAPACITY_EXCEEDED,
                    format!(
                        "session '{}' has admitted {max_members} agents, departed ones included \
                         (limits.max_members_per_session)",
                        s.id
                    ),
                )
                .with_detail("table", "members")
                .with_detail("limit", max_members));
            }
            if sigma_eff < s.config.min_sigma_eff && ring != Ring::Sandbox {
                return Err(Error::new(
                    Code::SIGMA_TOO_LOW,
                    format!(
                        "sigma_eff {sigma_eff} is below the session minimum {} for ring {}",
                        s.config.min_sigma_eff,
                        ring.level()
                    ),
                )
                .with_detail("agent_did", agent));
            }
            let new_actions = actions
                .iter()
                .filter(|a| !s.actions.contains_key(&a.action_id))
                .count();
            if s.actions.len() + new_actions > ctx.hv.cfg.limits.max_actions_per_session {
                return Err(Error::new(
                    Code::CAPACITY_EXCEEDED,
                    "registered actions would exceed limits.max_actions_per_session",
                )
                .with_detail("table", "actions"));
            }
            // All checks passed: apply.
            let mut conflicting = Vec::new();
            for a in actions {
                if let Some(existing) = s.actions.get(&a.action_id) {
                    if *existing != a {
                        conflicting.push(a.action_id.clone());
                    }
                    continue;
                }
                if a.reversibility == Reversibility::None && !a.is_read_only {
                    s.consistency_mode = ConsistencyMode::Strong;
                }
                s.actions.insert(a.action_id.clone(), a);
            }
            s.index.insert(agent.to_owned(), s.members.len());
            s.members.push(Member {
                agent_did: agent.to_owned(),
                ring,
                sigma_raw: sigma,
                sigma,
                joined_at: ctx.now,
                is_active: true,
                killed: false,
                tainted: false,
            });
            let sid = s.id.as_str();
            if !history.is_empty() {
                ctx.out.push(
                    EventType::VerificationHistoryVerified,
                    ctx.now,
                    Some(sid),
                    Some(agent),
                    crate::payload!({"status": verification.status, "transactions_checked": verification.transactions_checked}),
                );
            }
            ctx.out.push(
                EventType::SessionJoined,
                ctx.now,
                Some(sid),
                Some(agent),
                crate::payload!({"sigma_raw": sigma, "ring": ring}),
            );
            ctx.out.push(
                EventType::RingAssigned,
                ctx.now,
                Some(sid),
                Some(agent),
                crate::payload!({"ring": ring, "sigma_eff": sigma_eff}),
            );
            Ok(JoinResult {
                session_id: s.id.clone(),
                agent_did: agent.to_owned(),
                ring,
                sigma_raw: sigma,
                sigma_eff,
                consistency_mode: s.consistency_mode,
                verification,
                admission: Admission {
                    recommendation: profile.recommendation,
                    risk_score: profile.risk_score,
                },
                conflicting_actions: conflicting,
            })
        })
    }

    /// `session.activate`: handshaking → active; needs at least one participant.
    pub fn activate_session(&self, session_id: &str, trace: Option<&str>) -> Result<SessionView> {
        self.with_session(session_id, trace, |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Handshaking], "session.activate")?;
            if s.active_count() == 0 {
                return Err(Error::new(
                    Code::NO_PARTICIPANTS,
                    format!("session '{}' has no participants to activate with", s.id),
                ));
            }
            s.lifecycle.apply(SessionEvent::Activate)?;
            ctx.out.push(
                EventType::SessionActivated,
                ctx.now,
                Some(&s.id),
                None,
                crate::payload!({"participants": s.active_count()}),
            );
            Ok(s.view(ctx.now))
        })
    }

    /// `session.leave`: the participant becomes inactive and its per-agent state is released.
    pub fn leave_session(
        &self,
        session_id: &str,
        agent: &str,
        trace: Option<&str>,
    ) -> Result<Participant> {
        self.with_session(session_id, trace, |s, ctx| {
            s.lifecycle.require(
                &[SessionState::Handshaking, SessionState::Active],
                "session.leave",
            )?;
            let m = s.member(agent)?;
            if m.killed {
                return Err(killed(agent, &s.id));
            }
            if !m.is_active {
                return Err(Error::new(
                    Code::AGENT_INACTIVE,
                    format!("agent '{agent}' already left session '{}'", s.id),
                )
                .with_detail("agent_did", agent));
            }
            s.release_agent_state(agent, ctx);
            s.member_mut(agent)?.is_active = false;
            ctx.out.push(
                EventType::SessionLeft,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({}),
            );
            let m = s.member(agent)?;
            Ok(s.participant_view(m, ctx.now))
        })
    }

    /// `session.get`.
    pub fn get_session(&self, session_id: &str) -> Result<SessionView> {
        self.with_session(session_id, None, |s, ctx| Ok(s.view(ctx.now)))
    }

    /// `session.list`, optionally filtered by state; ordered by creation time, then id.
    pub fn list_sessions(&self, state: Option<SessionState>) -> Vec<SessionView> {
        let cells: Vec<Arc<SessionCell>> = self.sessions.read().values().cloned().collect();
        let now = self.clock.now();
        let mut out: Vec<SessionView> = cells
            .iter()
            .filter_map(|c| {
                let s = c.inner.lock();
                (state.is_none_or(|st| s.lifecycle.state() == st)).then(|| s.view(now))
            })
            .collect();
        out.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.session_id.cmp(&b.session_id))
        });
        out
    }

    /// `session.terminate`: releases bonds and locks, commits the Merkle root, purges the VFS,
    /// records clean sessions in the ledger, archives.
    pub fn terminate_session(
        &self,
        session_id: &str,
        trace: Option<&str>,
    ) -> Result<TerminateResult> {
        self.with_session(session_id, trace, |s, ctx| {
            s.lifecycle.require(
                &[SessionState::Handshaking, SessionState::Active],
                "session.terminate",
            )?;
            s.terminate_locked(ctx, "terminated")
        })
    }
}

/// The `AGENT_KILLED` error.
pub(crate) fn killed(agent: &str, session_id: &str) -> Error {
    Error::new(
        Code::AGENT_KILLED,
        format!("agent '{agent}' was killed in session '{session_id}'"),
    )
    .with_detail("agent_did", agent)
}

impl Session {
    /// Releases what an agent holds in the session on leave or kill: its intent locks,
    /// elevation, rate bucket and substitute registration. Bonds stay until released or the
    /// session ends: liability outlives presence.
    pub(crate) fn release_agent_state(&mut self, agent: &str, ctx: &mut super::Ctx<'_>) {
        self.locks.release_agent(agent);
        if let Some(e) = self.elevations.revoke_agent(agent) {
            self.elevation_ended(&e, "elevation revoked", ctx);
        }
        self.rate.remove(agent, &ctx.hv.rate_buckets);
        self.substitutes.remove(agent);
    }

    /// Terminates and archives the session under its lock (`session.terminate`, or expiry of
    /// `max_duration_seconds`); `cause` goes into the `session.archived` payload.
    pub(crate) fn terminate_locked(
        &mut self,
        ctx: &mut super::Ctx<'_>,
        cause: &str,
    ) -> Result<TerminateResult> {
        self.lifecycle.apply(SessionEvent::Terminate)?;
        let result = self.teardown(ctx);
        self.release_spare_capacity();
        self.lifecycle.apply(SessionEvent::Archive)?;
        self.terminated_at = Some(ctx.now);
        ctx.out.push(
            EventType::SessionArchived,
            ctx.now,
            Some(&self.id),
            None,
            crate::payload!({ "cause": cause }),
        );
        ctx.hv.archived.lock().push_back(self.id.clone());
        Ok(result)
    }

    /// Terminate's teardown between `terminating` and `archived`.
    fn teardown(&mut self, ctx: &mut super::Ctx<'_>) -> TerminateResult {
        let bonds_released = self.vouches.release_all(ctx.now);
        self.locks.release_all();
        self.rate.clear(&ctx.hv.rate_buckets);
        let purged_vfs_files = self.vfs.purge();
        self.snapshots.clear();
        self.snapshot_order.clear();
        let (merkle_root, tree_size) = match self.audit.root() {
            Some(root) if self.config.enable_audit => {
                (Some(crate::audit::hex32(&root)), self.audit.tree_size())
            }
            _ => (None, 0),
        };
        let mut commitment = None;
        if merkle_root.is_some() {
            if let Some(c) = self
                .audit
                .commitment(&self.id, self.participant_dids(), ctx.now)
            {
                commitment = Some(c.clone());
                ctx.out.push(
                    EventType::AuditCommitted,
                    ctx.now,
                    Some(&self.id),
                    None,
                    crate::payload!({"merkle_root": &merkle_root, "tree_size": tree_size}),
                );
                self.commitment = Some(c);
            }
        }
        for m in &self.members {
            if !m.tainted && !m.killed {
                self.ledger(
                    ctx,
                    &m.agent_did,
                    crate::liability::ledger::LedgerEntryType::CleanSession,
                    0.0,
                    "session completed without slash, quarantine or kill",
                    None,
                );
            }
        }
        ctx.out.push(
            EventType::SessionTerminated,
            ctx.now,
            Some(&self.id),
            None,
            crate::payload!({"participants": self.members.len(), "bonds_released": bonds_released,
                   "merkle_root": &merkle_root, "tree_size": tree_size}),
        );
        TerminateResult {
            session_id: self.id.clone(),
            state: SessionState::Archived,
            merkle_root,
            tree_size,
            bonds_released,
            gc: TerminateGc {
                purged_vfs_files,
                retained_deltas: self.audit.len(),
            },
            commitment,
        }
    }
}
