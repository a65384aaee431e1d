//! Temporary ring elevations of one session (API.md §4.3 `ring.elevate`, `ring.revoke`,
//! `ring.elevations`, `ring.register_child`).
//!
//! An elevation lifts an agent to a more privileged ring until `expires_at`. It stops counting
//! the instant the clock reaches `expires_at` (no tick: [`ElevationTable::effective_ring`]
//! compares with `now`), and [`ElevationTable::expire_due`] hands each expired elevation to the
//! engine exactly once so it can emit `ring.elevation_expired`.
//!
//! The table holds live records only: active ones and expired ones not yet reported. A revoked
//! elevation is removed at once (and returned to the caller). Cap (`max_elevations_per_session`):
//! when full, expired records are pruned first (moved to a backlog that the next `expire_due`
//! still reports), then the request is refused with `CAPACITY_EXCEEDED`. The backlog itself is
//! bounded by the same cap (evict oldest; only reachable if the engine never calls
//! `expire_due`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::config::{
    ELEVATE_RING1_SIGMA, ELEVATE_RING2_SIGMA, ELEVATION_DEFAULT_TTL_SECS, ELEVATION_MAX_TTL_SECS,
};
use crate::error::{Code, Error, Result};
use crate::ids::MAX_API_PATH_BYTES;
use crate::model::{check_score, Ring, Timestamp};
use crate::security::id_hash::IdMap;

/// A ring elevation. Serialises to the wire fields of API.md (`elevation_id`, `agent_did`,
/// `original_ring`, `elevated_ring`, `granted_at`, `expires_at`); `reason`, `attestation` and
/// `revoked` are internal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Elevation {
    /// Minted `elev:` id.
    pub elevation_id: String,
    /// The elevated agent.
    pub agent_did: String,
    /// The agent's base ring when the elevation was granted.
    pub original_ring: Ring,
    /// The ring granted.
    pub elevated_ring: Ring,
    /// Grant time.
    pub granted_at: Timestamp,
    /// The elevation stops counting at this instant.
    pub expires_at: Timestamp,
    /// Why it was requested.
    #[serde(skip)]
    pub reason: Option<String>,
    /// Sponsorship attestation (required for ring 1).
    #[serde(skip)]
    pub attestation: Option<String>,
    /// True once revoked.
    #[serde(skip)]
    pub revoked: bool,
}

impl Elevation {
    /// True when not revoked and `now` is before `expires_at`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// The inputs of `ring.elevate`, with the agent's base ring and σ filled in by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ElevationRequest<'a> {
    /// The agent asking.
    pub agent_did: &'a str,
    /// Its base (non-elevated) ring.
    pub base_ring: Ring,
    /// Its σ (checked against the elevation floors).
    pub sigma: f64,
    /// Requested ring, as sent (validated here: 0..=3).
    pub target_ring: u8,
    /// Requested TTL in seconds (default 300, clamped to 3600, 0 is invalid).
    pub ttl_secs: Option<u64>,
    /// Sponsorship attestation; blank counts as absent.
    pub attestation: Option<String>,
    /// Free-text reason.
    pub reason: Option<String>,
}

/// The newest elevation of an agent, cached so `effective_ring` is one hash lookup.
#[derive(Debug, Clone)]
struct AgentSlot {
    elevation_id: String,
    ring: Ring,
    expires_at: Timestamp,
}

/// The elevations of one session.
#[derive(Debug, Default)]
pub struct ElevationTable {
    /// Live records: active, or expired and not yet reported. Never revoked.
    records: IdMap<String, Elevation>,
    /// Agent → its newest live record.
    by_agent: IdMap<String, AgentSlot>,
    /// Min-heap of (expires_at, elevation_id); entries of revoked records are stale and skipped.
    expiry: BinaryHeap<Reverse<(Timestamp, String)>>,
    /// Expired records pruned at the cap before `expire_due` reported them.
    backlog: Vec<Elevation>,
}

fn denied(reason: &'static str, req: &ElevationRequest<'_>, msg: String) -> Error {
    Error::new(
        Code::ELEVATION_DENIED,
        format!("elevation of agent '{}' denied: {msg}", req.agent_did),
    )
    .with_detail("reason", reason)
    .with_detail("agent_did", req.agent_did)
    .with_detail("target_ring", req.target_ring)
}

