//! Kill-switch records (API.md §4.6 `security.kill`, `security.substitute`).
//!
//! This module holds the wire shapes of a kill ([`KillReason`], [`Handoff`], [`KillResult`]) and
//! the per-session [`SubstitutePool`]. The saga side of a kill (moving in-flight steps to a
//! substitute or marking sagas for compensation) is done by the engine, which records each
//! outcome with [`KillResult::push_handoff`].

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::model::Timestamp;

/// Why an agent was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillReason {
    /// Behavioural drift beyond the configured thresholds.
    BehavioralDrift,
    /// Repeated rate-limit violations.
    RateLimit,
    /// A ring breach (critical anomaly).
    RingBreach,
    /// An operator's decision.
    Manual,
    /// A quarantine ran out without release.
    QuarantineTimeout,
    /// The session timed out.
    SessionTimeout,
}

impl KillReason {
    /// Every reason, in declaration order.
    pub const ALL: [KillReason; 6] = [
        KillReason::BehavioralDrift,
        KillReason::RateLimit,
        KillReason::RingBreach,
        KillReason::Manual,
        KillReason::QuarantineTimeout,
        KillReason::SessionTimeout,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KillReason::BehavioralDrift => "behavioral_drift",
            KillReason::RateLimit => "rate_limit",
            KillReason::RingBreach => "ring_breach",
            KillReason::Manual => "manual",
            KillReason::QuarantineTimeout => "quarantine_timeout",
            KillReason::SessionTimeout => "session_timeout",
        }
    }
}

/// What happened to one in-flight step of the killed agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffStatus {
    /// The step moved to a substitute.
    HandedOff,
    /// No substitute: the step's saga is marked for compensation.
    CompensationRequired,
}

/// One step handoff of a kill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// The saga holding the step.
    pub saga_id: String,
    /// The in-flight step.
    pub step_id: String,
    /// The killed agent.
    pub from_agent: String,
    /// The substitute that took the step (absent when none was available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_agent: Option<String>,
    /// Outcome.
    pub status: HandoffStatus,
}

impl Handoff {
    /// A successful handoff to `to_agent`.
    pub fn handed_off(saga_id: &str, step_id: &str, from: &str, to: &str) -> Handoff {
        Handoff {
            saga_id: saga_id.to_owned(),
            step_id: step_id.to_owned(),
            from_agent: from.to_owned(),
            to_agent: Some(to.to_owned()),
            status: HandoffStatus::HandedOff,
        }
    }

    /// A step left without substitute: its saga needs compensation.
    pub fn compensation_required(saga_id: &str, step_id: &str, from: &str) -> Handoff {
        Handoff {
            saga_id: saga_id.to_owned(),
            step_id: step_id.to_owned(),
            from_agent: from.to_owned(),
            to_agent: None,
            status: HandoffStatus::CompensationRequired,
        }
    }
}

/// The result of `security.kill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillResult {
    /// Minted `kill:` id.
    pub kill_id: String,
    /// The killed agent.
    pub agent_did: String,
    /// Its session.
    pub session_id: String,
    /// Why.
    pub reason: KillReason,
    /// When.
    pub timestamp: Timestamp,
    /// One entry per in-flight step of the agent's running sagas.
    pub handoffs: Vec<Handoff>,
    /// Handoffs with status `handed_off`.
    pub handoff_success_count: usize,
    /// True when at least one handoff required compensation.
    pub compensation_triggered: bool,
    /// Always true once the kill is complete.
    pub terminated: bool,
    /// Free-text details supplied with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl KillResult {
    /// A kill with no handoffs yet, `terminated: true`.
    pub fn new(
        kill_id: String,
        agent_did: &str,
        session_id: &str,
        reason: KillReason,
        timestamp: Timestamp,
        details: Option<String>,
    ) -> KillResult {
        KillResult {
            kill_id,
            agent_did: agent_did.to_owned(),
            session_id: session_id.to_owned(),
            reason,
            timestamp,
            handoffs: Vec::new(),
            handoff_success_count: 0,
            compensation_triggered: false,
            terminated: true,
            details,
        }
    }

    /// Records one handoff, keeping `handoff_success_count` and `compensation_triggered` exact.
    pub fn push_handoff(&mut self, h: Handoff) {
        match h.status {
            HandoffStatus::HandedOff => self.handoff_success_count += 1,
            HandoffStatus::CompensationRequired => self.compensation_triggered = true,
        }
        self.handoffs.push(h);
    }
}

/// Registered substitutes of one session, in registration order.
///
/// Capped by the session's participant cap (passed in): overflow policy **refuse**
/// (`CAPACITY_EXCEEDED`, `details.table = "substitutes"`). Picking is deterministic: the
/// first-registered substitute that is active and is not the killed agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubstitutePool {
    agents: Vec<String>,
}

