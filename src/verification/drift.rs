//! Behavioural drift between a claimed and an observed embedding (API.md §4.8
//! `verify.drift`).
//!
//! Scores are in [0, 1], 0 = identical behaviour:
//! * **cosine**: raw drift is `1 − cos θ` ∈ [0, 2]; the score is that clamped to [0, 1], so
//!   orthogonal or opposed vectors score 1 (maximal drift).
//! * **euclidean**: `|a − b| / (|a| + |b|)`, which the triangle inequality keeps in [0, 1]
//!   (1 when one vector is zero or they point in opposite directions). Scale-invariant.
//!
//! Zero vectors: both zero → 0 (no drift); exactly one zero → 1 under either metric.
//! Both metrics are computed on vectors divided by their largest |component|, so huge or
//! tiny components neither overflow nor underflow.
//!
//! Severity uses the configured thresholds as "at or above": critical ≥ high ≥ medium ≥
//! low; below `low` is none. `passed` is none or low.

use serde::{Deserialize, Serialize};

use crate::config::DriftThresholds;
use crate::error::{Code, Error, Result};

/// Distance used to compare embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DriftMetric {
    /// `1 − cos θ` (default).
    #[default]
    Cosine,
    /// Normalised Euclidean distance.
    Euclidean,
}

/// How severe a drift is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftSeverity {
    /// Below `low`.
    None,
    /// At or above `low`.
    Low,
    /// At or above `medium`: demote one ring.
    Medium,
    /// At or above `high`: slash and quarantine.
    High,
    /// At or above `critical`: slash and quarantine.
    Critical,
}

impl DriftSeverity {
    /// True for none and low.
    pub fn passed(self) -> bool {
        matches!(self, DriftSeverity::None | DriftSeverity::Low)
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftSeverity::None => "none",
            DriftSeverity::Low => "low",
            DriftSeverity::Medium => "medium",
            DriftSeverity::High => "high",
            DriftSeverity::Critical => "critical",
        }
    }
}

/// A drift score with its severity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriftAssessment {
    /// Score in [0, 1].
    pub drift_score: f64,
    /// Severity under the thresholds.
    pub severity: DriftSeverity,
    /// `severity` is none or low.
    pub passed: bool,
}

/// The drift score of `observed` against `claimed` (see the module docs).
///
/// Errors name `claimed_embedding` / `observed_embedding`: empty → `INVALID_ARGUMENT`; a
/// NaN or infinite component → `INVALID_ARGUMENT` (`<name>[i]`); longer than `max_len` →
/// `CAPACITY_EXCEEDED`; lengths differ → `INVALID_ARGUMENT` (`observed_embedding`).
pub fn drift(
    claimed: &[f64],
    observed: &[f64],
    metric: DriftMetric,
    max_len: usize,
) -> Result<f64> {
    check_vector(claimed, "claimed_embedding", max_len)?;
    check_vector(observed, "observed_embedding", max_len)?;
    if claimed.len() != observed.len() {
        return Err(Error::invalid(
            "observed_embedding",
            format!(
                "has {} elements but claimed_embedding has {}",
                observed.len(),
                claimed.len()
            ),
        ));
    }
    let scale = claimed
        .iter()
        .chain(observed)
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return Ok(0.0);
    }
    let (mut dot, mut na, mut nb, mut nd) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (&a, &b) in claimed.iter().zip(observed) {
        let (a, b) = (a / scale, b / scale);
        dot += a * b;
        na += a * a;
        nb += b * b;
        nd += (a - b) * (a - b);
    }
    let (na, nb) = (na.sqrt(), nb.sqrt());
    if na == 0.0 || nb == 0.0 {
        return Ok(1.0);
    }
    let score = match metric {
        DriftMetric::Cosine => {
            let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
            1.0 - cos
        }
        DriftMetric::Euclidean => nd.sqrt() / (na + nb),
    };
    Ok(score.clamp(0.0, 1.0))
}

/// The severity of a score under `t` ("at or above" each threshold).
pub fn severity(score: f64, t: &DriftThresholds) -> DriftSeverity {
    if score >= t.critical {
        DriftSeverity::Critical
    } else if score >= t.high {
        DriftSeverity::High
    } else if score >= t.medium {
        DriftSeverity::Medium
    } else if score >= t.low {
        DriftSeverity::Low
    } else {
        DriftSeverity::None
    }
}

/// [`drift`] followed by [`severity`].
pub fn assess(
    claimed: &[f64],
    observed: &[f64],
    metric: DriftMetric,
    max_len: usize,
    t: &DriftThresholds,
) -> Result<DriftAssessment> {
    let drift_score = drift(claimed, observed, metric, max_len)?;
    let severity = severity(drift_score, t);
    Ok(DriftAssessment {
        drift_score,
        severity,
        passed: severity.passed(),
    })
}

