//! VFS records and the wire shapes of API.md §4.2.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::model::Timestamp;
use crate::session::vector_clock::VectorClock;

/// SHA-256 of a file's content; serialised as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// The SHA-256 of `content`'s UTF-8 bytes.
    pub fn of(content: &str) -> ContentHash {
        ContentHash(Sha256::digest(content.as_bytes()).into())
    }

    /// Lowercase hex form.
    pub fn to_hex(&self) -> String {
        let mut buf = [0u8; 64];
        // Cannot fail: the buffer is exactly twice the input length.
        let _ = hex::encode_to_slice(self.0, &mut buf);
        // Hex digits are ASCII.
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 64];
        // Cannot fail: the buffer is exactly twice the input length.
        if hex::encode_to_slice(self.0, &mut buf).is_err() {
            return Err(fmt::Error);
        }
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One file of the session VFS. Entries are immutable once stored (shared by snapshots);
/// every write replaces the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEntry {
    /// The content (shared with snapshots and read outcomes, never copied).
    pub content: Arc<str>,
    /// SHA-256 of `content`.
    pub content_hash: ContentHash,
    /// The agent that created the file.
    pub created_by: String,
    /// The agent whose write (or restore) produced the current content.
    pub last_writer: String,
    /// When the file was created.
    pub created_at: Timestamp,
    /// When the content last changed.
    pub updated_at: Timestamp,
    /// The path's vector clock: the causal history of the current version.
    pub clock: VectorClock,
}

/// Whether a write created or replaced a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOperation {
    /// The path held no file.
    Create,
    /// The path's file was replaced.
    Update,
}

/// Result of [`super::Vfs::write`] (`vfs.write` response without the audit delta).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOutcome {
    /// The normalised path.
    pub path: String,
    /// Create or update.
    pub operation: WriteOperation,
    /// Hash of the new content.
    pub content_hash: ContentHash,
    /// Hash of the replaced content (updates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_hash: Option<ContentHash>,
    /// The path's new clock (equal to the writer's clock after the write).
    pub clock: VectorClock,
}

fn ser_opt_arc_str<S: Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(c) => s.serialize_some(&**c),
        None => s.serialize_none(),
    }
}

/// Result of [`super::Vfs::read`] (`vfs.read` response).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadOutcome {
    /// The normalised path.
    pub path: String,
    /// The content, `null` when the path holds no file.
    #[serde(serialize_with = "ser_opt_arc_str")]
    pub content: Option<Arc<str>>,
    /// The path's clock (empty for a missing file).
    pub clock: VectorClock,
}

/// Result of [`super::Vfs::delete`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeleteOutcome {
    /// The normalised path.
    pub path: String,
    /// Hash of the deleted content.
    pub previous_hash: ContentHash,
    /// The deleting agent's clock after the delete.
    pub clock: VectorClock,
}

/// Result of [`super::Vfs::set_permissions`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermissionsOutcome {
    /// The normalised path.
    pub path: String,
    /// The agents now allowed on the path, sorted and de-duplicated.
    pub allowed_agents: Vec<String>,
}

/// Result of [`super::Vfs::restore`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreOutcome {
    /// Files the restore re-created (absent now, present in the snapshot).
    pub files_created: usize,
    /// Files whose content the restore replaced.
    pub files_updated: usize,
    /// Files the restore removed (present now, absent in the snapshot).
    pub files_removed: usize,
    /// Paths whose permissions the restore changed.
    pub permissions_changed: usize,
    /// The restoring agent's clock afterwards.
    pub clock: VectorClock,
}

/// Kind of an edit-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditOperation {
    /// A file was created.
    Create,
    /// A file's content was replaced.
    Update,
    /// A file was deleted.
    Delete,
    /// A path's permissions were set.
    SetPermissions,
    /// A path's permissions were cleared.
    ClearPermissions,
}

/// One entry of the edit log (`vfs.edits`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditEntry {
    /// The normalised path.
    pub path: String,
    /// What happened.
    pub operation: EditOperation,
    /// Who did it.
    pub agent_did: String,
    /// When.
    pub timestamp: Timestamp,
    /// Hash of the content after the edit (create, update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<ContentHash>,
    /// Hash of the content before the edit (update, delete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_hash: Option<ContentHash>,
}

/// A point-in-time copy of the VFS files and permissions. Cloning is cheap: file entries and
/// their contents are shared, not copied. Contents kept alive only by snapshots are not counted
/// in the session's byte quota; [`VfsSnapshot::bytes`] lets the owner bound them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VfsSnapshot {
    pub(super) files: BTreeMap<String, Arc<FileEntry>>,
    pub(super) permissions: BTreeMap<String, BTreeSet<String>>,
    pub(super) bytes_used: usize,
}

impl VfsSnapshot {
    /// Number of files captured.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Content bytes captured.
    pub fn bytes(&self) -> usize {
        self.bytes_used
    }

    /// The captured paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.files.keys().map(String::as_str)
    }

    /// The captured file at a normalised path.
    pub fn file(&self, normalized_path: &str) -> Option<&FileEntry> {
        self.files.get(normalized_path).map(|f| &**f)
    }

    /// The captured path restrictions (path, allowed agents), sorted by path.
    pub fn permissions(&self) -> impl Iterator<Item = (&str, &BTreeSet<String>)> + '_ {
        self.permissions.iter().map(|(p, s)| (p.as_str(), s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_sha256_hex() {
        let h = ContentHash::of("abc");
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(h.to_hex(), want);
        assert_eq!(h.to_string(), want);
        assert_eq!(serde_json::to_value(h).unwrap(), want);
    }

    #[test]
    fn wire_shapes_use_api_names() {
        let w = WriteOutcome {
            path: "/a".into(),
            operation: WriteOperation::Create,
            content_hash: ContentHash::of(""),
            previous_hash: None,
            clock: [("did:x", 1u64)].into_iter().collect(),
        };
        let j = serde_json::to_value(&w).unwrap();
        assert_eq!(j["operation"], "create");
        assert_eq!(j["clock"]["did:x"], 1);
        assert!(j.get("previous_hash").is_none());
        let r = ReadOutcome {
            path: "/a".into(),
            content: None,
            clock: VectorClock::new(),
        };
        let j = serde_json::to_value(&r).unwrap();
        assert!(j["content"].is_null());
        assert_eq!(j["clock"], serde_json::json!({}));
        let r = ReadOutcome {
            content: Some(Arc::from("hi")),
            ..r
        };
        assert_eq!(serde_json::to_value(&r).unwrap()["content"], "hi");
        let e = EditEntry {
            path: "/a".into(),
            operation: EditOperation::SetPermissions,
            agent_did: "did:x".into(),
            timestamp: Timestamp(0),
            content_hash: None,
            previous_hash: None,
        };
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["operation"], "set_permissions");
        assert_eq!(j["timestamp"], "1970-01-01T00:00:00.000000Z");
        assert!(j.get("content_hash").is_none());
    }
}
