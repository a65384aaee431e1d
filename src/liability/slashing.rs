//! Collateral slashing (API.md §4.4 `liability.slash`).
//!
//! [`slash`] is a pure function over a session's [`VouchBook`] and a σ store:
//!
//! * the vouchee's σ → 0;
//! * each active voucher of the vouchee is clipped to `max(SLASH_VOUCHER_FLOOR, σ × (1 − ω))`
//!   (never raised: if σ was already below that, it stays) and that bond is released;
//! * a clipped voucher left below [`SLASH_CASCADE_THRESHOLD`] that still has active vouchers
//!   of its own is slashed in turn with the same ω, reason `"cascade from <did>: <reason>"`.
//!   The top slash is depth 0; cascades happen at depths 1..=[`SLASH_MAX_CASCADE_DEPTH`].
//!
//! An agent is slashed (as vouchee) at most once per call. A voucher holding several active
//! bonds for the same vouchee is clipped once per slash level; it gets one clip entry per
//! bond (the later entries show `sigma_before == sigma_after`), so every released bond is
//! reported. A voucher the store does not know keeps its bond released but gets no clip.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::config::{SLASH_CASCADE_THRESHOLD, SLASH_MAX_CASCADE_DEPTH, SLASH_VOUCHER_FLOOR};
use crate::error::{Code, Error, Result};
use crate::liability::vouching::VouchBook;
use crate::model::{check_score, Timestamp};

/// Where the engine keeps each participant's current σ.
pub trait SigmaStore {
    /// The agent's current σ, `None` when the agent is unknown.
    fn sigma(&self, agent_did: &str) -> Option<f64>;
    /// Sets the agent's current σ.
    fn set_sigma(&mut self, agent_did: &str, sigma: f64);
}

impl SigmaStore for HashMap<String, f64> {
    fn sigma(&self, agent_did: &str) -> Option<f64> {
        self.get(agent_did).copied()
    }
    fn set_sigma(&mut self, agent_did: &str, sigma: f64) {
        if let Some(v) = self.get_mut(agent_did) {
            *v = sigma;
        } else {
            self.insert(agent_did.to_owned(), sigma);
        }
    }
}

impl SigmaStore for BTreeMap<String, f64> {
    fn sigma(&self, agent_did: &str) -> Option<f64> {
        self.get(agent_did).copied()
    }
    fn set_sigma(&mut self, agent_did: &str, sigma: f64) {
        if let Some(v) = self.get_mut(agent_did) {
            *v = sigma;
        } else {
            self.insert(agent_did.to_owned(), sigma);
        }
    }
}

/// A collateral clip applied to one voucher for one released bond.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoucherClip {
    /// The clipped voucher.
    pub voucher_did: String,
    /// σ before the clip.
    pub sigma_before: f64,
    /// σ after the clip.
    pub sigma_after: f64,
    /// The ω of the slash.
    pub risk_weight: f64,
    /// The bond released by the slash.
    pub vouch_id: String,
}

/// The outcome of one slash and its cascades (API.md §4.4 SlashResult).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlashResult {
    /// Engine-minted id (`slash:…`).
    pub slash_id: String,
    /// The slashed agent.
    pub vouchee_did: String,
    /// Its σ before the slash.
    pub vouchee_sigma_before: f64,
    /// Always 0.
    pub vouchee_sigma_after: f64,
    /// One entry per released bond of the vouchee's vouchers.
    pub voucher_clips: Vec<VoucherClip>,
    /// Slashes triggered by this one (vouchers left below the cascade threshold).
    pub cascade: Vec<SlashResult>,
    /// Why.
    pub reason: String,
}

impl SlashResult {
    /// Every agent whose σ changed, in discovery order without duplicates: the vouchee, its
    /// clipped vouchers, then the cascades'. The engine recomputes their rings.
    pub fn affected_agents(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        self.collect_affected(&mut seen, &mut out);
        out
    }

