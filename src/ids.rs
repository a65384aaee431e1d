//! Identifier validation and minting.
//!
//! Caller-supplied ids match `^[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?$` and are at most 256
//! bytes; API paths are non-empty and at most 2048 bytes. Engine-minted ids carry a prefix
//! (`session:`, `saga:`, …) followed by 32 lowercase hex digits of a random v4 UUID, so they
//! match the same grammar and never collide with each other across prefixes.

use crate::error::{Code, Error, Result};

/// Maximum length of a caller-supplied identifier, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Maximum length of an API path (`execute_api`, `undo_api`), in bytes.
pub const MAX_API_PATH_BYTES: usize = 2048;

/// True when `s` matches the identifier grammar and length limit.
pub fn is_valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_ID_BYTES {
        return false;
    }
    let edge = |c: u8| c.is_ascii_alphanumeric();
    let inner = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-');
    edge(b[0]) && edge(b[b.len() - 1]) && b.iter().all(|&c| inner(c))
}

/// Validates an identifier; the error (`INVALID_ID`) names `field`.
pub fn validate_id(s: &str, field: &str) -> Result<()> {
    if is_valid_id(s) {
        Ok(())
    } else if s.len() > MAX_ID_BYTES {
        Err(Error::field(
            Code::INVALID_ID,
            field,
            format!("identifier is {} bytes, at most {MAX_ID_BYTES}", s.len()),
        ))
    } else {
        Err(Error::field(
            Code::INVALID_ID,
            field,
            "identifier must match ^[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?$",
        ))
    }
}

/// Validates an API path: non-empty, at most 2048 bytes, no control characters.
pub fn validate_api_path(s: &str, field: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_API_PATH_BYTES {
        return Err(Error::invalid(field, "must be 1..=2048 bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Prefixes of engine-minted ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `session:`
    Session,
    /// `saga:`
    Saga,
    /// `step:`
    Step,
    /// `vouch:`
    Vouch,
    /// `elev:`
    Elevation,
    /// `quar:`
    Quarantine,
    /// `kill:`
    Kill,
    /// `snap:`
    Snapshot,
    /// `lock:`
    Lock,
    /// `delta:`
    Delta,
    /// `slash:`
    Slash,
    /// `attr:`
    Attribution,
    /// `group:` (fan-out groups)
    Group,
    /// `ckpt:` (checkpoints)
    Checkpoint,
    /// `evt:` (events)
    Event,
}

impl IdKind {
    /// The prefix without the colon.
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Session => "session",
            IdKind::Saga => "saga",
            IdKind::Step => "step",
            IdKind::Vouch => "vouch",
            IdKind::Elevation => "elev",
            IdKind::Quarantine => "quar",
            IdKind::Kill => "kill",
            IdKind::Snapshot => "snap",
            IdKind::Lock => "lock",
            IdKind::Delta => "delta",
            IdKind::Slash => "slash",
            IdKind::Attribution => "attr",
            IdKind::Group => "group",
            IdKind::Checkpoint => "ckpt",
            IdKind::Event => "evt",
        }
    }
}

/// Mints a fresh id `<prefix>:<32 hex digits>`.
pub fn mint(kind: IdKind) -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    let hex = uuid::Uuid::new_v4().simple().encode_lower(&mut buf);
    let p = kind.prefix();
    let mut s = String::with_capacity(p.len() + 1 + hex.len());
    s.push_str(p);
    s.push(':');
    s.push_str(hex);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in ["a", "did:example:alice", "A.b_c-d:9", "x1"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", ":a", "a b", "a/b", "é", "a:"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
        assert!(is_valid_id(&"a".repeat(256)));
        assert!(!is_valid_id(&"a".repeat(257)));
    }

    #[test]
    fn minted_ids_are_valid_and_distinct() {
        let a = mint(IdKind::Session);
        let b = mint(IdKind::Session);
        assert!(a.starts_with("session:"));
        assert!(is_valid_id(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn api_paths() {
        assert!(validate_api_path("/v1/pay", "execute_api").is_ok());
        assert!(validate_api_path("", "execute_api").is_err());
        assert!(validate_api_path(&"x".repeat(2049), "execute_api").is_err());
    }
}