impl SubstitutePool {
    /// An empty pool.
    pub fn new() -> Self {
        SubstitutePool::default()
    }

    /// Registers `agent`. Returns false when it was already registered (its place is kept).
    pub fn register(&mut self, agent: &str, cap: usize) -> Result<bool> {
        if self.contains(agent) {
            return Ok(false);
        }
        if self.agents.len() >= cap {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!("substitute pool is full ({cap}); cannot register agent '{agent}'"),
            )
            .with_detail("table", "substitutes")
            .with_detail("limit", cap as u64)
            .with_detail("agent_did", agent));
        }
        self.agents.push(agent.to_owned());
        Ok(true)
    }

    /// Removes `agent`; returns whether it was registered.
    pub fn remove(&mut self, agent: &str) -> bool {
        match self.agents.iter().position(|a| a == agent) {
            Some(i) => {
                self.agents.remove(i);
                true
            }
            None => false,
        }
    }

    /// True when `agent` is registered.
    pub fn contains(&self, agent: &str) -> bool {
        self.agents.iter().any(|a| a == agent)
    }

    /// The first registered substitute other than `excluding` for which `is_active` holds.
    pub fn pick(&self, excluding: &str, is_active: impl Fn(&str) -> bool) -> Option<String> {
        self.agents
            .iter()
            .find(|a| a.as_str() != excluding && is_active(a))
            .cloned()
    }

    /// Registered substitutes in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.agents.iter().map(String::as_str)
    }

    /// Number registered.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// True when none is registered.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_with_wire_names() {
        for r in KillReason::ALL {
            let j = serde_json::to_value(r).unwrap();
            assert_eq!(j, r.as_str());
            assert_eq!(serde_json::from_value::<KillReason>(j).unwrap(), r);
        }
        assert!(serde_json::from_str::<KillReason>("\"oops\"").is_err());
    }

    #[test]
    fn kill_result_wire_shape_and_counters() {
        let mut k = KillResult::new(
            "kill:1".into(),
            "did:ex:a",
            "session:1",
            KillReason::Manual,
            Timestamp(1_767_225_600_000_000),
            None,
        );
        k.push_handoff(Handoff::handed_off(
            "saga:1", "step:1", "did:ex:a", "did:ex:b",
        ));
        assert!(!k.compensation_triggered);
        k.push_handoff(Handoff::compensation_required(
            "saga:2", "step:9", "did:ex:a",
        ));
        assert_eq!(k.handoff_success_count, 1);
        assert!(k.compensation_triggered);
        let j = serde_json::to_value(&k).unwrap();
        assert_eq!(
            j,
            serde_json::json!({
                "kill_id": "kill:1", "agent_did": "did:ex:a", "session_id": "session:1",
                "reason": "manual", "timestamp": "2026-01-01T00:00:00.000000Z",
                "handoffs": [
                    {"saga_id": "saga:1", "step_id": "step:1", "from_agent": "did:ex:a",
                     "to_agent": "did:ex:b", "status": "handed_off"},
                    {"saga_id": "saga:2", "step_id": "step:9", "from_agent": "did:ex:a",
                     "status": "compensation_required"}
                ],
                "handoff_success_count": 1, "compensation_triggered": true, "terminated": true
            })
        );
        k.details = Some("operator".into());
        assert_eq!(serde_json::to_value(&k).unwrap()["details"], "operator");
    }

    #[test]
    fn pool_picks_first_active_other_than_killed() {
        let mut p = SubstitutePool::new();
        assert!(p.register("a", 3).unwrap());
        assert!(p.register("b", 3).unwrap());
        assert!(p.register("c", 3).unwrap());
        assert!(!p.register("a", 3).unwrap());
        assert_eq!(p.len(), 3);
        assert_eq!(p.pick("x", |_| true).as_deref(), Some("a"));
        assert_eq!(p.pick("a", |_| true).as_deref(), Some("b"));
        assert_eq!(p.pick("a", |s| s != "b").as_deref(), Some("c"));
        assert_eq!(p.pick("c", |s| s == "c"), None);
        assert!(p.remove("b"));
        assert!(!p.remove("b"));
        assert_eq!(p.pick("a", |_| true).as_deref(), Some("c"));
        assert_eq!(p.iter().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn pool_cap_refuses() {
        let mut p = SubstitutePool::new();
        p.register("a", 1).unwrap();
        let e = p.register("b", 1).unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
        assert_eq!(e.details().unwrap()["table"], "substitutes");
        // Re-registering an existing member at the cap is fine.
        assert!(!p.register("a", 1).unwrap());
    }
}
