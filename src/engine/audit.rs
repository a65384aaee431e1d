//! Audit methods (API.md §4.7): explicit capture, queries, the pure integrity check, Merkle
//! root and proofs, commitments and retention GC.
//!
//! Reads (`audit.deltas`, `audit.verify`, `audit.root`, `audit.proof`, `audit.consistency`)
//! work in every session state, archived included, and on sessions with audit disabled (whose
//! log is simply empty). `audit.capture` needs an active session with audit enabled
//! (`AUDIT_DISABLED`, INVALID_STATE) and a non-killed participant: capture is the host
//! recording what happened, so a quarantined or ring-3 agent's actions may still be recorded.

use serde::Serialize;

use super::state::Session;
use super::{Ctx, Hypervisor, SessionCell};
use crate::audit::{Change, Commitment, ConsistencyProof, Delta, InclusionProof, VerifyReport};
use crate::error::{Code, Error, Result};
use crate::model::{SessionState, Timestamp};
use crate::observability::events::EventType;

/// Default page size of `audit.deltas`.
const DELTAS_DEFAULT_LIMIT: usize = 1000;
/// Largest page of `audit.deltas`.
const DELTAS_MAX_LIMIT: usize = 10_000;

crate::request! {
    /// `audit.capture`.
    pub struct CaptureRequest {
        /// Session.
        pub session_id: String,
        /// The agent the changes are attributed to.
        pub agent_did: String,
        /// The changes (at least one).
        pub changes: Vec<Change>,
    }
}

crate::request! {
    /// `audit.deltas`.
    pub struct DeltasRequest {
        /// Session.
        pub session_id: String,
        /// Only turns after this one.
        pub after_turn: Option<u64>,
        /// Page size, 1..=10000 (default 1000).
        pub limit: Option<usize>,
    }
}

crate::request! {
    /// `audit.proof`.
    pub struct ProofRequest {
        /// Session.
        pub session_id: String,
        /// The 1-based turn to prove.
        pub turn_id: u64,
        /// Tree size the proof is for (default: current).
        pub tree_size: Option<u64>,
    }
}

crate::request! {
    /// `audit.consistency`.
    pub struct ConsistencyRequest {
        /// Session.
        pub session_id: String,
        /// Older tree size.
        pub first_size: u64,
        /// Newer tree size.
        pub second_size: u64,
    }
}

crate::request! {
    /// `audit.verify_commitment`.
    pub struct VerifyCommitmentRequest {
        /// Session.
        pub session_id: String,
        /// Root to check (64 hex digits, any case).
        pub merkle_root: String,
    }
}

crate::request! {
    /// `audit.gc`: one archived session, or every archived session when absent.
    pub struct GcRequest {
        /// Session (must be archived).
        pub session_id: Option<String>,
    }
}

/// `audit.deltas` response.
#[derive(Debug, Clone, Serialize)]
pub struct DeltasPage {
    /// The deltas, oldest first.
    pub deltas: Vec<Delta>,
    /// Total deltas ever captured (the last turn id).
    pub tree_size: u64,
    /// Deltas dropped by retention GC (turns `1..=gc_dropped` have no body any more).
    pub gc_dropped: u64,
}

/// `audit.root` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootView {
    /// Lowercase hex root, `null` without deltas.
    pub merkle_root: Option<String>,
    /// Number of deltas covered.
    pub tree_size: u64,
}

/// `audit.commitment` response.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentView {
    /// The commitment fields.
    #[serde(flatten)]
    pub commitment: Commitment,
    /// True when recorded at terminate; false for the current root of a live session.
    pub committed: bool,
}

/// One session's part of an `audit.gc` result.
#[derive(Debug, Clone, Serialize)]
pub struct GcSession {
    /// Session.
    pub session_id: String,
    /// Deltas dropped now.
    pub collected: usize,
    /// Delta bodies still held.
    pub retained_deltas: usize,
}

