//! VFS methods (API.md §4.2), snapshots (§4.1 `session.snapshot` / `session.restore`) and the
//! intent-lock seam sagas use for their declared resources.
//!
//! Every VFS mutation (write, delete, set/clear permissions, restore) is governed in one order,
//! each check failing closed with nothing applied: session `active` → actor (`AGENT_KILLED`,
//! `AGENT_INACTIVE`, `AGENT_QUARANTINED`) → effective ring ≤ 2 (`RING_READ_ONLY`) → breach
//! breaker (`CIRCUIT_OPEN`) → room in the audit log (`CAPACITY_EXCEEDED`, only with audit on)
//! → rate limit (cost 1) → the VFS's own checks (path, permission, causal freshness, quota,
//! file cap). Only then is the VFS changed and, with audit on, one delta appended. The audit
//! append cannot fail at that point (room was checked, the changes are valid by construction),
//! so no mutation is ever left un-audited.

use std::collections::BTreeSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub(crate) mod locks;

use super::state::Session;
use super::{Ctx, Hypervisor, SessionView};
use crate::audit::{Change, ChangeOp};
use crate::error::{Code, Error, Result};
use crate::ids::{mint, validate_id, IdKind};
use crate::model::SessionState;
use crate::observability::events::EventType;
use crate::session::vfs::{
    normalize_path, DeleteOutcome, EditEntry, ReadOutcome, RestoreOutcome, VfsSnapshot,
    WriteOperation, WriteOutcome,
};

crate::request! {
    /// `vfs.write`.
    pub struct VfsWriteRequest {
        /// Session.
        pub session_id: String,
        /// The writing agent.
        pub agent_did: String,
        /// Path inside the session namespace.
        pub path: String,
        /// New content.
        pub content: String,
    }
}

crate::request! {
    /// `vfs.read`.
    pub struct VfsReadRequest {
        /// Session.
        pub session_id: String,
        /// Path inside the session namespace.
        pub path: String,
        /// The reading agent: permissions apply and its clock merges the path's.
        pub agent_did: Option<String>,
    }
}

crate::request! {
    /// `vfs.delete` and `vfs.clear_permissions`.
    pub struct VfsPathRequest {
        /// Session.
        pub session_id: String,
        /// The acting agent.
        pub agent_did: String,
        /// Path inside the session namespace.
        pub path: String,
    }
}

crate::request! {
    /// `vfs.set_permissions`.
    pub struct VfsPermissionsRequest {
        /// Session.
        pub session_id: String,
        /// The acting agent.
        pub agent_did: String,
        /// Path inside the session namespace.
        pub path: String,
        /// The only agents allowed on the path from now on (non-empty).
        pub allowed_agents: Vec<String>,
    }
}

crate::request! {
    /// `vfs.edits`.
    pub struct VfsEditsRequest {
        /// Session.
        pub session_id: String,
        /// Only this agent's edits.
        pub agent_did: Option<String>,
    }
}

crate::request! {
    /// `session.restore`.
    pub struct RestoreRequest {
        /// Session.
        pub session_id: String,
        /// A snapshot of this session.
        pub snapshot_id: String,
        /// The restoring agent (governed like a writer).
        pub agent_did: String,
    }
}

/// The audit delta a mutation appended: `delta:{turn_id, delta_hash}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeltaRef {
    /// 1-based turn of the delta.
    pub turn_id: u64,
    /// Its hash (lowercase hex).
    pub delta_hash: String,
}

/// `vfs.write` response.
#[derive(Debug, Clone, Serialize)]
pub struct VfsWriteResult {
    /// Path, operation, hashes, clock.
    #[serde(flatten)]
    pub outcome: WriteOutcome,
    /// The audit delta (audit on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaRef>,
}

/// `vfs.delete` response.
#[derive(Debug, Clone, Serialize)]
pub struct VfsDeleteResult {
    /// Path, deleted content hash, clock.
    #[serde(flatten)]
    pub outcome: DeleteOutcome,
    /// The audit delta (audit on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaRef>,
}

