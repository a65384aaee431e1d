//! RFC 6962 / RFC 9162 Merkle tree over 32-byte entries, with inclusion and consistency proofs.
//!
//! * leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right);
//! * MTH(D\[n\]) splits at the largest power of two strictly below `n`; odd nodes are never
//!   duplicated; the empty tree's root is SHA-256("").
//!
//! [`MerkleTree`] keeps every leaf hash plus an incrementally maintained *frontier*: the roots
//! of the perfect subtrees that make up the current tree, largest first (one per set bit of the
//! size, like a binary counter). `append` is amortised O(1) and `root()` costs popcount(n) − 1
//! node hashes. The roots of aligned perfect subtrees of `2^CACHE_MIN_LEVEL` leaves or more —
//! which the frontier computes anyway while carrying — are kept too (about n/8 extra hashes), so
//! historical roots and proofs need O(log n) cached look-ups plus at most a few dozen hashes of
//! small subtrees, instead of rehashing every leaf.
//!
//! The verifiers ([`verify_inclusion`], [`verify_consistency`]) are pure functions implementing
//! RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; they reject proofs with missing or extra
//! elements.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Perfect aligned subtrees with at least `2^CACHE_MIN_LEVEL` leaves are cached.
const CACHE_MIN_LEVEL: u32 = 4;

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The leaf hash of an entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// An interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// An append-only RFC 6962 Merkle tree. See the module docs for the cost model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    /// Leaf hashes (already SHA-256(0x00 ‖ entry)), in order.
    leaves: Vec<Hash>,
    /// Roots of the perfect subtrees composing the tree, largest (leftmost) first.
    frontier: Vec<Hash>,
    /// `levels[j][i]` = root of leaves `[i·2^L, (i+1)·2^L)` with `L = j + CACHE_MIN_LEVEL`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// True when the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The leaf hash at `index`, if any.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        usize::try_from(index).ok().and_then(|i| self.leaves.get(i))
    }

    /// All leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        &self.leaves
    }

    /// Appends an entry (hashing it as a leaf); returns its 0-based index.
    pub fn append(&mut self, entry: &Hash) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends an already computed leaf hash; returns its 0-based index. Amortised O(1).
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.leaves.len();
        self.leaves.push(leaf);
        let mut node = leaf;
        let mut carry = index; // the old size: each trailing 1 bit merges two equal subtrees
        let mut level = 0u32;
        while carry & 1 == 1 {
            let Some(left) = self.frontier.pop() else {
                break; // unreachable: the frontier holds one root per set bit of the size
            };
            node = node_hash(&left, &node);
            level += 1;
            carry >>= 1;
            if level >= CACHE_MIN_LEVEL {
                let slot = (level - CACHE_MIN_LEVEL) as usize;
                match self.levels.get_mut(slot) {
                    Some(v) => v.push(node),
                    None => self.levels.push(vec![node]),
                }
            }
        }
        self.frontier.push(node);
        index as u64
    }

    /// Releases spare capacity (an archived session's tree no longer grows).
    pub fn shrink_to_fit(&mut self) {
        self.leaves.shrink_to_fit();
        self.frontier.shrink_to_fit();
        self.levels.shrink_to_fit();
        for l in &mut self.levels {
            l.shrink_to_fit();
        }
    }

    /// The current root: the empty-tree root when empty. O(log n), no leaf is rehashed.
    pub fn root(&self) -> Hash {
        let mut it = self.frontier.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// The root of the first `size` leaves (a historical tree head); `None` when `size`
    /// exceeds the current size.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        let size = self.checked_size(size)?;
        Some(if size == 0 {
            empty_root()
        } else if size == self.leaves.len() {
            self.root()
        } else {
            self.mth(0, size)
        })
    }

    /// The RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of the first `size`
    /// leaves, leaf-to-root order. `None` unless `index < size <= self.size()`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        let size = self.checked_size(size)?;
        let index = usize::try_from(index).ok().filter(|&i| i < size)?;
        let mut out = Vec::with_capacity(usize::BITS as usize);
        self.path(index, 0, size, &mut out);
        Some(out)
    }

    /// The RFC 9162 §2.1.4.1 consistency proof between the trees of the first `m` and `n`
    /// leaves. `None` unless `m <= n <= self.size()`. The proof is empty when `m == n` or
    /// `m == 0` (the empty tree is a prefix of every tree; see [`verify_consistency`]).
    pub fn consistency_proof(&self, m: u64, n: u64) -> Option<Vec<Hash>> {
        let n = self.checked_size(n)?;
        let m = usize::try_from(m).ok().filter(|&m| m <= n)?;
        let mut out = Vec::new();
        if m > 0 && m < n {
            out.reserve(usize::BITS as usize + 1);
            self.subproof(m, 0, n, true, &mut out);
        }
        Some(out)
    }

    /// Replays every append from the stored leaves and checks that the frontier and all cached
    /// subtree roots match. `Err(i)` names the 0-based leaf whose append first diverges (or the
    /// size when only the final frontier differs). Pure, O(n).
    pub fn check_integrity(&self) -> Result<(), u64> {
        let mut frontier: Vec<Hash> = Vec::with_capacity(usize::BITS as usize);
        let mut filled = vec![0usize; self.levels.len()];
        for (index, leaf) in self.leaves.iter().enumerate() {
            let mut node = *leaf;
            let mut carry = index;
            let mut level = 0u32;
            while carry & 1 == 1 {
                let Some(left) = frontier.pop() else {
                    return Err(index as u64);
                };
                node = node_hash(&left, &node);
                level += 1;
                carry >>= 1;
                if level >= CACHE_MIN_LEVEL {
                    let slot = (level - CACHE_MIN_LEVEL) as usize;
                    let (Some(cached), Some(pos)) = (self.levels.get(slot), filled.get_mut(slot))
                    else {
                        return Err(index as u64);
                    };
                    if cached.get(*pos) != Some(&node) {
                        return Err(index as u64);
                    }
                    *pos += 1;
                }
            }
            frontier.push(node);
        }
        let cached_ok = self.levels.iter().zip(&filled).all(|(v, &n)| v.len() == n);
        if frontier != self.frontier || !cached_ok {
            return Err(self.leaves.len() as u64);
        }
        Ok(())
    }

    /// `size` as usize when it is within the tree.
    fn checked_size(&self, size: u64) -> Option<usize> {
        usize::try_from(size)
            .ok()
            .filter(|&s| s <= self.leaves.len())
    }

    /// MTH(leaves\[start..end\]) for `start < end <= len`, using cached perfect subtrees.
    fn mth(&self, start: usize, end: usize) -> Hash {
        let n = end - start;
        if n == 1 {
            // In range by the callers' contract; never panics either way.
            return self.leaves.get(start).copied().unwrap_or_default();
        }
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros();
            if level >= CACHE_MIN_LEVEL {
                let cached = self
                    .levels
                    .get((level - CACHE_MIN_LEVEL) as usize)
                    .and_then(|v| v.get(start >> level));
                if let Some(h) = cached {
                    return *h;
                }
            }
        }
        let k = split_point(n);
        node_hash(&self.mth(start, start + k), &self.mth(start + k, end))
    }

    /// PATH(m, D\[start..end\]) of RFC 9162 §2.1.3.1, appended leaf-to-root.
    fn path(&self, m: usize, start: usize, end: usize, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.mth(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.mth(start, start + k));
        }
    }

    /// SUBPROOF(m, D\[start..end\], b) of RFC 9162 §2.1.4.1 (`0 < m <= end - start`).
    fn subproof(&self, m: usize, start: usize, end: usize, b: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !b {
                out.push(self.mth(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, b, out);
            out.push(self.mth(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.mth(start, start + k));
        }
    }
}

/// Shifts `fn_` and `sn` right together until `fn_`'s low bit is set or `fn_` is 0.
fn shift_until_odd_or_zero(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// RFC 9162 §2.1.3.2: does `path` prove that `leaf_hash` (already SHA-256(0x00 ‖ entry)) is
/// leaf `index` of a tree of `size` leaves with root `root`? False for `index >= size` and for
/// paths with missing or extra elements.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in path {
        if sn == 0 {
            return false; // extra elements
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                shift_until_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show that the tree of `m` leaves with root `root_m` is a
/// prefix of the tree of `n` leaves with root `root_n`?
///
/// The RFC defines the algorithm for `0 < m < n`; the edge cases are decided as follows:
/// * `m > n`: false;
/// * `m == n`: true iff the proof is empty and `root_m == root_n`;
/// * `m == 0`: the empty tree is a prefix of every tree, so true iff the proof is empty and
///   `root_m` is the empty-tree root SHA-256("") (and, when `n == 0`, so is `root_n`).
///
/// Proofs with missing or extra elements fail.
pub fn verify_consistency(m: u64, n: u64, root_m: &Hash, root_n: &Hash, proof: &[Hash]) -> bool {
    if m > n {
        return false;
    }
    if m == 0 {
        let empty = empty_root();
        return proof.is_empty() && *root_m == empty && (n > 0 || *root_n == empty);
    }
    if m == n {
        return proof.is_empty() && root_m == root_n;
    }
    // 1. An empty path fails.
    if proof.is_empty() {
        return false;
    }
    // 2. + 5. When m is a power of two, root_m is the (implicit) first element.
    let mut rest = proof.iter();
    let first = if m.is_power_of_two() {
        *root_m
    } else {
        match rest.next() {
            Some(h) => *h,
            None => return false,
        }
    };
    // 3.
    let (mut fn_, mut sn) = (m - 1, n - 1);
    // 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    // 6.
    for c in rest {
        if sn == 0 {
            return false; // extra elements
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                shift_until_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7.
    fr == *root_m && sr == *root_n && sn == 0
}

#[cfg(test)]
mod tests;
