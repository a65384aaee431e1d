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
