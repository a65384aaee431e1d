//! Transaction-history verification (API.md §4.8 `verify.history`, §4.1 join step 4).
//!
//! Rules, applied to every history (short ones included):
//! * the same `summary_hash` twice → suspicious (one message per repeat);
//! * a record whose timestamp is *earlier* than the previous record's → suspicious (equal
//!   timestamps are fine: the order must be non-decreasing);
//! * a `summary_hash` shorter than [`HISTORY_MIN_HASH_LEN`] characters → suspicious.
//!
//! Without such an inconsistency: no records or fewer than [`HISTORY_MIN_RECORDS`] →
//! probationary (with a message saying why), otherwise verified. Messages name records by
//! index and session id, never echo hashes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::config::{HISTORY_MAX_HASH_BYTES, HISTORY_MIN_HASH_LEN, HISTORY_MIN_RECORDS};
use crate::error::{Code, Error, Result};
use crate::ids::validate_id;
use crate::model::Timestamp;

/// One past transaction declared by an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionRecord {
    /// The session it happened in.
    pub session_id: String,
    /// Summary hash of the transaction.
    pub summary_hash: String,
    /// When.
    pub timestamp: Timestamp,
    /// How many agents took part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_count: Option<u32>,
}

/// Verification outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStatus {
    /// Enough consistent history.
    Verified,
    /// Too little history to judge.
    Probationary,
    /// Inconsistent history (joins in ring 3).
    Suspicious,
}

/// The `verify.history` response (and join's `verification`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryReport {
    /// Outcome.
    pub status: HistoryStatus,
    /// Records examined.
    pub transactions_checked: usize,
    /// One message per inconsistency (and, for probationary, why).
    pub inconsistencies: Vec<String>,
}

/// Checks a history as supplied by a caller before it is verified: at most `max_records`
/// records (`CAPACITY_EXCEEDED`, `details.table = "history"`), each `session_id` a valid id
/// and each `summary_hash` at most 1024 bytes (errors name `<field>[i].…`).
pub fn validate_records(
    records: &[TransactionRecord],
    max_records: usize,
    field: &str,
) -> Result<()> {
    if records.len() > max_records {
        return Err(Error::new(
            Code::CAPACITY_EXCEEDED,
            format!("{field}: {} records, at most {max_records}", records.len()),
        )
        .with_detail("field", field)
        .with_detail("table", "history")
        .with_detail("limit", max_records));
    }
    for (i, r) in records.iter().enumerate() {
        validate_id(&r.session_id, &format!("{field}[{i}].session_id"))?;
        if r.summary_hash.len() > HISTORY_MAX_HASH_BYTES {
            return Err(Error::invalid(
                format!("{field}[{i}].summary_hash"),
                format!("must be at most {HISTORY_MAX_HASH_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// Verifies a history (see the module docs). O(n) time and memory.
pub fn verify_history(records: &[TransactionRecord]) -> HistoryReport {
    let mut issues = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if let Some(&first) = seen.get(r.summary_hash.as_str()) {
            let prev = records.get(first).map_or("", |p| p.session_id.as_str());
            issues.push(format!(
                "duplicate summary hash: record {i} (session {}) repeats record {first} (session {prev})",
                r.session_id
            ));
        } else {
            seen.insert(r.summary_hash.as_str(), i);
        }
    }
    for (i, pair) in records.windows(2).enumerate() {
        if let [prev, cur] = pair {
            if cur.timestamp < prev.timestamp {
                issues.push(format!(
                    "non-monotonic timestamps: record {} (session {}) predates record {i} (session {})",
                    i + 1,
                    cur.session_id,
                    prev.session_id
                ));
            }
        }
    }
    for (i, r) in records.iter().enumerate() {
        let n = r.summary_hash.chars().count();
        if n < HISTORY_MIN_HASH_LEN {
            issues.push(format!(
                "invalid summary hash: record {i} (session {}) has {n} characters, at least {HISTORY_MIN_HASH_LEN} required",
                r.session_id
            ));
        }
    }
    let status = if !issues.is_empty() {
        HistoryStatus::Suspicious
    } else if records.len() < HISTORY_MIN_RECORDS {
        issues.push(if records.is_empty() {
            "no transaction history".to_owned()
        } else {
            format!(
                "only {} transactions, {HISTORY_MIN_RECORDS} needed",
                records.len()
            )
        });
        HistoryStatus::Probationary
    } else {
        HistoryStatus::Verified
    };
    HistoryReport {
        status,
        transactions_checked: records.len(),
        inconsistencies: issues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: i64, hash: &str) -> TransactionRecord {
        TransactionRecord {
            session_id: format!("s{i}"),
            summary_hash: hash.to_owned(),
            timestamp: Timestamp(i * 1_000_000),
            participant_count: None,
        }
    }

    fn good(n: i64) -> Vec<TransactionRecord> {
        (0..n).map(|i| rec(i, &format!("{i:0>16}"))).collect()
    }

    #[test]
    fn counts_decide_between_probationary_and_verified() {
        let r = verify_history(&[]);
        assert_eq!(r.status, HistoryStatus::Probationary);
        assert_eq!(r.transactions_checked, 0);
        assert_eq!(r.inconsistencies, ["no transaction history"]);
        let r = verify_history(&good(4));
        assert_eq!(r.status, HistoryStatus::Probationary);
        assert_eq!(r.transactions_checked, 4);
        let r = verify_history(&good(5));
        assert_eq!(r.status, HistoryStatus::Verified);
        assert!(r.inconsistencies.is_empty());
    }

    #[test]
    fn each_inconsistency_is_suspicious_even_when_short() {
        let mut h = good(2);
        h[1].summary_hash = h[0].summary_hash.clone();
        let r = verify_history(&h);
        assert_eq!(r.status, HistoryStatus::Suspicious);
        assert_eq!(r.inconsistencies.len(), 1);
        assert!(r.inconsistencies[0].contains("duplicate"));

        let mut h = good(6);
        h[3].timestamp = Timestamp(0);
        let r = verify_history(&h);
        assert_eq!(r.status, HistoryStatus::Suspicious);
        assert!(r.inconsistencies[0].contains("record 3"));

        // Equal timestamps are fine.
        let mut h = good(6);
        h[3].timestamp = h[2].timestamp;
        assert_eq!(verify_history(&h).status, HistoryStatus::Verified);

        let mut h = good(6);
        h[5].summary_hash = "abc".into();
        h[4].summary_hash = String::new();
        let r = verify_history(&h);
        assert_eq!(r.status, HistoryStatus::Suspicious);
        assert_eq!(r.inconsistencies.len(), 2);
    }

    #[test]
    fn validation_and_wire() {
        let h = good(3);
        assert!(validate_records(&h, 3, "history").is_ok());
        let e = validate_records(&h, 2, "history").unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
        let mut bad = good(2);
        bad[1].session_id = "bad id".into();
        let e = validate_records(&bad, 9, "history").unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "history[1].session_id");
        let parsed: Vec<TransactionRecord> = serde_json::from_str(
            r#"[{"session_id":"s","summary_hash":"h","timestamp":"2026-01-01T00:00:00Z","participant_count":null}]"#,
        )
        .unwrap();
        assert_eq!(parsed[0].participant_count, None);
        assert!(serde_json::from_str::<Vec<TransactionRecord>>(
            r#"[{"session_id":"s","summary_hash":"h","timestamp":"2026-01-01T00:00:00Z","x":1}]"#
        )
        .is_err());
        let j = serde_json::to_value(verify_history(&good(5))).unwrap();
        assert_eq!(j["status"], "verified");
    }
}
