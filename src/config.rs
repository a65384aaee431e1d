//! Engine configuration (API.md §3) and the seed's policy constants.
//!
//! One source of truth: every threshold, default and limit the engine uses lives here. Values
//! marked "config" are overridable through `hv_create`; the others are fixed by the contract.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{check_score, Ring, Timestamp};

// ---------------------------------------------------------------- rings (API.md §4.3)
/// σ_eff strictly above this (with consensus) computes ring 1.
pub const RING1_SIGMA: f64 = 0.95;
/// σ_eff strictly above this computes ring 2.
pub const RING2_SIGMA: f64 = 0.60;
/// `ring.check`: a ring-1 action needs σ_eff ≥ this.
pub const CHECK_RING1_SIGMA: f64 = 0.95;
/// `ring.check`: a ring-2 action needs σ_eff ≥ this.
pub const CHECK_RING2_SIGMA: f64 = 0.60;
/// Elevation to ring 1 needs σ ≥ this.
pub const ELEVATE_RING1_SIGMA: f64 = 0.85;
/// Elevation to ring 2 needs σ ≥ this.
pub const ELEVATE_RING2_SIGMA: f64 = 0.50;
/// Default elevation TTL, seconds.
pub const ELEVATION_DEFAULT_TTL_SECS: u64 = 300;
/// Maximum elevation TTL, seconds (longer requests are clamped).
pub const ELEVATION_MAX_TTL_SECS: u64 = 3600;

// ---------------------------------------------------------------- breach detector (§4.6)
/// Sliding window of the breach detector, seconds.
pub const BREACH_WINDOW_SECS: i64 = 60;
/// Calls in the window needed before an anomaly is scored.
pub const BREACH_MIN_CALLS: usize = 5;
/// Anomaly thresholds: low, medium, high, critical.
pub const BREACH_THRESHOLDS: [f64; 4] = [0.3, 0.5, 0.7, 0.9];
/// How long a tripped breaker stays open, seconds.
pub const BREAKER_OPEN_SECS: i64 = 30;

// ---------------------------------------------------------------- liability (§4.4)
/// A voucher's σ must be at least this.
pub const VOUCHER_MIN_SIGMA: f64 = 0.50;
/// Default share of the voucher's σ bonded by one vouch.
pub const DEFAULT_BOND_PCT: f64 = 0.20;
/// A slashed voucher's σ never drops below this.
pub const SLASH_VOUCHER_FLOOR: f64 = 0.05;
/// A voucher left below this (that has vouchers) is slashed in turn.
pub const SLASH_CASCADE_THRESHOLD: f64 = 0.06;
/// Maximum cascade depth.
pub const SLASH_MAX_CASCADE_DEPTH: u32 = 2;
/// Attribution weights (a heuristic from the seed): direct cause, enabling failures, risk.
pub const ATTRIBUTION_WEIGHTS: (f64, f64, f64) = (0.5, 0.3, 0.2);
/// Default risk weight for agents without one in `liability.attribute`.
pub const ATTRIBUTION_DEFAULT_RISK: f64 = 0.5;
/// Ledger risk: per slash × max(sev, 0.5).
pub const RISK_PER_SLASH: f64 = 0.15;
/// Ledger risk: a slash counts with severity at least this.
pub const RISK_SLASH_SEVERITY_FLOOR: f64 = 0.5;
/// Ledger risk: per quarantine × max(sev, 0.3).
pub const RISK_PER_QUARANTINE: f64 = 0.10;
/// Ledger risk: a quarantine counts with severity at least this.
pub const RISK_QUARANTINE_SEVERITY_FLOOR: f64 = 0.3;
/// Ledger risk: per fault × sev.
pub const RISK_PER_FAULT: f64 = 0.05;
/// Ledger risk: minus this per clean session.
pub const RISK_PER_CLEAN_SESSION: f64 = 0.05;
/// Risk at or above this: deny.
pub const RISK_DENY: f64 = 0.6;
/// Risk at or above this: probation.
pub const RISK_PROBATION: f64 = 0.3;
/// Longest quarantine accepted, seconds (one year; also the `quarantine_seconds` maximum).
pub const MAX_QUARANTINE_SECS: u64 = 31_536_000;
/// Severity of a manual quarantine.
pub const MANUAL_QUARANTINE_SEVERITY: f64 = 0.5;
/// ω used when drift slashes an agent.
pub const DRIFT_SLASH_OMEGA: f64 = 0.95;

