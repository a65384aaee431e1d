//! Vector clocks: one counter per agent DID, compared component by component.
//!
//! A clock is a sorted, duplicate-free `Vec<(did, counter)>` with no zero counters, so the
//! derived equality coincides with causal equality and lookups are a binary search. DIDs contain
//! colons, so keys are always whole DIDs, never joined strings. The wire shape is a JSON object
//! `{"did:example:a": 3, ...}`.
//!
//! The number of components is bounded by the agents that ever wrote in the session, i.e. by the
//! session's participant cap (the engine only ticks clocks for participants).

use std::cmp::Ordering;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How two vector clocks relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockOrder {
    /// `self` happens-before `other`: every component ≤, at least one <.
    Before,
    /// `other` happens-before `self`.
    After,
    /// Identical clocks.
    Equal,
    /// Neither happens-before the other.
    Concurrent,
}

/// A vector clock keyed by agent DID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct VectorClock {
    /// Sorted by DID, unique DIDs, counters > 0.
    entries: Vec<(String, u64)>,
}

impl VectorClock {
    /// The empty clock (every component 0).
    pub fn new() -> Self {
        VectorClock::default()
    }

    fn position(&self, agent: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(agent))
    }

    /// The component for `agent` (0 when absent).
    pub fn get(&self, agent: &str) -> u64 {
        match self.position(agent) {
            Ok(i) => self.entries.get(i).map_or(0, |e| e.1),
            Err(_) => 0,
        }
    }

    /// Ticks `agent`'s component and returns its new value (saturating at `u64::MAX`).
    pub fn increment(&mut self, agent: &str) -> u64 {
        match self.position(agent) {
            Ok(i) => match self.entries.get_mut(i) {
                Some(e) => {
                    e.1 = e.1.saturating_add(1);
                    e.1
                }
                None => 0,
            },
            Err(i) => {
                self.entries.insert(i, (agent.to_owned(), 1));
                1
            }
        }
    }

    /// Pointwise maximum with `other`, in place.
    pub fn merge(&mut self, other: &VectorClock) {
        for (agent, v) in &other.entries {
            match self.position(agent) {
                Ok(i) => {
                    if let Some(e) = self.entries.get_mut(i) {
                        e.1 = e.1.max(*v);
                    }
                }
                Err(i) => self.entries.insert(i, (agent.clone(), *v)),
            }
        }
    }

    /// The pointwise maximum of `self` and `other` as a new clock.
    pub fn merged(&self, other: &VectorClock) -> VectorClock {
        let mut c = self.clone();
        c.merge(other);
        c
    }

    /// Compares component by component (a component missing on one side counts as 0).
    pub fn compare(&self, other: &VectorClock) -> ClockOrder {
        let (mut less, mut greater) = (false, false);
        let (mut a, mut b) = (
            self.entries.iter().peekable(),
            other.entries.iter().peekable(),
        );
        loop {
            match (a.peek(), b.peek()) {
                (None, None) => break,
                // Present only in self: self > 0 = other.
                (Some(_), None) => {
                    greater = true;
                    break;
                }
                (None, Some(_)) => {
                    less = true;
                    break;
                }
                (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                    Ordering::Less => {
                        greater = true;
                        a.next();
                    }
                    Ordering::Greater => {
                        less = true;
                        b.next();
                    }
                    Ordering::Equal => {
                        match va.cmp(vb) {
                            Ordering::Less => less = true,
                            Ordering::Greater => greater = true,
                            Ordering::Equal => {}
                        }
                        a.next();
                        b.next();
                    }
                },
            }
            if less && greater {
                break;
            }
        }
        match (less, greater) {
            (false, false) => ClockOrder::Equal,
            (true, false) => ClockOrder::Before,
            (false, true) => ClockOrder::After,
            (true, true) => ClockOrder::Concurrent,
        }
    }

    /// True when `self` happens-before `other` (every component ≤, at least one <).
    pub fn happens_before(&self, other: &VectorClock) -> bool {
        self.compare(other) == ClockOrder::Before
    }

    /// True when every component of `self` is ≤ the one of `other` (happens-before or equal):
    /// whoever holds `other` has seen everything `self` records.
    pub fn is_covered_by(&self, other: &VectorClock) -> bool {
        matches!(self.compare(other), ClockOrder::Before | ClockOrder::Equal)
    }

    /// True when neither clock happens-before the other and they differ.
    pub fn concurrent_with(&self, other: &VectorClock) -> bool {
        self.compare(other) == ClockOrder::Concurrent
    }

    /// Number of non-zero components.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when every component is 0.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The non-zero components, sorted by DID.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl PartialOrd for VectorClock {
    /// The causal partial order; `None` for concurrent clocks.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.compare(other) {
            ClockOrder::Before => Some(Ordering::Less),
            ClockOrder::After => Some(Ordering::Greater),
            ClockOrder::Equal => Some(Ordering::Equal),
            ClockOrder::Concurrent => None,
        }
    }
}

