//! The per-session virtual file system (API.md §4.2).
//!
//! Files live in the session namespace under normalised paths ([`normalize_path`]). Every file
//! carries attribution (creator, last writer, timestamps), the SHA-256 of its content and a
//! per-path [`VectorClock`]; every agent that wrote or read carries its own clock.
//!
//! # Causality
//! * A **write** by agent A ticks A's component, then path clock := agent clock :=
//!   merge(A's clock, the path's clock). A **read** by A merges the path clock into A's clock.
//!   A **delete** ticks A's clock and merges the deleted version's clock into it.
//! * A is **stale** for an existing path when the path's clock is not covered by A's clock
//!   (some component of the path clock exceeds A's). This includes API.md's "A's clock
//!   happens-before the path's clock", and also the concurrent case: an agent that never read a
//!   file someone else wrote (even if it has written elsewhere since) has not seen that version
//!   and is stale. A's own last write, or a read, makes it fresh again. Covering is causal, so
//!   an agent that read a later write of the same author also saw that author's earlier writes.
//!   A path without a file has nothing to be stale about (no tombstones are kept: deleted paths
//!   forget their clock).
//! * Under `read_committed` and `serializable` ([`IsolationLevel::requires_causal_writes`]) a
//!   stale write or delete fails with `CAUSAL_VIOLATION`; under `snapshot` it succeeds (and its
//!   clock still dominates both histories).
//!
//! # Permissions
//! A path may carry an `allowed_agents` set; then only those agents may read (when an agent is
//! named), write, delete, or change the path's permissions (`PERMISSION_DENIED`). Who may set or
//! clear permissions: any agent allowed on the path, i.e. anyone while the path is unrestricted.
//! An agent may hand a path over by leaving itself out of the new set. Permissions belong to the
//! path, not the file: they may be set before the file exists and survive its deletion. An
//! empty set is refused (use `clear_permissions`). Ring rules (ring 3 is read-only) are the
//! engine's business.
//!
//! # Snapshots
//! [`Vfs::snapshot`] captures files and permissions (sharing contents). [`Vfs::restore`] is a
//! write by the restoring agent: it ticks that agent's clock and every path it changes gets
//! clock = merge(snapshot clock, current clock, restorer's clock), so other agents become stale
//! for the restored paths under causal isolation until they read them. Unchanged files keep
//! their current entry. The restorer must be allowed (by the current permissions) on every path
//! whose content or permissions change. The changes are written to the edit log as
//! create/update/delete/set_permissions/clear_permissions entries by the restorer.
//!
//! # Caps
//! Content bytes ≤ `max_vfs_bytes_per_session` (`VFS_QUOTA_EXCEEDED`) and files ≤
//! `max_vfs_files_per_session` (`CAPACITY_EXCEEDED`, `details.table = "vfs_files"`), both
//! checked before any mutation; restricted paths ≤ `max_vfs_files_per_session`
//! (`"vfs_permissions"`); `allowed_agents` ≤ `max_participants` entries; the edit log keeps the
//! newest `max_edit_log_per_session` entries (evicting the oldest). Agent clocks are keyed by the
//! DIDs the engine passes, which are participants, so they are bounded by the participant cap.

mod path;
mod restore;
#[cfg(test)]
mod tests;
mod types;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use crate::config::Limits;
use crate::error::{Code, Error, Result};
use crate::model::{IsolationLevel, Timestamp};
use crate::session::vector_clock::VectorClock;

pub use path::normalize_path;
pub use types::{
    ContentHash, DeleteOutcome, EditEntry, EditOperation, FileEntry, PermissionsOutcome,
    ReadOutcome, RestoreOutcome, VfsSnapshot, WriteOperation, WriteOutcome,
};

/// One session's virtual file system.
#[derive(Debug, Clone, Default)]
pub struct Vfs {
    files: BTreeMap<String, Arc<FileEntry>>,
    permissions: BTreeMap<String, BTreeSet<String>>,
    agent_clocks: BTreeMap<String, VectorClock>,
    edit_log: VecDeque<EditEntry>,
    bytes_used: usize,
}

