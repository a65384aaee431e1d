//! The engine-wide liability ledger (API.md §4.4 `liability.ledger`), spanning sessions for
//! the life of the engine, and the admission recommendation derived from it.
//!
//! Per agent the ledger keeps the latest `max_ledger_entries_per_agent` entries (the oldest
//! is evicted) and, separately, **running counts and sums** from which the profile is
//! computed, so eviction never changes an agent's risk. The number of agents is capped by
//! `max_ledger_agents`: an entry for a new agent beyond the cap is refused with
//! `CAPACITY_EXCEEDED` (`details.table = "ledger_agents"`) and counted in
//! [`Ledger::refused`]; the engine decides whether that fails the operation.
//!
//! Risk = Σ 0.15 × max(sev, 0.5) per slash (received or cascaded) + Σ 0.10 × max(sev, 0.3)
//! per quarantine entered + Σ 0.05 × sev per attributed fault − 0.05 per clean session,
//! clamped to [0, 1] (the sum is clamped once, so the order of entries does not matter).
//! Risk ≥ 0.6 → deny; ≥ 0.3 → probation; else admit.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::config::{
    Limits, RISK_DENY, RISK_PER_CLEAN_SESSION, RISK_PER_FAULT, RISK_PER_QUARANTINE, RISK_PER_SLASH,
    RISK_PROBATION, RISK_QUARANTINE_SEVERITY_FLOOR, RISK_SLASH_SEVERITY_FLOOR,
};
use crate::error::{Code, Error, Result};
use crate::model::{check_score, Timestamp};

/// Kinds of ledger entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerEntryType {
    /// The agent vouched for `related_agent`.
    VouchGiven,
    /// `related_agent` vouched for the agent.
    VouchReceived,
    /// A bond of the agent was released.
    VouchReleased,
    /// The agent was slashed (severity ω). Counts as a slash.
    SlashReceived,
    /// The agent was clipped or slashed through a cascade (severity ω). Counts as a slash.
    SlashCascaded,
    /// The agent was quarantined. Counts as a quarantine.
    QuarantineEntered,
    /// The agent's quarantine ended.
    QuarantineReleased,
    /// A fault was attributed to the agent (severity = its liability score). Counts as a fault.
    FaultAttributed,
    /// The agent finished a session without slash, quarantine or kill.
    CleanSession,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    /// Kind.
    pub entry_type: LedgerEntryType,
    /// Session it happened in.
    pub session_id: String,
    /// Severity in [0, 1].
    pub severity: f64,
    /// Free-form text.
    pub details: String,
    /// The other agent involved, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_agent: Option<String>,
    /// When.
    pub timestamp: Timestamp,
}

/// Admission recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Admit normally.
    Admit,
    /// Admit in ring 3 only.
    Probation,
    /// Refuse (`ADMISSION_DENIED`).
    Deny,
}

/// An agent's risk profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Slashes received or cascaded.
    pub slash_count: u64,
    /// Quarantines entered.
    pub quarantine_count: u64,
    /// Clean sessions.
    pub clean_session_count: u64,
    /// Mean severity of attributed faults (0 without faults).
    pub fault_score_avg: f64,
    /// Risk in [0, 1].
    pub risk_score: f64,
    /// What admission should do.
    pub recommendation: Recommendation,
}

impl Profile {
    /// The profile of an agent without history: everything 0, admit.
    pub fn empty() -> Profile {
        Profile {
            slash_count: 0,
            quarantine_count: 0,
            clean_session_count: 0,
            fault_score_avg: 0.0,
            risk_score: 0.0,
            recommendation: Recommendation::Admit,
        }
    }
}

/// Running totals, never affected by entry eviction.
#[derive(Debug, Default, Clone)]
struct Totals {
    slashes: u64,
    quarantines: u64,
    clean_sessions: u64,
    faults: u64,
    fault_severity_sum: f64,
    /// Unclamped risk sum.
    risk: f64,
}

#[derive(Debug, Default)]
struct AgentLedger {
    entries: VecDeque<LedgerEntry>,
    totals: Totals,
}

/// The engine-wide ledger.
#[derive(Debug)]
pub struct Ledger {
    agents: crate::security::id_hash::IdMap<String, AgentLedger>,
    max_agents: usize,
    max_entries: usize,
    refused: u64,
}

impl Ledger {
    /// A ledger with the caps of `limits`.
    pub fn new(limits: &Limits) -> Ledger {
        Ledger::with_caps(
            limits.max_ledger_agents,
            limits.max_ledger_entries_per_agent,
        )
    }