// ---------------------------------------------------------------- sagas (§4.5)
/// Default step timeout, seconds.
pub const STEP_DEFAULT_TIMEOUT_SECS: u32 = 300;
/// Maximum step timeout, seconds (one day).
pub const STEP_MAX_TIMEOUT_SECS: u32 = 86_400;
/// Maximum retries of one step.
pub const STEP_MAX_RETRIES: u32 = 100;
/// Maximum resources one step may declare.
pub const STEP_MAX_RESOURCES: usize = 256;
/// Maximum length of a checkpoint goal, bytes.
pub const CHECKPOINT_GOAL_MAX_BYTES: usize = 4096;
/// Fan-out groups one saga may hold (refused beyond: `CAPACITY_EXCEEDED`).
pub const FAN_OUT_MAX_GROUPS_PER_SAGA: usize = 64;
/// Worker threads `hv_saga_fan_out` runs at once; further branches wait for a free worker.
pub const FAN_OUT_MAX_CONCURRENCY: usize = 16;
/// Longest step / compensation error message kept, bytes (longer ones are truncated).
pub const STEP_ERROR_MAX_BYTES: usize = 4096;

// ---------------------------------------------------------------- audit (§4.7)
/// Longest `changes[i].path` accepted by `audit.capture`, bytes.
pub const MAX_CHANGE_PATH_BYTES: usize = 4096;
/// Longest `changes[i].content_hash` / `previous_hash` accepted by `audit.capture`, bytes.
pub const MAX_CHANGE_HASH_BYTES: usize = 256;

// ---------------------------------------------------------------- VFS (§4.2)
/// Longest VFS path accepted (before and after normalisation), bytes.
pub const VFS_MAX_PATH_BYTES: usize = 4096;

// ---------------------------------------------------------------- verification (§4.8)
/// Fewer history records than this: probationary.
pub const HISTORY_MIN_RECORDS: usize = 5;
/// Summary hashes shorter than this are suspicious.
pub const HISTORY_MIN_HASH_LEN: usize = 16;
/// Summary hashes longer than this (bytes) are refused as input.
pub const HISTORY_MAX_HASH_BYTES: usize = 1024;

// ---------------------------------------------------------------- IATP (§4.8)
/// σ hint of IATP trust level `verified_partner`.
pub const IATP_SIGMA_VERIFIED_PARTNER: f64 = 0.95;
/// σ hint of IATP trust level `trusted`.
pub const IATP_SIGMA_TRUSTED: f64 = 0.80;
/// σ hint of IATP trust level `standard` (also for unknown levels).
pub const IATP_SIGMA_STANDARD: f64 = 0.60;
/// σ hint of IATP trust level `probationary`.
pub const IATP_SIGMA_PROBATIONARY: f64 = 0.35;
/// σ hint of IATP trust level `untrusted`.
pub const IATP_SIGMA_UNTRUSTED: f64 = 0.10;

/// Drift severity thresholds (config `drift_thresholds`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftThresholds {
    /// At or above: low.
    pub low: f64,
    /// At or above: medium (demote one ring).
    pub medium: f64,
    /// At or above: high (slash + quarantine).
    pub high: f64,
    /// At or above: critical (slash + quarantine).
    pub critical: f64,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        DriftThresholds {
            low: 0.15,
            medium: 0.30,
            high: 0.50,
            critical: 0.75,
        }
    }
}