fn permission_denied(agent: &str, path: &str) -> Error {
    Error::new(
        Code::PERMISSION_DENIED,
        format!("agent '{agent}' is not allowed on path '{path}'"),
    )
    .with_detail("path", path)
    .with_detail("agent_did", agent)
}

fn capacity(table: &str, cap: usize) -> Error {
    Error::new(
        Code::CAPACITY_EXCEEDED,
        format!("{table} is full ({cap} entries)"),
    )
    .with_detail("table", table)
    .with_detail("limit", cap)
}

impl Vfs {
    /// An empty VFS.
    pub fn new() -> Self {
        Vfs::default()
    }

    fn check_permission(&self, agent: &str, path: &str) -> Result<()> {
        match self.permissions.get(path) {
            Some(allowed) if !allowed.contains(agent) => Err(permission_denied(agent, path)),
            _ => Ok(()),
        }
    }

    /// Fails with `CAUSAL_VIOLATION` when `agent` has not seen the version `file` holds.
    fn check_fresh(&self, agent: &str, path: &str, file: &FileEntry) -> Result<()> {
        let fresh = match self.agent_clocks.get(agent) {
            Some(c) => file.clock.is_covered_by(c),
            None => file.clock.is_empty(),
        };
        if fresh {
            Ok(())
        } else {
            Err(Error::new(
                Code::CAUSAL_VIOLATION,
                format!(
                    "agent '{agent}' has a stale view of '{path}' (last written by '{}'); \
                     read it before writing",
                    file.last_writer
                ),
            )
            .with_detail("path", path)
            .with_detail("agent_did", agent)
            .with_detail("last_writer", file.last_writer.as_str()))
        }
    }

    /// Runs `f` on `agent`'s clock, creating an empty one first if needed.
    fn with_agent_clock<R>(&mut self, agent: &str, f: impl FnOnce(&mut VectorClock) -> R) -> R {
        if let Some(c) = self.agent_clocks.get_mut(agent) {
            return f(c);
        }
        let mut c = VectorClock::new();
        let r = f(&mut c);
        self.agent_clocks.insert(agent.to_owned(), c);
        r
    }

    fn log(&mut self, entry: EditEntry, limits: &Limits) {
        let cap = limits.max_edit_log_per_session;
        if cap == 0 {
            return;
        }
        while self.edit_log.len() >= cap {
            self.edit_log.pop_front();
        }
        self.edit_log.push_back(entry);
    }