    /// A ledger holding at most `max_agents` agents and `max_entries_per_agent` entries each.
    pub fn with_caps(max_agents: usize, max_entries_per_agent: usize) -> Ledger {
        Ledger {
            agents: Default::default(),
            max_agents,
            max_entries: max_entries_per_agent,
            refused: 0,
        }
    }

    /// Appends an entry for `agent_did`. `severity` must be a finite score in [0, 1]
    /// (`OUT_OF_RANGE`, `severity`); a new agent beyond the cap → `CAPACITY_EXCEEDED`.
    pub fn record(&mut self, agent_did: &str, entry: LedgerEntry) -> Result<()> {
        check_score(entry.severity, "severity")?;
        let ledger = match self.agents.get_mut(agent_did) {
            Some(l) => l,
            None => {
                if self.agents.len() >= self.max_agents {
                    self.refused += 1;
                    return Err(Error::new(
                        Code::CAPACITY_EXCEEDED,
                        format!(
                            "the ledger holds {} agents, the maximum; entry for '{agent_did}' refused",
                            self.max_agents
                        ),
                    )
                    .with_detail("table", "ledger_agents")
                    .with_detail("limit", self.max_agents));
                }
                self.agents.entry(agent_did.to_owned()).or_default()
            }
        };
        let t = &mut ledger.totals;
        let sev = entry.severity;
        match entry.entry_type {
            LedgerEntryType::SlashReceived | LedgerEntryType::SlashCascaded => {
                t.slashes += 1;
                t.risk += RISK_PER_SLASH * sev.max(RISK_SLASH_SEVERITY_FLOOR);
            }
            LedgerEntryType::QuarantineEntered => {
                t.quarantines += 1;
                t.risk += RISK_PER_QUARANTINE * sev.max(RISK_QUARANTINE_SEVERITY_FLOOR);
            }
            LedgerEntryType::FaultAttributed => {
                t.faults += 1;
                t.fault_severity_sum += sev;
                t.risk += RISK_PER_FAULT * sev;
            }
            LedgerEntryType::CleanSession => {
                t.clean_sessions += 1;
                t.risk -= RISK_PER_CLEAN_SESSION;
            }
            LedgerEntryType::VouchGiven
            | LedgerEntryType::VouchReceived
            | LedgerEntryType::VouchReleased
            | LedgerEntryType::QuarantineReleased => {}
        }
        if self.max_entries == 0 {
            return Ok(());
        }
        while ledger.entries.len() >= self.max_entries {
            ledger.entries.pop_front();
        }
        ledger.entries.push_back(entry);
        Ok(())
    }

    /// The agent's retained entries, oldest first (empty for an unknown agent).
    pub fn entries<'a>(&'a self, agent_did: &str) -> impl Iterator<Item = &'a LedgerEntry> + 'a {
        self.agents
            .get(agent_did)
            .into_iter()
            .flat_map(|l| l.entries.iter())
    }

    /// The agent's profile; an unknown agent has [`Profile::empty`].
    pub fn profile(&self, agent_did: &str) -> Profile {
        let Some(l) = self.agents.get(agent_did) else {
            return Profile::empty();
        };
        let t = &l.totals;
        let risk = if t.risk.is_finite() {
            t.risk.clamp(0.0, 1.0)
        } else {
            1.0
        };
        Profile {
            slash_count: t.slashes,
            quarantine_count: t.quarantines,
            clean_session_count: t.clean_sessions,
            fault_score_avg: if t.faults == 0 {
                0.0
            } else {
                t.fault_severity_sum / t.faults as f64
            },
            risk_score: risk,
            recommendation: recommend(risk),
        }
    }

    /// Number of agents with a ledger.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Entries refused because the agent cap was reached.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

