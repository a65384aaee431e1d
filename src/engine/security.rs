//! Dynamic rings and security: elevation (sudo with TTL), child rings, the breach breaker,
//! rate limits, substitutes and the kill switch with step handoff.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::{mint, IdKind};
use crate::model::{Ring, SessionState};
use crate::observability::events::EventType;
use crate::rings::breach::BreakerStats;
use crate::rings::elevation::{child_ring, Elevation, ElevationRequest};
use crate::saga::state::SagaState;
use crate::security::kill_switch::{Handoff, KillReason, KillResult};
use crate::security::rate_limiter::{BucketStats, RateDecision};

use super::{Hypervisor, Owned};

const LIVE: &[SessionState] = &[SessionState::Handshaking, SessionState::Active];

crate::request! {
    /// `ring.elevate`.
    pub struct ElevateRequest {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
        /// Requested ring (1 or 2).
        pub target_ring: u8,
        /// TTL (default 300 s, clamped to 3600 s).
        pub ttl_seconds: Option<u64>,
        /// Sponsorship attestation (required for ring 1).
        pub attestation: Option<String>,
        /// Why.
        pub reason: Option<String>,
    }
}

crate::request! {
    /// `security.kill`.
    pub struct KillRequest {
        /// Session.
        pub session_id: String,
        /// Agent to kill.
        pub agent_did: String,
        /// Reason.
        pub reason: KillReason,
        /// Free-form details (a string, or any JSON value stored as its text).
        pub details: Option<serde_json::Value>,
    }
}

/// `security.substitute` response.
#[derive(Debug, Serialize)]
pub struct SubstituteResult {
    /// The agent.
    pub agent_did: String,
    /// Registered after the call.
    pub available: bool,
    /// All registered substitutes, in registration order.
    pub substitutes: Vec<String>,
}