/// Caps on every table keyed by caller-supplied ids (config `limits`). Overflow policy is
/// "refuse" (`CAPACITY_EXCEEDED` / `SESSION_FULL` / `HV_LIMIT_EXCEEDED`) unless stated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Sessions held, archived included (refuse).
    pub max_sessions: usize,
    /// Upper bound for any session's `max_participants` (refuse).
    pub max_participants: usize,
    /// Largest request accepted, bytes (refuse, `REQUEST_TOO_LARGE`).
    pub max_request_bytes: usize,
    /// Events kept in the log (evict oldest, counted in `dropped`).
    pub max_events: usize,
    /// Rate-limit buckets across the engine (refuse: fail closed).
    pub max_rate_buckets: usize,
    /// VFS content bytes per session (refuse, `VFS_QUOTA_EXCEEDED`).
    pub max_vfs_bytes_per_session: usize,
    /// VFS files per session (refuse).
    pub max_vfs_files_per_session: usize,
    /// VFS edit-log entries per session (evict oldest).
    pub max_edit_log_per_session: usize,
    /// Snapshots per session (refuse).
    pub max_snapshots_per_session: usize,
    /// Audit deltas per session (refuse: an audit trail is never silently truncated).
    pub max_deltas_per_session: usize,
    /// Sagas per session (refuse).
    pub max_sagas_per_session: usize,
    /// Steps per saga (refuse).
    pub max_steps_per_saga: usize,
    /// Vouch records per session, released ones included (refuse).
    pub max_vouches_per_session: usize,
    /// Registered actions per session (refuse).
    pub max_actions_per_session: usize,
    /// Intent locks per session (refuse).
    pub max_locks_per_session: usize,
    /// Elevation records per session (expired/revoked ones are pruned first; then refuse).
    pub max_elevations_per_session: usize,
    /// Ring-check records kept per breach detector (evict oldest beyond the window).
    pub max_breach_history: usize,
    /// Agents with a ledger (refuse new agents' entries, counted).
    pub max_ledger_agents: usize,
    /// Ledger entries per agent (evict oldest; the profile keeps running counts).
    pub max_ledger_entries_per_agent: usize,
    /// Event subscriptions (refuse).
    pub max_subscriptions: usize,
    /// History records accepted in one join or `verify.history` (refuse).
    pub max_history_records: usize,
    /// Length of an embedding in `verify.drift` (refuse).
    pub max_embedding_len: usize,
    /// Agents a session ever admitted, departed and killed ones included (refuse). Bounds every
    /// per-agent table of a session (members, quarantines, clocks, breach detectors).
    pub max_members_per_session: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 100_000,
            max_participants: 1000,
            max_request_bytes: 4 * 1024 * 1024,
            max_events: 100_000,
            max_rate_buckets: 100_000,
            max_vfs_bytes_per_session: 64 * 1024 * 1024,
            max_vfs_files_per_session: 10_000,
            max_edit_log_per_session: 10_000,
            max_snapshots_per_session: 64,
            max_deltas_per_session: 1_000_000,
            max_sagas_per_session: 10_000,
            max_steps_per_saga: 1000,
            max_vouches_per_session: 10_000,
            max_actions_per_session: 10_000,
            max_locks_per_session: 10_000,
            max_elevations_per_session: 1000,
            max_breach_history: 1000,
            max_ledger_agents: 1_000_000,
            max_ledger_entries_per_agent: 1000,
            max_subscriptions: 1024,
            max_history_records: 10_000,
            max_embedding_len: 65_536,
            max_members_per_session: 10_000,
        }
    }
}

/// Which clock the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Wall clock.
    #[default]
    System,
    /// Manual test clock.
    Manual,
}

