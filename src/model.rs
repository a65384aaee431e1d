//! Core domain vocabulary shared by every module: time, rings, reversibility, consistency,
//! isolation, lifecycle states, action descriptors and session configuration.
//!
//! Enums derive serde with the exact wire spellings of API.md so the boundary can reuse them;
//! nothing here touches JSON itself.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use crate::error::{Error, Result};

/// A point in time: microseconds since the Unix epoch (UTC). All engine time is read from the
/// engine clock ([`crate::clock::Clock`]) and carried as this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Microseconds per second.
    pub const MICROS_PER_SEC: i64 = 1_000_000;

    /// Microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// This time plus `secs` seconds (saturating).
    pub fn plus_secs(self, secs: f64) -> Timestamp {
        self.plus_micros((secs * Self::MICROS_PER_SEC as f64) as i64)
    }

    /// This time plus `ms` milliseconds (saturating).
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        self.plus_micros(ms.saturating_mul(1000))
    }

    /// This time plus `us` microseconds (saturating).
    pub fn plus_micros(self, us: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(us))
    }

    /// Milliseconds from `self` until `later` (negative when `later` is earlier).
    pub fn millis_until(self, later: Timestamp) -> i64 {
        later.0.saturating_sub(self.0).div_euclid(1000)
    }

    /// RFC 3339 UTC with microseconds: `2026-01-01T00:00:00.000000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// Parses any RFC 3339 timestamp; `field` names the input in the error.
    pub fn parse_rfc3339(s: &str, field: &str) -> Result<Timestamp> {
        let dt = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| {
            Error::field(
                crate::error::Code::INVALID_TIMESTAMP,
                field,
                format!("not an RFC 3339 timestamp ({e})"),
            )
        })?;
        Ok(Timestamp(dt.timestamp_micros()))
    }
}

impl Timestamp {
    /// The RFC 3339 text for years 0–9999 (every realistic clock), written digit by digit
    /// without allocating; `None` for the rest, which go through chrono's formatter.
    ///
    /// The date and time of day (the first 19 bytes) are cached per thread for the last second
    /// formatted: a busy engine formats many timestamps within one second.
    fn rfc3339_fast(self) -> Option<[u8; 27]> {
        thread_local! {
            static LAST_SECOND: std::cell::Cell<(i64, [u8; 19])> =
                const { std::cell::Cell::new((i64::MIN, [0; 19])) };
        }
        let secs = self.0.div_euclid(Self::MICROS_PER_SEC);
        let micros = self.0.rem_euclid(Self::MICROS_PER_SEC) as u32;
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let put = |b: &mut [u8; 27], at: usize, len: usize, mut v: u32| {
            for d in b[at..at + len].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        let (cached_secs, prefix) = LAST_SECOND.with(std::cell::Cell::get);
        if cached_secs == secs {
            b[..19].copy_from_slice(&prefix);
        } else {
            let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
            let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
            let sod = secs.rem_euclid(86_400) as u32;
            put(&mut b, 0, 4, year);
            put(&mut b, 5, 2, month);
            put(&mut b, 8, 2, day);
            put(&mut b, 11, 2, sod / 3600);
            put(&mut b, 14, 2, sod / 60 % 60);
            put(&mut b, 17, 2, sod % 60);
            let mut p = [0u8; 19];
            p.copy_from_slice(&b[..19]);
            LAST_SECOND.with(|c| c.set((secs, p)));
        }
        put(&mut b, 20, 6, micros);
        Some(b)
    }

    /// Appends the timestamp as a JSON string (`"2026-…Z"`) to `buf`, exactly as it serialises.
    pub fn write_json(self, buf: &mut Vec<u8>) {
        match self.rfc3339_fast() {
            Some(b) => {
                buf.push(b'"');
                buf.extend_from_slice(&b);
                buf.push(b'"');
            }
            // Serialising a String into a Vec<u8> cannot fail.
            None => {
                let _ = serde_json::to_writer(&mut *buf, &self.to_rfc3339());
            }
        }
    }
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01 (H. Hinnant's
/// `civil_from_days`). Exact for every day an `i64` of microseconds can name; checked against
/// chrono by `fast_rfc3339_matches_chrono`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32; // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = i64::from(yoe) + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// Exactly [`Timestamp::to_rfc3339`]. Years 0–9999 (every realistic clock) are written
    /// digit by digit; the rest go through chrono's formatter (sign and all).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = self.rfc3339_fast() {
            return f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?);
        }
        let secs = self.0.div_euclid(Self::MICROS_PER_SEC);
        let micros = self.0.rem_euclid(Self::MICROS_PER_SEC) as u32;
        match chrono::DateTime::from_timestamp(secs, micros * 1000) {
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
            None => f.write_str("invalid-time"),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.rfc3339_fast() {
            // The fast form is ASCII digits and punctuation only.
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or("invalid-time")),
            None => s.serialize_str(&self.to_rfc3339()),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|dt| Timestamp(dt.timestamp_micros()))
            .map_err(|e| serde::de::Error::custom(format!("not an RFC 3339 timestamp ({e})")))
    }
}

