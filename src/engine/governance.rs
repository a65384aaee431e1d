//! The cross-area governance seams every agent-scoped operation goes through: actor checks
//! (killed, active, quarantined), the breach breaker, rate limits, breach recording,
//! quarantine, demotion, slashing and audit capture. Each emits its own events and ledger
//! entries, so a governed write or saga step is one call into these.

use crate::audit::{Change, Delta};
use crate::config::DRIFT_SLASH_OMEGA;
use crate::error::{Code, Error, Result};
use crate::ids::{mint, IdKind};
use crate::liability::ledger::LedgerEntryType;
use crate::liability::quarantine::{QuarantineReason, QuarantineRecord};
use crate::liability::slashing::{slash, SlashResult};
use crate::model::Ring;
use crate::observability::events::EventType;
use crate::rings::breach::{BreachDetector, BreachSeverity};
use crate::rings::elevation::Elevation;
use crate::rings::enforcer::compute_ring;
use crate::security::rate_limiter::RateDecision;

use super::sessions::killed;
use super::state::{Member, MemberSigmas, Session};
use super::Ctx;

impl Session {
    /// The agent-scoped check for anything that reads on the agent's behalf: a participant
    /// that was not killed (`AGENT_KILLED` is checked before any other participant check).
    pub(crate) fn require_member(&self, agent: &str) -> Result<&Member> {
        let m = self.member(agent)?;
        if m.killed {
            return Err(killed(agent, &self.id));
        }
        Ok(m)
    }

    /// The check for anything that acts: not killed, still active, not quarantined.
    pub(crate) fn require_actor(&self, agent: &str, ctx: &Ctx<'_>) -> Result<&Member> {
        let m = self.require_member(agent)?;
        if !m.is_active {
            return Err(Error::new(
                Code::AGENT_INACTIVE,
                format!("agent '{agent}' has left session '{}'", self.id),
            )
            .with_detail("agent_did", agent));
        }
        if let Some(q) = self.quarantine.active(agent, ctx.now) {
            return Err(Error::new(
                Code::AGENT_QUARANTINED,
                format!(
                    "agent '{agent}' is quarantined ({}) until {}",
                    q.reason.as_str(),
                    q.expires_at
                ),
            )
            .with_detail("agent_did", agent)
            .with_detail("reason", q.reason.as_str())
            .with_detail("expires_at", q.expires_at.to_rfc3339()));
        }
        Ok(m)
    }

    /// `CIRCUIT_OPEN` while the agent's breach breaker is tripped.
    pub(crate) fn require_breaker_closed(&self, agent: &str, ctx: &Ctx<'_>) -> Result<()> {
        if let Some(until) = self.breach.get(agent).and_then(|d| d.open_until(ctx.now)) {
            return Err(Error::new(
                Code::CIRCUIT_OPEN,
                format!("breach circuit breaker of agent '{agent}' is open until {until}"),
            )
            .with_detail("agent_did", agent)
            .with_detail("open_until", until.to_rfc3339()));
        }
        Ok(())
    }

    /// Consumes `cost` tokens from the agent's bucket at its effective ring; a refusal emits
    /// `security.rate_limited`.
    pub(crate) fn rate_limit(
        &mut self,
        agent: &str,
        cost: f64,
        ctx: &mut Ctx<'_>,
    ) -> Result<RateDecision> {
        self.rate_limit_at(agent, None, cost, ctx)
    }

    /// [`Self::rate_limit`] at the agent's effective ring when the caller already has it
    /// (`Some`, the ring at `ctx.now`), else looked up.
    pub(crate) fn rate_limit_at(
        &mut self,
        agent: &str,
        known_ring: Option<Ring>,
        cost: f64,
        ctx: &mut Ctx<'_>,
    ) -> Result<RateDecision> {
        let ring = match known_ring {
            Some(r) => r,
            None => {
                let m = self.member(agent)?;
                self.effective_ring(m, ctx.now)
            }
        };
        let cfg = &ctx.hv.cfg;
        let r = self.rate.check(
            agent,
            ring,
            cost,
            ctx.now,
            &cfg.rate_limits,
            &ctx.hv.rate_buckets,
            cfg.limits.max_rate_buckets,
        );
        if let Err(e) = &r {
            if e.code() == Code::RATE_LIMITED {
                ctx.out.push(
                    EventType::SecurityRateLimited,
                    ctx.now,
                    Some(&self.id),
                    Some(agent),
                    crate::payload!({"ring": ring, "cost": cost,
                           "retry_after_ms": e.details().and_then(|d| d.get("retry_after_ms")).cloned()}),
                );
            }
        }
        r
    }

