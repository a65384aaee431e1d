//! Audit trail (API.md §4.7): hash-chained per-session deltas, an RFC 6962 Merkle tree over
//! their hashes with inclusion and consistency proofs, session commitments and retention GC.
//!
//! * [`delta`] — the Delta / Change wire types and the canonical delta hash;
//! * [`merkle`] — the Merkle tree (incremental frontier) and the pure RFC 9162 verifiers;
//! * [`log`] — [`AuditLog`], one per session: append, query, verify, proofs, GC;
//! * [`proof`] — the proof wire types and their offline verification;
//! * [`commitment`] — the committed root of a session.

pub mod commitment;
pub mod delta;
pub mod log;
pub mod merkle;
pub mod proof;

pub use commitment::Commitment;
pub use delta::{Change, ChangeOp, Delta};
pub use log::{AuditLog, VerifyReport};
pub use merkle::MerkleTree;
pub use proof::{ConsistencyProof, InclusionProof};

/// Lowercase hex of a SHA-256 digest: 64 characters, one exact allocation (`hex::encode` goes
/// through a `char` iterator and regrows its `String`).
pub fn hex32(hash: &[u8; 32]) -> String {
    let mut enc = [0u8; 64];
    // 32 bytes always fit 64 hex digits, and hex digits are ASCII.
    if hex::encode_to_slice(hash, &mut enc).is_err() {
        return hex::encode(hash);
    }
    std::str::from_utf8(&enc).map_or_else(|_| hex::encode(hash), str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex32_is_lowercase_hex() {
        let mut h = [0u8; 32];
        for (i, b) in h.iter_mut().enumerate() {
            *b = (i * 37 + 5) as u8;
        }
        assert_eq!(super::hex32(&h), hex::encode(h));
        assert_eq!(super::hex32(&[0xAB; 32]), "ab".repeat(32));
    }
}