/// `vfs.set_permissions` / `vfs.clear_permissions` response.
#[derive(Debug, Clone, Serialize)]
pub struct VfsPermissionsResult {
    /// The normalised path.
    pub path: String,
    /// The agents now allowed (sorted); empty when the path is unrestricted.
    pub allowed_agents: Vec<String>,
    /// False when nothing changed (clearing an unrestricted path).
    pub changed: bool,
    /// The audit delta (audit on and something changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaRef>,
}

/// `session.snapshot` response.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotResult {
    /// Minted `snap:` id.
    pub snapshot_id: String,
    /// Files captured.
    pub files: usize,
    /// Content bytes captured.
    pub bytes: usize,
}

/// `session.restore` response: the Session plus what the restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreResult {
    /// The Session object.
    #[serde(flatten)]
    pub session: SessionView,
    /// Counts and the restorer's clock.
    pub restore: RestoreOutcome,
    /// The audit delta (audit on and something changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaRef>,
}

/// Hex SHA-256 of the canonical JSON array of allowed agents (sorted, no whitespace): the
/// `content_hash` of a `permission` change that restricts a path (`null` when lifting one).
pub fn permission_hash<'a>(allowed: impl IntoIterator<Item = &'a String>) -> String {
    let sorted: BTreeSet<&str> = allowed.into_iter().map(String::as_str).collect();
    let bytes = serde_json::to_vec(&sorted).unwrap_or_default();
    crate::audit::hex32(&Sha256::digest(&bytes).into())
}

fn permission_change(path: &str, allowed: Option<&BTreeSet<String>>) -> Change {
    Change {
        path: path.to_owned(),
        operation: ChangeOp::Permission,
        content_hash: allowed.map(permission_hash),
        previous_hash: None,
    }
}

/// The audit changes a restore to `snap` makes to a VFS whose current state is `cur`:
/// upserts (add / modify) in path order, then removals, then permission changes.
fn restore_changes(cur: &VfsSnapshot, snap: &VfsSnapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for p in snap.paths() {
        let Some(new) = snap.file(p) else { continue };
        match cur.file(p) {
            Some(old) if old.content_hash == new.content_hash => {}
            old => out.push(Change {
                path: p.to_owned(),
                operation: if old.is_some() {
                    ChangeOp::Modify
                } else {
                    ChangeOp::Add
                },
                content_hash: Some(new.content_hash.to_hex()),
                previous_hash: old.map(|o| o.content_hash.to_hex()),
            }),
        }
    }
    for p in cur.paths() {
        if snap.file(p).is_none() {
            out.push(Change {
                path: p.to_owned(),
                operation: ChangeOp::Delete,
                content_hash: None,
                previous_hash: cur.file(p).map(|f| f.content_hash.to_hex()),
            });
        }
    }
    let before: std::collections::BTreeMap<&str, &BTreeSet<String>> = cur.permissions().collect();
    let after: std::collections::BTreeMap<&str, &BTreeSet<String>> = snap.permissions().collect();
    let paths: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for p in paths {
        if before.get(p) != after.get(p) {
            out.push(permission_change(p, after.get(p).copied()));
        }
    }
    out
}

