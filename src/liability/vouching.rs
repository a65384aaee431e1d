//! Vouching bonds of one session (API.md §4.4 `liability.vouch` / `release` / `sigma_eff`).
//!
//! A [`VouchBook`] holds every vouch record of a session (released ones included, so the
//! record count is capped by `max_vouches_per_session`, refuse on overflow) plus, per agent,
//! the running sums the hot path needs:
//!
//! * `bonded_for(vouchee)`: Σ bonded amounts of the active vouches *for* that agent, so
//!   `σ_eff = min(1, σ + ω · bonded_for)` is O(1) whatever the history;
//! * `exposure_of(voucher)`: Σ bonded amounts of the active vouches *given* by that agent.
//!
//! The sums are updated on vouch, release and expiry. When an agent's last active bond of a
//! side goes away its sum is reset to exactly 0, and tiny negatives from float error are
//! clamped to 0, so the sums never drift below zero.
//!
//! Expiry is driven by time passed in: a min-heap of `(expires_at, record)` lets
//! [`VouchBook::expire_due`] pop due bonds in O(log n) each and O(1) when nothing is due. The
//! engine calls it at the start of every session operation; between calls the sums reflect
//! the last sweep.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashSet};

use serde::Serialize;

use crate::config::{DEFAULT_BOND_PCT, VOUCHER_MIN_SIGMA};
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;
use crate::security::id_hash::IdMap;

/// Slack allowed in the exposure comparison so that float rounding never refuses a bond that
/// exactly meets the limit.
const EXPOSURE_EPSILON: f64 = 1e-12;

/// One vouching bond (API.md §4.4 VouchRecord).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VouchRecord {
    /// Engine-minted id (`vouch:…`).
    pub vouch_id: String,
    /// The agent bonding part of its σ.
    pub voucher_did: String,
    /// The agent vouched for.
    pub vouchee_did: String,
    /// The session the bond lives in.
    pub session_id: String,
    /// Share of the voucher's σ bonded, in [0, 1].
    pub bonded_sigma_pct: f64,
    /// Absolute σ bonded: voucher σ at vouch time × `bonded_sigma_pct`.
    pub bonded_amount: f64,
    /// When the bond was created.
    pub created_at: Timestamp,
    /// When the bond expires by itself, if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// False once released, expired or released by a slash.
    pub is_active: bool,
    /// When the bond stopped being active (not part of the wire shape).
    #[serde(skip)]
    pub released_at: Option<Timestamp>,
}

/// The arguments of one vouch request, as the engine resolved them.
#[derive(Debug, Clone, Copy)]
pub struct NewVouch<'a> {
    /// The agent bonding part of its σ.
    pub voucher_did: &'a str,
    /// The agent vouched for.
    pub vouchee_did: &'a str,
    /// The voucher's current σ (after slashes).
    pub voucher_sigma: f64,
    /// Requested bond share; `None` means [`DEFAULT_BOND_PCT`]; clamped to [0, 1].
    pub bond_pct: Option<f64>,
    /// Optional expiry; must be after `now`.
    pub expires_at: Option<Timestamp>,
}

/// Per-agent running sums and active-bond adjacency (record indices, creation order).
#[derive(Debug, Default)]
struct AgentBonds {
    bonded_for: f64,
    exposure: f64,
    /// Active vouches given by this agent.
    outgoing: BTreeSet<usize>,
    /// Active vouches received by this agent.
    incoming: BTreeSet<usize>,
}

/// The vouching bonds of one session.
#[derive(Debug)]
pub struct VouchBook {
    session_id: String,
    records: Vec<VouchRecord>,
    by_id: IdMap<String, usize>,
    /// Only agents with at least one active bond have an entry.
    agents: IdMap<String, AgentBonds>,
    expiry: BinaryHeap<Reverse<(Timestamp, usize)>>,
    active: usize,
}