/// Execution ring: 0 = root (most privileged) … 3 = sandbox. Serialised as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Ring {
    /// Ring 0: root; never assigned from a score, needs an SRE witness.
    Root = 0,
    /// Ring 1: privileged; σ_eff > 0.95 with consensus.
    Privileged = 1,
    /// Ring 2: standard; σ_eff > 0.60.
    Standard = 2,
    /// Ring 3: sandbox, read-only.
    Sandbox = 3,
}

impl Ring {
    /// The ring's number 0–3.
    pub fn level(self) -> u8 {
        self as u8
    }

    /// The ring for a number 0–3.
    pub fn from_level(level: u8) -> Option<Ring> {
        match level {
            0 => Some(Ring::Root),
            1 => Some(Ring::Privileged),
            2 => Some(Ring::Standard),
            3 => Some(Ring::Sandbox),
            _ => None,
        }
    }

    /// One ring less privileged (saturating at 3).
    pub fn demoted(self) -> Ring {
        Ring::from_level((self.level() + 1).min(3)).unwrap_or(Ring::Sandbox)
    }

    /// True when `self` is strictly more privileged than `other`.
    pub fn more_privileged_than(self, other: Ring) -> bool {
        self.level() < other.level()
    }
}

impl Serialize for Ring {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u8(self.level())
    }
}

impl<'de> Deserialize<'de> for Ring {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = u64::deserialize(d)?;
        u8::try_from(v)
            .ok()
            .and_then(Ring::from_level)
            .ok_or_else(|| serde::de::Error::custom(format!("ring must be 0..=3, got {v}")))
    }
}

/// How far an action can be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Reversibility {
    /// Fully reversible; ω ∈ [0.1, 0.3].
    Full,
    /// Partially reversible; ω ∈ [0.5, 0.8].
    Partial,
    /// Irreversible; ω ∈ [0.9, 1.0].
    #[default]
    None,
}

impl Reversibility {
    /// The risk weight ω: the midpoint of the reversibility's band.
    pub fn risk_weight(self) -> f64 {
        match self {
            Reversibility::Full => 0.2,
            Reversibility::Partial => 0.65,
            Reversibility::None => 0.95,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reversibility::Full => "full",
            Reversibility::Partial => "partial",
            Reversibility::None => "none",
        }
    }
}

/// Session consistency mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConsistencyMode {
    /// Eventual consistency (default).
    #[default]
    Eventual,
    /// Strong consistency: forced when any non-reversible action is registered.
    Strong,
}

/// Isolation level of a session or saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IsolationLevel {
    /// Concurrent writes accepted (default).
    #[default]
    Snapshot,
    /// Stale writes rejected via vector clocks.
    ReadCommitted,
    /// Stale writes rejected and intent locks taken for saga resources.
    Serializable,
}