/// `audit.gc` response.
#[derive(Debug, Clone, Serialize)]
pub struct GcResult {
    /// Deltas captured before this time were eligible.
    pub cutoff: Timestamp,
    /// Total deltas dropped.
    pub collected: usize,
    /// Archived sessions examined.
    pub sessions_checked: usize,
    /// Sessions that dropped something (with `session_id`: that session, always).
    pub sessions: Vec<GcSession>,
}

fn audit_disabled(session_id: &str) -> Error {
    Error::new(
        Code::AUDIT_DISABLED,
        format!("session '{session_id}' was created with enable_audit: false"),
    )
    .with_detail("session_id", session_id)
}

impl Session {
    /// `CAPACITY_EXCEEDED` (`details.table = "audit_deltas"`) when audit is on and the log
    /// holds `max_deltas_per_session` deltas: checked before any audited mutation.
    pub(crate) fn require_audit_room(&self, ctx: &Ctx<'_>) -> Result<()> {
        let max = ctx.hv.cfg.limits.max_deltas_per_session;
        if self.config.enable_audit && self.audit.tree_size() >= max as u64 {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "session '{}' holds {max} audit deltas, the maximum (max_deltas_per_session)",
                    self.id
                ),
            )
            .with_detail("table", "audit_deltas")
            .with_detail("limit", max));
        }
        Ok(())
    }

    /// The recorded commitment, else one for the current root (`AUDIT_DISABLED` /
    /// `AUDIT_EMPTY` when there is nothing to commit to).
    fn commitment_view(&self, now: Timestamp) -> Result<CommitmentView> {
        if let Some(c) = &self.commitment {
            return Ok(CommitmentView {
                commitment: c.clone(),
                committed: true,
            });
        }
        if !self.config.enable_audit {
            return Err(audit_disabled(&self.id));
        }
        match self
            .audit
            .commitment(&self.id, self.participant_dids(), now)
        {
            Some(c) => Ok(CommitmentView {
                commitment: c,
                committed: false,
            }),
            None => Err(Error::new(
                Code::AUDIT_EMPTY,
                format!("session '{}' has no audit deltas to commit to", self.id),
            )
            .with_detail("session_id", self.id.as_str())),
        }
    }
}

impl Hypervisor {
    /// `audit.capture`: appends a delta of explicit changes (module docs for who may).
    pub fn audit_capture_changes(&self, req: CaptureRequest) -> Result<Delta> {
        self.audit_capture_with(req, |d| Ok(d.clone()))
    }

