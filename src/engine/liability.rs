//! Liability methods: vouch, release, σ_eff, exposure, slash, matrix, quarantine, ledger;
//! and the integrations that act on liability: IATP analysis and drift checks.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{mint, IdKind};
use crate::integrations::iatp::{self, Manifest, ManifestAnalysis};
use crate::liability::ledger::{LedgerEntry, LedgerEntryType, Profile};
use crate::liability::matrix::{liability_matrix, LiabilityMatrix};
use crate::liability::quarantine::{QuarantineReason, QuarantineRecord};
use crate::liability::slashing::SlashResult;
use crate::liability::vouching::{NewVouch, VouchRecord};
use crate::model::{check_score, SessionState, Timestamp};
use crate::observability::events::EventType;
use crate::verification::drift::{assess, DriftMetric, DriftSeverity};

use super::{Hypervisor, Owned};

const LIVE: &[SessionState] = &[SessionState::Handshaking, SessionState::Active];

crate::request! {
    /// `liability.vouch`.
    pub struct VouchRequest {
        /// Session.
        pub session_id: String,
        /// Agent bonding part of its σ.
        pub voucher_did: String,
        /// Agent vouched for.
        pub vouchee_did: String,
        /// Share of the voucher's σ to bond (default 0.20, clamped to [0, 1]).
        pub bond_pct: Option<f64>,
        /// Optional expiry (RFC 3339), after now.
        pub expires_at: Option<Timestamp>,
    }
}

crate::request! {
    /// `liability.quarantine`.
    pub struct QuarantineRequest {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// Reason.
        pub reason: QuarantineReason,
        /// Duration (default `quarantine_seconds`).
        pub duration_seconds: Option<u64>,
        /// Free-form details (a string, or any JSON value stored as its text).
        pub details: Option<serde_json::Value>,
    }
}

crate::request! {
    /// `verify.drift`.
    pub struct DriftRequest {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// Embedding of the claimed behaviour.
        pub claimed_embedding: Vec<f64>,
        /// Embedding of the observed behaviour.
        pub observed_embedding: Vec<f64>,
        /// Action the observation concerns (echoed in the event).
        pub action_id: Option<String>,
        /// "cosine" (default) | "euclidean".
        pub metric: Option<DriftMetric>,
    }
}

/// `liability.exposure` response.
#[derive(Debug, Serialize)]
pub struct Exposure {
    /// Total the agent has bonded in the session.
    pub bonded_total: f64,
    /// σ × max_exposure.
    pub limit: f64,
}

/// `liability.ledger` response.
#[derive(Debug, Serialize)]
pub struct LedgerView {
    /// Entries, oldest first (at most `max_ledger_entries_per_agent`).
    pub entries: Vec<LedgerEntry>,
    /// Risk profile.
    pub profile: Profile,
}

/// What a drift check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftAction {
    /// Nothing (none or low).
    None,
    /// Demoted one ring (medium).
    Demoted,
    /// Slashed and quarantined (high or critical).
    Slashed,
}

/// `verify.drift` response.
#[derive(Debug, Serialize)]
pub struct DriftResult {
    /// Drift score in [0, 1].
    pub drift_score: f64,
    /// Severity.
    pub severity: DriftSeverity,
    /// none or low.
    pub passed: bool,
    /// Consequence applied.
    pub action_taken: DriftAction,
}

fn details_text(v: Option<serde_json::Value>) -> Result<Option<String>> {
    let s = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    };
    if s.len() > 4096 {
        return Err(Error::invalid("details", "must be at most 4096 bytes"));
    }
    Ok(Some(s))
}

fn check_reason(reason: &str) -> Result<()> {
    if reason.is_empty() || reason.len() > 1024 {
        return Err(Error::invalid("reason", "must be 1..=1024 bytes"));
    }
    Ok(())
}

