//! Audit deltas (API.md §4.7): the wire types and the canonical delta hash.
//!
//! The delta hash is SHA-256 of the canonical JSON of
//! `{agent_did, changes, delta_id, parent_hash, session_id, timestamp, turn_id}`: keys sorted,
//! no whitespace, UTF-8, each change exactly `{content_hash, operation, path, previous_hash}`
//! with `null` for absent optionals, `timestamp` as the RFC 3339 string the Delta carries and
//! `turn_id` as an integer. The canonical form is written straight into a caller-owned buffer
//! (serde_json is used only to escape strings); no intermediate JSON value is built.

use std::io::Write;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Timestamp;

/// What a change did to its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// A new file.
    Add,
    /// A changed file.
    Modify,
    /// A removed file.
    Delete,
    /// A permission change.
    Permission,
}

impl ChangeOp {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Add => "add",
            ChangeOp::Modify => "modify",
            ChangeOp::Delete => "delete",
            ChangeOp::Permission => "permission",
        }
    }
}

/// One change recorded in a delta. Absent hashes serialise as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The path changed (non-empty, at most [`crate::config::MAX_CHANGE_PATH_BYTES`]).
    pub path: String,
    /// What happened to it.
    pub operation: ChangeOp,
    /// Hash of the new content, if any.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// Hash of the previous content, if any.
    #[serde(default)]
    pub previous_hash: Option<String>,
}

/// One captured audit delta, exactly the wire shape of API.md §4.7.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delta {
    /// Engine-minted id (`delta:…`).
    pub delta_id: String,
    /// 1-based, consecutive per session.
    pub turn_id: u64,
    /// The session the delta belongs to.
    pub session_id: String,
    /// The agent that made the changes.
    pub agent_did: String,
    /// Capture time (RFC 3339 with microseconds on the wire).
    pub timestamp: Timestamp,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The previous delta's `delta_hash`; `null` for the first delta of a session.
    pub parent_hash: Option<String>,
    /// Lowercase hex SHA-256 of the canonical JSON (see the module docs).
    pub delta_hash: String,
}

/// The hashed content of a delta, borrowed (everything but `delta_hash`).
#[derive(Debug, Clone, Copy)]
pub struct DeltaContent<'a> {
    /// `delta_id`.
    pub delta_id: &'a str,
    /// `turn_id`.
    pub turn_id: u64,
    /// `session_id`.
    pub session_id: &'a str,
    /// `agent_did`.
    pub agent_did: &'a str,
    /// `timestamp`.
    pub timestamp: Timestamp,
    /// `changes`.
    pub changes: &'a [Change],
    /// `parent_hash`.
    pub parent_hash: Option<&'a str>,
}

impl Delta {
    /// The hashed fields of this delta.
    pub fn content(&self) -> DeltaContent<'_> {
        DeltaContent {
            delta_id: &self.delta_id,
            turn_id: self.turn_id,
            session_id: &self.session_id,
            agent_did: &self.agent_did,
            timestamp: self.timestamp,
            changes: &self.changes,
            parent_hash: self.parent_hash.as_deref(),
        }
    }

    /// Recomputes the delta hash from the content (ignoring the stored `delta_hash`).
    /// `buf` is scratch space, reused across calls.
    pub fn compute_hash(&self, buf: &mut Vec<u8>) -> [u8; 32] {
        compute_delta_hash(buf, &self.content())
    }

    /// True when the stored `delta_hash` is the lowercase hex of the recomputed hash.
    pub fn hash_matches(&self, buf: &mut Vec<u8>) -> bool {
        hex_eq(&self.compute_hash(buf), &self.delta_hash)
    }
}

/// True when `hex_str` is exactly the lowercase hex encoding of `hash` (no allocation).
pub fn hex_eq(hash: &[u8; 32], hex_str: &str) -> bool {
    let mut enc = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    hex::encode_to_slice(hash, &mut enc).is_ok() && enc.as_slice() == hex_str.as_bytes()
}

/// SHA-256 of the canonical JSON of `content` (module docs). `buf` is cleared and reused.
pub fn compute_delta_hash(buf: &mut Vec<u8>, content: &DeltaContent<'_>) -> [u8; 32] {
    write_canonical(buf, content);
    Sha256::digest(buf.as_slice()).into()
}