    /// Feeds the breach detector with one call by `agent` at `agent_ring` to an action
    /// requiring `required`. Tripping emits `ring.breach_detected`; a critical score also
    /// demotes the agent to ring 3, revokes its elevation and (with `auto_quarantine`)
    /// quarantines it (`ring_breach`).
    pub(crate) fn record_ring_call(
        &mut self,
        agent: &str,
        agent_ring: Ring,
        required: Ring,
        ctx: &mut Ctx<'_>,
    ) {
        let max = ctx.hv.cfg.limits.max_breach_history;
        // Keyed by participant DIDs only, so bounded by max_participants. One lookup once the
        // agent has a detector.
        let record = |det: &mut BreachDetector| {
            let o = det.record(ctx.now, agent_ring, required, max);
            (o, det.open_until(ctx.now))
        };
        let (o, open_until) = match self.breach.get_mut(agent) {
            Some(det) => record(det),
            None => {
                let mut det = Box::<BreachDetector>::default();
                let r = record(&mut det);
                self.breach.insert(agent.to_owned(), det);
                r
            }
        };
        if o.tripped_now || o.critical_now {
            ctx.out.push(
                EventType::RingBreachDetected,
                ctx.now,
                Some(&self.id),
                Some(agent),
                crate::payload!({"severity": o.severity, "anomaly": o.anomaly,
                       "window_calls": o.window_calls,
                       "breaker_open_until": open_until.map(|t| t.to_rfc3339())}),
            );
        }
        if o.critical_now && o.severity == BreachSeverity::Critical {
            if let Some(e) = self.elevations.revoke_agent(agent) {
                self.elevation_ended(&e, "elevation revoked: critical breach", ctx);
            }
            self.demote_to(agent, Ring::Sandbox, "critical ring breach", ctx);
            if ctx.hv.cfg.auto_quarantine {
                let _ = self.quarantine_agent(
                    agent,
                    QuarantineReason::RingBreach,
                    None,
                    Some(format!("breach anomaly {:.2}", o.anomaly)),
                    o.anomaly,
                    ctx,
                );
            }
        }
    }

    /// Bookkeeping for an elevation that was revoked (explicitly, by a kill, a leave or a
    /// critical breach): its id no longer resolves, and `ring.demoted` reports the drop.
    pub(crate) fn elevation_ended(&self, e: &Elevation, reason: &str, ctx: &mut Ctx<'_>) {
        ctx.hv
            .unregister_owner(super::Owned::Elevation, &e.elevation_id);
        ctx.out.push(
            EventType::RingDemoted,
            ctx.now,
            Some(&self.id),
            Some(&e.agent_did),
            crate::payload!({"elevation_id": e.elevation_id, "from": e.elevated_ring,
                   "to": e.original_ring, "reason": reason}),
        );
    }

    /// Demotes the agent's base ring to `to` if that is less privileged (never promotes).
    pub(crate) fn demote_to(&mut self, agent: &str, to: Ring, reason: &str, ctx: &mut Ctx<'_>) {
        let sid = self.id.clone();
        let Ok(m) = self.member_mut(agent) else {
            return;
        };
        if to.level() <= m.ring.level() {
            return;
        }
        let from = m.ring;
        m.ring = to;
        ctx.out.push(
            EventType::RingDemoted,
            ctx.now,
            Some(&sid),
            Some(agent),
            crate::payload!({"from": from, "to": to, "reason": reason}),
        );
    }

    /// Quarantines an agent (default duration `quarantine_seconds`), marks it tainted, writes
    /// the ledger entry (severity `severity`) and emits `liability.quarantine_entered`.
    pub(crate) fn quarantine_agent(
        &mut self,
        agent: &str,
        reason: QuarantineReason,
        duration_secs: Option<u64>,
        details: Option<String>,
        severity: f64,
        ctx: &mut Ctx<'_>,
    ) -> Result<QuarantineRecord> {
        self.member(agent)?;
        let secs = duration_secs.unwrap_or(ctx.hv.cfg.quarantine_seconds);
        let change = self.quarantine.quarantine(
            agent,
            reason,
            secs,
            details,
            ctx.now,
            mint(IdKind::Quarantine),
        )?;
        self.member_mut(agent)?.tainted = true;
        let rec = change.record;
        ctx.out.push(
            EventType::QuarantineEntered,
            ctx.now,
            Some(&self.id),
            Some(agent),
            crate::payload!({"quarantine_id": rec.quarantine_id, "reason": rec.reason,
                   "expires_at": rec.expires_at, "extended": change.extended}),
        );
        self.ledger(
            ctx,
            agent,
            LedgerEntryType::QuarantineEntered,
            severity,
            reason.as_str(),
            None,
        );
        Ok(rec)
    }

