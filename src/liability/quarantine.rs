//! Quarantine of agents within one session (API.md §4.4 `liability.quarantine` /
//! `release_quarantine`).
//!
//! A [`QuarantineTable`] keeps, per agent, its latest quarantine record. A record counts
//! while `is_active && now < expires_at`: an expired record stops counting at once, even
//! before [`QuarantineTable::expire_due`] sweeps it (the sweep only produces the records the
//! engine reports as `liability.quarantine_released` events). Expiries are kept in a
//! min-heap so a sweep with nothing due is O(1).
//!
//! Re-quarantining an agent that is still quarantined extends the existing record to the
//! later of the two expiries (never shortens it), keeps its id and `started_at`, and takes
//! the new reason and details. Quarantining an agent whose previous record ended starts a
//! new record. The table holds at most `cap` agents (the session's participant cap);
//! a new agent beyond it is refused with `CAPACITY_EXCEEDED`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::config::MAX_QUARANTINE_SECS;
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;
use crate::security::id_hash::IdMap;

/// Why an agent was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// Severe drift between claimed and observed behaviour.
    BehavioralDrift,
    /// Slashed for a liability violation.
    LiabilityViolation,
    /// Critical ring breach.
    RingBreach,
    /// Rate limit abuse.
    RateLimitExceeded,
    /// Quarantined by an operator.
    Manual,
    /// Caught in a slash cascade.
    CascadeSlash,
}

impl QuarantineReason {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineReason::BehavioralDrift => "behavioral_drift",
            QuarantineReason::LiabilityViolation => "liability_violation",
            QuarantineReason::RingBreach => "ring_breach",
            QuarantineReason::RateLimitExceeded => "rate_limit_exceeded",
            QuarantineReason::Manual => "manual",
            QuarantineReason::CascadeSlash => "cascade_slash",
        }
    }
}

/// One quarantine (API.md §4.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarantineRecord {
    /// Engine-minted id (`quar:…`).
    pub quarantine_id: String,
    /// The quarantined agent.
    pub agent_did: String,
    /// Why (latest reason when extended).
    pub reason: QuarantineReason,
    /// When the quarantine began.
    pub started_at: Timestamp,
    /// When it ends by itself.
    pub expires_at: Timestamp,
    /// False once released or swept as expired.
    pub is_active: bool,
    /// Free-form details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// What [`QuarantineTable::quarantine`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineChange {
    /// The record after the change.
    pub record: QuarantineRecord,
    /// True when an active quarantine was extended rather than a new one started.
    pub extended: bool,
}

/// The quarantines of one session.
#[derive(Debug)]
pub struct QuarantineTable {
    latest: IdMap<String, QuarantineRecord>,
    expiry: BinaryHeap<Reverse<(Timestamp, String)>>,
    cap: usize,
}

impl QuarantineTable {
    /// An empty table for at most `cap` agents.
    pub fn new(cap: usize) -> QuarantineTable {
        QuarantineTable {
            latest: IdMap::default(),
            expiry: BinaryHeap::new(),
            cap,
        }
    }

