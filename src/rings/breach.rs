//! Ring breach detector and circuit breaker, one per (agent, session) (API.md §4.6).
//!
//! Every ring check and step begin is recorded as `(now, agent_ring, required_ring)` in a
//! sliding window of [`BREACH_WINDOW_SECS`]. The anomaly is the share of calls in the window
//! whose required ring is more privileged (lower number) than the agent's ring *at the time of
//! that call*. It is scored only once the window holds at least [`BREACH_MIN_CALLS`] calls, and
//! graded by [`BREACH_THRESHOLDS`]: ≥ 0.3 low, ≥ 0.5 medium, ≥ 0.7 high, ≥ 0.9 critical.
//!
//! High or critical trips the breaker until `now + BREAKER_OPEN_SECS`. While it is open a new
//! high/critical score neither re-trips nor extends it (the open period is fixed from the trip);
//! once the clock passes the end it is closed (no tick needed) and the next high/critical score
//! trips it again. Severity is reported on every scored call, open or not.
//!
//! History is bounded: records leave the window by time, and at most `max_breach_history`
//! records are kept (overflow policy: evict oldest). Counters are maintained incrementally, so
//! `record` is O(1) amortised.

use std::collections::VecDeque;

use serde::Serialize;

use crate::config::{BREACH_MIN_CALLS, BREACH_THRESHOLDS, BREACH_WINDOW_SECS, BREAKER_OPEN_SECS};
use crate::model::{Ring, Timestamp};

/// Severity of a breach anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachSeverity {
    /// Below the low threshold, or not enough calls to score.
    None,
    /// ≥ 0.3.
    Low,
    /// ≥ 0.5.
    Medium,
    /// ≥ 0.7: trips the breaker.
    High,
    /// ≥ 0.9: trips the breaker; the engine demotes, revokes and may quarantine.
    Critical,
}

impl BreachSeverity {
    /// Grades an anomaly share in [0, 1].
    pub fn from_anomaly(anomaly: f64) -> BreachSeverity {
        let [low, medium, high, critical] = BREACH_THRESHOLDS;
        if anomaly >= critical {
            BreachSeverity::Critical
        } else if anomaly >= high {
            BreachSeverity::High
        } else if anomaly >= medium {
            BreachSeverity::Medium
        } else if anomaly >= low {
            BreachSeverity::Low
        } else {
            BreachSeverity::None
        }
    }

    /// True for high and critical.
    pub fn trips_breaker(self) -> bool {
        self >= BreachSeverity::High
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BreachSeverity::None => "none",
            BreachSeverity::Low => "low",
            BreachSeverity::Medium => "medium",
            BreachSeverity::High => "high",
            BreachSeverity::Critical => "critical",
        }
    }
}

/// What one recorded call produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreachOutcome {
    /// Severity of the window after this call (`None` when unscored).
    pub severity: BreachSeverity,
    /// Share of privileged calls in the window; 0 when fewer than `BREACH_MIN_CALLS` calls.
    pub anomaly: f64,
    /// Calls in the window after this call.
    pub window_calls: usize,
    /// True only on the call that tripped the breaker (emit `ring.breach_detected`).
    pub tripped_now: bool,
    /// True on the first critical score of an open period (demote, revoke, quarantine once).
    pub critical_now: bool,
}

/// Calls per required ring in the window, serialised as `{"0": n, "1": n, "2": n, "3": n}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RingDistribution {
    /// Calls requiring ring 0.
    #[serde(rename = "0")]
    pub ring0: usize,
    /// Calls requiring ring 1.
    #[serde(rename = "1")]
    pub ring1: usize,
    /// Calls requiring ring 2.
    #[serde(rename = "2")]
    pub ring2: usize,
    /// Calls requiring ring 3.
    #[serde(rename = "3")]
    pub ring3: usize,
}

impl RingDistribution {
    fn from_counts(c: [usize; 4]) -> Self {
        RingDistribution {
            ring0: c[0],
            ring1: c[1],
            ring2: c[2],
            ring3: c[3],
        }
    }
}

