//! Governed saga execution (API.md §4.5): `saga.step.begin` / `saga.step.end`. The host
//! executor loops built on them (`hv_saga_step`, `hv_saga_fan_out`) are in `saga_run`.
//!
//! Host executors are called with no engine lock held: every begin and end takes the session
//! lock only for its own bookkeeping, so an executor may call back into the engine (including
//! on the same session).

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::saga_run::{clip_error, StepOutcome};
use super::sagas::push_checkpoint_saved;
use super::state::Session;
use super::{Ctx, DeltaRef, Hypervisor, Owned};
use crate::audit::{Change, ChangeOp};
use crate::error::{Code, Error, Result};
use crate::ids::{mint, IdKind};
use crate::model::Ring;
use crate::model::{SessionState, Timestamp};
use crate::observability::events::EventType;
use crate::rings::enforcer::{check, CheckInput};
use crate::saga::orchestrator::Begun;
use crate::saga::{BeginInfo, EndOutcome, Intent, Step, StepState};
use crate::session::locks::LockIntent;

crate::request! {
    /// `saga.step.begin` and `hv_saga_step`.
    pub struct StepBeginRequest {
        /// The saga.
        pub saga_id: String,
        /// The step (pending).
        pub step_id: String,
        /// Consensus obtained (ring 1 actions).
        pub has_consensus: Option<bool>,
        /// SRE witness present (ring 0 actions).
        pub has_sre_witness: Option<bool>,
    }
}

crate::request! {
    /// `saga.step.end`.
    pub struct StepEndRequest {
        /// The saga.
        pub saga_id: String,
        /// The executing step.
        pub step_id: String,
        /// Whether the execution succeeded.
        pub ok: bool,
        /// The result (kept on commit).
        pub result: Option<Value>,
        /// The failure message.
        pub error: Option<String>,
    }
}

crate::request! {
    /// `hv_saga_fan_out`.
    pub struct FanOutRunRequest {
        /// The saga.
        pub saga_id: String,
        /// The group (from `saga.fan_out.create` or `saga.define`).
        pub group_id: String,
        /// Consensus obtained, for every branch.
        pub has_consensus: Option<bool>,
        /// SRE witness present, for every branch.
        pub has_sre_witness: Option<bool>,
    }
}

/// What [`Session::begin_plan`] found: the step's position, its action's required ring and ω,
/// and the intent locks it needs.
struct BeginPlan {
    pos: usize,
    required: Ring,
    omega: f64,
    locks: Vec<(String, LockIntent)>,
}

/// What [`Session::end_plan`] found: the step's position and whether the end commits it.
#[derive(Clone, Copy)]
struct EndPlan {
    pos: usize,
    committing: bool,
}

/// What an end needs of the step, read before the end changes it.
struct StepKeys<'a> {
    agent: &'a str,
    goal: Option<&'a str>,
    execute_api: &'a str,
}

/// The audit path of a step commit: `/saga/<saga_id>/<step_id>`.
fn saga_change_path(saga_id: &str, step_id: &str) -> String {
    let mut p = String::with_capacity("/saga//".len() + saga_id.len() + step_id.len());
    p.push_str("/saga/");
    p.push_str(saga_id);
    p.push('/');
    p.push_str(step_id);
    p
}

fn lock_intent(i: Intent) -> LockIntent {
    match i {
        Intent::Read => LockIntent::Read,
        Intent::Write => LockIntent::Write,
        Intent::Exclusive => LockIntent::Exclusive,
    }
}

impl Session {
    /// The saga and step checks of `saga.step.begin` ((1) saga running, (2) step pending and
    /// retry due), then what the rest of the begin needs of the step: its position, required
    /// ring and ω, and its intent locks (serializable sagas). Also returns the step.
    fn begin_plan(
        &self,
        req: &StepBeginRequest,
        immediate: bool,
        now: Timestamp,
    ) -> Result<(BeginPlan, &Step)> {
        let e = self.saga_entry(&req.saga_id)?;
        let pos = e.saga.check_begin_position(&req.step_id, now, immediate)?;
        let step = e.saga.step_by_pos(pos)?;
        let (required, omega) = self.step_action_profile(step);
        let locks: Vec<(String, LockIntent)> = if e.saga.isolation_level().requires_locks() {
            step.resources()
                .iter()
                .map(|r| (r.path.clone(), lock_intent(r.intent)))
                .collect()
        } else {
            Vec::new()
        };
        let plan = BeginPlan {
            pos,
            required,
            omega,
            locks,
        };
        Ok((plan, step))
    }