/// The recommendation for a risk score: ≥ [`RISK_DENY`] deny, ≥ [`RISK_PROBATION`]
/// probation, else admit.
pub fn recommend(risk: f64) -> Recommendation {
    if risk >= RISK_DENY {
        Recommendation::Deny
    } else if risk >= RISK_PROBATION {
        Recommendation::Probation
    } else {
        Recommendation::Admit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(t: LedgerEntryType, sev: f64) -> LedgerEntry {
        LedgerEntry {
            entry_type: t,
            session_id: "s".into(),
            severity: sev,
            details: String::new(),
            related_agent: None,
            timestamp: Timestamp(0),
        }
    }

    use LedgerEntryType as E;

    #[test]
    fn unknown_agent_is_admitted() {
        let l = Ledger::with_caps(10, 10);
        assert_eq!(l.profile("x"), Profile::empty());
        assert_eq!(l.entries("x").count(), 0);
    }

    #[test]
    fn risk_formula_and_thresholds() {
        let mut l = Ledger::with_caps(10, 100);
        // Three slashes at 0.95 alone: 3 × 0.15 × 0.95 = 0.4275 → probation.
        for _ in 0..3 {
            l.record("a", entry(E::SlashReceived, 0.95)).unwrap();
        }
        let p = l.profile("a");
        assert!((p.risk_score - 0.4275).abs() < 1e-12);
        assert_eq!(p.recommendation, Recommendation::Probation);
        // With the quarantines those slashes cause (severity ω): +3 × 0.095 → 0.7125 → deny.
        for _ in 0..3 {
            l.record("a", entry(E::QuarantineEntered, 0.95)).unwrap();
        }
        let p = l.profile("a");
        assert!((p.risk_score - 0.7125).abs() < 1e-12);
        assert_eq!(p.recommendation, Recommendation::Deny);
        assert_eq!((p.slash_count, p.quarantine_count), (3, 3));

        // Severity floors: slash 0.5, quarantine 0.3; faults unfloored; clean −0.05.
        let mut l = Ledger::with_caps(10, 100);
        l.record("b", entry(E::SlashCascaded, 0.1)).unwrap(); // 0.075
        l.record("b", entry(E::QuarantineEntered, 0.0)).unwrap(); // 0.03
        l.record("b", entry(E::FaultAttributed, 0.4)).unwrap(); // 0.02
        l.record("b", entry(E::FaultAttributed, 0.2)).unwrap(); // 0.01
        l.record("b", entry(E::CleanSession, 0.0)).unwrap(); // −0.05
        l.record("b", entry(E::VouchGiven, 1.0)).unwrap(); // no effect
        let p = l.profile("b");
        assert!((p.risk_score - 0.085).abs() < 1e-12);
        assert!((p.fault_score_avg - 0.3).abs() < 1e-12);
        assert_eq!(p.clean_session_count, 1);
        assert_eq!(p.recommendation, Recommendation::Admit);
        assert_eq!(recommend(0.3), Recommendation::Probation);
        assert_eq!(recommend(0.6), Recommendation::Deny);
        assert_eq!(recommend(0.299), Recommendation::Admit);
    }

    #[test]
    fn clean_sessions_clamp_at_zero() {
        let mut l = Ledger::with_caps(10, 100);
        for _ in 0..5 {
            l.record("a", entry(E::CleanSession, 0.0)).unwrap();
        }
        assert_eq!(l.profile("a").risk_score, 0.0);
    }

    #[test]
    fn eviction_keeps_the_risk() {
        let mut l = Ledger::with_caps(10, 2);
        l.record("a", entry(E::SlashReceived, 1.0)).unwrap();
        l.record("a", entry(E::SlashReceived, 1.0)).unwrap();
        let before = l.profile("a");
        for _ in 0..5 {
            l.record("a", entry(E::VouchGiven, 0.0)).unwrap();
        }
        assert_eq!(l.entries("a").count(), 2);
        assert!(l.entries("a").all(|e| e.entry_type == E::VouchGiven));
        assert_eq!(l.profile("a"), before);
    }

    #[test]
    fn agent_cap_refuses_and_counts() {
        let mut l = Ledger::with_caps(1, 10);
        l.record("a", entry(E::VouchGiven, 0.0)).unwrap();
        let e = l.record("b", entry(E::VouchGiven, 0.0)).unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
        assert_eq!(l.refused(), 1);
        l.record("a", entry(E::VouchGiven, 0.0)).unwrap();
        let e = l.record("a", entry(E::VouchGiven, f64::NAN)).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "severity");
        assert_eq!(l.agent_count(), 1);
    }

    #[test]
    fn wire_names() {
        let j = serde_json::to_value(entry(E::QuarantineReleased, 0.5)).unwrap();
        assert_eq!(j["entry_type"], "quarantine_released");
        assert!(j.get("related_agent").is_none());
        let p = serde_json::to_value(Profile::empty()).unwrap();
        assert_eq!(p["recommendation"], "admit");
    }

    fn kind() -> impl Strategy<Value = LedgerEntryType> {
        prop_oneof![
            Just(E::VouchGiven),
            Just(E::SlashReceived),
            Just(E::SlashCascaded),
            Just(E::QuarantineEntered),
            Just(E::QuarantineReleased),
            Just(E::FaultAttributed),
            Just(E::CleanSession),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn risk_always_in_unit_interval(ops in proptest::collection::vec((kind(), 0.0f64..=1.0), 0..80)) {
            let mut l = Ledger::with_caps(4, 3);
            for (k, s) in ops {
                l.record("a", entry(k, s)).unwrap();
                let p = l.profile("a");
                prop_assert!((0.0..=1.0).contains(&p.risk_score));
                prop_assert_eq!(p.recommendation, recommend(p.risk_score));
                prop_assert!(l.entries("a").count() <= 3);
            }
        }
    }
}