impl Hypervisor {
    /// `liability.vouch`.
    pub fn vouch(&self, req: &VouchRequest) -> Result<VouchRecord> {
        let cell = self.cell(&req.session_id)?;
        let rec = self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle.require(LIVE, "liability.vouch")?;
            let voucher = s.require_actor(&req.voucher_did, ctx)?;
            let sigma = voucher.sigma;
            s.require_member(&req.vouchee_did)?;
            let rec = s
                .vouches
                .vouch(
                    NewVouch {
                        voucher_did: &req.voucher_did,
                        vouchee_did: &req.vouchee_did,
                        voucher_sigma: sigma,
                        bond_pct: req.bond_pct,
                        expires_at: req.expires_at,
                    },
                    ctx.hv.cfg.max_exposure,
                    ctx.now,
                    mint(IdKind::Vouch),
                    ctx.hv.cfg.limits.max_vouches_per_session,
                )?
                .clone();
            ctx.out.push(
                EventType::VouchCreated,
                ctx.now,
                Some(&s.id),
                Some(&rec.voucher_did),
                crate::payload!({"vouch_id": rec.vouch_id, "vouchee_did": rec.vouchee_did,
                       "bonded_amount": rec.bonded_amount}),
            );
            let detail = format!("bond {:.4}", rec.bonded_amount);
            s.ledger(
                ctx,
                &rec.voucher_did,
                LedgerEntryType::VouchGiven,
                0.0,
                &detail,
                Some(&rec.vouchee_did),
            );
            s.ledger(
                ctx,
                &rec.vouchee_did,
                LedgerEntryType::VouchReceived,
                0.0,
                &detail,
                Some(&rec.voucher_did),
            );
            Ok(rec)
        })?;
        self.register_owner(Owned::Vouch, &rec.vouch_id, &cell);
        Ok(rec)
    }

    /// `liability.release`: releasing an inactive bond is a no-op returning the record.
    pub fn release_vouch(&self, vouch_id: &str, trace: Option<&str>) -> Result<VouchRecord> {
        let cell = self.owner(Owned::Vouch, vouch_id, "vouch_id")?;
        self.with_cell(&cell, trace, |s, ctx| {
            let was_active = s.vouches.get(vouch_id).is_some_and(|v| v.is_active);
            let rec = s.vouches.release(vouch_id, ctx.now)?.clone();
            if was_active {
                ctx.out.push(
                    EventType::VouchReleased,
                    ctx.now,
                    Some(&s.id),
                    Some(&rec.voucher_did),
                    crate::payload!({"vouch_id": rec.vouch_id, "vouchee_did": rec.vouchee_did, "reason": "released"}),
                );
                s.ledger(ctx, &rec.voucher_did, LedgerEntryType::VouchReleased, 0.0, "released", Some(&rec.vouchee_did));
            }
            Ok(rec)
        })
    }

    /// `liability.sigma_eff`: min(1, σ + ω × Σ active bonds for the agent); O(1).
    pub fn sigma_eff(&self, session_id: &str, agent: &str, omega: f64) -> Result<f64> {
        check_score(omega, "risk_weight")?;
        self.with_session(session_id, None, |s, _| {
            let m = s.member(agent)?;
            Ok(s.sigma_eff(m, omega))
        })
    }

    /// `liability.exposure`.
    pub fn exposure(&self, session_id: &str, agent: &str) -> Result<Exposure> {
        self.with_session(session_id, None, |s, ctx| {
            let m = s.member(agent)?;
            Ok(Exposure {
                bonded_total: s.vouches.exposure_of(agent),
                limit: m.sigma * ctx.hv.cfg.max_exposure,
            })
        })
    }

    /// `liability.slash`.
    pub fn slash(
        &self,
        session_id: &str,
        agent: &str,
        omega: f64,
        reason: &str,
        trace: Option<&str>,
    ) -> Result<SlashResult> {
        check_score(omega, "risk_weight")?;
        check_reason(reason)?;
        self.with_session(session_id, trace, |s, ctx| {
            s.lifecycle.require(LIVE, "liability.slash")?;
            s.slash_agent(
                agent,
                omega,
                reason,
                QuarantineReason::LiabilityViolation,
                ctx,
            )
        })
    }

    /// `liability.matrix`.
    pub fn matrix(&self, session_id: &str) -> Result<LiabilityMatrix> {
        self.with_session(session_id, None, |s, _| Ok(liability_matrix(&s.vouches)))
    }

    /// `liability.quarantine` (explicit; ledger severity 0.5 as for a manual quarantine).
    pub fn quarantine(&self, req: QuarantineRequest) -> Result<QuarantineRecord> {
        let details = details_text(req.details)?;
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle.require(LIVE, "liability.quarantine")?;
            s.require_member(&req.agent_did)?;
            s.quarantine_agent(
                &req.agent_did,
                req.reason,
                req.duration_seconds,
                details,
                crate::config::MANUAL_QUARANTINE_SEVERITY,
                ctx,
            )
        })
    }

    /// `liability.release_quarantine`.
    pub fn release_quarantine(
        &self,
        session_id: &str,
        agent: &str,
        trace: Option<&str>,
    ) -> Result<QuarantineRecord> {
        self.with_session(session_id, trace, |s, ctx| {
            s.require_member(agent)?;
            let rec = s.quarantine.release(agent, ctx.now)?;
            ctx.out.push(
                EventType::QuarantineReleased,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"quarantine_id": rec.quarantine_id, "reason": "released"}),
            );
            s.ledger(
                ctx,
                agent,
                LedgerEntryType::QuarantineReleased,
                0.0,
                "released",
                None,
            );
            Ok(rec)
        })
    }

    /// `liability.ledger`: entries and risk profile; spans sessions for the engine's life.
    pub fn ledger(&self, agent: &str) -> Result<LedgerView> {
        crate::ids::validate_id(agent, "agent_did")?;
        let l = self.ledger.lock();
        Ok(LedgerView {
            entries: l.entries(agent).cloned().collect(),
            profile: l.profile(agent),
        })
    }

    /// `iatp.analyze`.
    pub fn iatp_analyze(&self, manifest: Manifest) -> Result<ManifestAnalysis> {
        iatp::analyze(
            manifest,
            "manifest",
            self.cfg.limits.max_actions_per_session,
        )
    }

    /// `verify.drift`: medium demotes one ring; high/critical slash (ω 0.95) and quarantine
    /// (`behavioral_drift`). Always emits `verification.behavior_drift`.
    pub fn verify_drift(&self, req: &DriftRequest) -> Result<DriftResult> {
        if let Some(a) = &req.action_id {
            crate::ids::validate_id(a, "action_id")?;
        }
        let a = assess(
            &req.claimed_embedding,
            &req.observed_embedding,
            req.metric.unwrap_or_default(),
            self.cfg.limits.max_embedding_len,
            &self.cfg.drift_thresholds,
        )?;
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            let m = s.require_member(&req.agent_did)?;
            let ring = m.ring;
            let action_taken = match a.severity {
                DriftSeverity::None | DriftSeverity::Low => DriftAction::None,
                DriftSeverity::Medium => {
                    s.demote_to(
                        &req.agent_did,
                        ring.demoted(),
                        "behavioral drift (medium)",
                        ctx,
                    );
                    DriftAction::Demoted
                }
                DriftSeverity::High | DriftSeverity::Critical => {
                    s.lifecycle.require(LIVE, "verify.drift (slash)")?;
                    s.slash_for_drift(&req.agent_did, ctx)?;
                    DriftAction::Slashed
                }
            };
            ctx.out.push(
                EventType::VerificationBehaviorDrift,
                ctx.now,
                Some(&s.id),
                Some(&req.agent_did),
                crate::payload!({"drift_score": a.drift_score, "severity": a.severity,
                       "action_taken": action_taken, "action_id": req.action_id}),
            );
            Ok(DriftResult {
                drift_score: a.drift_score,
                severity: a.severity,
                passed: a.passed,
                action_taken,
            })
        })
    }
}