/// Writes the canonical JSON of `content` into `buf` (cleared first).
pub fn write_canonical(buf: &mut Vec<u8>, c: &DeltaContent<'_>) {
    buf.clear();
    buf.extend_from_slice(b"{\"agent_did\":");
    push_str(buf, c.agent_did);
    buf.extend_from_slice(b",\"changes\":[");
    for (i, ch) in c.changes.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"content_hash\":");
        push_opt_str(buf, ch.content_hash.as_deref());
        buf.extend_from_slice(b",\"operation\":\"");
        buf.extend_from_slice(ch.operation.as_str().as_bytes());
        buf.extend_from_slice(b"\",\"path\":");
        push_str(buf, &ch.path);
        buf.extend_from_slice(b",\"previous_hash\":");
        push_opt_str(buf, ch.previous_hash.as_deref());
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"delta_id\":");
    push_str(buf, c.delta_id);
    buf.extend_from_slice(b",\"parent_hash\":");
    push_opt_str(buf, c.parent_hash);
    buf.extend_from_slice(b",\"session_id\":");
    push_str(buf, c.session_id);
    buf.extend_from_slice(b",\"timestamp\":\"");
    write_rfc3339(buf, c.timestamp);
    buf.extend_from_slice(b"\",\"turn_id\":");
    // Writing into a Vec<u8> cannot fail.
    let _ = write!(buf, "{}", c.turn_id);
    buf.push(b'}');
}

/// A JSON string literal, escaped exactly as serde_json escapes it.
fn push_str(buf: &mut Vec<u8>, s: &str) {
    crate::api::json::write_str(buf, s);
}