impl Hypervisor {
    /// `ring.elevate`.
    pub fn elevate(&self, req: ElevateRequest) -> Result<Elevation> {
        let cell = self.cell(&req.session_id)?;
        let e = self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle.require(LIVE, "ring.elevate")?;
            let m = s.require_actor(&req.agent_did, ctx)?;
            let (base, sigma) = (m.ring, m.sigma);
            let e = s
                .elevations
                .elevate(
                    ElevationRequest {
                        agent_did: &req.agent_did,
                        base_ring: base,
                        sigma,
                        target_ring: req.target_ring,
                        ttl_secs: req.ttl_seconds,
                        attestation: req.attestation.clone(),
                        reason: req.reason.clone(),
                    },
                    ctx.now,
                    mint(IdKind::Elevation),
                    ctx.hv.cfg.limits.max_elevations_per_session,
                )?
                .clone();
            ctx.out.push(
                EventType::RingElevated,
                ctx.now,
                Some(&s.id),
                Some(&req.agent_did),
                crate::payload!({"elevation_id": e.elevation_id, "original_ring": e.original_ring,
                       "elevated_ring": e.elevated_ring, "expires_at": e.expires_at}),
            );
            // Registered under the session lock, so an expiry can never unregister it first.
            ctx.hv
                .register_owner(Owned::Elevation, &e.elevation_id, &cell);
            Ok(e)
        })?;
        Ok(e)
    }

    /// `ring.revoke`.
    pub fn revoke_elevation(&self, elevation_id: &str, trace: Option<&str>) -> Result<Elevation> {
        let cell = self.owner(Owned::Elevation, elevation_id, "elevation_id")?;
        self.with_cell(&cell, trace, |s, ctx| {
            let e = s.elevations.revoke(elevation_id)?;
            s.elevation_ended(&e, "elevation revoked", ctx);
            Ok(e)
        })
    }

    /// `ring.elevations`: active elevations, optionally of one agent.
    pub fn elevations(&self, session_id: &str, agent: Option<&str>) -> Result<Vec<Elevation>> {
        self.with_session(session_id, None, |s, ctx| {
            if let Some(a) = agent {
                s.member(a)?;
            }
            Ok(s.elevations
                .active(agent, ctx.now)
                .into_iter()
                .cloned()
                .collect())
        })
    }

    /// `ring.register_child`: the child's ring is capped at the parent's effective ring + 1.
    /// When the child already participates its base ring is demoted to the cap if needed.
    pub fn register_child(
        &self,
        session_id: &str,
        parent: &str,
        child: &str,
        trace: Option<&str>,
    ) -> Result<Ring> {
        crate::ids::validate_id(child, "child_did")?;
        self.with_session(session_id, trace, |s, ctx| {
            let pm = s.require_actor(parent, ctx)?;
            let cap = child_ring(s.effective_ring(pm, ctx.now));
            if s.index.contains_key(child) {
                s.require_member(child)?;
                s.demote_to(child, cap, "child ring capped by parent", ctx);
                return Ok(s.member(child)?.ring);
            }
            Ok(cap)
        })
    }

    /// `ring.breaker`.
    pub fn breaker(&self, session_id: &str, agent: &str) -> Result<BreakerStats> {
        self.with_session(session_id, None, |s, ctx| {
            s.member(agent)?;
            Ok(s.breach
                .get(agent)
                .map(|d| d.stats(ctx.now))
                .unwrap_or_default())
        })
    }

    /// `ring.reset_breaker`: closes the breaker and clears the window.
    pub fn reset_breaker(&self, session_id: &str, agent: &str) -> Result<BreakerStats> {
        self.with_session(session_id, None, |s, ctx| {
            s.member(agent)?;
            Ok(match s.breach.get_mut(agent) {
                Some(d) => {
                    d.reset();
                    d.stats(ctx.now)
                }
                None => BreakerStats::default(),
            })
        })
    }

    /// `security.rate_check`: consumes `cost` tokens (default 1) at the effective ring.
    pub fn rate_check(
        &self,
        session_id: &str,
        agent: &str,
        cost: Option<f64>,
        trace: Option<&str>,
    ) -> Result<RateDecision> {
        self.with_session(session_id, trace, |s, ctx| {
            s.require_member(agent)?;
            s.rate_limit(agent, cost.unwrap_or(1.0), ctx)
        })
    }

    /// `security.rate_stats` (never creates a bucket).
    pub fn rate_stats(&self, session_id: &str, agent: &str) -> Result<BucketStats> {
        self.with_session(session_id, None, |s, ctx| {
            let m = s.member(agent)?;
            let ring = s.effective_ring(m, ctx.now);
            Ok(s.rate.stats(agent, ring, ctx.now, &ctx.hv.cfg.rate_limits))
        })
    }

    /// `security.substitute`: registers (`available: true`) or removes a handoff substitute.
    pub fn substitute(
        &self,
        session_id: &str,
        agent: &str,
        available: bool,
    ) -> Result<SubstituteResult> {
        self.with_session(session_id, None, |s, ctx| {
            if available {
                s.require_actor(agent, ctx)?;
                let cap = s.config.max_participants as usize;
                s.substitutes.register(agent, cap)?;
            } else {
                s.member(agent)?;
                s.substitutes.remove(agent);
            }
            Ok(SubstituteResult {
                agent_did: agent.to_owned(),
                available,
                substitutes: s.substitutes.iter().map(str::to_owned).collect(),
            })
        })
    }

    /// `security.kill`: hands the agent's pending and executing steps to a registered active
    /// substitute (else marks their sagas for compensation), then deactivates the agent, marks
    /// it killed and removes its locks, elevation, rate bucket and substitute registration.
    pub fn kill(&self, req: KillRequest) -> Result<KillResult> {
        let details = match req.details {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(v) => Some(v.to_string()),
        };
        if details.as_ref().is_some_and(|d| d.len() > 4096) {
            return Err(Error::invalid("details", "must be at most 4096 bytes"));
        }
        self.with_session(&req.session_id, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle.require(LIVE, "security.kill")?;
            let agent = req.agent_did.as_str();
            s.require_member(agent)?;
            let mut result = KillResult::new(
                mint(IdKind::Kill),
                agent,
                &s.id,
                req.reason,
                ctx.now,
                details.clone(),
            );
            let sub = {
                let (subs, members, index) = (&s.substitutes, &s.members, &s.index);
                let quarantine = &s.quarantine;
                subs.pick(agent, |a| {
                    index.get(a).is_some_and(|&i| {
                        let m = &members[i];
                        m.is_active && !m.killed && !quarantine.is_quarantined(a, ctx.now)
                    })
                })
            };
            for saga_id in s.saga_order.clone() {
                let Some(entry) = s.sagas.get_mut(&saga_id) else {
                    continue;
                };
                if entry.saga.state() != SagaState::Running {
                    continue;
                }
                for step_id in entry.saga.in_flight_steps_of(agent) {
                    match &sub {
                        Some(to) => {
                            let h = entry.saga.handoff(&step_id, to)?;
                            if h.abandoned_attempt {
                                s.locks.release_tag(&super::Session::step_lock_tag(
                                    &saga_id, &step_id,
                                ));
                            }
                            ctx.out.push(
                                EventType::SecuritySagaHandoff,
                                ctx.now,
                                Some(&s.id),
                                Some(agent),
                                crate::payload!({"saga_id": saga_id, "step_id": step_id,
                                       "from_agent": agent, "to_agent": to}),
                            );
                            result.push_handoff(Handoff::handed_off(&saga_id, &step_id, agent, to));
                        }
                        None => {
                            entry.saga.mark_for_compensation();
                            result.push_handoff(Handoff::compensation_required(
                                &saga_id, &step_id, agent,
                            ));
                        }
                    }
                }
            }
            s.release_agent_state(agent, ctx);
            let m = s.member_mut(agent)?;
            m.killed = true;
            m.is_active = false;
            m.tainted = true;
            ctx.out.push(
                EventType::SecurityAgentKilled,
                ctx.now,
                Some(&s.id),
                Some(agent),
                crate::payload!({"kill_id": result.kill_id, "reason": result.reason,
                       "handoffs": result.handoffs.len(),
                       "compensation_triggered": result.compensation_triggered}),
            );
            Ok(result)
        })
    }
}