    /// `saga.step.begin`: the checks in API.md's order, then the begin itself
    /// (`saga.step_started`). `immediate` skips the retry delay (hv_saga_step's own retry
    /// loop under a manual clock).
    fn begin_step_governed(
        &mut self,
        req: &StepBeginRequest,
        immediate: bool,
        ctx: &mut Ctx<'_>,
    ) -> Result<Begun> {
        let (plan, step) = self.begin_plan(req, immediate, ctx.now)?;
        let agent = step.agent_did().to_owned();
        let action_id = step.action_id().to_owned();
        self.begin_planned(req, immediate, plan, &agent, &action_id, ctx)
    }

    /// [`Self::begin_step_governed`] plus the step as the begin left it, written into `buf`
    /// when the caller has one (an earlier copy of the step: no allocation), else into a new
    /// copy. The copy also lends the agent and action ids the begin needs.
    fn begin_step_snapshot(
        &mut self,
        req: &StepBeginRequest,
        immediate: bool,
        buf: Option<Step>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(Begun, Step)> {
        let (plan, step) = self.begin_plan(req, immediate, ctx.now)?;
        let pos = plan.pos;
        let mut copy = match buf {
            Some(mut b) => {
                b.refresh_from(step);
                b
            }
            None => step.clone(),
        };
        let begun = self.begin_planned(
            req,
            immediate,
            plan,
            copy.agent_did(),
            copy.action_id(),
            ctx,
        )?;
        copy.refresh_from(self.saga_entry(&req.saga_id)?.saga.step_by_pos(pos)?);
        Ok((begun, copy))
    }

    /// The begin after [`Self::begin_plan`]: (3) session active, (4) agent not killed, active,
    /// not quarantined, (5) breaker, (6) rate limit, (7) ring check (recorded by the breach
    /// detector), (8) intent locks, then the step begins.
    // The event lines borrow `agent` as they did when it was an owned copy.
    fn begin_planned(
        &mut self,
        req: &StepBeginRequest,
        immediate: bool,
        plan: BeginPlan,
        agent: &str,
        action_id: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<Begun> {
        let (saga_id, step_id) = (req.saga_id.as_str(), req.step_id.as_str());
        let BeginPlan {
            pos,
            required,
            omega,
            locks,
        } = plan;
        // (3) session active.
        self.lifecycle
            .require(&[SessionState::Active], "saga.step.begin")?;
        // (4) agent: not killed, active, not quarantined. Its effective ring and σ_eff are
        // read here: nothing below changes them before the ring check.
        let m = self.require_actor(agent, ctx)?;
        let agent_ring = self.effective_ring(m, ctx.now);
        let sigma_eff = self.sigma_eff(m, omega);
        // (5) breaker.
        self.require_breaker_closed(agent, ctx)?;
        // (6) rate limit.
        self.rate_limit_at(agent, Some(agent_ring), 1.0, ctx)?;
        // (7) ring check for the step's action, recorded by the breach detector.
        let result = check(CheckInput {
            required_ring: required,
            agent_ring,
            sigma_eff,
            has_consensus: req.has_consensus.unwrap_or(false),
            has_sre_witness: req.has_sre_witness.unwrap_or(false),
        });
        self.record_ring_call(agent, agent_ring, result.required_ring, ctx);
        if !result.allowed {
            return Err(Error::new(
                Code::RING_DENIED,
                format!(
                    "agent '{agent}' may not run step '{step_id}' (action '{action_id}'): {}",
                    result.reason
                ),
            )
            .with_detail("agent_did", agent)
            .with_detail("step_id", step_id)
            .with_detail("check", serde_json::to_value(&result).unwrap_or_default()));
        }
        // (8) intent locks (serializable sagas), held until the step ends.
        if !locks.is_empty() {
            self.acquire_step_locks(agent, saga_id, step_id, &locks)?;
        }
        let saga = &mut self.saga_entry_mut(saga_id)?.saga;
        let info = match saga.begin_at(pos, step_id, ctx.now, immediate) {
            Ok(i) => i,
            Err(e) => {
                self.release_step_locks(saga_id, step_id);
                return Err(e);
            }
        };
        ctx.out.push(
            EventType::SagaStepStarted,
            ctx.now,
            Some(&self.id),
            Some(agent),
            crate::payload!({"saga_id": saga_id, "step_id": step_id, "action_id": action_id,
                   "attempt": info.attempt, "deadline": info.deadline,
                   "locks": locks.len()}),
        );
        Ok(info)
    }

    /// The step an end is for: its position, and whether this end commits it (`ok`, executing
    /// and within its deadline). Also returns the step.
    fn end_plan(
        &self,
        saga_id: &str,
        step_id: &str,
        ok: bool,
        now: Timestamp,
    ) -> Result<(EndPlan, &Step)> {
        let saga = &self.saga_entry(saga_id)?.saga;
        let pos = saga.step_position(step_id)?;
        let step = saga.step_by_pos(pos)?;
        let committing =
            ok && step.state() == StepState::Executing && step.deadline().is_none_or(|d| now <= d);
        Ok((EndPlan { pos, committing }, step))
    }

    /// `saga.step.end`: deadline, commit (locks released, audit delta, checkpoint) or failure
    /// (retry scheduling or final failure).
    fn end_step_governed(
        &mut self,
        saga_id: &str,
        step_id: &str,
        outcome: StepOutcome,
        ctx: &mut Ctx<'_>,
    ) -> Result<EndOutcome> {
        let (plan, step) = self.end_plan(saga_id, step_id, outcome.ok, ctx.now)?;
        let agent = step.agent_did().to_owned();
        let goal = step.checkpoint_goal().map(str::to_owned);
        let execute_api = step.execute_api().to_owned();
        let keys = StepKeys {
            agent: &agent,
            goal: goal.as_deref(),
            execute_api: &execute_api,
        };
        let mut out = self.end_planned(saga_id, step_id, plan, outcome, keys, ctx)?;
        out.step_id = step_id.to_owned();
        Ok(out)
    }

    /// [`Self::end_step_governed`] for `hv_saga_step`, except that the outcome's `step_id` is
    /// left empty: `snap` (the copy of the step its begin took) is brought up to date and lends
    /// the agent, goal and execute API the end needs, then, unless the step goes back to
    /// pending for a retry, is brought up to date again (the step as the end left it).
    fn end_step_snapshot(
        &mut self,
        saga_id: &str,
        step_id: &str,
        outcome: StepOutcome,
        snap: &mut Step,
        ctx: &mut Ctx<'_>,
    ) -> Result<EndOutcome> {
        let (plan, step) = self.end_plan(saga_id, step_id, outcome.ok, ctx.now)?;
        let pos = plan.pos;
        snap.refresh_from(step);
        let keys = StepKeys {
            agent: snap.agent_did(),
            goal: snap.checkpoint_goal(),
            execute_api: snap.execute_api(),
        };
        let out = self.end_planned(saga_id, step_id, plan, outcome, keys, ctx)?;
        if out.state != StepState::Pending {
            snap.refresh_from(self.saga_entry(saga_id)?.saga.step_by_pos(pos)?);
        }
        Ok(out)
    }

    /// The end after [`Self::end_plan`], with the step's agent, checkpoint goal and execute API
    /// (as they were before the end) in `keys`.
    // The event lines borrow `agent` as they did when it was an owned copy.
    fn end_planned(
        &mut self,
        saga_id: &str,
        step_id: &str,
        plan: EndPlan,
        outcome: StepOutcome,
        keys: StepKeys<'_>,
        ctx: &mut Ctx<'_>,
    ) -> Result<EndOutcome> {
        let EndPlan { pos, committing } = plan;
        let StepKeys {
            agent,
            goal,
            execute_api,
        } = keys;
        // Fail closed before mutating: a commit must be auditable.
        let max_deltas = ctx.hv.cfg.limits.max_deltas_per_session;
        if committing && self.config.enable_audit && self.audit.tree_size() >= max_deltas as u64 {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "session '{}' holds {max_deltas} audit deltas; step '{step_id}' cannot \
                     commit unaudited",
                    self.id
                ),
            )
            .with_detail("table", "audit_deltas")
            .with_detail("limit", max_deltas));
        }
        let base = ctx.hv.cfg.retry_base_delay_ms;
        let out = self.saga_entry_mut(saga_id)?.saga.end_at(
            pos,
            outcome.ok,
            outcome.result,
            outcome.error.map(clip_error),
            ctx.now,
            base,
        )?;
        let released = self.release_step_locks(saga_id, step_id);
        if out.state == StepState::Committed {
            let content_hash = out.result.as_ref().map(|r| {
                let bytes = serde_json::to_vec(r).unwrap_or_default();
                crate::audit::hex32(&Sha256::digest(&bytes).into())
            });
            let change = Change {
                path: saga_change_path(saga_id, step_id),
                operation: ChangeOp::Add,
                content_hash,
                previous_hash: None,
            };
            // Capacity was checked above; a change path longer than the audit limit (ids are
            // ≤ 256 bytes) cannot happen.
            let delta = self
                .audit_capture(agent, vec![change], ctx)
                .ok()
                .flatten()
                .map(|d| DeltaRef {
                    turn_id: d.turn_id,
                    delta_hash: d.delta_hash.clone(),
                });
            ctx.out.push(
                EventType::SagaStepCommitted,
                ctx.now,
                Some(&self.id),
                Some(agent),
                crate::payload!({"saga_id": saga_id, "step_id": step_id, "attempt": out.attempt,
                       "execute_api": execute_api, "locks_released": released,
                       "delta": delta}),
            );
            if let Some(goal) = goal {
                let e = self.saga_entry_mut(saga_id)?;
                let state = out.result.clone();
                let saved = e.checkpoints.save(
                    &e.saga,
                    step_id,
                    goal,
                    state,
                    ctx.now,
                    mint(IdKind::Checkpoint),
                )?;
                push_checkpoint_saved(&self.id, saga_id, step_id, Some(agent), &saved, ctx);
            }
        } else {
            ctx.out.push(
                EventType::SagaStepFailed,
                ctx.now,
                Some(&self.id),
                Some(agent),
                crate::payload!({"saga_id": saga_id, "step_id": step_id, "attempt": out.attempt,
                       "error": out.error, "timed_out": out.timed_out,
                       "final": out.final_failure, "retry_after_ms": out.retry_after_ms}),
            );
        }
        Ok(out)
    }
}