impl<S: AsRef<str>> FromIterator<(S, u64)> for VectorClock {
    /// Builds a clock from components; zero counters are dropped, repeated DIDs take the max.
    fn from_iter<I: IntoIterator<Item = (S, u64)>>(iter: I) -> Self {
        let mut c = VectorClock::new();
        for (k, v) in iter {
            if v == 0 {
                continue;
            }
            let k = k.as_ref();
            match c.position(k) {
                Ok(i) => {
                    if let Some(e) = c.entries.get_mut(i) {
                        e.1 = e.1.max(v);
                    }
                }
                Err(i) => c.entries.insert(i, (k.to_owned(), v)),
            }
        }
        c
    }
}

impl Serialize for VectorClock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for VectorClock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClockVisitor;
        impl<'de> Visitor<'de> for ClockVisitor {
            type Value = VectorClock;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping agent DIDs to non-negative integers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VectorClock, A::Error> {
                let mut pairs: Vec<(String, u64)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, u64>()? {
                    pairs.push((k, v));
                }
                Ok(pairs.into_iter().collect())
            }
        }
        d.deserialize_map(ClockVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vc(pairs: &[(&str, u64)]) -> VectorClock {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn increment_get_and_missing_components() {
        let mut c = VectorClock::new();
        assert_eq!(c.get("did:web:a"), 0);
        assert_eq!(c.increment("did:web:b"), 1);
        assert_eq!(c.increment("did:web:a"), 1);
        assert_eq!(c.increment("did:web:b"), 2);
        assert_eq!(c.get("did:web:b"), 2);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec![("did:web:a", 1), ("did:web:b", 2)]
        );
    }

    #[test]
    fn dids_with_colons_are_distinct_keys() {
        // A naive "agent:counter" string join would confuse these.
        let mut c = VectorClock::new();
        c.increment("did:a");
        c.increment("did:a:1");
        assert_eq!(c.get("did:a"), 1);
        assert_eq!(c.get("did:a:1"), 1);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn compare_covers_every_case() {
        let a = vc(&[("x", 1)]);
        let b = vc(&[("x", 1), ("y", 1)]);
        let c = vc(&[("y", 2)]);
        assert_eq!(a.compare(&b), ClockOrder::Before);
        assert_eq!(b.compare(&a), ClockOrder::After);
        assert_eq!(a.compare(&a.clone()), ClockOrder::Equal);
        assert_eq!(a.compare(&c), ClockOrder::Concurrent);
        assert!(a.happens_before(&b));
        assert!(!b.happens_before(&a));
        assert!(a.concurrent_with(&c));
        assert!(VectorClock::new().happens_before(&a));
        assert!(a.is_covered_by(&a) && a.is_covered_by(&b) && !b.is_covered_by(&a));
        assert_eq!(a.partial_cmp(&c), None);
        assert!(a < b);
    }

    #[test]
    fn merge_is_pointwise_max() {
        let mut a = vc(&[("x", 3), ("z", 1)]);
        a.merge(&vc(&[("x", 1), ("y", 2), ("z", 4)]));
        assert_eq!(a, vc(&[("x", 3), ("y", 2), ("z", 4)]));
    }

    #[test]
    fn serialises_as_an_object_and_drops_zeroes() {
        let c = vc(&[("did:web:b", 2), ("did:web:a", 1)]);
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(j, r#"{"did:web:a":1,"did:web:b":2}"#);
        let back: VectorClock =
            serde_json::from_str(r#"{"did:web:b":2,"did:web:a":1,"z":0}"#).expect("valid clock");
        assert_eq!(back, c);
        assert!(serde_json::from_str::<VectorClock>(r#"{"a":-1}"#).is_err());
    }

    fn arb_clock() -> impl Strategy<Value = VectorClock> {
        proptest::collection::vec((0usize..4, 0u64..4), 0..6).prop_map(|v| {
            const NAMES: [&str; 4] = ["did:a", "did:b", "did:c:1", "did:d"];
            v.into_iter()
                .map(|(i, n)| (NAMES.get(i).copied().unwrap_or("did:a"), n))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn happens_before_is_irreflexive(a in arb_clock()) {
            prop_assert!(!a.happens_before(&a));
            prop_assert_eq!(a.compare(&a), ClockOrder::Equal);
        }

        #[test]
        fn happens_before_is_antisymmetric(a in arb_clock(), b in arb_clock()) {
            prop_assert!(!(a.happens_before(&b) && b.happens_before(&a)));
            let flipped = match a.compare(&b) {
                ClockOrder::Before => ClockOrder::After,
                ClockOrder::After => ClockOrder::Before,
                o => o,
            };
            prop_assert_eq!(b.compare(&a), flipped);
            prop_assert_eq!(a.compare(&b) == ClockOrder::Equal, a == b);
        }

        #[test]
        fn happens_before_is_transitive(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            if a.happens_before(&b) && b.happens_before(&c) {
                prop_assert!(a.happens_before(&c));
            }
            // Force a chain to exercise the implication non-vacuously.
            let b2 = a.merged(&b);
            let mut c2 = b2.merged(&c);
            c2.increment("did:z");
            if a != b2 {
                prop_assert!(a.happens_before(&b2));
                prop_assert!(a.happens_before(&c2));
            }
            prop_assert!(b2.happens_before(&c2));
        }

        #[test]
        fn merge_is_commutative(a in arb_clock(), b in arb_clock()) {
            prop_assert_eq!(a.merged(&b), b.merged(&a));
        }

        #[test]
        fn merge_is_associative(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
        }

        #[test]
        fn merge_is_idempotent(a in arb_clock(), b in arb_clock()) {
            prop_assert_eq!(a.merged(&a), a.clone());
            let m = a.merged(&b);
            prop_assert_eq!(m.merged(&b), m);
        }

        #[test]
        fn merge_is_the_least_upper_bound(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            let m = a.merged(&b);
            prop_assert!(a.is_covered_by(&m));
            prop_assert!(b.is_covered_by(&m));
            for (k, v) in m.iter() {
                prop_assert_eq!(v, a.get(k).max(b.get(k)));
            }
            // Least: any upper bound of both covers the merge.
            if a.is_covered_by(&c) && b.is_covered_by(&c) {
                prop_assert!(m.is_covered_by(&c));
            }
        }

        #[test]
        fn increment_moves_forward(a in arb_clock(), who in 0usize..5) {
            let agent = ["did:a", "did:b", "did:c:1", "did:d", "did:new"][who];
            let mut b = a.clone();
            let v = b.increment(agent);
            prop_assert_eq!(v, a.get(agent) + 1);
            prop_assert!(a.happens_before(&b));
            prop_assert!(!b.happens_before(&a));
        }

        #[test]
        fn serde_round_trips(a in arb_clock()) {
            let j = serde_json::to_string(&a).unwrap();
            let back: VectorClock = serde_json::from_str(&j).unwrap();
            prop_assert_eq!(back, a);
        }
    }
}