    /// Writes `content` at `path` for `agent`.
    ///
    /// Checks, in order, each failing with nothing changed: path (`INVALID_PATH`), permission
    /// (`PERMISSION_DENIED`), freshness under causal isolation (`CAUSAL_VIOLATION`), byte quota
    /// (`VFS_QUOTA_EXCEEDED`), file cap (`CAPACITY_EXCEEDED`).
    pub fn write(
        &mut self,
        agent: &str,
        path: &str,
        content: &str,
        now: Timestamp,
        isolation: IsolationLevel,
        limits: &Limits,
    ) -> Result<WriteOutcome> {
        let path = normalize_path(path)?;
        self.check_permission(agent, &path)?;
        let existing = self.files.get(&path).cloned();
        if let Some(f) = &existing {
            if isolation.requires_causal_writes() {
                self.check_fresh(agent, &path, f)?;
            }
        }
        let old_len = existing.as_ref().map_or(0, |f| f.content.len());
        let new_total = self
            .bytes_used
            .saturating_sub(old_len)
            .checked_add(content.len());
        let quota = limits.max_vfs_bytes_per_session;
        match new_total {
            Some(t) if t <= quota => {}
            _ => {
                return Err(Error::new(
                    Code::VFS_QUOTA_EXCEEDED,
                    format!(
                        "writing {} bytes to '{path}' would exceed the session VFS quota of \
                         {quota} bytes ({} in use)",
                        content.len(),
                        self.bytes_used
                    ),
                )
                .with_detail("path", path.as_str())
                .with_detail("bytes_used", self.bytes_used)
                .with_detail("limit", quota))
            }
        }
        if existing.is_none() && self.files.len() >= limits.max_vfs_files_per_session {
            return Err(capacity("vfs_files", limits.max_vfs_files_per_session)
                .with_detail("path", path.as_str()));
        }

        // Commit.
        let content_hash = ContentHash::of(content);
        let clock = self.with_agent_clock(agent, |ac| {
            ac.increment(agent);
            if let Some(f) = &existing {
                ac.merge(&f.clock);
            }
            ac.clone()
        });
        let (created_by, created_at) = match &existing {
            Some(f) => (f.created_by.clone(), f.created_at),
            None => (agent.to_owned(), now),
        };
        let entry = FileEntry {
            content: Arc::from(content),
            content_hash,
            created_by,
            last_writer: agent.to_owned(),
            created_at,
            updated_at: now,
            clock: clock.clone(),
        };
        self.files.insert(path.clone(), Arc::new(entry));
        self.bytes_used = new_total.unwrap_or(self.bytes_used);
        let previous_hash = existing.as_ref().map(|f| f.content_hash);
        let operation = if existing.is_some() {
            WriteOperation::Update
        } else {
            WriteOperation::Create
        };
        self.log(
            EditEntry {
                path: path.clone(),
                operation: match operation {
                    WriteOperation::Create => EditOperation::Create,
                    WriteOperation::Update => EditOperation::Update,
                },
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: Some(content_hash),
                previous_hash,
            },
            limits,
        );
        Ok(WriteOutcome {
            path,
            operation,
            content_hash,
            previous_hash,
            clock,
        })
    }

    /// Reads `path`. With an agent: checks permissions and merges the path clock into the
    /// agent's clock (making it fresh for the path). A missing file reads as `content: None`.
    pub fn read(&mut self, path: &str, agent: Option<&str>) -> Result<ReadOutcome> {
        let path = normalize_path(path)?;
        if let Some(a) = agent {
            self.check_permission(a, &path)?;
        }
        let Some(file) = self.files.get(&path).cloned() else {
            return Ok(ReadOutcome {
                path,
                content: None,
                clock: VectorClock::new(),
            });
        };
        if let Some(a) = agent {
            self.with_agent_clock(a, |ac| ac.merge(&file.clock));
        }
        Ok(ReadOutcome {
            path,
            content: Some(file.content.clone()),
            clock: file.clock.clone(),
        })
    }

    /// Deletes the file at `path`. Checks path, permission, existence (`FILE_NOT_FOUND`) and,
    /// under causal isolation, freshness. The path's permissions stay.
    pub fn delete(
        &mut self,
        agent: &str,
        path: &str,
        now: Timestamp,
        isolation: IsolationLevel,
        limits: &Limits,
    ) -> Result<DeleteOutcome> {
        let path = normalize_path(path)?;
        self.check_permission(agent, &path)?;
        let Some(file) = self.files.get(&path).cloned() else {
            return Err(Error::not_found(Code::FILE_NOT_FOUND, "path", &path));
        };
        if isolation.requires_causal_writes() {
            self.check_fresh(agent, &path, &file)?;
        }
        self.files.remove(&path);
        self.bytes_used = self.bytes_used.saturating_sub(file.content.len());
        let clock = self.with_agent_clock(agent, |ac| {
            ac.increment(agent);
            ac.merge(&file.clock);
            ac.clone()
        });
        self.log(
            EditEntry {
                path: path.clone(),
                operation: EditOperation::Delete,
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: None,
                previous_hash: Some(file.content_hash),
            },
            limits,
        );
        Ok(DeleteOutcome {
            path,
            previous_hash: file.content_hash,
            clock,
        })
    }

