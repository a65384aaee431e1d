//! [`AuditLog`]: one session's hash-chained deltas and their Merkle tree.
//!
//! * `append` gives each delta the next 1-based `turn_id`, chains it to the previous delta's
//!   hash (`parent_hash`, `null` for the first), hashes its canonical JSON into a thread-local
//!   scratch buffer (nothing is retained per log) and appends the 32 raw hash bytes to the
//!   Merkle tree (amortised O(1)).
//! * Overflow policy: at most `max_deltas` deltas per log, gc'd ones included; beyond that
//!   `append` is refused with `CAPACITY_EXCEEDED` (an audit trail is never silently truncated).
//! * `gc` drops the oldest delta *bodies* but keeps every Merkle leaf, so roots and proofs are
//!   unaffected; the hash of the last dropped delta is kept as the anchor of the retained chain.
//! * `verify` is pure: it recomputes every retained hash from content and checks numbering,
//!   chaining, the Merkle leaves and the tree's internal nodes.

use serde::Serialize;

use super::commitment::Commitment;
use super::delta::{hex_eq, Change, Delta};
use super::merkle::{leaf_hash, Hash, MerkleTree};
use super::proof::{ConsistencyProof, InclusionProof};
use crate::config::{MAX_CHANGE_HASH_BYTES, MAX_CHANGE_PATH_BYTES};
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;

/// Scratch capacity kept between appends; a larger buffer (after a huge delta) is released.
const SCRATCH_KEEP_BYTES: usize = 64 * 1024;