impl Session {
    /// The governance every VFS mutation passes (module docs), in order.
    pub(crate) fn govern_vfs_mutation(
        &mut self,
        agent: &str,
        what: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<()> {
        self.lifecycle.require(&[SessionState::Active], what)?;
        let m = self.require_actor(agent, ctx)?;
        let ring = self.effective_ring(m, ctx.now);
        if ring.level() > 2 {
            return Err(Error::new(
                Code::RING_READ_ONLY,
                format!("agent '{agent}' is in ring 3 (sandbox), which is read-only"),
            )
            .with_detail("agent_did", agent)
            .with_detail("ring", ring.level()));
        }
        self.require_breaker_closed(agent, ctx)?;
        self.require_audit_room(ctx)?;
        self.rate_limit(agent, 1.0, ctx)?;
        Ok(())
    }

    /// Emits `vfs.conflict` when a VFS call failed with `CAUSAL_VIOLATION`.
    fn note_vfs_error(&self, agent: &str, operation: &str, e: &Error, ctx: &mut Ctx<'_>) {
        if e.code() != Code::CAUSAL_VIOLATION {
            return;
        }
        let d = e.details();
        ctx.out.push(
            EventType::VfsConflict,
            ctx.now,
            Some(&self.id),
            Some(agent),
            crate::payload!({"path": d.and_then(|d| d.get("path")),
                   "last_writer": d.and_then(|d| d.get("last_writer")),
                   "operation": operation,
                   "isolation_level": self.config.isolation_level}),
        );
    }

    /// Appends the delta of a mutation that already passed [`Self::require_audit_room`].
    fn audit_mutation(
        &mut self,
        agent: &str,
        changes: Vec<Change>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Option<DeltaRef>> {
        Ok(self.audit_capture(agent, changes, ctx)?.map(|d| DeltaRef {
            turn_id: d.turn_id,
            delta_hash: d.delta_hash.clone(),
        }))
    }
}

impl Hypervisor {
    /// `vfs.write` (module docs for the governance order). A stale write under
    /// `read_committed` / `serializable` fails `CAUSAL_VIOLATION` and emits `vfs.conflict`.
    pub fn vfs_write(&self, req: &VfsWriteRequest) -> Result<VfsWriteResult> {
        let path = normalize_path(&req.path)?;
        let agent = req.agent_did.as_str();
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.govern_vfs_mutation(agent, "vfs.write", ctx)?;
            let hv = ctx.hv;
            let isolation = s.config.isolation_level;
            let outcome = s
                .vfs
                .write(
                    agent,
                    &path,
                    &req.content,
                    ctx.now,
                    isolation,
                    &hv.cfg.limits,
                )
                .inspect_err(|e| s.note_vfs_error(agent, "write", e, ctx))?;
            let change = Change {
                path: outcome.path.clone(),
                operation: match outcome.operation {
                    WriteOperation::Create => ChangeOp::Add,
                    WriteOperation::Update => ChangeOp::Modify,
                },
                content_hash: Some(outcome.content_hash.to_hex()),
                previous_hash: outcome.previous_hash.map(|h| h.to_hex()),
            };
            let delta = s.audit_mutation(agent, vec![change], ctx)?;
            ctx.out.push(
                EventType::VfsWrite,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"path": outcome.path, "operation": outcome.operation,
                       "content_hash": outcome.content_hash, "bytes": req.content.len(),
                       "turn_id": delta.as_ref().map(|d| d.turn_id)}),
            );
            Ok(VfsWriteResult { outcome, delta })
        })
    }

    /// `vfs.read`: session handshaking or active. With `agent_did`: a non-killed participant
    /// (quarantined and ring-3 agents may read), permissions apply, and the path's clock is
    /// merged into the agent's.
    pub fn vfs_read(&self, req: &VfsReadRequest) -> Result<ReadOutcome> {
        let path = normalize_path(&req.path)?;
        let agent = req.agent_did.as_deref();
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, _ctx| {
            s.lifecycle.require(
                &[SessionState::Handshaking, SessionState::Active],
                "vfs.read",
            )?;
            if let Some(a) = agent {
                s.require_member(a)?;
            }
            s.vfs.read(&path, agent)
        })
    }

    /// `vfs.delete`: governed like a write; the delta records `delete` with the old hash.
    pub fn vfs_delete(&self, req: &VfsPathRequest) -> Result<VfsDeleteResult> {
        let path = normalize_path(&req.path)?;
        let agent = req.agent_did.as_str();
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.govern_vfs_mutation(agent, "vfs.delete", ctx)?;
            let hv = ctx.hv;
            let isolation = s.config.isolation_level;
            let outcome = s
                .vfs
                .delete(agent, &path, ctx.now, isolation, &hv.cfg.limits)
                .inspect_err(|e| s.note_vfs_error(agent, "delete", e, ctx))?;
            let change = Change {
                path: outcome.path.clone(),
                operation: ChangeOp::Delete,
                content_hash: None,
                previous_hash: Some(outcome.previous_hash.to_hex()),
            };
            let delta = s.audit_mutation(agent, vec![change], ctx)?;
            ctx.out.push(
                EventType::VfsDelete,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"path": outcome.path, "previous_hash": outcome.previous_hash,
                       "turn_id": delta.as_ref().map(|d| d.turn_id)}),
            );
            Ok(VfsDeleteResult { outcome, delta })
        })
    }

    /// `vfs.list`: the paths holding files, sorted (session handshaking or active).
    pub fn vfs_list(&self, session_id: &str, trace: Option<&str>) -> Result<Vec<String>> {
        self.with_session(session_id, trace, |s, _ctx| {
            s.lifecycle.require(
                &[SessionState::Handshaking, SessionState::Active],
                "vfs.list",
            )?;
            Ok(s.vfs.list())
        })
    }

    /// `vfs.set_permissions`: governed like a write; the delta records `permission` with the
    /// hash of the new allowed set ([`permission_hash`]). Emits `vfs.write` with
    /// `operation: "set_permissions"`.
    pub fn vfs_set_permissions(&self, req: VfsPermissionsRequest) -> Result<VfsPermissionsResult> {
        let path = normalize_path(&req.path)?;
        if req.allowed_agents.is_empty() {
            return Err(Error::invalid(
                "allowed_agents",
                "must name at least one agent (use vfs.clear_permissions to lift a restriction)",
            ));
        }
        for (i, did) in req.allowed_agents.iter().enumerate() {
            validate_id(did, &format!("allowed_agents[{i}]"))?;
        }
        let agent = req.agent_did.as_str();
        let allowed = req.allowed_agents;
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.govern_vfs_mutation(agent, "vfs.set_permissions", ctx)?;
            let hv = ctx.hv;
            let out = s
                .vfs
                .set_permissions(agent, &path, allowed, ctx.now, &hv.cfg.limits)?;
            let change = Change {
                path: out.path.clone(),
                operation: ChangeOp::Permission,
                content_hash: Some(permission_hash(&out.allowed_agents)),
                previous_hash: None,
            };
            let delta = s.audit_mutation(agent, vec![change], ctx)?;
            ctx.out.push(
                EventType::VfsWrite,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"path": out.path, "operation": "set_permissions",
                       "allowed_agents": out.allowed_agents,
                       "turn_id": delta.as_ref().map(|d| d.turn_id)}),
            );
            Ok(VfsPermissionsResult {
                path: out.path,
                allowed_agents: out.allowed_agents,
                changed: true,
                delta,
            })
        })
    }

    /// `vfs.clear_permissions`: governed like a write. Only an actual change is audited
    /// (`permission` with `content_hash: null`) and emits `vfs.write` with
    /// `operation: "clear_permissions"`.
    pub fn vfs_clear_permissions(&self, req: &VfsPathRequest) -> Result<VfsPermissionsResult> {
        let path = normalize_path(&req.path)?;
        let agent = req.agent_did.as_str();
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.govern_vfs_mutation(agent, "vfs.clear_permissions", ctx)?;
            let hv = ctx.hv;
            let changed = s
                .vfs
                .clear_permissions(agent, &path, ctx.now, &hv.cfg.limits)?;
            let mut delta = None;
            if changed {
                delta = s.audit_mutation(agent, vec![permission_change(&path, None)], ctx)?;
                ctx.out.push(
                    EventType::VfsWrite,
                    ctx.now,
                    Some(&s.id),
                    Some(agent),
                    crate::payload!({"path": path, "operation": "clear_permissions",
                           "turn_id": delta.as_ref().map(|d| d.turn_id)}),
                );
            }
            Ok(VfsPermissionsResult {
                path,
                allowed_agents: Vec::new(),
                changed,
                delta,
            })
        })
    }

    /// `vfs.edits`: the edit log, oldest first, optionally one agent's (any session state:
    /// the log outlives the VFS purge at terminate).
    pub fn vfs_edits(&self, req: &VfsEditsRequest) -> Result<Vec<EditEntry>> {
        if let Some(a) = &req.agent_did {
            validate_id(a, "agent_did")?;
        }
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, _ctx| {
            Ok(s.vfs.edits(req.agent_did.as_deref()).cloned().collect())
        })
    }

    /// `session.snapshot`: captures files and permissions of an active session. At most
    /// `max_snapshots_per_session` per session (`CAPACITY_EXCEEDED`, `details.table =
    /// "snapshots"`). Emits `vfs.snapshot`.
    pub fn snapshot_session(
        &self,
        session_id: &str,
        trace: Option<&str>,
    ) -> Result<SnapshotResult> {
        self.with_session(session_id, trace, |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "session.snapshot")?;
            let cap = ctx.hv.cfg.limits.max_snapshots_per_session;
            if s.snapshots.len() >= cap {
                return Err(Error::new(
                    Code::CAPACITY_EXCEEDED,
                    format!("session '{}' already holds {cap} snapshots", s.id),
                )
                .with_detail("table", "snapshots")
                .with_detail("limit", cap));
            }
            let snap = s.vfs.snapshot();
            let id = mint(IdKind::Snapshot);
            let result = SnapshotResult {
                snapshot_id: id.clone(),
                files: snap.file_count(),
                bytes: snap.bytes(),
            };
            ctx.out.push(
                EventType::VfsSnapshot,
                ctx.now,
                Some(&s.id),
                None,
                crate::payload!({"snapshot_id": id, "files": result.files, "bytes": result.bytes}),
            );
            s.snapshots.insert(id.clone(), snap);
            s.snapshot_order.push_back(id);
            Ok(result)
        })
    }

    /// `session.restore`: brings files and permissions back to a snapshot on behalf of an
    /// agent governed like a writer; the restorer must be allowed on every path that changes
    /// (`PERMISSION_DENIED`, nothing changed). With audit on, one delta lists every change.
    /// Emits `vfs.restore`.
    pub fn restore_session(&self, req: &RestoreRequest) -> Result<RestoreResult> {
        validate_id(&req.snapshot_id, "snapshot_id")?;
        let agent = req.agent_did.as_str();
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "session.restore")?;
            let snap = s.snapshots.get(&req.snapshot_id).cloned().ok_or_else(|| {
                Error::not_found(Code::SNAPSHOT_NOT_FOUND, "snapshot_id", &req.snapshot_id)
                    .with_detail("session_id", s.id.as_str())
            })?;
            s.govern_vfs_mutation(agent, "session.restore", ctx)?;
            let changes = restore_changes(&s.vfs.snapshot(), &snap);
            let hv = ctx.hv;
            let outcome = s.vfs.restore(agent, &snap, ctx.now, &hv.cfg.limits)?;
            let delta = if changes.is_empty() {
                None
            } else {
                s.audit_mutation(agent, changes, ctx)?
            };
            ctx.out.push(
                EventType::VfsRestore,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"snapshot_id": req.snapshot_id, "files_created": outcome.files_created,
                       "files_updated": outcome.files_updated,
                       "files_removed": outcome.files_removed,
                       "permissions_changed": outcome.permissions_changed,
                       "turn_id": delta.as_ref().map(|d| d.turn_id)}),
            );
            Ok(RestoreResult {
                session: s.view(ctx.now),
                restore: outcome,
                delta,
            })
        })
    }
}