    /// Slashes an agent with cascade (API.md §4.4 `liability.slash`): σ updates, bonds
    /// released, rings recomputed (demotion only), ledger entries, events, and with
    /// `auto_quarantine` the vouchee quarantined for `quarantine_reason` (`liability_violation`
    /// for slashes, `behavioral_drift` for drift) with severity ω.
    ///
    /// Ledger: the slashed agent gets `slash_received`; every clipped voucher (at any depth)
    /// gets `slash_cascaded`; all with severity ω.
    pub(crate) fn slash_agent(
        &mut self,
        agent: &str,
        omega: f64,
        reason: &str,
        quarantine_reason: QuarantineReason,
        ctx: &mut Ctx<'_>,
    ) -> Result<SlashResult> {
        self.require_member(agent)?;
        let result = {
            let mut store = MemberSigmas {
                members: &mut self.members,
                index: &self.index,
            };
            slash(
                &mut self.vouches,
                &mut store,
                agent,
                omega,
                reason,
                ctx.now,
                || mint(IdKind::Slash),
            )?
        };
        for a in result.affected_agents() {
            if let Ok(m) = self.member_mut(a) {
                m.tainted = true;
            }
        }
        self.ledger(
            ctx,
            agent,
            LedgerEntryType::SlashReceived,
            omega,
            reason,
            None,
        );
        for (_, r) in result.flatten() {
            for c in &r.voucher_clips {
                self.ledger(
                    ctx,
                    &c.voucher_did,
                    LedgerEntryType::SlashCascaded,
                    omega,
                    &format!("vouched for slashed agent {}", r.vouchee_did),
                    Some(&r.vouchee_did),
                );
                ctx.out.push(
                    EventType::VouchReleased,
                    ctx.now,
                    Some(&self.id),
                    Some(&c.voucher_did),
                    crate::payload!({"vouch_id": c.vouch_id, "vouchee_did": r.vouchee_did, "reason": "slash"}),
                );
            }
        }
        // Rings follow σ down (never up); consensus is not re-litigated here.
        let affected: Vec<String> = result
            .affected_agents()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for a in &affected {
            if let Ok(m) = self.member(a) {
                let target = compute_ring(self.sigma_eff(m, omega), true);
                self.demote_to(a, target, "slash", ctx);
            }
        }
        ctx.out.push_value(
            EventType::SlashExecuted,
            ctx.now,
            Some(&self.id),
            Some(agent),
            &result,
        );
        if ctx.hv.cfg.auto_quarantine {
            let _ = self.quarantine_agent(
                agent,
                quarantine_reason,
                None,
                Some(reason.to_owned()),
                omega,
                ctx,
            );
        }
        Ok(result)
    }

    /// Slash used by drift detection (ω 0.95).
    pub(crate) fn slash_for_drift(
        &mut self,
        agent: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<SlashResult> {
        self.slash_agent(
            agent,
            DRIFT_SLASH_OMEGA,
            "behavioral drift",
            QuarantineReason::BehavioralDrift,
            ctx,
        )
    }

    /// Appends an audit delta when the session audits; emits `audit.delta_captured`. Returns
    /// the stored delta (callers copy what they need: all of it for `audit.capture`, its turn
    /// and hash for a VFS mutation or a step commit).
    pub(crate) fn audit_capture(
        &mut self,
        agent: &str,
        changes: Vec<Change>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Option<&Delta>> {
        if !self.config.enable_audit {
            return Ok(None);
        }
        // Delta ids are `delta:<turn_id>`: unique within the session (the only scope a delta is
        // addressed in) and deterministic, so an audit chain is reproducible from its inputs.
        let delta_id = {
            let prefix = IdKind::Delta.prefix();
            let mut n = itoa::Buffer::new();
            let n = n.format(self.audit.tree_size() + 1);
            let mut id = String::with_capacity(prefix.len() + 1 + n.len());
            id.push_str(prefix);
            id.push(':');
            id.push_str(n);
            id
        };
        let d = self
            .audit
            .append(&self.id, agent, changes, ctx.now, delta_id)?;
        ctx.out.push(
            EventType::AuditDeltaCaptured,
            ctx.now,
            Some(&self.id),
            Some(agent),
            crate::payload!({"turn_id": d.turn_id, "delta_id": d.delta_id, "delta_hash": d.delta_hash}),
        );
        Ok(Some(d))
    }
}
