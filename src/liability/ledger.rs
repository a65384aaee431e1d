//! TEMPORARY placeholder until the liability helper's module lands.
use serde::Serialize;
/// Recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// a
    Admit,
    /// p
    Probation,
    /// d
    Deny,
}
/// Profile.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// r
    pub risk_score: f64,
    /// r
    pub recommendation: Recommendation,
}
/// Ledger.
pub struct Ledger;
impl Ledger {
    /// new
    pub fn new(_a: usize, _b: usize) -> Self {
        Ledger
    }
    /// profile
    pub fn profile(&self, _agent: &str) -> Profile {
        Profile {
            risk_score: 0.0,
            recommendation: Recommendation::Admit,
        }
    }
}