impl VouchBook {
    /// An empty book for `session_id`.
    pub fn new(session_id: impl Into<String>) -> VouchBook {
        VouchBook {
            session_id: session_id.into(),
            records: Vec::new(),
            by_id: IdMap::default(),
            agents: IdMap::default(),
            expiry: BinaryHeap::new(),
            active: 0,
        }
    }

    /// Creates a bond. Checks, in this order:
    /// 1. self-vouch → `CIRCULAR_VOUCH`;
    /// 2. voucher σ < [`VOUCHER_MIN_SIGMA`] (or not finite) → `VOUCHER_SIGMA_TOO_LOW`;
    /// 3. `bond_pct` NaN/±inf → `INVALID_ARGUMENT` (`bond_pct`); otherwise clamped to [0, 1];
    /// 4. exposure: voucher's active bonded total + σ × pct > σ × `max_exposure` (+1e-12) →
    ///    `EXPOSURE_EXCEEDED`;
    /// 5. the new edge closes a cycle over active bonds (direct or indirect) → `CIRCULAR_VOUCH`;
    /// 6. `expires_at <= now` → `INVALID_ARGUMENT` (`expires_at`);
    /// 7. `vouch_id` already used → `DUPLICATE_ID`; the book already holds `cap` records
    ///    (released ones count) → `CAPACITY_EXCEEDED` (`details.table = "vouches"`).
    ///
    /// Several active bonds between the same pair are allowed (exposure bounds them).
    /// Participation of both agents and quarantine are the engine's checks.
    pub fn vouch(
        &mut self,
        req: NewVouch<'_>,
        max_exposure: f64,
        now: Timestamp,
        vouch_id: String,
        cap: usize,
    ) -> Result<&VouchRecord> {
        let NewVouch {
            voucher_did,
            vouchee_did,
            voucher_sigma: sigma,
            ..
        } = req;
        if voucher_did == vouchee_did {
            return Err(Error::new(
                Code::CIRCULAR_VOUCH,
                format!("agent '{voucher_did}' cannot vouch for itself"),
            )
            .with_detail("voucher_did", voucher_did));
        }
        // `!(a >= b)` also refuses a NaN σ.
        if !(sigma.is_finite() && sigma >= VOUCHER_MIN_SIGMA) {
            return Err(Error::new(
                Code::VOUCHER_SIGMA_TOO_LOW,
                format!(
                    "voucher '{voucher_did}' has sigma {sigma}, below the vouching floor {VOUCHER_MIN_SIGMA}"
                ),
            )
            .with_detail("voucher_did", voucher_did)
            .with_detail("sigma", sigma));
        }
        let pct = match req.bond_pct {
            None => DEFAULT_BOND_PCT,
            Some(p) if p.is_finite() => p.clamp(0.0, 1.0),
            Some(p) => {
                return Err(Error::invalid(
                    "bond_pct",
                    format!("must be finite, got {p}"),
                ))
            }
        };
        let bonded = sigma * pct;
        let current = self.exposure_of(voucher_did);
        let limit = sigma * max_exposure;
        if current + bonded > limit + EXPOSURE_EPSILON {
            return Err(Error::new(
                Code::EXPOSURE_EXCEEDED,
                format!(
                    "voucher '{voucher_did}' would bond {:.6} in session '{}', above its limit {limit:.6}",
                    current + bonded,
                    self.session_id
                ),
            )
            .with_detail("voucher_did", voucher_did)
            .with_detail("bonded_total", current)
            .with_detail("requested", bonded)
            .with_detail("limit", limit));
        }
        if self.reaches(vouchee_did, voucher_did) {
            return Err(Error::new(
                Code::CIRCULAR_VOUCH,
                format!(
                    "a vouch from '{voucher_did}' for '{vouchee_did}' would close a cycle of active bonds"
                ),
            )
            .with_detail("voucher_did", voucher_did)
            .with_detail("vouchee_did", vouchee_did));
        }
        if let Some(exp) = req.expires_at {
            if exp <= now {
                return Err(Error::invalid("expires_at", "must be later than now"));
            }
        }
        if self.by_id.contains_key(&vouch_id) {
            return Err(Error::new(
                Code::DUPLICATE_ID,
                format!("vouch id '{vouch_id}' already exists"),
            )
            .with_detail("vouch_id", vouch_id));
        }
        if self.records.len() >= cap {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "session '{}' holds {cap} vouch records, the maximum",
                    self.session_id
                ),
            )
            .with_detail("table", "vouches")
            .with_detail("limit", cap));
        }

        let idx = self.records.len();
        self.by_id.insert(vouch_id.clone(), idx);
        if let Some(exp) = req.expires_at {
            self.expiry.push(Reverse((exp, idx)));
        }
        let voucher = self.agents.entry(voucher_did.to_owned()).or_default();
        voucher.exposure += bonded;
        voucher.outgoing.insert(idx);
        let vouchee = self.agents.entry(vouchee_did.to_owned()).or_default();
        vouchee.bonded_for += bonded;
        vouchee.incoming.insert(idx);
        self.active += 1;
        self.records.push(VouchRecord {
            vouch_id,
            voucher_did: voucher_did.to_owned(),
            vouchee_did: vouchee_did.to_owned(),
            session_id: self.session_id.clone(),
            bonded_sigma_pct: pct,
            bonded_amount: bonded,
            created_at: now,
            expires_at: req.expires_at,
            is_active: true,
            released_at: None,
        });
        self.records
            .get(idx)
            .ok_or_else(|| Error::new(Code::INTERNAL, "vouch record vanished"))
    }

    /// Releases a bond. Unknown id → `VOUCH_NOT_FOUND`. Releasing a bond that is already
    /// inactive (released, expired or slashed) is a no-op that returns the record unchanged.
    pub fn release(&mut self, vouch_id: &str, now: Timestamp) -> Result<&VouchRecord> {
        let idx = *self
            .by_id
            .get(vouch_id)
            .ok_or_else(|| Error::not_found(Code::VOUCH_NOT_FOUND, "vouch", vouch_id))?;
        self.deactivate(idx, now);
        self.records
            .get(idx)
            .ok_or_else(|| Error::new(Code::INTERNAL, "vouch record vanished"))
    }

    /// Deactivates every bond whose `expires_at <= now` (its `released_at` is set to its
    /// `expires_at`); returns their ids in expiry order. O(1) when nothing is due.
    pub fn expire_due(&mut self, now: Timestamp) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(&Reverse((at, idx))) = self.expiry.peek() {
            if at > now {
                break;
            }
            self.expiry.pop();
            if self.deactivate(idx, at) {
                if let Some(r) = self.records.get(idx) {
                    out.push(r.vouch_id.clone());
                }
            }
        }
        out
    }

    /// Releases every active bond (session termination); returns how many were released.
    pub fn release_all(&mut self, now: Timestamp) -> usize {
        let mut n = 0;
        for r in self.records.iter_mut().filter(|r| r.is_active) {
            r.is_active = false;
            r.released_at = Some(now);
            n += 1;
        }
        // Only called at terminate: capacity left over is released too.
        self.agents = IdMap::default();
        self.expiry = BinaryHeap::new();
        self.active = 0;
        self.records.shrink_to_fit();
        self.by_id.shrink_to_fit();
        n
    }

    /// Σ bonded amounts of the active vouches for `agent_did` (O(1)).
    pub fn bonded_for(&self, agent_did: &str) -> f64 {
        self.agents.get(agent_did).map_or(0.0, |a| a.bonded_for)
    }

    /// Σ bonded amounts of the active vouches given by `agent_did` (O(1)).
    pub fn exposure_of(&self, agent_did: &str) -> f64 {
        self.agents.get(agent_did).map_or(0.0, |a| a.exposure)
    }

    /// `min(1, σ + ω · bonded_for(agent))`, O(1).
    pub fn sigma_eff(&self, sigma: f64, omega: f64, agent_did: &str) -> f64 {
        (sigma + omega * self.bonded_for(agent_did)).min(1.0)
    }

    /// Active vouches for `vouchee_did`, in creation order.
    pub fn active_vouchers_of<'a>(
        &'a self,
        vouchee_did: &str,
    ) -> impl Iterator<Item = &'a VouchRecord> + 'a {
        let set = self.agents.get(vouchee_did).map(|a| &a.incoming);
        set.into_iter()
            .flatten()
            .filter_map(move |&i| self.records.get(i))
    }

    /// Active vouches given by `voucher_did`, in creation order.
    pub fn active_vouchees_of<'a>(
        &'a self,
        voucher_did: &str,
    ) -> impl Iterator<Item = &'a VouchRecord> + 'a {
        let set = self.agents.get(voucher_did).map(|a| &a.outgoing);
        set.into_iter()
            .flatten()
            .filter_map(move |&i| self.records.get(i))
    }

    /// True when someone actively vouches for `agent_did`.
    pub fn has_active_vouchers(&self, agent_did: &str) -> bool {
        self.agents
            .get(agent_did)
            .is_some_and(|a| !a.incoming.is_empty())
    }

    /// Every active bond, in creation order (cost grows with active bonds only).
    pub fn active_records(&self) -> Vec<&VouchRecord> {
        let mut idx: Vec<usize> = self
            .agents
            .values()
            .flat_map(|a| a.outgoing.iter().copied())
            .collect();
        idx.sort_unstable();
        idx.iter().filter_map(|&i| self.records.get(i)).collect()
    }

    /// The record with this id, active or not.
    pub fn get(&self, vouch_id: &str) -> Option<&VouchRecord> {
        self.by_id.get(vouch_id).and_then(|&i| self.records.get(i))
    }

    /// Every record, released ones included, in creation order.
    pub fn records(&self) -> std::slice::Iter<'_, VouchRecord> {
        self.records.iter()
    }

    /// Number of records held (released ones included).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the book holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Number of active bonds.
    pub fn active_count(&self) -> usize {
        self.active
    }

    /// The session this book belongs to.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// True when `to` is reachable from `from` along active voucher→vouchee edges
    /// (`from == to` counts). Iterative DFS over active bonds only.
    fn reaches(&self, from: &str, to: &str) -> bool {
        if from == to {
            return true;
        }
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![from];
        while let Some(cur) = stack.pop() {
            if !seen.insert(cur) {
                continue;
            }
            for r in self.active_vouchees_of(cur) {
                let next = r.vouchee_did.as_str();
                if next == to {
                    return true;
                }
                if !seen.contains(next) {
                    stack.push(next);
                }
            }
        }
        false
    }

    /// Marks record `idx` inactive and updates the running sums. False when it was not active.
    fn deactivate(&mut self, idx: usize, at: Timestamp) -> bool {
        let Some(r) = self.records.get_mut(idx) else {
            return false;
        };
        if !r.is_active {
            return false;
        }
        r.is_active = false;
        r.released_at = Some(at);
        self.active = self.active.saturating_sub(1);
        let amount = r.bonded_amount;
        if let Some(a) = self.agents.get_mut(&r.voucher_did) {
            a.outgoing.remove(&idx);
            a.exposure = if a.outgoing.is_empty() {
                0.0
            } else {
                (a.exposure - amount).max(0.0)
            };
            if a.outgoing.is_empty() && a.incoming.is_empty() {
                self.agents.remove(&r.voucher_did);
            }
        }
        if let Some(a) = self.agents.get_mut(&r.vouchee_did) {
            a.incoming.remove(&idx);
            a.bonded_for = if a.incoming.is_empty() {
                0.0
            } else {
                (a.bonded_for - amount).max(0.0)
            };
            if a.outgoing.is_empty() && a.incoming.is_empty() {
                self.agents.remove(&r.vouchee_did);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests;