fn check_vector(v: &[f64], field: &str, max_len: usize) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if v.len() > max_len {
        return Err(Error::new(
            Code::CAPACITY_EXCEEDED,
            format!("{field}: {} elements, at most {max_len}", v.len()),
        )
        .with_detail("field", field)
        .with_detail("limit", max_len));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(
            format!("{field}[{i}]"),
            "must be a finite number",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX: usize = 1000;

    fn cos(a: &[f64], b: &[f64]) -> f64 {
        drift(a, b, DriftMetric::Cosine, MAX).unwrap()
    }
    fn euc(a: &[f64], b: &[f64]) -> f64 {
        drift(a, b, DriftMetric::Euclidean, MAX).unwrap()
    }

    #[test]
    fn cosine_values() {
        assert!(cos(&[1.0, 2.0], &[2.0, 4.0]).abs() < 1e-12);
        assert!((cos(&[1.0, 0.0], &[1.0, 1.0]) - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
        assert_eq!(cos(&[1.0, 0.0], &[0.0, 1.0]), 1.0);
        assert_eq!(cos(&[1.0, 0.0], &[-1.0, 0.0]), 1.0); // raw 2, clamped
        assert_eq!(cos(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(cos(&[0.0, 0.0], &[0.0, 3.0]), 1.0);
        assert!(cos(&[1e300, 1e300], &[1e300, 1e300]).abs() < 1e-12);
        assert!(cos(&[1e-300, 2e-300], &[2e-300, 4e-300]).abs() < 1e-12);
    }

    #[test]
    fn euclidean_values() {
        assert_eq!(euc(&[1.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((euc(&[3.0, 0.0], &[0.0, 4.0]) - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(euc(&[1.0], &[-1.0]), 1.0);
        assert_eq!(euc(&[0.0], &[5.0]), 1.0);
        assert_eq!(euc(&[0.0], &[0.0]), 0.0);
        assert!((euc(&[2.0], &[1.0]) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn validation_names_fields() {
        let f = |a: &[f64], b: &[f64]| {
            drift(a, b, DriftMetric::Cosine, 3)
                .unwrap_err()
                .details()
                .unwrap()["field"]
                .clone()
        };
        assert_eq!(f(&[], &[1.0]), "claimed_embedding");
        assert_eq!(f(&[1.0], &[]), "observed_embedding");
        assert_eq!(f(&[1.0, 2.0], &[1.0]), "observed_embedding");
        assert_eq!(f(&[1.0, f64::NAN], &[1.0, 2.0]), "claimed_embedding[1]");
        assert_eq!(f(&[1.0], &[f64::INFINITY]), "observed_embedding[0]");
        let e = drift(&[1.0; 4], &[1.0; 4], DriftMetric::Cosine, 3).unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    }

    #[test]
    fn severity_bands() {
        let t = DriftThresholds::default();
        assert_eq!(severity(0.0, &t), DriftSeverity::None);
        assert_eq!(severity(0.149, &t), DriftSeverity::None);
        assert_eq!(severity(0.15, &t), DriftSeverity::Low);
        assert_eq!(severity(0.30, &t), DriftSeverity::Medium);
        assert_eq!(severity(0.50, &t), DriftSeverity::High);
        assert_eq!(severity(0.75, &t), DriftSeverity::Critical);
        assert_eq!(severity(1.0, &t), DriftSeverity::Critical);
        assert!(DriftSeverity::Low.passed() && !DriftSeverity::Medium.passed());
        let a = assess(&[1.0, 0.0], &[0.0, 1.0], DriftMetric::Cosine, MAX, &t).unwrap();
        assert_eq!(a.severity, DriftSeverity::Critical);
        assert!(!a.passed);
        let j = serde_json::to_value(a).unwrap();
        assert_eq!(j["severity"], "critical");
        let m: DriftMetric = serde_json::from_str("\"euclidean\"").unwrap();
        assert_eq!(m, DriftMetric::Euclidean);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn scores_in_unit_interval_and_identity_is_zero(
            v in proptest::collection::vec((-1e6f64..1e6, -1e6f64..1e6), 1..20)
        ) {
            let (a, b): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
            for m in [DriftMetric::Cosine, DriftMetric::Euclidean] {
                let s = drift(&a, &b, m, MAX).unwrap();
                prop_assert!((0.0..=1.0).contains(&s));
                prop_assert!(drift(&a, &a, m, MAX).unwrap() < 1e-9);
            }
        }
    }
}