fn push_opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => push_str(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Writes exactly [`Timestamp::to_rfc3339`] into `buf` without allocating a `String`.
fn write_rfc3339(buf: &mut Vec<u8>, ts: Timestamp) {
    // Writing into a Vec<u8> cannot fail.
    let _ = write!(buf, "{ts}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, op: ChangeOp, c: Option<&str>, p: Option<&str>) -> Change {
        Change {
            path: path.into(),
            operation: op,
            content_hash: c.map(Into::into),
            previous_hash: p.map(Into::into),
        }
    }

    fn sample() -> Delta {
        Delta {
            delta_id: "delta:0001".into(),
            turn_id: 2,
            session_id: "session:abc".into(),
            agent_did: "did:mesh:alice".into(),
            timestamp: Timestamp(1_767_225_600_000_001), // 2026-01-01T00:00:00.000001Z
            changes: vec![
                change(
                    "/src/a \"q\"\\.rs",
                    ChangeOp::Modify,
                    Some("c1"),
                    Some("p0"),
                ),
                change("/é/\n", ChangeOp::Add, None, None),
            ],
            parent_hash: Some("ab".repeat(32)),
            delta_hash: String::new(),
        }
    }

    /// Written by hand from API.md §4.7; the hash below was computed from this exact string
    /// with an independent tool (`sha256sum`).
    const EXPECTED: &str = concat!(
        r#"{"agent_did":"did:mesh:alice","changes":["#,
        r#"{"content_hash":"c1","operation":"modify","path":"/src/a \"q\"\\.rs","previous_hash":"p0"},"#,
        r#"{"content_hash":null,"operation":"add","path":"/é/\n","previous_hash":null}],"#,
        r#""delta_id":"delta:0001","#,
        r#""parent_hash":"abababababababababababababababababababababababababababababababab","#,
        r#""session_id":"session:abc","timestamp":"2026-01-01T00:00:00.000001Z","turn_id":2}"#
    );
    const EXPECTED_SHA256: &str =
        "e5486cf2704c97ada7c45796bd8f4c004b97731fa36a6244b320af3a0416427e";

    #[test]
    fn canonical_json_is_exact() {
        let d = sample();
        let mut buf = Vec::new();
        write_canonical(&mut buf, &d.content());
        assert_eq!(std::str::from_utf8(&buf).unwrap(), EXPECTED);
        let h = d.compute_hash(&mut buf);
        assert_eq!(hex::encode(h), EXPECTED_SHA256);
        // The canonical form is also what serde_json would produce from a sorted map.
        let v: serde_json::Value = serde_json::from_str(EXPECTED).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), EXPECTED);
    }

    #[test]
    fn first_delta_has_null_parent_and_empty_changes_are_an_empty_array() {
        let mut d = sample();
        d.parent_hash = None;
        d.changes.clear();
        d.turn_id = 1;
        let mut buf = Vec::new();
        write_canonical(&mut buf, &d.content());
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            concat!(
                r#"{"agent_did":"did:mesh:alice","changes":[],"delta_id":"delta:0001","#,
                r#""parent_hash":null,"session_id":"session:abc","#,
                r#""timestamp":"2026-01-01T00:00:00.000001Z","turn_id":1}"#
            )
        );
    }

    #[test]
    fn every_field_feeds_the_hash() {
        let base = sample();
        let mut buf = Vec::new();
        let h0 = base.compute_hash(&mut buf);
        let mutations: Vec<fn(&mut Delta)> = vec![
            |d| d.delta_id.push('x'),
            |d| d.turn_id += 1,
            |d| d.session_id.push('x'),
            |d| d.agent_did.push('x'),
            |d| d.timestamp = d.timestamp.plus_micros(1),
            |d| d.parent_hash = None,
            |d| d.changes[0].path.push('x'),
            |d| d.changes[0].operation = ChangeOp::Delete,
            |d| d.changes[0].content_hash = None,
            |d| d.changes[1].previous_hash = Some("p".into()),
            |d| d.changes.swap(0, 1),
            |d| {
                d.changes.pop();
            },
        ];
        for (i, m) in mutations.iter().enumerate() {
            let mut d = base.clone();
            m(&mut d);
            assert_ne!(d.compute_hash(&mut buf), h0, "mutation {i}");
        }
        // The stored delta_hash is not part of the content.
        let mut d = base.clone();
        d.delta_hash = "ff".into();
        assert_eq!(d.compute_hash(&mut buf), h0);
    }

    #[test]
    fn hash_matches_needs_exact_lowercase_hex() {
        let mut d = sample();
        let mut buf = Vec::new();
        let h = d.compute_hash(&mut buf);
        d.delta_hash = hex::encode(h);
        assert!(d.hash_matches(&mut buf));
        d.delta_hash = d.delta_hash.to_uppercase();
        assert!(!d.hash_matches(&mut buf));
        d.delta_hash = String::new();
        assert!(!d.hash_matches(&mut buf));
    }

    #[test]
    fn timestamps_are_written_as_returned() {
        let mut buf = Vec::new();
        for us in [
            0,
            1,
            999_999,
            -1,
            1_767_225_600_123_456,
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999Z
            i64::MAX,
            i64::MIN,
        ] {
            buf.clear();
            write_rfc3339(&mut buf, Timestamp(us));
            assert_eq!(
                std::str::from_utf8(&buf).unwrap(),
                Timestamp(us).to_rfc3339()
            );
        }
    }

    #[test]
    fn wire_shape_round_trips() {
        let mut d = sample();
        d.changes[1].path = "/b".into();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["timestamp"], "2026-01-01T00:00:00.000001Z");
        assert_eq!(json["changes"][0]["operation"], "modify");
        assert!(json["changes"][1]["content_hash"].is_null());
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 8);
        let back: Delta = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
        d.parent_hash = None;
        assert!(serde_json::to_value(&d).unwrap()["parent_hash"].is_null());
    }

    #[test]
    fn change_input_is_strict() {
        let c: Change = serde_json::from_str(r#"{"path":"/a","operation":"delete"}"#).unwrap();
        assert_eq!(c, change("/a", ChangeOp::Delete, None, None));
        let c: Change =
            serde_json::from_str(r#"{"path":"/a","operation":"permission","content_hash":null}"#)
                .unwrap();
        assert_eq!(c.operation, ChangeOp::Permission);
        assert!(serde_json::from_str::<Change>(r#"{"path":"/a","operation":"move"}"#).is_err());
        assert!(serde_json::from_str::<Change>(
            r#"{"path":"/a","operation":"add","contents_hash":"x"}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Change>(r#"{"operation":"add"}"#).is_err());
    }
}
