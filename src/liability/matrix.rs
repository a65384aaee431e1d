//! The liability matrix of a session (API.md §4.4 `liability.matrix`): active bonds as edges,
//! whether they form a cycle, and the cascade paths a slash could follow.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::SLASH_MAX_CASCADE_DEPTH;
use crate::liability::vouching::VouchBook;

/// Longest cascade path reported, in edges: the slash cascade depth.
const MAX_PATH_EDGES: usize = SLASH_MAX_CASCADE_DEPTH as usize;

/// One active bond as a voucher→vouchee edge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixEdge {
    /// The voucher.
    pub voucher_did: String,
    /// The vouchee.
    pub vouchee_did: String,
    /// Bonded σ.
    pub bonded_amount: f64,
    /// The bond.
    pub vouch_id: String,
}

/// The `liability.matrix` response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiabilityMatrix {
    /// Active bonds, in creation order.
    pub edges: Vec<MatrixEdge>,
    /// True when the active bonds contain a cycle (the book refuses cycles, so this is a
    /// consistency check and should always be false).
    pub has_cycle: bool,
    /// See [`cascade_paths`].
    pub cascade_paths: BTreeMap<String, Vec<Vec<String>>>,
}

/// Builds the whole matrix.
pub fn liability_matrix(book: &VouchBook) -> LiabilityMatrix {
    let adj = adjacency(book);
    LiabilityMatrix {
        edges: edges(book),
        has_cycle: cycle_in(&adj),
        cascade_paths: paths_in(&adj),
    }
}

/// Active bonds as edges, in creation order.
pub fn edges(book: &VouchBook) -> Vec<MatrixEdge> {
    book.active_records()
        .into_iter()
        .map(|r| MatrixEdge {
            voucher_did: r.voucher_did.clone(),
            vouchee_did: r.vouchee_did.clone(),
            bonded_amount: r.bonded_amount,
            vouch_id: r.vouch_id.clone(),
        })
        .collect()
}

/// True when the active voucher→vouchee edges contain a cycle.
pub fn has_cycle(book: &VouchBook) -> bool {
    cycle_in(&adjacency(book))
}

/// For each voucher X (an agent with at least one active outgoing bond): the maximal paths
/// starting at X along voucher→vouchee edges of active bonds, at most 2 edges long. A 1-edge
/// path `[X, Y]` is maximal when Y vouches for nobody; otherwise it extends to every
/// `[X, Y, Z]`. Parallel bonds between the same pair yield one path. Paths are sorted.
pub fn cascade_paths(book: &VouchBook) -> BTreeMap<String, Vec<Vec<String>>> {
    paths_in(&adjacency(book))
}

/// voucher → distinct vouchees, sorted.
fn adjacency(book: &VouchBook) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut adj: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in book.active_records() {
        adj.entry(r.voucher_did.as_str())
            .or_default()
            .insert(r.vouchee_did.as_str());
    }
    adj
}

fn paths_in(adj: &BTreeMap<&str, BTreeSet<&str>>) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out = BTreeMap::new();
    for (&x, ys) in adj {
        let mut paths = Vec::new();
        let mut stack: Vec<Vec<&str>> = ys.iter().rev().map(|&y| vec![x, y]).collect();
        while let Some(path) = stack.pop() {
            let last = path.last().copied().unwrap_or(x);
            let next = adj.get(last).filter(|n| !n.is_empty());
            match next {
                Some(n) if path.len() <= MAX_PATH_EDGES => {
                    for &z in n.iter().rev() {
                        let mut p = path.clone();
                        p.push(z);
                        stack.push(p);
                    }
                }
                _ => paths.push(path.into_iter().map(str::to_owned).collect::<Vec<_>>()),
            }
        }
        out.insert(x.to_owned(), paths);
    }
    out
}

/// Kahn's algorithm: a cycle exists iff some node never reaches in-degree 0.
fn cycle_in(adj: &BTreeMap<&str, BTreeSet<&str>>) -> bool {
    let mut indeg: BTreeMap<&str, usize> = BTreeMap::new();
    for (&x, ys) in adj {
        indeg.entry(x).or_insert(0);
        for &y in ys {
            *indeg.entry(y).or_insert(0) += 1;
        }
    }
    let mut ready: Vec<&str> = indeg
        .iter()
        .filter(|(_, &d)| d == 0)
        .map(|(&k, _)| k)
        .collect();
    let mut done = 0;
    while let Some(n) = ready.pop() {
        done += 1;
        for &y in adj.get(n).into_iter().flatten() {
            if let Some(d) = indeg.get_mut(y) {
                *d -= 1;
                if *d == 0 {
                    ready.push(y);
                }
            }
        }
    }
    done != indeg.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liability::vouching::NewVouch;
    use crate::model::Timestamp;

    fn book(pairs: &[(&str, &str)]) -> VouchBook {
        let mut b = VouchBook::new("s");
        for (i, (x, y)) in pairs.iter().enumerate() {
            let req = NewVouch {
                voucher_did: x,
                vouchee_did: y,
                voucher_sigma: 0.9,
                bond_pct: Some(0.1),
                expires_at: None,
            };
            b.vouch(req, 0.8, Timestamp(0), format!("v{i}"), 100)
                .unwrap();
        }
        b
    }

    fn p(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn paths_are_maximal_and_at_most_two_edges() {
        // a→b→c→d, a→e, b→f, plus a parallel a→b bond.
        let b = book(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "d"),
            ("a", "e"),
            ("b", "f"),
            ("a", "b"),
        ]);
        let m = liability_matrix(&b);
        assert_eq!(m.edges.len(), 6);
        assert!(!m.has_cycle);
        assert_eq!(
            m.cascade_paths["a"],
            vec![p(&["a", "b", "c"]), p(&["a", "b", "f"]), p(&["a", "e"])]
        );
        assert_eq!(
            m.cascade_paths["b"],
            vec![p(&["b", "c", "d"]), p(&["b", "f"])]
        );
        assert_eq!(m.cascade_paths["c"], vec![p(&["c", "d"])]);
        assert!(!m.cascade_paths.contains_key("d"));
        let j = serde_json::to_value(&m).unwrap();
        assert_eq!(j["edges"][0]["vouch_id"], "v0");
        assert_eq!(j["cascade_paths"]["c"][0][1], "d");
    }

    #[test]
    fn released_bonds_disappear() {
        let mut b = book(&[("a", "b"), ("b", "c")]);
        b.release("v1", Timestamp(0)).unwrap();
        let m = liability_matrix(&b);
        assert_eq!(m.edges.len(), 1);
        assert_eq!(m.cascade_paths["a"], vec![p(&["a", "b"])]);
        assert!(liability_matrix(&VouchBook::new("s"))
            .cascade_paths
            .is_empty());
    }

    #[test]
    fn kahn_detects_cycles() {
        let mut adj: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        adj.entry("a").or_default().insert("b");
        adj.entry("b").or_default().insert("c");
        assert!(!cycle_in(&adj));
        adj.entry("c").or_default().insert("a");
        assert!(cycle_in(&adj));
        // Paths stay bounded even on a cycle.
        assert!(paths_in(&adj)["a"].iter().all(|p| p.len() <= 3));
    }
}