    /// Quarantines `agent_did` for `duration_secs` from `now` (see the module docs for
    /// extension). `duration_secs` must be 1..=[`MAX_QUARANTINE_SECS`] (`OUT_OF_RANGE`,
    /// `duration_seconds`). `quarantine_id` is used only when a new record starts.
    pub fn quarantine(
        &mut self,
        agent_did: &str,
        reason: QuarantineReason,
        duration_secs: u64,
        details: Option<String>,
        now: Timestamp,
        quarantine_id: String,
    ) -> Result<QuarantineChange> {
        if duration_secs == 0 || duration_secs > MAX_QUARANTINE_SECS {
            return Err(Error::out_of_range(
                "duration_seconds",
                format!("must be 1..={MAX_QUARANTINE_SECS}"),
            ));
        }
        let expires_at = now.plus_micros(duration_secs as i64 * Timestamp::MICROS_PER_SEC);
        if let Some(r) = self.latest.get_mut(agent_did) {
            if r.is_active && now < r.expires_at {
                let pushed = expires_at > r.expires_at;
                if pushed {
                    r.expires_at = expires_at;
                }
                r.reason = reason;
                r.details = details;
                let record = r.clone();
                if pushed {
                    self.expiry
                        .push(Reverse((expires_at, agent_did.to_owned())));
                    self.compact_heap();
                }
                return Ok(QuarantineChange {
                    record,
                    extended: true,
                });
            }
        } else if self.latest.len() >= self.cap {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!("quarantine table holds {} agents, the maximum", self.cap),
            )
            .with_detail("table", "quarantines")
            .with_detail("limit", self.cap));
        }
        let record = QuarantineRecord {
            quarantine_id,
            agent_did: agent_did.to_owned(),
            reason,
            started_at: now,
            expires_at,
            is_active: true,
            details,
        };
        self.expiry
            .push(Reverse((expires_at, agent_did.to_owned())));
        self.latest.insert(agent_did.to_owned(), record.clone());
        Ok(QuarantineChange {
            record,
            extended: false,
        })
    }

    /// Rebuilds the expiry heap from the live records when stale entries (left by
    /// extensions) outnumber them, so repeated extensions cannot grow it without bound.
    fn compact_heap(&mut self) {
        if self.expiry.len() > 2 * self.latest.len() + 16 {
            self.expiry = self
                .latest
                .values()
                .filter(|r| r.is_active)
                .map(|r| Reverse((r.expires_at, r.agent_did.clone())))
                .collect();
        }
    }

    /// True while the agent has an active, unexpired quarantine (O(1)).
    pub fn is_quarantined(&self, agent_did: &str, now: Timestamp) -> bool {
        self.latest
            .get(agent_did)
            .is_some_and(|r| r.is_active && now < r.expires_at)
    }

    /// The agent's current quarantine, if it still counts at `now`.
    pub fn active(&self, agent_did: &str, now: Timestamp) -> Option<&QuarantineRecord> {
        self.latest
            .get(agent_did)
            .filter(|r| r.is_active && now < r.expires_at)
    }

    /// Ends the agent's quarantine early. `QUARANTINE_NOT_FOUND` when none counts at `now`
    /// (an expired, not yet swept record is left for [`Self::expire_due`]).
    pub fn release(&mut self, agent_did: &str, now: Timestamp) -> Result<QuarantineRecord> {
        match self.latest.get_mut(agent_did) {
            Some(r) if r.is_active && now < r.expires_at => {
                r.is_active = false;
                Ok(r.clone())
            }
            _ => {
                Err(
                    Error::not_found(Code::QUARANTINE_NOT_FOUND, "quarantine of agent", agent_did)
                        .with_detail("agent_did", agent_did),
                )
            }
        }
    }

    /// Deactivates every active record with `expires_at <= now` and returns them (for
    /// events), in expiry order. O(1) when nothing is due.
    pub fn expire_due(&mut self, now: Timestamp) -> Vec<QuarantineRecord> {
        let mut out = Vec::new();
        while let Some(Reverse((at, _))) = self.expiry.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, agent))) = self.expiry.pop() else {
                break;
            };
            // Stale heap entries (released, extended or replaced records) are skipped.
            if let Some(r) = self.latest.get_mut(&agent) {
                if r.is_active && r.expires_at == at {
                    r.is_active = false;
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// True when the agent was ever quarantined in this session (for `clean_session`).
    pub fn ever_quarantined(&self, agent_did: &str) -> bool {
        self.latest.contains_key(agent_did)
    }

    /// The agent's latest record, active or not.
    pub fn latest(&self, agent_did: &str) -> Option<&QuarantineRecord> {
        self.latest.get(agent_did)
    }

    /// Number of agents ever quarantined in this session.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// True when nobody was ever quarantined.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_000_000_000);

    fn at(s: i64) -> Timestamp {
        T0.plus_micros(s * 1_000_000)
    }

    fn q(
        t: &mut QuarantineTable,
        a: &str,
        secs: u64,
        now: Timestamp,
        id: &str,
    ) -> QuarantineChange {
        t.quarantine(a, QuarantineReason::Manual, secs, None, now, id.into())
            .unwrap()
    }

    #[test]
    fn quarantine_counts_until_expiry_exactly() {
        let mut t = QuarantineTable::new(10);
        let c = q(&mut t, "a", 60, T0, "quar:1");
        assert!(!c.extended);
        assert_eq!(c.record.expires_at, at(60));
        assert!(t.is_quarantined("a", at(59)));
        // Stops counting at once at expiry, before any sweep.
        assert!(!t.is_quarantined("a", at(60)));
        assert!(!t.is_quarantined("b", T0));
        assert!(t.expire_due(at(59)).is_empty());
        let gone = t.expire_due(at(60));
        assert_eq!(gone.len(), 1);
        assert!(!gone[0].is_active);
        assert!(t.expire_due(at(100)).is_empty());
        assert!(t.ever_quarantined("a"));
        assert!(!t.ever_quarantined("b"));
    }

    #[test]
    fn requarantine_extends_never_shortens() {
        let mut t = QuarantineTable::new(10);
        q(&mut t, "a", 60, T0, "quar:1");
        let c = t
            .quarantine(
                "a",
                QuarantineReason::BehavioralDrift,
                100,
                Some("drift".into()),
                at(30),
                "quar:2".into(),
            )
            .unwrap();
        assert!(c.extended);
        assert_eq!(c.record.quarantine_id, "quar:1");
        assert_eq!(c.record.started_at, T0);
        assert_eq!(c.record.expires_at, at(130));
        assert_eq!(c.record.reason, QuarantineReason::BehavioralDrift);
        let c = q(&mut t, "a", 10, at(40), "quar:3");
        assert_eq!(c.record.expires_at, at(130));
        // The stale heap entry at 60 does not end it.
        assert!(t.expire_due(at(60)).is_empty());
        assert!(t.is_quarantined("a", at(129)));
        assert_eq!(t.expire_due(at(130)).len(), 1);
        // Many extensions keep the heap bounded.
        for i in 0..100 {
            q(&mut t, "a", 200 + i, at(0), "quar:x");
        }
        assert!(t.expiry.len() <= 2 * t.len() + 17);
        assert_eq!(t.expire_due(at(298)).len(), 0);
        assert_eq!(t.expire_due(at(299)).len(), 1);
        // After it ended a new record starts.
        let c = q(&mut t, "a", 10, at(200), "quar:4");
        assert!(!c.extended);
        assert_eq!(c.record.quarantine_id, "quar:4");
    }

    #[test]
    fn release_rules() {
        let mut t = QuarantineTable::new(10);
        let e = t.release("a", T0).unwrap_err();
        assert_eq!(e.code(), Code::QUARANTINE_NOT_FOUND);
        q(&mut t, "a", 60, T0, "quar:1");
        let r = t.release("a", at(1)).unwrap();
        assert!(!r.is_active);
        assert!(!t.is_quarantined("a", at(2)));
        assert!(t.release("a", at(2)).is_err());
        // A released record is not reported again by the sweep.
        assert!(t.expire_due(at(100)).is_empty());
        q(&mut t, "b", 60, T0, "quar:2");
        assert!(t.release("b", at(60)).is_err());
    }

    #[test]
    fn limits_and_wire_shape() {
        let mut t = QuarantineTable::new(1);
        q(&mut t, "a", 60, T0, "quar:1");
        let e = t
            .quarantine("b", QuarantineReason::Manual, 60, None, T0, "x".into())
            .unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
        let e = t
            .quarantine("a", QuarantineReason::Manual, 0, None, T0, "x".into())
            .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "duration_seconds");
        let j = serde_json::to_value(t.latest("a").unwrap()).unwrap();
        assert_eq!(j["reason"], "manual");
        assert!(j.get("details").is_none());
        let reasons: Vec<QuarantineReason> =
            serde_json::from_str(r#"["behavioral_drift","cascade_slash","rate_limit_exceeded"]"#)
                .unwrap();
        assert_eq!(reasons[1].as_str(), "cascade_slash");
    }
}