fn check_text(v: &Option<String>, field: &str) -> Result<()> {
    match v {
        Some(s) if s.len() > MAX_API_PATH_BYTES => Err(Error::invalid(
            field,
            format!("must be at most {MAX_API_PATH_BYTES} bytes"),
        )),
        _ => Ok(()),
    }
}

impl ElevationTable {
    /// An empty table.
    pub fn new() -> Self {
        ElevationTable::default()
    }

    /// Live records (active or expired-unreported).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no live record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// A live record by id.
    pub fn get(&self, elevation_id: &str) -> Option<&Elevation> {
        self.records.get(elevation_id)
    }

    /// Grants an elevation. Argument errors first (`INVALID_ARGUMENT`/`OUT_OF_RANGE` naming
    /// `target_ring`, `ttl_seconds`, `sigma`, `attestation` or `reason`), then denials
    /// (`ELEVATION_DENIED`, `details.reason`) in contract order: `ring_0_forbidden`,
    /// `invalid_target`, `duplicate_elevation`, `insufficient_trust`, `no_sponsorship`; then
    /// `DUPLICATE_ID` for a reused `id` and `CAPACITY_EXCEEDED` (`details.table =
    /// "elevations"`) when the table is full after pruning expired records.
    pub fn elevate(
        &mut self,
        req: ElevationRequest<'_>,
        now: Timestamp,
        id: String,
        cap: usize,
    ) -> Result<&Elevation> {
        let target = Ring::from_level(req.target_ring)
            .ok_or_else(|| Error::invalid("target_ring", "must be a ring 0..=3"))?;
        if req.ttl_secs == Some(0) {
            return Err(Error::invalid("ttl_seconds", "must be at least 1"));
        }
        check_score(req.sigma, "sigma")?;
        check_text(&req.attestation, "attestation")?;
        check_text(&req.reason, "reason")?;

        if target == Ring::Root {
            return Err(denied(
                "ring_0_forbidden",
                &req,
                "ring 0 is never granted by elevation".into(),
            ));
        }
        if !target.more_privileged_than(req.base_ring) {
            return Err(denied(
                "invalid_target",
                &req,
                format!(
                    "target ring {} is not more privileged than base ring {}",
                    target.level(),
                    req.base_ring.level()
                ),
            ));
        }
        if let Some(slot) = self.by_agent.get(req.agent_did) {
            if now < slot.expires_at {
                return Err(denied(
                    "duplicate_elevation",
                    &req,
                    format!("elevation '{}' is still active", slot.elevation_id),
                )
                .with_detail("elevation_id", slot.elevation_id.as_str()));
            }
        }
        let floor = if target == Ring::Privileged {
            ELEVATE_RING1_SIGMA
        } else {
            ELEVATE_RING2_SIGMA
        };
        if req.sigma < floor {
            return Err(denied(
                "insufficient_trust",
                &req,
                format!(
                    "ring {} needs sigma >= {floor}, agent has {}",
                    target.level(),
                    req.sigma
                ),
            )
            .with_detail("required_sigma", floor));
        }
        let attested = req
            .attestation
            .as_deref()
            .is_some_and(|a| !a.trim().is_empty());
        if target == Ring::Privileged && !attested {
            return Err(denied(
                "no_sponsorship",
                &req,
                "ring 1 needs an attestation".into(),
            ));
        }

        if self.records.contains_key(&id) {
            return Err(Error::new(
                Code::DUPLICATE_ID,
                format!("elevation id '{id}' already exists"),
            )
            .with_detail("elevation_id", id));
        }
        if self.records.len() >= cap {
            let mut pruned = std::mem::take(&mut self.backlog);
            self.pop_due(now, &mut pruned);
            if pruned.len() > cap {
                let excess = pruned.len() - cap;
                pruned.drain(..excess);
            }
            self.backlog = pruned;
            if self.records.len() >= cap {
                return Err(Error::new(
                    Code::CAPACITY_EXCEEDED,
                    format!("elevation table is full ({cap} active elevations)"),
                )
                .with_detail("table", "elevations")
                .with_detail("limit", cap as u64));
            }
        }

        let ttl = req
            .ttl_secs
            .unwrap_or(ELEVATION_DEFAULT_TTL_SECS)
            .min(ELEVATION_MAX_TTL_SECS);
        let expires_at = now.plus_micros(ttl as i64 * Timestamp::MICROS_PER_SEC);
        let agent = req.agent_did.to_owned();
        self.by_agent.insert(
            agent.clone(),
            AgentSlot {
                elevation_id: id.clone(),
                ring: target,
                expires_at,
            },
        );
        self.expiry.push(Reverse((expires_at, id.clone())));
        let rec = Elevation {
            elevation_id: id.clone(),
            agent_did: agent,
            original_ring: req.base_ring,
            elevated_ring: target,
            granted_at: now,
            expires_at,
            reason: req.reason,
            attestation: req.attestation,
            revoked: false,
        };
        Ok(self.records.entry(id).or_insert(rec))
    }