impl Hypervisor {
    /// `saga.step.begin`: the governed begin (API.md §4.5 order), enforcing retry delays.
    pub fn begin_step(&self, req: &StepBeginRequest) -> Result<BeginInfo> {
        self.begin_inner(req, false)
    }

    pub(super) fn begin_inner(&self, req: &StepBeginRequest, immediate: bool) -> Result<BeginInfo> {
        let cell = self.owner(Owned::Saga, &req.saga_id, "saga_id")?;
        crate::ids::validate_id(&req.step_id, "step_id")?;
        let b = self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            s.begin_step_governed(req, immediate, ctx)
        })?;
        Ok(BeginInfo {
            step_id: req.step_id.clone(),
            attempt: b.attempt,
            deadline: b.deadline,
            timeout_ms: b.timeout_ms,
        })
    }

    /// [`Self::begin_inner`] plus the step as the begin left it, under the same lock (what
    /// `run_step` hands the executor), written into `buf` when there is one.
    pub(super) fn begin_snapshot(
        &self,
        req: &StepBeginRequest,
        immediate: bool,
        buf: Option<Step>,
    ) -> Result<(Begun, Step)> {
        let cell = self.owner(Owned::Saga, &req.saga_id, "saga_id")?;
        crate::ids::validate_id(&req.step_id, "step_id")?;
        self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            s.begin_step_snapshot(req, immediate, buf, ctx)
        })
    }

    /// `saga.step.end`.
    pub fn end_step(&self, req: StepEndRequest) -> Result<EndOutcome> {
        let outcome = StepOutcome {
            ok: req.ok,
            result: req.result,
            error: req.error,
        };
        self.end_inner(&req.saga_id, &req.step_id, outcome, req.trace_id.as_deref())
    }

    pub(super) fn end_inner(
        &self,
        saga_id: &str,
        step_id: &str,
        outcome: StepOutcome,
        trace: Option<&str>,
    ) -> Result<EndOutcome> {
        self.with_saga(saga_id, trace, |s, ctx| {
            s.end_step_governed(saga_id, step_id, outcome, ctx)
        })
    }

    /// [`Self::end_inner`] (the outcome's `step_id` left empty) plus, unless the step goes
    /// back to pending for a retry, the step as the end left it, under the same lock, written
    /// into `step` (the copy the begin took: what `run_step` returns or reports).
    pub(super) fn end_snapshot(
        &self,
        saga_id: &str,
        step_id: &str,
        outcome: StepOutcome,
        trace: Option<&str>,
        step: &mut Step,
    ) -> Result<EndOutcome> {
        self.with_saga(saga_id, trace, |s, ctx| {
            s.end_step_snapshot(saga_id, step_id, outcome, step, ctx)
        })
    }
}