/// `ring.breaker` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct BreakerStats {
    /// Calls ever recorded (not reset by `reset`).
    pub total_calls: u64,
    /// Calls in the window now.
    pub window_calls: usize,
    /// Whether the breaker is open now.
    pub tripped: bool,
    /// Required rings of the calls in the window.
    pub ring_distribution: RingDistribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CallRecord {
    at: Timestamp,
    agent_ring: Ring,
    required_ring: Ring,
}

impl CallRecord {
    fn privileged(&self) -> bool {
        self.required_ring.more_privileged_than(self.agent_ring)
    }
}

/// The breach detector and breaker of one agent in one session.
#[derive(Debug, Clone, Default)]
pub struct BreachDetector {
    window: VecDeque<CallRecord>,
    privileged: usize,
    required_counts: [usize; 4],
    total_calls: u64,
    open_until: Option<Timestamp>,
    critical_reported: bool,
}

/// Calls at or before this instant are outside the window at `now`.
fn window_cutoff(now: Timestamp) -> Timestamp {
    now.plus_micros(-BREACH_WINDOW_SECS.saturating_mul(Timestamp::MICROS_PER_SEC))
}

impl BreachDetector {
    /// An empty detector with a closed breaker.
    pub fn new() -> Self {
        BreachDetector::default()
    }

    /// Releases spare window capacity (at terminate); the recorded calls stay.
    pub fn shrink_to_fit(&mut self) {
        self.window.shrink_to_fit();
    }

    fn pop_front(&mut self) {
        if let Some(r) = self.window.pop_front() {
            if r.privileged() {
                self.privileged -= 1;
            }
            self.required_counts[r.required_ring.level() as usize] -= 1;
        }
    }

    /// Records one ring check or step begin and scores the window.
    ///
    /// `max_history` is `limits.max_breach_history` (0 is treated as 1). A clock that goes
    /// backwards is clamped to the newest recorded instant so the window stays ordered.
    pub fn record(
        &mut self,
        now: Timestamp,
        agent_ring: Ring,
        required_ring: Ring,
        max_history: usize,
    ) -> BreachOutcome {
        let at = self.window.back().map_or(now, |last| last.at.max(now));
        let cutoff = window_cutoff(at);
        while self.window.front().is_some_and(|r| r.at <= cutoff) {
            self.pop_front();
        }
        let max_history = max_history.max(1);
        while self.window.len() >= max_history {
            self.pop_front();
        }
        let rec = CallRecord {
            at,
            agent_ring,
            required_ring,
        };
        if rec.privileged() {
            self.privileged += 1;
        }
        self.required_counts[required_ring.level() as usize] += 1;
        self.window.push_back(rec);
        self.total_calls = self.total_calls.saturating_add(1);

        let window_calls = self.window.len();
        let (anomaly, severity) = if window_calls >= BREACH_MIN_CALLS {
            let a = self.privileged as f64 / window_calls as f64;
            (a, BreachSeverity::from_anomaly(a))
        } else {
            (0.0, BreachSeverity::None)
        };

        let mut tripped_now = false;
        if !self.is_open(now) {
            self.critical_reported = false;
            if severity.trips_breaker() {
                self.open_until = Some(
                    now.plus_micros(BREAKER_OPEN_SECS.saturating_mul(Timestamp::MICROS_PER_SEC)),
                );
                tripped_now = true;
            } else {
                self.open_until = None;
            }
        }
        let critical_now = severity == BreachSeverity::Critical && !self.critical_reported;
        if critical_now {
            self.critical_reported = true;
        }
        BreachOutcome {
            severity,
            anomaly,
            window_calls,
            tripped_now,
            critical_now,
        }
    }