/// The raw `hv_create` configuration as sent (all fields optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigInput {
    /// "system" | "manual".
    pub clock: Option<ClockKind>,
    /// Initial time of a manual clock.
    pub start_time: Option<String>,
    /// Share of a voucher's σ bondable in one session.
    pub max_exposure: Option<f64>,
    /// Linear retry backoff base.
    pub retry_base_delay_ms: Option<u64>,
    /// ring -> [rate/s, burst].
    pub rate_limits: Option<BTreeMap<String, [f64; 2]>>,
    /// Drift severity thresholds.
    pub drift_thresholds: Option<DriftThresholds>,
    /// Slash / critical breach / severe drift quarantine the agent.
    pub auto_quarantine: Option<bool>,
    /// Default quarantine duration.
    pub quarantine_seconds: Option<u64>,
    /// Audit retention for archived sessions.
    pub retention_days: Option<u64>,
    /// Table caps.
    pub limits: Option<Limits>,
    /// Durable mode directory (not supported yet; must be null).
    pub data_dir: Option<String>,
}

/// Validated engine configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Clock kind.
    pub clock: ClockKind,
    /// Initial manual-clock time.
    pub start_time: Timestamp,
    /// Share of a voucher's σ bondable in one session (default 0.8).
    pub max_exposure: f64,
    /// Linear retry backoff base in ms (default 1000).
    pub retry_base_delay_ms: u64,
    /// Per ring (index 0–3): (refill rate per second, burst capacity).
    pub rate_limits: [(f64, f64); 4],
    /// Drift thresholds.
    pub drift_thresholds: DriftThresholds,
    /// Auto-quarantine on slash / critical breach / severe drift (default true).
    pub auto_quarantine: bool,
    /// Default quarantine duration, seconds (default 300).
    pub quarantine_seconds: u64,
    /// Audit retention, days (default 180).
    pub retention_days: u64,
    /// Table caps.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            clock: ClockKind::System,
            start_time: Timestamp(1_767_225_600_000_000), // 2026-01-01T00:00:00Z
            max_exposure: 0.8,
            retry_base_delay_ms: 1000,
            rate_limits: [(100.0, 200.0), (50.0, 100.0), (20.0, 40.0), (5.0, 10.0)],
            drift_thresholds: DriftThresholds::default(),
            auto_quarantine: true,
            quarantine_seconds: 300,
            retention_days: 180,
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Validates raw input and applies defaults. Every error names its field.
    pub fn from_input(input: ConfigInput) -> Result<Config> {
        let mut c = Config::default();
        if let Some(k) = input.clock {
            c.clock = k;
        }
        if let Some(s) = input.start_time {
            if c.clock != ClockKind::Manual {
                return Err(Error::invalid(
                    "start_time",
                    "only allowed with \"clock\": \"manual\"",
                ));
            }
            c.start_time = Timestamp::parse_rfc3339(&s, "start_time")?;
        }
        if let Some(v) = input.max_exposure {
            c.max_exposure = check_score(v, "max_exposure")?;
        }
        if let Some(v) = input.retry_base_delay_ms {
            if v > 3_600_000 {
                return Err(Error::out_of_range(
                    "retry_base_delay_ms",
                    "must be 0..=3600000",
                ));
            }
            c.retry_base_delay_ms = v;
        }
        if let Some(map) = input.rate_limits {
            for (k, [rate, burst]) in map {
                let field = format!("rate_limits.{k}");
                let ring = k
                    .parse::<u8>()
                    .ok()
                    .and_then(Ring::from_level)
                    .ok_or_else(|| Error::invalid(&field, "key must be a ring \"0\"..\"3\""))?;
                if !(rate.is_finite() && rate >= 0.0 && burst.is_finite() && burst >= 1.0)
                    || rate > 1e9
                    || burst > 1e9
                {
                    return Err(Error::out_of_range(
                        field,
                        "need [rate >= 0, burst >= 1], both finite and <= 1e9",
                    ));
                }
                c.rate_limits[ring.level() as usize] = (rate, burst);
            }
        }
        if let Some(t) = input.drift_thresholds {
            for (name, v) in [
                ("low", t.low),
                ("medium", t.medium),
                ("high", t.high),
                ("critical", t.critical),
            ] {
                check_score(v, &format!("drift_thresholds.{name}"))?;
            }
            if !(t.low <= t.medium && t.medium <= t.high && t.high <= t.critical) {
                return Err(Error::invalid(
                    "drift_thresholds",
                    "must satisfy low <= medium <= high <= critical",
                ));
            }
            c.drift_thresholds = t;
        }
        if let Some(v) = input.auto_quarantine {
            c.auto_quarantine = v;
        }
        if let Some(v) = input.quarantine_seconds {
            if v == 0 || v > 31_536_000 {
                return Err(Error::out_of_range(
                    "quarantine_seconds",
                    "must be 1..=31536000",
                ));
            }
            c.quarantine_seconds = v;
        }
        if let Some(v) = input.retention_days {
            if v > 36_500 {
                return Err(Error::out_of_range("retention_days", "must be 0..=36500"));
            }
            c.retention_days = v;
        }
        if let Some(l) = input.limits {
            l.validate()?;
            c.limits = l;
        }
        if input.data_dir.is_some() {
            return Err(Error::invalid(
                "data_dir",
                "durable mode is not available in this version; pass null",
            ));
        }
        Ok(c)
    }
}

