//! Snapshots and restore (see the module docs of [`super`] for clocks and attribution).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{EditEntry, EditOperation, FileEntry, RestoreOutcome, Vfs, VfsSnapshot};
use crate::config::Limits;
use crate::error::Result;
use crate::model::Timestamp;

/// A path the restore (re)writes: its snapshot entry and its current entry, if any.
type Upsert<'a> = (&'a String, &'a Arc<FileEntry>, Option<Arc<FileEntry>>);

impl Vfs {
    /// Captures files and permissions; contents are shared, not copied.
    pub fn snapshot(&self) -> VfsSnapshot {
        VfsSnapshot {
            files: self.files.clone(),
            permissions: self.permissions.clone(),
            bytes_used: self.bytes_used,
        }
    }

    /// Brings files and permissions back to `snap` on behalf of `agent` (see the module docs
    /// for clocks and attribution). Fails with `PERMISSION_DENIED`, changing nothing, if the
    /// current permissions exclude `agent` from any path the restore would change.
    pub fn restore(
        &mut self,
        agent: &str,
        snap: &VfsSnapshot,
        now: Timestamp,
        limits: &Limits,
    ) -> Result<RestoreOutcome> {
        // Plan: which paths change, and how.
        // (path, snapshot entry, current entry)
        let mut upserts: Vec<Upsert<'_>> = Vec::new();
        for (p, e) in &snap.files {
            match self.files.get(p) {
                Some(cur) if cur.content_hash == e.content_hash => {}
                cur => upserts.push((p, e, cur.cloned())),
            }
        }
        let removals: Vec<String> = self
            .files
            .keys()
            .filter(|p| !snap.files.contains_key(*p))
            .cloned()
            .collect();
        let perm_changes: Vec<String> = self
            .permissions
            .keys()
            .chain(snap.permissions.keys())
            .filter(|p| self.permissions.get(*p) != snap.permissions.get(*p))
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        for p in upserts
            .iter()
            .map(|u| u.0)
            .chain(removals.iter())
            .chain(perm_changes.iter())
        {
            self.check_permission(agent, p)?;
        }

        // Commit.
        let mut ac = self.agent_clocks.get(agent).cloned().unwrap_or_default();
        if !upserts.is_empty() || !removals.is_empty() {
            ac.increment(agent);
        }
        let mut log = Vec::with_capacity(upserts.len() + removals.len() + perm_changes.len());
        let (mut created, mut updated) = (0, 0);
        let mut new_clocks = Vec::with_capacity(upserts.len());
        for (p, e, cur) in &upserts {
            let mut clock = e.clock.merged(&ac);
            if let Some(c) = cur {
                clock.merge(&c.clock);
            }
            let (created_by, created_at) = match cur {
                Some(c) => (c.created_by.clone(), c.created_at),
                None => (e.created_by.clone(), e.created_at),
            };
            let entry = FileEntry {
                content: e.content.clone(),
                content_hash: e.content_hash,
                created_by,
                last_writer: agent.to_owned(),
                created_at,
                updated_at: now,
                clock: clock.clone(),
            };
            new_clocks.push(clock);
            let (operation, previous_hash) = match cur {
                Some(c) => {
                    updated += 1;
                    (EditOperation::Update, Some(c.content_hash))
                }
                None => {
                    created += 1;
                    (EditOperation::Create, None)
                }
            };
            log.push(EditEntry {
                path: (*p).clone(),
                operation,
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: Some(e.content_hash),
                previous_hash,
            });
            self.files.insert((*p).clone(), Arc::new(entry));
        }
        for p in &removals {
            if let Some(old) = self.files.remove(p) {
                ac.merge(&old.clock);
                log.push(EditEntry {
                    path: p.clone(),
                    operation: EditOperation::Delete,
                    agent_did: agent.to_owned(),
                    timestamp: now,
                    content_hash: None,
                    previous_hash: Some(old.content_hash),
                });
            }
        }
        for c in &new_clocks {
            ac.merge(c);
        }
        for p in &perm_changes {
            let operation = if snap.permissions.contains_key(p) {
                EditOperation::SetPermissions
            } else {
                EditOperation::ClearPermissions
            };
            log.push(EditEntry {
                path: p.clone(),
                operation,
                agent_did: agent.to_owned(),
                timestamp: now,
                content_hash: None,
                previous_hash: None,
            });
        }
        self.permissions = snap.permissions.clone();
        self.bytes_used = snap.bytes_used;
        let touched = !log.is_empty();
        for entry in log {
            self.log(entry, limits);
        }
        if touched {
            self.agent_clocks.insert(agent.to_owned(), ac.clone());
        }
        Ok(RestoreOutcome {
            files_created: created,
            files_updated: updated,
            files_removed: removals.len(),
            permissions_changed: perm_changes.len(),
            clock: ac,
        })
    }
}
