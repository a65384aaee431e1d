//! The hasher of the tables keyed by ids (session, agent DIDs, saga, step, vouch, elevation,
//! action and snapshot ids), most of them caller-supplied.
//!
//! [`IdHasher`] is aHash (AES rounds where the CPU has AES-NI, a folded multiply otherwise)
//! under random keys drawn once per process: a caller that cannot read the process's memory
//! cannot choose ids that collide (hash flooding), as with std's SipHash-1-3, at a fraction of
//! its cost on short ids. It is zero-sized, so no table stores its own keys or sets them up
//! when a session, saga or book is created.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Builds aHash hashers with the process's random keys. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher;

/// The process's keys, drawn on first use.
static KEYS: OnceLock<ahash::RandomState> = OnceLock::new();

impl BuildHasher for IdHasher {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        KEYS.get_or_init(ahash::RandomState::new).build_hasher()
    }
}

/// A hash map keyed by ids, hashed with [`IdHasher`].
pub type IdMap<K, V> = HashMap<K, V, IdHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn one_key_per_process() {
        assert_eq!(IdHasher.hash_one("did:a"), IdHasher.hash_one("did:a"));
        assert_ne!(IdHasher.hash_one("did:a"), IdHasher.hash_one("did:b"));
        let mut m: IdMap<String, u8> = IdMap::default();
        m.insert("k".into(), 1);
        assert_eq!(m.get("k"), Some(&1));
        assert_eq!(std::mem::size_of::<IdMap<String, u8>>(), 32);
    }
}