impl IsolationLevel {
    /// True when stale writes must be rejected (read_committed, serializable).
    pub fn requires_causal_writes(self) -> bool {
        !matches!(self, IsolationLevel::Snapshot)
    }

    /// True when saga steps take intent locks on declared resources.
    pub fn requires_locks(self) -> bool {
        matches!(self, IsolationLevel::Serializable)
    }
}

/// Session lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Just created (transient; a created session is handshaking immediately).
    Created,
    /// Accepting participants.
    Handshaking,
    /// Running.
    Active,
    /// Being torn down.
    Terminating,
    /// Final.
    Archived,
}

impl SessionState {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Created => "created",
            SessionState::Handshaking => "handshaking",
            SessionState::Active => "active",
            SessionState::Terminating => "terminating",
            SessionState::Archived => "archived",
        }
    }
}

/// Describes an action an agent may perform (API.md §4.3 ActionDescriptor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDescriptor {
    /// Identifier of the action.
    pub action_id: String,
    /// Human-readable name.
    pub name: String,
    /// API invoked to execute the action.
    pub execute_api: String,
    /// API invoked to undo it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_api: Option<String>,
    /// Reversibility (default none).
    #[serde(default, deserialize_with = "de_null_default")]
    pub reversibility: Reversibility,
    /// Undo window in seconds (0..=86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_window_seconds: Option<u32>,
    /// Name of the compensation method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation_method: Option<String>,
    /// Read-only actions need only ring 3.
    #[serde(default, deserialize_with = "de_null_default")]
    pub is_read_only: bool,
    /// Admin actions need ring 0.
    #[serde(default, deserialize_with = "de_null_default")]
    pub is_admin: bool,
}

/// Deserialises `null` as the type's default (API.md: null means absent).
pub fn de_null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl ActionDescriptor {
    /// The ring this action requires: admin → 0; irreversible and not read-only → 1;
    /// read-only → 3; else 2.
    pub fn required_ring(&self) -> Ring {
        if self.is_admin {
            Ring::Root
        } else if self.reversibility == Reversibility::None && !self.is_read_only {
            Ring::Privileged
        } else if self.is_read_only {
            Ring::Sandbox
        } else {
            Ring::Standard
        }
    }

    /// The action's risk weight ω.
    pub fn risk_weight(&self) -> f64 {
        self.reversibility.risk_weight()
    }

    /// Validates ids, API paths and the undo window; `prefix` is the field path of the
    /// descriptor (e.g. `actions[2]`).
    pub fn validate(&self, prefix: &str) -> Result<()> {
        crate::ids::validate_id(&self.action_id, &format!("{prefix}.action_id"))?;
        if self.name.is_empty() || self.name.len() > crate::ids::MAX_ID_BYTES {
            return Err(Error::invalid(
                format!("{prefix}.name"),
                "must be 1..=256 bytes",
            ));
        }
        crate::ids::validate_api_path(&self.execute_api, &format!("{prefix}.execute_api"))?;
        if let Some(u) = &self.undo_api {
            crate::ids::validate_api_path(u, &format!("{prefix}.undo_api"))?;
        }
        if let Some(w) = self.undo_window_seconds {
            if w > 86_400 {
                return Err(Error::out_of_range(
                    format!("{prefix}.undo_window_seconds"),
                    "must be 0..=86400",
                ));
            }
        }
        if let Some(c) = &self.compensation_method {
            if c.len() > crate::ids::MAX_API_PATH_BYTES {
                return Err(Error::invalid(
                    format!("{prefix}.compensation_method"),
                    "must be at most 2048 bytes",
                ));
            }
        }
        Ok(())
    }
}

/// Validates that a score is finite and within [0, 1].
pub fn check_score(v: f64, field: &str) -> Result<f64> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Error::out_of_range(
            field,
            format!("must be a finite number in [0, 1], got {v}"),
        ))
    }
}

