//! The hasher of the per-session tables keyed by ids (agent DIDs, saga, step, vouch, elevation,
//! action and snapshot ids), most of them caller-supplied.
//!
//! [`IdHasher`] is std's SipHash-1-3 (`DefaultHasher`) under random keys drawn once per process
//! (std's `RandomState`): the same hash-flooding resistance as std's per-table keys for a
//! caller that cannot read the process's memory, but zero-sized, so each table no longer
//! stores its own 16 bytes of keys nor sets them up when a session, saga or book is created.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Builds SipHash-1-3 hashers with the process's random keys. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher;

/// The process's keys, drawn on first use.
static KEYS: OnceLock<RandomState> = OnceLock::new();

impl BuildHasher for IdHasher {
    type Hasher = DefaultHasher;

    fn build_hasher(&self) -> DefaultHasher {
        KEYS.get_or_init(RandomState::new).build_hasher()
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