    /// The agent's effective ring: the more privileged of `base_ring` and the ring of its
    /// active elevation, if any. An expired elevation stops counting at once.
    pub fn effective_ring(&self, agent: &str, base_ring: Ring, now: Timestamp) -> Ring {
        match self.by_agent.get(agent) {
            Some(slot) if now < slot.expires_at => slot.ring.min(base_ring),
            _ => base_ring,
        }
    }

    /// Removes a live record and unlinks it from its agent.
    fn take(&mut self, elevation_id: &str) -> Option<Elevation> {
        let rec = self.records.remove(elevation_id)?;
        if self
            .by_agent
            .get(&rec.agent_did)
            .is_some_and(|s| s.elevation_id == elevation_id)
        {
            self.by_agent.remove(&rec.agent_did);
        }
        Some(rec)
    }

    /// Moves every record with `expires_at <= now` from the table into `out`.
    fn pop_due(&mut self, now: Timestamp, out: &mut Vec<Elevation>) {
        while let Some(Reverse((t, _))) = self.expiry.peek() {
            if *t > now {
                break;
            }
            if let Some(Reverse((_, id))) = self.expiry.pop() {
                // Stale heap entries (revoked records) find nothing.
                if let Some(rec) = self.take(&id) {
                    out.push(rec);
                }
            }
        }
    }

    /// Elevations that expired since the last call, each returned exactly once (revoked ones
    /// never). O(1) when nothing is due.
    pub fn expire_due(&mut self, now: Timestamp) -> Vec<Elevation> {
        let mut out = std::mem::take(&mut self.backlog);
        self.pop_due(now, &mut out);
        out
    }

    /// `ring.revoke`: removes a live elevation and returns it with `revoked: true`
    /// (`ELEVATION_NOT_FOUND` otherwise). A revoked elevation is never reported as expired.
    pub fn revoke(&mut self, elevation_id: &str) -> Result<Elevation> {
        let mut rec = self.take(elevation_id).ok_or_else(|| {
            Error::not_found(Code::ELEVATION_NOT_FOUND, "elevation_id", elevation_id)
        })?;
        rec.revoked = true;
        // Keep stale heap entries bounded.
        if self.expiry.len() > 2 * self.records.len() + 64 {
            self.expiry = self
                .records
                .values()
                .map(|r| Reverse((r.expires_at, r.elevation_id.clone())))
                .collect();
        }
        Ok(rec)
    }

    /// Revokes the agent's newest live elevation (kill, critical breach, leave), if any. A
    /// live record that has expired but was not yet reported is revoked too (and then never
    /// reported as expired).
    pub fn revoke_agent(&mut self, agent: &str) -> Option<Elevation> {
        let id = self.by_agent.get(agent)?.elevation_id.clone();
        self.revoke(&id).ok()
    }

    /// `ring.elevations`: active elevations, of one agent or all, ordered by grant time then id.
    pub fn active(&self, agent: Option<&str>, now: Timestamp) -> Vec<&Elevation> {
        match agent {
            Some(a) => self
                .by_agent
                .get(a)
                .and_then(|s| self.records.get(&s.elevation_id))
                .filter(|r| r.is_active(now))
                .into_iter()
                .collect(),
            None => {
                let mut v: Vec<&Elevation> =
                    self.records.values().filter(|r| r.is_active(now)).collect();
                v.sort_by(|a, b| {
                    (a.granted_at, &a.elevation_id).cmp(&(b.granted_at, &b.elevation_id))
                });
                v
            }
        }
    }
}

/// `ring.register_child`: a child's ring is its parent's effective ring + 1, at most 3.
pub fn child_ring(parent_effective: Ring) -> Ring {
    parent_effective.demoted()
}

#[cfg(test)]
#[path = "elevation_tests.rs"]
mod tests;