    fn collect_affected<'a>(&'a self, seen: &mut HashSet<&'a str>, out: &mut Vec<&'a str>) {
        for d in std::iter::once(self.vouchee_did.as_str())
            .chain(self.voucher_clips.iter().map(|c| c.voucher_did.as_str()))
        {
            if seen.insert(d) {
                out.push(d);
            }
        }
        for c in &self.cascade {
            c.collect_affected(seen, out);
        }
    }

    /// Ids of every bond released by this slash and its cascades.
    pub fn released_vouch_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .voucher_clips
            .iter()
            .map(|c| c.vouch_id.as_str())
            .collect();
        for c in &self.cascade {
            out.extend(c.released_vouch_ids());
        }
        out
    }

    /// This slash followed by all its cascades, depth first, with their depth (0 = top).
    /// Handy for ledger entries (`slash_received` at depth 0, `slash_cascaded` below).
    pub fn flatten(&self) -> Vec<(u32, &SlashResult)> {
        let mut out = Vec::new();
        self.flatten_into(0, &mut out);
        out
    }

    fn flatten_into<'a>(&'a self, depth: u32, out: &mut Vec<(u32, &'a SlashResult)>) {
        out.push((depth, self));
        for c in &self.cascade {
            c.flatten_into(depth + 1, out);
        }
    }
}

struct Ctx<'a, S: ?Sized, F> {
    book: &'a mut VouchBook,
    store: &'a mut S,
    omega: f64,
    now: Timestamp,
    mint: F,
    visited: HashSet<String>,
}

/// Slashes `vouchee_did` with risk weight `omega` (see the module docs for the rules).
///
/// Errors (nothing is changed on error): `omega` not a finite score in [0, 1] →
/// `OUT_OF_RANGE` (`risk_weight`); vouchee unknown to the store → `AGENT_NOT_FOUND`.
/// The vouchee's own bonds as a voucher stay in place.
pub fn slash<S, F>(
    book: &mut VouchBook,
    store: &mut S,
    vouchee_did: &str,
    omega: f64,
    reason: &str,
    now: Timestamp,
    mint_slash_id: F,
) -> Result<SlashResult>
where
    S: SigmaStore + ?Sized,
    F: FnMut() -> String,
{
    check_score(omega, "risk_weight")?;
    if store.sigma(vouchee_did).is_none() {
        return Err(Error::not_found(
            Code::AGENT_NOT_FOUND,
            "agent",
            vouchee_did,
        ));
    }
    let mut ctx = Ctx {
        book,
        store,
        omega,
        now,
        mint: mint_slash_id,
        visited: HashSet::new(),
    };
    Ok(slash_at(&mut ctx, vouchee_did, reason.to_owned(), 0))
}