    /// Restricts `path` to `allowed` agents (de-duplicated). The caller must be allowed on the
    /// path now. Fails on an empty list or an invalid DID (`allowed_agents[i]`), more than
    /// `max_participants` entries (`OUT_OF_RANGE`), or a full permission table.
    pub fn set_permissions(
        &mut self,
        agent: &str,
        path: &str,
        allowed: Vec<String>,
        now: Timestamp,
        limits: &Limits,
    ) -> Result<PermissionsOutcome> {
        let path = normalize_path(path)?;
        self.check_permission(agent, &path)?;
        if allowed.is_empty() {
            return Err(Error::invalid(
                "allowed_agents",
                "must name at least one agent (use clear_permissions to lift a restriction)",
            ));
        }
        if allowed.len() > limits.max_participants {
            return Err(Error::out_of_range(
                "allowed_agents",
                format!("at most {} agents", limits.max_participants),
            ));
        }
        for (i, did) in allowed.iter().enumerate() {
            crate::ids::validate_id(did, &format!("allowed_agents[{i}]"))?;
        }
        if !self.permissions.contains_key(&path)
            && self.permissions.len() >= limits.max_vfs_files_per_session
        {
            return Err(
                capacity("vfs_permissions", limits.max_vfs_files_per_session)
                    .with_detail("path", path.as_str()),
            );
        }
        let set: BTreeSet<String> = allowed.into_iter().collect();
        let allowed_agents: Vec<String> = set.iter().cloned().collect();
        self.permissions.insert(path.clone(), set);
        self.log(
            EditEntry {
                path: path.clone(),
                operation: EditOperation::SetPermissions,
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: None,
                previous_hash: None,
            },
            limits,
        );
        Ok(PermissionsOutcome {
            path,
            allowed_agents,
        })
    }

    /// Lifts the restriction on `path`; the caller must be allowed on it. Returns whether a
    /// restriction existed (only then is an edit logged).
    pub fn clear_permissions(
        &mut self,
        agent: &str,
        path: &str,
        now: Timestamp,
        limits: &Limits,
    ) -> Result<bool> {
        let path = normalize_path(path)?;
        self.check_permission(agent, &path)?;
        if self.permissions.remove(&path).is_none() {
            return Ok(false);
        }
        self.log(
            EditEntry {
                path,
                operation: EditOperation::ClearPermissions,
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: None,
                previous_hash: None,
            },
            limits,
        );
        Ok(true)
    }

    /// The agents allowed on `path`, or `None` when unrestricted.
    pub fn permissions(&self, path: &str) -> Result<Option<&BTreeSet<String>>> {
        let path = normalize_path(path)?;
        Ok(self.permissions.get(&path))
    }

    /// The file at `path` (metadata and content), without touching any clock.
    pub fn file(&self, path: &str) -> Result<Option<&FileEntry>> {
        let path = normalize_path(path)?;
        Ok(self.files.get(&path).map(|f| &**f))
    }

    /// `agent`'s clock (empty if it never wrote or read).
    pub fn agent_clock(&self, agent: &str) -> Option<&VectorClock> {
        self.agent_clocks.get(agent)
    }

    /// All file paths, sorted.
    pub fn list(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// All file paths, sorted, borrowed.
    pub fn paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.files.keys().map(String::as_str)
    }

    /// The edit log, oldest first; only `agent`'s edits when given.
    pub fn edits<'a>(&'a self, agent: Option<&'a str>) -> impl Iterator<Item = &'a EditEntry> + 'a {
        self.edit_log
            .iter()
            .filter(move |e| agent.is_none_or(|a| e.agent_did == a))
    }

    /// Entries in the edit log.
    pub fn edit_count(&self) -> usize {
        self.edit_log.len()
    }

    /// Content bytes in use (sum of file content lengths).
    pub fn bytes_used(&self) -> usize {
        self.bytes_used
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Drops every file, permission and agent clock (session teardown) and returns the number
    /// of files purged. The edit log is kept for audit and attribution.
    pub fn purge(&mut self) -> usize {
        let n = self.files.len();
        self.files.clear();
        self.permissions.clear();
        self.agent_clocks.clear();
        self.bytes_used = 0;
        n
    }
}