/// Per-session configuration (API.md §4.1 SessionConfig), with defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionConfig {
    /// Consistency mode requested at creation (may be forced to strong later).
    pub consistency_mode: ConsistencyMode,
    /// Maximum participants, 1..=1000.
    pub max_participants: u32,
    /// Maximum duration in seconds, 1..=604800.
    pub max_duration_seconds: u32,
    /// Minimum σ_eff for a non-sandbox ring.
    pub min_sigma_eff: f64,
    /// Whether writes and steps append audit deltas.
    pub enable_audit: bool,
    /// Isolation level for the session's VFS.
    pub isolation_level: IsolationLevel,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            consistency_mode: ConsistencyMode::Eventual,
            max_participants: 10,
            max_duration_seconds: 3600,
            min_sigma_eff: 0.60,
            enable_audit: true,
            isolation_level: IsolationLevel::Snapshot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(rev: Reversibility, ro: bool, admin: bool) -> ActionDescriptor {
        ActionDescriptor {
            action_id: "a".into(),
            name: "a".into(),
            execute_api: "/x".into(),
            undo_api: None,
            reversibility: rev,
            undo_window_seconds: None,
            compensation_method: None,
            is_read_only: ro,
            is_admin: admin,
        }
    }

    #[test]
    fn required_ring_rules() {
        assert_eq!(
            action(Reversibility::Full, false, true).required_ring(),
            Ring::Root
        );
        assert_eq!(
            action(Reversibility::None, false, false).required_ring(),
            Ring::Privileged
        );
        assert_eq!(
            action(Reversibility::None, true, false).required_ring(),
            Ring::Sandbox
        );
        assert_eq!(
            action(Reversibility::Partial, false, false).required_ring(),
            Ring::Standard
        );
        assert_eq!(
            action(Reversibility::Full, true, false).required_ring(),
            Ring::Sandbox
        );
    }

    #[test]
    fn timestamps_format_with_micros() {
        let t = Timestamp(1_767_225_600_000_001);
        assert_eq!(t.to_rfc3339(), "2026-01-01T00:00:00.000001Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2026-01-01T01:00:00+01:00", "t").unwrap(),
            Timestamp(1_767_225_600_000_000)
        );
        assert!(Timestamp::parse_rfc3339("yesterday", "t").is_err());
    }

    #[test]
    fn fast_rfc3339_matches_chrono() {
        let chrono_fmt = |us: i64| {
            let secs = us.div_euclid(Timestamp::MICROS_PER_SEC);
            let micros = us.rem_euclid(Timestamp::MICROS_PER_SEC) as u32;
            chrono::DateTime::from_timestamp(secs, micros * 1000)
                .map(|dt| dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
                .unwrap_or_else(|| "invalid-time".into())
        };
        let mut x: i64 = 0x2545_F491_4F6C_DD1D;
        let mut cases = vec![
            0,
            1,
            -1,
            999_999,
            1_767_225_600_123_456,
            951_782_400_000_000,     // 2000-02-29
            -62_167_219_200_000_000, // 0000-01-01
            -62_167_219_200_000_001, // year -1
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999Z
            253_402_300_800_000_000, // +10000
            i64::MAX,
            i64::MIN,
        ];
        // Runs within one second and across second, day and year boundaries exercise the
        // per-thread cache of the last second formatted.
        for base in [1_767_225_599_000_000i64, 951_868_799_999_000, -1_000_000] {
            for k in 0..40 {
                cases.push(base + k * 99_999);
                cases.push(base + k * 99_999);
            }
        }
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(x % 400_000_000_000_000_000);
        }
        for us in cases {
            assert_eq!(Timestamp(us).to_rfc3339(), chrono_fmt(us), "{us}");
        }
    }

    #[test]
    fn scores_are_checked() {
        assert!(check_score(0.0, "s").is_ok());
        assert!(check_score(1.0, "s").is_ok());
        assert!(check_score(1.01, "s").is_err());
        assert!(check_score(f64::NAN, "s").is_err());
        assert!(check_score(-0.1, "s").is_err());
    }
}
