//! A session's committed Merkle root (`audit.commitment`, `session.terminate`).

use serde::Serialize;

use super::merkle::Hash;
use super::proof::parse_hash;
use crate::error::Result;
use crate::model::Timestamp;

/// The Merkle root of a session's audit trail at commit time, with its participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitment {
    /// The session committed.
    pub session_id: String,
    /// Lowercase hex Merkle root.
    pub merkle_root: String,
    /// Number of deltas covered by the root.
    pub tree_size: u64,
    /// The session's participants (as the engine lists them).
    pub participant_dids: Vec<String>,
    /// When the root was committed.
    pub committed_at: Timestamp,
}

impl Commitment {
    /// A commitment to `root` over `tree_size` deltas.
    pub fn new(
        session_id: impl Into<String>,
        root: &Hash,
        tree_size: u64,
        participant_dids: Vec<String>,
        committed_at: Timestamp,
    ) -> Self {
        Commitment {
            session_id: session_id.into(),
            merkle_root: super::hex32(root),
            tree_size,
            participant_dids,
            committed_at,
        }
    }

    /// `audit.verify_commitment`: does `merkle_root` (64 hex digits, any case) equal the
    /// committed root? A malformed root is `INVALID_ARGUMENT` naming `merkle_root`.
    pub fn verify_root(&self, merkle_root: &str) -> Result<bool> {
        let supplied = parse_hash(merkle_root, || "merkle_root".into())?;
        let mut enc = [0u8; 64];
        Ok(hex::encode_to_slice(supplied, &mut enc).is_ok()
            && enc.as_slice() == self.merkle_root.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn commitment() -> Commitment {
        Commitment::new(
            "session:s1",
            &[0xab; 32],
            7,
            vec!["did:a".into(), "did:b".into()],
            Timestamp(1_767_225_600_000_000),
        )
    }

    #[test]
    fn wire_shape() {
        let json = serde_json::to_value(commitment()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "session_id": "session:s1",
                "merkle_root": "ab".repeat(32),
                "tree_size": 7,
                "participant_dids": ["did:a", "did:b"],
                "committed_at": "2026-01-01T00:00:00.000000Z",
            })
        );
    }

    #[test]
    fn verify_root_compares_bytes() {
        let c = commitment();
        assert_eq!(c.verify_root(&"ab".repeat(32)), Ok(true));
        assert_eq!(c.verify_root(&"AB".repeat(32)), Ok(true));
        assert_eq!(c.verify_root(&"ac".repeat(32)), Ok(false));
        let e = c.verify_root("ab").unwrap_err();
        assert_eq!(e.code(), Code::INVALID_ARGUMENT);
        assert_eq!(e.details().unwrap()["field"], "merkle_root");
    }
}
