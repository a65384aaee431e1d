//! TEMPORARY placeholder until the liability helper's module lands.
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};
/// A transaction record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionRecord {
    /// Session.
    pub session_id: String,
    /// Hash.
    pub summary_hash: String,
    /// Time.
    pub timestamp: Timestamp,
    /// Count.
    pub participant_count: Option<u32>,
}
/// Status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStatus {
    /// ok
    Verified,
    /// few
    Probationary,
    /// bad
    Suspicious,
}
/// Report.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// status
    pub status: HistoryStatus,
    /// n
    pub transactions_checked: usize,
    /// msgs
    pub inconsistencies: Vec<String>,
}
/// Verify.
pub fn verify_history(_agent: &str, records: &[TransactionRecord]) -> HistoryReport {
    HistoryReport {
        status: if records.len() < 5 {
            HistoryStatus::Probationary
        } else {
            HistoryStatus::Verified
        },
        transactions_checked: records.len(),
        inconsistencies: vec![],
    }
}