thread_local! {
    /// The canonical-JSON buffer every log on this thread hashes into: one per thread instead
    /// of one per session, so an archived session retains none and a new session's first
    /// capture does not grow a buffer from zero.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// SHA-256 of `delta`'s canonical JSON, written into the thread's scratch buffer (a fresh one
/// if that is unavailable: re-entered, or during thread teardown).
fn hash_delta(delta: &Delta) -> Hash {
    SCRATCH
        .try_with(|cell| {
            let mut buf = cell.try_borrow_mut().ok()?;
            let hash = delta.compute_hash(&mut buf);
            if buf.capacity() > SCRATCH_KEEP_BYTES {
                *buf = Vec::new();
            }
            Some(hash)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| delta.compute_hash(&mut Vec::new()))
}

/// Result of [`AuditLog::verify`] (`audit.verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when every check passed.
    pub valid: bool,
    /// Number of delta bodies checked (the retained ones).
    pub delta_count: u64,
    /// The first turn at which a check failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalid_turn: Option<u64>,
}

/// One session's audit trail. See the module docs.
#[derive(Debug, Clone)]
pub struct AuditLog {
    max_deltas: usize,
    /// Retained delta bodies: turns `dropped + 1 ..= dropped + deltas.len()`.
    deltas: Vec<Delta>,
    /// Number of delta bodies dropped by `gc` (always a prefix).
    dropped: u64,
    /// Delta hash of turn `dropped` (the last dropped delta), when `dropped > 0`.
    dropped_tail: Option<Hash>,
    /// Leaves are SHA-256(0x00 ‖ delta hash bytes), one per turn, never dropped.
    tree: MerkleTree,
}

impl AuditLog {
    /// An empty log refusing appends beyond `max_deltas` deltas
    /// (`Limits::max_deltas_per_session`).
    pub fn new(max_deltas: usize) -> Self {
        AuditLog {
            max_deltas,
            deltas: Vec::new(),
            dropped: 0,
            dropped_tail: None,
            tree: MerkleTree::new(),
        }
    }

    /// Captures one delta (`audit.capture`). Ids are the caller's (already validated; the
    /// engine mints `delta_id`). Validates every change first; on error nothing changes.
    pub fn append(
        &mut self,
        session_id: &str,
        agent_did: &str,
        changes: Vec<Change>,
        now: Timestamp,
        delta_id: String,
    ) -> Result<&Delta> {
        validate_changes(&changes)?;
        let size = self.tree.size();
        if size >= self.max_deltas as u64 {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "session '{session_id}' holds {size} audit deltas, the maximum \
                     (max_deltas_per_session)"
                ),
            )
            .with_detail("table", "audit_deltas")
            .with_detail("limit", self.max_deltas));
        }
        let parent_hash = match self.deltas.last() {
            Some(prev) => Some(prev.delta_hash.clone()),
            None => self.dropped_tail.as_ref().map(super::hex32),
        };
        let mut delta = Delta {
            delta_id,
            turn_id: size + 1,
            session_id: session_id.to_owned(),
            agent_did: agent_did.to_owned(),
            timestamp: now,
            changes,
            parent_hash,
            delta_hash: String::new(),
        };
        let hash = hash_delta(&delta);
        delta.delta_hash = super::hex32(&hash);
        self.tree.append(&hash);
        self.deltas.push(delta);
        self.deltas
            .last()
            .ok_or_else(|| Error::new(Code::INTERNAL, "audit delta vanished after append"))
    }

    /// Retained deltas with `turn_id > after_turn` (all retained when `None`), at most `limit`
    /// of them (all when `None`), oldest first (`audit.deltas`). O(1).
    pub fn deltas(&self, after_turn: Option<u64>, limit: Option<usize>) -> &[Delta] {
        let skip = after_turn.map_or(0, |t| t.saturating_sub(self.dropped));
        let start = usize::try_from(skip).unwrap_or(usize::MAX);
        let rest = self.deltas.get(start..).unwrap_or(&[]);
        match limit {
            Some(l) => rest.get(..l.min(rest.len())).unwrap_or(rest),
            None => rest,
        }
    }

    /// The retained delta of `turn_id`, if any.
    pub fn get(&self, turn_id: u64) -> Option<&Delta> {
        let i = turn_id.checked_sub(self.dropped + 1)?;
        self.deltas.get(usize::try_from(i).ok()?)
    }

    /// Number of retained delta bodies.
    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    /// True when no delta body is retained (see [`AuditLog::tree_size`] for the total).
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Number of delta bodies dropped by [`AuditLog::gc`].
    pub fn dropped_count(&self) -> u64 {
        self.dropped
    }

    /// Total deltas ever captured (= Merkle tree size = last turn id).
    pub fn tree_size(&self) -> u64 {
        self.tree.size()
    }

    /// The current Merkle root, `None` when no delta was captured (`audit.root`). O(log n).
    pub fn root(&self) -> Option<Hash> {
        (!self.tree.is_empty()).then(|| self.tree.root())
    }

    /// The Merkle tree (read-only).
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// A commitment to the current root, `None` when no delta was captured.
    pub fn commitment(
        &self,
        session_id: &str,
        participant_dids: Vec<String>,
        now: Timestamp,
    ) -> Option<Commitment> {
        let root = self.root()?;
        Some(Commitment::new(
            session_id,
            &root,
            self.tree.size(),
            participant_dids,
            now,
        ))
    }

    /// Inclusion proof of `turn_id` in the tree of `tree_size` deltas (default: current)
    /// (`audit.proof`). Unknown turn → `TURN_NOT_FOUND`; a `tree_size` above the current size
    /// or below `turn_id` → `INVALID_ARGUMENT` naming `tree_size`. Works for gc'd turns too.
    pub fn proof(&self, turn_id: u64, tree_size: Option<u64>) -> Result<InclusionProof> {
        let current = self.tree.size();
        if turn_id == 0 || turn_id > current {
            return Err(Error::not_found(
                Code::TURN_NOT_FOUND,
                "turn_id",
                &turn_id.to_string(),
            ));
        }
        let size = tree_size.unwrap_or(current);
        if size > current {
            return Err(Error::invalid(
                "tree_size",
                format!("{size} exceeds the current tree size {current}"),
            ));
        }
        if turn_id > size {
            return Err(Error::invalid(
                "tree_size",
                format!("turn {turn_id} is not within a tree of {size} deltas"),
            ));
        }
        let index = turn_id - 1;
        match (
            self.tree.leaf(index),
            self.tree.inclusion_proof(index, size),
            self.tree.root_at(size),
        ) {
            (Some(leaf), Some(path), Some(root)) => {
                Ok(InclusionProof::from_parts(index, size, leaf, &path, &root))
            }
            _ => Err(Error::new(
                Code::INTERNAL,
                "inclusion proof out of range after validation",
            )),
        }
    }

    /// Consistency proof between the trees of `first_size` and `second_size` deltas
    /// (`audit.consistency`). Needs `0 <= first_size <= second_size <= tree_size` and
    /// `second_size >= 1`, else `INVALID_ARGUMENT` naming the field. `first_size == 0` yields
    /// an empty proof and the empty-tree root SHA-256("").
    pub fn consistency(&self, first_size: u64, second_size: u64) -> Result<ConsistencyProof> {
        let current = self.tree.size();
        if second_size == 0 {
            return Err(Error::invalid("second_size", "must be at least 1"));
        }
        if second_size > current {
            return Err(Error::invalid(
                "second_size",
                format!("{second_size} exceeds the current tree size {current}"),
            ));
        }
        if first_size > second_size {
            return Err(Error::invalid(
                "first_size",
                format!("{first_size} exceeds second_size {second_size}"),
            ));
        }
        match (
            self.tree.consistency_proof(first_size, second_size),
            self.tree.root_at(first_size),
            self.tree.root_at(second_size),
        ) {
            (Some(proof), Some(first), Some(second)) => Ok(ConsistencyProof::from_parts(
                first_size,
                second_size,
                &first,
                &second,
                &proof,
            )),
            _ => Err(Error::new(
                Code::INTERNAL,
                "consistency proof out of range after validation",
            )),
        }
    }

    /// Drops the longest prefix of retained deltas whose timestamp is before `cutoff` (a
    /// prefix, so the retained chain stays contiguous even if timestamps are not monotonic).
    /// Merkle leaves are kept. Returns the number of deltas dropped.
    pub fn gc(&mut self, cutoff: Timestamp) -> usize {
        let n = self
            .deltas
            .iter()
            .take_while(|d| d.timestamp < cutoff)
            .count();
        let Some(last) = n.checked_sub(1).and_then(|i| self.deltas.get(i)) else {
            return 0;
        };
        // Recomputed from content: a tampered body then fails the anchor's leaf check.
        self.dropped_tail = Some(hash_delta(last));
        self.deltas.drain(..n);
        self.deltas.shrink_to_fit();
        self.dropped += n as u64;
        n
    }

    /// `audit.verify`: pure (`&self`) integrity check of everything stored. Every retained
    /// delta's hash is recomputed from its content and must equal its `delta_hash` and its
    /// Merkle leaf; turn ids must be consecutive; each `parent_hash` must be the previous
    /// `delta_hash` (the first retained one: `null`, or the anchor hash of the last gc'd delta,
    /// itself checked against its leaf); no leaf may lack a body (beyond gc); and the tree's
    /// internal nodes must match its leaves.
    pub fn verify(&self) -> VerifyReport {
        let delta_count = self.deltas.len() as u64;
        let invalid = |turn: u64| VerifyReport {
            valid: false,
            delta_count,
            first_invalid_turn: Some(turn),
        };
        match (self.dropped, &self.dropped_tail) {
            (0, None) => {}
            (d, Some(tail)) if d > 0 => {
                if self.tree.leaf(d - 1) != Some(&leaf_hash(tail)) {
                    return invalid(d);
                }
            }
            (d, _) => return invalid(d.max(1)),
        }
        let mut prev: Option<&Delta> = None;
        let mut turn = self.dropped;
        for d in &self.deltas {
            turn += 1;
            let parent_ok = match (prev, &self.dropped_tail, d.parent_hash.as_deref()) {
                (Some(p), _, Some(parent)) => parent == p.delta_hash,
                (None, Some(tail), Some(parent)) => hex_eq(tail, parent),
                (None, None, None) => true,
                _ => false,
            };
            let hash = hash_delta(d);
            if d.turn_id != turn
                || !parent_ok
                || !hex_eq(&hash, &d.delta_hash)
                || self.tree.leaf(turn - 1) != Some(&leaf_hash(&hash))
            {
                return invalid(turn);
            }
            prev = Some(d);
        }
        if self.tree.size() != turn {
            return invalid(turn + 1); // a leaf whose delta body is missing
        }
        if let Err(leaf) = self.tree.check_integrity() {
            return invalid((leaf + 1).min(self.tree.size()).max(1));
        }
        VerifyReport {
            valid: true,
            delta_count,
            first_invalid_turn: None,
        }
    }

    /// Releases spare capacity of the retained bodies and the tree (at terminate).
    pub fn shrink_to_fit(&mut self) {
        self.deltas.shrink_to_fit();
        self.tree.shrink_to_fit();
    }

    /// Test-only access to the stored bodies, to simulate tampering.
    #[cfg(test)]
    pub(crate) fn deltas_mut(&mut self) -> &mut Vec<Delta> {
        &mut self.deltas
    }
}

/// Paths: non-empty, at most [`MAX_CHANGE_PATH_BYTES`] (`INVALID_PATH`); hashes when present:
/// 1..=[`MAX_CHANGE_HASH_BYTES`] bytes (`INVALID_ARGUMENT`). Errors name `changes[i].<field>`.
fn validate_changes(changes: &[Change]) -> Result<()> {
    for (i, c) in changes.iter().enumerate() {
        if c.path.is_empty() || c.path.len() > MAX_CHANGE_PATH_BYTES {
            return Err(Error::field(
                Code::INVALID_PATH,
                format!("changes[{i}].path"),
                format!(
                    "must be 1..={MAX_CHANGE_PATH_BYTES} bytes, got {}",
                    c.path.len()
                ),
            ));
        }
        for (name, h) in [
            ("content_hash", &c.content_hash),
            ("previous_hash", &c.previous_hash),
        ] {
            if let Some(h) = h {
                if h.is_empty() || h.len() > MAX_CHANGE_HASH_BYTES {
                    return Err(Error::invalid(
                        format!("changes[{i}].{name}"),
                        format!(
                            "must be 1..={MAX_CHANGE_HASH_BYTES} bytes when present, got {}",
                            h.len()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