    /// True while the breaker is open (closes by itself when the clock passes its end).
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.open_until.is_some_and(|t| now < t)
    }

    /// When the open breaker closes, if it is open at `now`.
    pub fn open_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.open_until.filter(|&t| now < t)
    }

    /// `ring.reset_breaker`: closes the breaker and clears the window (otherwise the very next
    /// call would re-trip on the same calls). `total_calls` is kept.
    pub fn reset(&mut self) {
        self.window.clear();
        self.privileged = 0;
        self.required_counts = [0; 4];
        self.open_until = None;
        self.critical_reported = false;
    }

    /// Statistics at `now` (calls that have left the window are not counted; nothing mutated).
    pub fn stats(&self, now: Timestamp) -> BreakerStats {
        let cutoff = window_cutoff(now);
        let mut counts = self.required_counts;
        let mut expired = 0;
        for r in self.window.iter().take_while(|r| r.at <= cutoff) {
            counts[r.required_ring.level() as usize] -= 1;
            expired += 1;
        }
        BreakerStats {
            total_calls: self.total_calls,
            window_calls: self.window.len() - expired,
            tripped: self.is_open(now),
            ring_distribution: RingDistribution::from_counts(counts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_767_225_600_000_000);
    const CAP: usize = 1000;

    fn at(ms: i64) -> Timestamp {
        T0.plus_millis(ms)
    }

    #[test]
    fn severity_grades() {
        use BreachSeverity::*;
        for (a, s) in [
            (0.0, None),
            (0.29, None),
            (0.3, Low),
            (0.5, Medium),
            (0.69, Medium),
            (0.7, High),
            (0.89, High),
            (0.9, Critical),
            (1.0, Critical),
        ] {
            assert_eq!(BreachSeverity::from_anomaly(a), s, "{a}");
        }
        assert!(High.trips_breaker() && Critical.trips_breaker() && !Medium.trips_breaker());
    }

    #[test]
    fn trips_exactly_at_fifth_call_not_before() {
        let mut d = BreachDetector::new();
        // Four privileged calls from a ring-3 agent: unscored, no trip.
        for i in 0..4 {
            let o = d.record(at(i), Ring::Sandbox, Ring::Privileged, CAP);
            assert_eq!(o.severity, BreachSeverity::None);
            assert_eq!(o.anomaly, 0.0);
            assert!(!o.tripped_now);
            assert!(!d.is_open(at(i)));
        }
        // Fifth call is ordinary: 4/5 = 0.8 → high, trips now.
        let o = d.record(at(4), Ring::Sandbox, Ring::Sandbox, CAP);
        assert_eq!(o.severity, BreachSeverity::High);
        assert!((o.anomaly - 0.8).abs() < 1e-12);
        assert!(o.tripped_now && !o.critical_now);
        assert!(d.is_open(at(4)));
        // Still high while open: no re-trip and no extension.
        let o = d.record(at(5), Ring::Sandbox, Ring::Privileged, CAP);
        assert!(!o.tripped_now);
        assert_eq!(d.open_until(at(5)), Some(at(4).plus_secs(30.0)));
    }

    #[test]
    fn below_high_does_not_trip() {
        let mut d = BreachDetector::new();
        // 3 of 5 privileged = 0.6 → medium.
        for (i, req) in [
            Ring::Root,
            Ring::Root,
            Ring::Root,
            Ring::Standard,
            Ring::Standard,
        ]
        .into_iter()
        .enumerate()
        {
            let o = d.record(at(i as i64), Ring::Standard, req, CAP);
            assert!(!o.tripped_now);
        }
        let o = d.record(at(5), Ring::Standard, Ring::Standard, CAP);
        assert_eq!(o.severity, BreachSeverity::Medium);
        assert!(!d.is_open(at(5)));
    }

    #[test]
    fn breaker_closes_after_30s_without_tick_and_can_retrip() {
        let mut d = BreachDetector::new();
        for i in 0..5 {
            d.record(at(i), Ring::Sandbox, Ring::Root, CAP);
        }
        assert!(d.is_open(at(4)));
        let end = at(4).plus_secs(30.0);
        assert!(d.is_open(end.plus_micros(-1)));
        assert!(!d.is_open(end));
        assert!(!d.stats(end).tripped);
        // Window (60 s) still anomalous: the next call trips again.
        let o = d.record(end, Ring::Sandbox, Ring::Root, CAP);
        assert!(o.tripped_now && o.critical_now);
    }

    #[test]
    fn critical_reported_at_ninety_percent_once_per_open_period() {
        let mut d = BreachDetector::new();
        // 9 privileged of 10 → 0.9 critical (ordinary call first so nothing trips early).
        d.record(at(0), Ring::Standard, Ring::Standard, CAP);
        let mut first_trip = None;
        for i in 1..10 {
            let o = d.record(at(i), Ring::Standard, Ring::Privileged, CAP);
            if o.tripped_now {
                first_trip = Some((i, o.severity));
            }
        }
        // 5th call: 4/5 = 0.8 → high trips.
        assert_eq!(first_trip, Some((4, BreachSeverity::High)));
        let s = d.stats(at(9));
        assert_eq!(s.window_calls, 10);
        let mut d2 = BreachDetector::new();
        d2.record(at(0), Ring::Standard, Ring::Standard, CAP);
        for i in 1..9 {
            d2.record(at(i), Ring::Standard, Ring::Privileged, CAP);
        }
        let o = d2.record(at(9), Ring::Standard, Ring::Privileged, CAP);
        assert_eq!(o.severity, BreachSeverity::Critical);
        assert!((o.anomaly - 0.9).abs() < 1e-12);
        // Escalation from high to critical inside an open period is reported once.
        assert!(o.critical_now && !o.tripped_now);
        let o = d2.record(at(10), Ring::Standard, Ring::Privileged, CAP);
        assert_eq!(o.severity, BreachSeverity::Critical);
        assert!(!o.critical_now);
    }

    #[test]
    fn privilege_is_judged_against_the_ring_at_call_time() {
        let mut d = BreachDetector::new();
        // Ring-1 agent calling ring 1: fine. Later demoted to 3: only later calls count.
        for i in 0..5 {
            d.record(at(i), Ring::Privileged, Ring::Privileged, CAP);
        }
        let o = d.record(at(5), Ring::Sandbox, Ring::Privileged, CAP);
        assert!((o.anomaly - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(o.severity, BreachSeverity::None);
    }

    #[test]
    fn window_evicts_by_time_and_by_cap() {
        let mut d = BreachDetector::new();
        for i in 0..5 {
            d.record(at(i), Ring::Sandbox, Ring::Root, CAP);
        }
        // 60 s after the first call it has left the window.
        let s = d.stats(at(60_000));
        assert_eq!(s.window_calls, 4);
        assert_eq!(s.ring_distribution.ring0, 4);
        let s = d.stats(at(60_005));
        assert_eq!((s.window_calls, s.total_calls), (0, 5));
        let o = d.record(at(60_005), Ring::Sandbox, Ring::Sandbox, CAP);
        assert_eq!(o.window_calls, 1);
        assert_eq!(o.severity, BreachSeverity::None);

        let mut d = BreachDetector::new();
        for i in 0..10 {
            d.record(at(i), Ring::Sandbox, Ring::Root, 3);
        }
        let s = d.stats(at(10));
        assert_eq!((s.window_calls, s.total_calls), (3, 10));
        // A cap below BREACH_MIN_CALLS never scores.
        assert!(!d.is_open(at(10)));
    }

    #[test]
    fn backwards_clock_keeps_window_ordered() {
        let mut d = BreachDetector::new();
        d.record(at(10_000), Ring::Sandbox, Ring::Sandbox, CAP);
        d.record(at(0), Ring::Sandbox, Ring::Sandbox, CAP);
        assert_eq!(d.stats(at(10_000)).window_calls, 2);
        assert_eq!(d.stats(at(70_000)).window_calls, 0);
    }

    #[test]
    fn reset_closes_and_clears_window() {
        let mut d = BreachDetector::new();
        for i in 0..5 {
            d.record(at(i), Ring::Sandbox, Ring::Root, CAP);
        }
        assert!(d.is_open(at(5)));
        d.reset();
        assert!(!d.is_open(at(5)));
        let o = d.record(at(6), Ring::Sandbox, Ring::Root, CAP);
        assert!(!o.tripped_now);
        assert_eq!(o.window_calls, 1);
        assert_eq!(d.stats(at(6)).total_calls, 6);
    }

    #[test]
    fn stats_wire_shape() {
        let mut d = BreachDetector::new();
        d.record(at(0), Ring::Standard, Ring::Root, CAP);
        d.record(at(1), Ring::Standard, Ring::Standard, CAP);
        d.record(at(2), Ring::Standard, Ring::Sandbox, CAP);
        d.record(at(3), Ring::Standard, Ring::Sandbox, CAP);
        let j = serde_json::to_value(d.stats(at(3))).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"total_calls": 4, "window_calls": 4, "tripped": false,
                "ring_distribution": {"0": 1, "1": 0, "2": 1, "3": 2}})
        );
        assert_eq!(serde_json::to_value(BreachSeverity::High).unwrap(), "high");
    }
}