impl Limits {
    fn validate(&self) -> Result<()> {
        let fields: [(&str, usize, usize); 23] = [
            ("max_sessions", self.max_sessions, 10_000_000),
            ("max_participants", self.max_participants, 1000),
            ("max_request_bytes", self.max_request_bytes, 1 << 30),
            ("max_events", self.max_events, 10_000_000),
            ("max_rate_buckets", self.max_rate_buckets, 10_000_000),
            (
                "max_vfs_bytes_per_session",
                self.max_vfs_bytes_per_session,
                1 << 34,
            ),
            (
                "max_vfs_files_per_session",
                self.max_vfs_files_per_session,
                10_000_000,
            ),
            (
                "max_edit_log_per_session",
                self.max_edit_log_per_session,
                10_000_000,
            ),
            (
                "max_snapshots_per_session",
                self.max_snapshots_per_session,
                100_000,
            ),
            (
                "max_deltas_per_session",
                self.max_deltas_per_session,
                100_000_000,
            ),
            (
                "max_sagas_per_session",
                self.max_sagas_per_session,
                10_000_000,
            ),
            ("max_steps_per_saga", self.max_steps_per_saga, 1_000_000),
            (
                "max_vouches_per_session",
                self.max_vouches_per_session,
                10_000_000,
            ),
            (
                "max_actions_per_session",
                self.max_actions_per_session,
                10_000_000,
            ),
            (
                "max_locks_per_session",
                self.max_locks_per_session,
                10_000_000,
            ),
            (
                "max_elevations_per_session",
                self.max_elevations_per_session,
                10_000_000,
            ),
            ("max_breach_history", self.max_breach_history, 10_000_000),
            ("max_ledger_agents", self.max_ledger_agents, 100_000_000),
            (
                "max_ledger_entries_per_agent",
                self.max_ledger_entries_per_agent,
                10_000_000,
            ),
            ("max_subscriptions", self.max_subscriptions, 1_000_000),
            ("max_history_records", self.max_history_records, 10_000_000),
            ("max_embedding_len", self.max_embedding_len, 100_000_000),
            (
                "max_members_per_session",
                self.max_members_per_session,
                10_000_000,
            ),
        ];
        for (name, v, max) in fields {
            if v == 0 || v > max {
                return Err(Error::out_of_range(
                    format!("limits.{name}"),
                    format!("must be 1..={max}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::default();
        assert_eq!(c.max_exposure, 0.8);
        assert_eq!(c.rate_limits[3], (5.0, 10.0));
        assert_eq!(c.limits.max_events, 100_000);
        assert!(c.auto_quarantine);
    }

    #[test]
    fn bad_values_name_their_field() {
        let e = Config::from_input(ConfigInput {
            max_exposure: Some(1.5),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.message().contains("max_exposure"));
        let mut rl = BTreeMap::new();
        rl.insert("7".to_string(), [1.0, 1.0]);
        let e = Config::from_input(ConfigInput {
            rate_limits: Some(rl),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "rate_limits.7");
    }
}