    /// [`Self::audit_capture_changes`], handing the stored delta to `f` (under the session
    /// lock: `f` must not call host code) instead of cloning it; the C ABI serialises it there.
    pub fn audit_capture_with<R>(
        &self,
        req: CaptureRequest,
        f: impl FnOnce(&Delta) -> Result<R>,
    ) -> Result<R> {
        if req.changes.is_empty() {
            return Err(Error::invalid("changes", "must hold at least one change"));
        }
        let agent = req.agent_did.as_str();
        let changes = req.changes;
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "audit.capture")?;
            s.require_member(agent)?;
            if !s.config.enable_audit {
                return Err(audit_disabled(&s.id));
            }
            s.require_audit_room(ctx)?;
            let delta = s
                .audit_capture(agent, changes, ctx)?
                .ok_or_else(|| Error::new(Code::INTERNAL, "audit capture returned nothing"))?;
            f(delta)
        })
    }

    /// `audit.deltas`: retained deltas after `after_turn`, at most `limit` (default 1000,
    /// 1..=10000).
    pub fn audit_deltas(&self, req: &DeltasRequest) -> Result<DeltasPage> {
        let limit = match req.limit {
            None => DELTAS_DEFAULT_LIMIT,
            Some(l) if (1..=DELTAS_MAX_LIMIT).contains(&l) => l,
            Some(_) => return Err(Error::out_of_range("limit", "must be 1..=10000")),
        };
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, _ctx| {
            Ok(DeltasPage {
                deltas: s.audit.deltas(req.after_turn, Some(limit)).to_vec(),
                tree_size: s.audit.tree_size(),
                gc_dropped: s.audit.dropped_count(),
            })
        })
    }

    /// `audit.verify`: pure integrity check; never mutates stored hashes.
    pub fn audit_verify(&self, session_id: &str, trace: Option<&str>) -> Result<VerifyReport> {
        self.with_session(session_id, trace, |s, _ctx| Ok(s.audit.verify()))
    }

    /// `audit.root`: O(log n).
    pub fn audit_root(&self, session_id: &str, trace: Option<&str>) -> Result<RootView> {
        self.with_session(session_id, trace, |s, _ctx| {
            Ok(RootView {
                merkle_root: s.audit.root().map(hex::encode),
                tree_size: s.audit.tree_size(),
            })
        })
    }

    /// `audit.proof`: exactly the object `hv_verify_inclusion` takes.
    pub fn audit_proof(&self, req: &ProofRequest) -> Result<InclusionProof> {
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, _ctx| {
            s.audit.proof(req.turn_id, req.tree_size)
        })
    }

    /// `audit.consistency`: exactly the object `hv_verify_consistency` takes.
    pub fn audit_consistency(&self, req: &ConsistencyRequest) -> Result<ConsistencyProof> {
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, _ctx| {
            s.audit.consistency(req.first_size, req.second_size)
        })
    }

    /// `audit.commitment`: the commitment recorded at terminate, else the current root.
    pub fn audit_commitment(
        &self,
        session_id: &str,
        trace: Option<&str>,
    ) -> Result<CommitmentView> {
        self.with_session(session_id, trace, |s, ctx| s.commitment_view(ctx.now))
    }

    /// `audit.verify_commitment`: does `merkle_root` equal the root `audit.commitment` reports?
    pub fn audit_verify_commitment(&self, req: &VerifyCommitmentRequest) -> Result<bool> {
        crate::audit::proof::parse_hash(&req.merkle_root, || "merkle_root".into())?;
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.commitment_view(ctx.now)?
                .commitment
                .verify_root(&req.merkle_root)
        })
    }

    /// `audit.gc`: drops deltas captured more than `retention_days` ago from archived
    /// sessions (one, or all when `session_id` is absent); Merkle leaves, roots and
    /// commitments stay. A named session that is not archived is `INVALID_SESSION_STATE`.
    /// Emits `audit.gc_collected` per session that dropped something.
    pub fn audit_gc(&self, req: &GcRequest) -> Result<GcResult> {
        let days = i64::try_from(self.cfg.retention_days).unwrap_or(i64::MAX);
        let cutoff = self
            .clock
            .now()
            .plus_micros(days.saturating_mul(-86_400 * Timestamp::MICROS_PER_SEC));
        let cells: Vec<std::sync::Arc<SessionCell>> = match &req.session_id {
            Some(id) => vec![self.cell(id)?],
            None => self.sessions.read().values().cloned().collect(),
        };
        let named = req.session_id.is_some();
        let trace = req.trace_id.as_deref();
        let mut result = GcResult {
            cutoff,
            collected: 0,
            sessions_checked: 0,
            sessions: Vec::new(),
        };
        for cell in cells {
            let one = self.with_cell(&cell, trace, |s, ctx| {
                if s.lifecycle.state() != SessionState::Archived {
                    if named {
                        s.lifecycle.require(&[SessionState::Archived], "audit.gc")?;
                    }
                    return Ok(None);
                }
                let collected = s.audit.gc(cutoff);
                let retained_deltas = s.audit.len();
                if collected > 0 {
                    ctx.out.push(
                        EventType::AuditGcCollected,
                        ctx.now,
                        Some(&s.id),
                        None,
                        crate::payload!({"collected": collected, "retained_deltas": retained_deltas,
                               "cutoff": cutoff, "tree_size": s.audit.tree_size()}),
                    );
                }
                Ok(Some(GcSession {
                    session_id: s.id.clone(),
                    collected,
                    retained_deltas,
                }))
            })?;
            if let Some(g) = one {
                result.sessions_checked += 1;
                result.collected += g.collected;
                if named || g.collected > 0 {
                    result.sessions.push(g);
                }
            }
        }
        result
            .sessions
            .sort_by(|a, b| a.session_id.cmp(&b.session_id));
        Ok(result)
    }
}