fn slash_at<S, F>(ctx: &mut Ctx<'_, S, F>, vouchee: &str, reason: String, depth: u32) -> SlashResult
where
    S: SigmaStore + ?Sized,
    F: FnMut() -> String,
{
    let slash_id = (ctx.mint)();
    ctx.visited.insert(vouchee.to_owned());
    let before = ctx.store.sigma(vouchee).unwrap_or(0.0);
    ctx.store.set_sigma(vouchee, 0.0);

    let bonds: Vec<(String, String)> = ctx
        .book
        .active_vouchers_of(vouchee)
        .map(|r| (r.vouch_id.clone(), r.voucher_did.clone()))
        .collect();
    let mut clipped: HashSet<String> = HashSet::new();
    let mut clips = Vec::with_capacity(bonds.len());
    let mut candidates: Vec<String> = Vec::new();
    for (vouch_id, voucher) in bonds {
        // The id comes from the book itself, so release cannot fail.
        let _ = ctx.book.release(&vouch_id, ctx.now);
        let Some(sigma) = ctx.store.sigma(&voucher) else {
            continue;
        };
        let after = if clipped.insert(voucher.clone()) {
            let after = sigma.min(SLASH_VOUCHER_FLOOR.max(sigma * (1.0 - ctx.omega)));
            ctx.store.set_sigma(&voucher, after);
            if after < SLASH_CASCADE_THRESHOLD && depth < SLASH_MAX_CASCADE_DEPTH {
                candidates.push(voucher.clone());
            }
            after
        } else {
            sigma
        };
        clips.push(VoucherClip {
            voucher_did: voucher,
            sigma_before: sigma,
            sigma_after: after,
            risk_weight: ctx.omega,
            vouch_id,
        });
    }

    let mut cascade = Vec::new();
    for c in candidates {
        if !ctx.visited.contains(&c) && ctx.book.has_active_vouchers(&c) {
            let why = format!("cascade from {vouchee}: {reason}");
            cascade.push(slash_at(ctx, &c, why, depth + 1));
        }
    }

    SlashResult {
        slash_id,
        vouchee_did: vouchee.to_owned(),
        vouchee_sigma_before: before,
        vouchee_sigma_after: 0.0,
        voucher_clips: clips,
        cascade,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liability::vouching::NewVouch;

    const T0: Timestamp = Timestamp(1_000_000);

    struct World {
        book: VouchBook,
        sigma: BTreeMap<String, f64>,
        n: usize,
    }

    impl World {
        fn new(agents: &[(&str, f64)]) -> World {
            World {
                book: VouchBook::new("s"),
                sigma: agents.iter().map(|(a, s)| (a.to_string(), *s)).collect(),
                n: 0,
            }
        }
        fn vouch(&mut self, a: &str, b: &str) {
            let s = self.sigma[a];
            let req = NewVouch {
                voucher_did: a,
                vouchee_did: b,
                voucher_sigma: s,
                bond_pct: None,
                expires_at: None,
            };
            self.n += 1;
            self.book
                .vouch(req, 0.8, T0, format!("v{}", self.n), 100)
                .unwrap();
        }
        fn slash(&mut self, who: &str, omega: f64) -> Result<SlashResult> {
            let mut k = 0;
            slash(
                &mut self.book,
                &mut self.sigma,
                who,
                omega,
                "violation",
                T0,
                || {
                    k += 1;
                    format!("slash:{k}")
                },
            )
        }
    }

    #[test]
    fn moderate_omega_clips_without_cascade() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3), ("top", 0.9)]);
        w.vouch("v", "x");
        w.vouch("top", "v");
        let r = w.slash("x", 0.5).unwrap();
        assert_eq!(r.vouchee_sigma_before, 0.3);
        assert_eq!(r.vouchee_sigma_after, 0.0);
        assert_eq!(w.sigma["x"], 0.0);
        assert_eq!(r.voucher_clips.len(), 1);
        let c = &r.voucher_clips[0];
        assert_eq!((c.sigma_before, c.sigma_after), (0.8, 0.4));
        assert_eq!(c.risk_weight, 0.5);
        assert_eq!(c.vouch_id, "v1");
        assert!(r.cascade.is_empty());
        assert_eq!(w.sigma["top"], 0.9);
        assert!(!w.book.get("v1").unwrap().is_active);
        assert!(w.book.get("v2").unwrap().is_active);
        assert_eq!(w.book.bonded_for("x"), 0.0);
    }

    #[test]
    fn severe_omega_floors_and_cascades() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3), ("top", 0.9), ("root", 0.6)]);
        w.vouch("v", "x"); // v1
        w.vouch("top", "v"); // v2
        w.vouch("root", "top"); // v3
        let r = w.slash("x", 0.95).unwrap();
        // 0.8 × 0.05 = 0.04 → floored at 0.05, which is < 0.06 and v has a voucher: cascade.
        assert!((r.voucher_clips[0].sigma_after - 0.05).abs() < 1e-12);
        assert_eq!(r.cascade.len(), 1);
        let c1 = &r.cascade[0];
        assert_eq!(c1.vouchee_did, "v");
        assert!((c1.vouchee_sigma_before - 0.05).abs() < 1e-12);
        assert_eq!(c1.reason, "cascade from x: violation");
        assert_eq!(w.sigma["v"], 0.0);
        // top: 0.9 × 0.05 = 0.045 → 0.05, has a voucher → cascade at depth 2.
        assert_eq!(c1.voucher_clips[0].voucher_did, "top");
        assert_eq!(c1.cascade.len(), 1);
        let c2 = &c1.cascade[0];
        assert_eq!(c2.vouchee_did, "top");
        assert_eq!(w.sigma["top"], 0.0);
        // root is clipped at depth 2 but no depth-3 cascade even if it had vouchers.
        assert!((w.sigma["root"] - 0.05).abs() < 1e-12);
        assert!(c2.cascade.is_empty());
        assert_eq!(w.book.active_count(), 0);
        assert_eq!(r.affected_agents(), ["x", "v", "top", "root"]);
        assert_eq!(r.released_vouch_ids(), ["v1", "v2", "v3"]);
        let depths: Vec<u32> = r.flatten().iter().map(|(d, _)| *d).collect();
        assert_eq!(depths, [0, 1, 2]);
        // Ids are minted once per slash and unique.
        let mut ids: Vec<&str> = r
            .flatten()
            .iter()
            .map(|(_, s)| s.slash_id.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn depth_is_capped_at_two() {
        let mut w = World::new(&[("a", 0.9), ("b", 0.9), ("c", 0.9), ("d", 0.9), ("x", 0.1)]);
        w.vouch("a", "x");
        w.vouch("b", "a");
        w.vouch("c", "b");
        w.vouch("d", "c");
        let r = w.slash("x", 1.0).unwrap();
        assert_eq!(r.flatten().len(), 3); // x, a, b slashed; c clipped; d untouched
        assert_eq!(w.sigma["c"], 0.05);
        assert_eq!(w.sigma["d"], 0.9);
        assert!(w.book.has_active_vouchers("c"));
    }

    #[test]
    fn no_cascade_without_vouchers_and_no_raise_below_floor() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3)]);
        w.vouch("v", "x");
        w.sigma.insert("v".into(), 0.02); // dropped since the vouch
        let r = w.slash("x", 0.5).unwrap();
        assert_eq!(r.voucher_clips[0].sigma_after, 0.02);
        assert!(r.cascade.is_empty());
    }

    #[test]
    fn diamond_visits_each_agent_once() {
        let mut w = World::new(&[("a", 0.9), ("b", 0.9), ("c", 0.9), ("x", 0.1)]);
        w.vouch("a", "x");
        w.vouch("b", "x");
        w.vouch("c", "a");
        w.vouch("c", "b");
        let r = w.slash("x", 1.0).unwrap();
        // a and b cascade; c is clipped in a's cascade, then clipped again from 0.05 (stays).
        assert_eq!(r.cascade.len(), 2);
        assert_eq!(w.sigma["c"], 0.05);
        assert_eq!(r.affected_agents(), ["x", "a", "b", "c"]);
    }

    #[test]
    fn repeated_bonds_clip_once() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3)]);
        w.vouch("v", "x");
        w.vouch("v", "x");
        let r = w.slash("x", 0.5).unwrap();
        assert_eq!(r.voucher_clips.len(), 2);
        assert_eq!(r.voucher_clips[1].sigma_before, 0.4);
        assert_eq!(r.voucher_clips[1].sigma_after, 0.4);
        assert_eq!(w.sigma["v"], 0.4);
    }

    #[test]
    fn errors_change_nothing() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3)]);
        w.vouch("v", "x");
        let e = w.slash("x", 1.5).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "risk_weight");
        let e = w.slash("ghost", 0.5).unwrap_err();
        assert_eq!(e.code(), Code::AGENT_NOT_FOUND);
        assert_eq!(w.sigma["x"], 0.3);
        assert_eq!(w.book.active_count(), 1);
    }

    #[test]
    fn wire_shape() {
        let mut w = World::new(&[("v", 0.8), ("x", 0.3)]);
        w.vouch("v", "x");
        let j = serde_json::to_value(w.slash("x", 0.5).unwrap()).unwrap();
        for k in [
            "slash_id",
            "vouchee_did",
            "vouchee_sigma_before",
            "vouchee_sigma_after",
            "voucher_clips",
            "cascade",
            "reason",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
        assert_eq!(j["voucher_clips"][0]["vouch_id"], "v1");
    }
}
