//! Saga compensation and escalation (API.md §4.5) and `liability.attribute` (§4.4).
//!
//! Compensation undoes committed steps in reverse order. When the last undo is reported the
//! saga resolves: every undo succeeded → completed (`saga.completed`, `error` notes the
//! rollback); otherwise escalated: fault attribution over the saga's attempted steps
//! (`liability.fault_attributed`, one `fault_attributed` ledger entry per agent with a
//! non-zero share), then every agent whose compensation failed is slashed with ω = its
//! action's risk weight (`liability.slash_executed`, ledger, quarantine), then
//! `saga.escalated`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::saga_run::{call_executor, clip_error, StepCall, StepOutcome};
use super::state::Session;
use super::{Ctx, Hypervisor};
use crate::error::{Code, Error, Result};
use crate::ids::{mint, validate_id, IdKind};
use crate::liability::attribution::{attribute, AgentAction, AttributionResult};
use crate::liability::ledger::LedgerEntryType;
use crate::liability::quarantine::QuarantineReason;
use crate::liability::slashing::SlashResult;
use crate::model::Timestamp;
use crate::observability::events::EventType;
use crate::saga::{Saga, SagaState, Step, StepState};

crate::request! {
    /// `saga.compensate.end`.
    pub struct CompensateEndRequest {
        /// The compensating saga.
        pub saga_id: String,
        /// The compensating step.
        pub step_id: String,
        /// Whether the undo succeeded.
        pub ok: bool,
        /// Why it failed.
        pub error: Option<String>,
    }
}

crate::request! {
    /// `liability.attribute`: either `{saga_id}` or the explicit form.
    pub struct AttributeRequest {
        /// A saga with a failure (saga form).
        pub saga_id: Option<String>,
        /// The session (explicit form).
        pub session_id: Option<String>,
        /// agent → its actions (explicit form).
        pub agent_actions: Option<BTreeMap<String, Vec<AgentAction>>>,
        /// The step that failed (explicit form).
        pub failure_step_id: Option<String>,
        /// The agent whose action failed there (explicit form).
        pub failure_agent_did: Option<String>,
        /// agent → ω (default 0.5) (explicit form).
        pub risk_weights: Option<BTreeMap<String, f64>>,
    }
}

/// What an escalation did.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// The fault attribution (absent only if it could not run; see `errors`).
    pub attribution: Option<AttributionResult>,
    /// One slash per agent whose compensation failed.
    pub slashes: Vec<SlashResult>,
    /// Steps of the escalation that could not be applied (e.g. a killed agent cannot be
    /// slashed again).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// `saga.compensate.begin` response.
#[derive(Debug, Clone, Serialize)]
pub struct CompensationBegun {
    /// The saga.
    pub saga_id: String,
    /// Its state now: compensating, or completed / escalated when nothing was left to undo.
    pub state: SagaState,
    /// Steps to undo, in this order (reverse commit order), each compensating.
    pub steps: Vec<Step>,
    /// Committed steps without undo_api, now compensation_failed.
    pub unavailable: Vec<String>,
    /// Executing steps past their deadline, failed as timeouts.
    pub timed_out: Vec<String>,
    /// Present when the saga escalated at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

/// `saga.compensate.end` response: the Step plus the saga's progress.
#[derive(Debug, Clone, Serialize)]
pub struct CompensationEnded {
    /// The step reported.
    #[serde(flatten)]
    pub step: Step,
    /// Compensations still outstanding.
    pub remaining: usize,
    /// The saga's state now.
    pub saga_state: SagaState,
    /// Present when this report escalated the saga.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

/// `hv_saga_compensate` response: the final Saga plus the escalation, if any.
#[derive(Debug, Clone, Serialize)]
pub struct SagaOutcome {
    /// The saga.
    #[serde(flatten)]
    pub saga: Saga,
    /// Present when the saga escalated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

impl Session {
    fn compensate_begin_locked(
        &mut self,
        saga_id: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<CompensationBegun> {
        let start = self
            .saga_entry_mut(saga_id)?
            .saga
            .compensate_begin(ctx.now)?;
        for id in &start.timed_out {
            self.release_step_locks(saga_id, id);
            let saga = &self.saga_entry(saga_id)?.saga;
            let (agent, error, attempt) = saga
                .step(id)
                .map(|s| {
                    (
                        s.agent_did().to_owned(),
                        s.error().map(str::to_owned),
                        s.attempts(),
                    )
                })
                .unwrap_or_default();
            ctx.out.push(
                EventType::SagaStepFailed,
                ctx.now,
                Some(&self.id),
                Some(&agent),
                crate::payload!({"saga_id": saga_id, "step_id": id, "attempt": attempt, "error": error,
                       "timed_out": true, "final": true}),
            );
        }
        ctx.out.push(
            EventType::SagaCompensating,
            ctx.now,
            Some(&self.id),
            None,
            crate::payload!({"saga_id": saga_id, "step_ids": &start.step_ids,
                   "unavailable": &start.unavailable, "timed_out": &start.timed_out}),
        );
        let escalation = match start.resolved {
            Some(st) => self.on_resolved(saga_id, st, ctx),
            None => None,
        };
        let saga = &self.saga_entry(saga_id)?.saga;
        Ok(CompensationBegun {
            saga_id: saga_id.to_owned(),
            state: saga.state(),
            steps: start
                .step_ids
                .iter()
                .filter_map(|id| saga.step(id).cloned())
                .collect(),
            unavailable: start.unavailable,
            timed_out: start.timed_out,
            escalation,
        })
    }

    fn compensate_end_locked(
        &mut self,
        saga_id: &str,
        step_id: &str,
        ok: bool,
        error: Option<String>,
        ctx: &mut Ctx<'_>,
    ) -> Result<CompensationEnded> {
        let p = self.saga_entry_mut(saga_id)?.saga.compensate_end(
            step_id,
            ok,
            error.map(clip_error),
            ctx.now,
        )?;
        let agent = self
            .saga_entry(saga_id)?
            .saga
            .step(step_id)
            .map(|s| s.agent_did().to_owned());
        ctx.out.push(
            EventType::SagaCompensating,
            ctx.now,
            Some(&self.id),
            agent.as_deref(),
            crate::payload!({"saga_id": saga_id, "step_id": step_id, "state": p.state,
                   "remaining": p.remaining}),
        );
        let escalation = match p.resolved {
            Some(st) => self.on_resolved(saga_id, st, ctx),
            None => None,
        };
        let saga = &self.saga_entry(saga_id)?.saga;
        Ok(CompensationEnded {
            step: saga
                .step(step_id)
                .cloned()
                .ok_or_else(|| Error::new(Code::INTERNAL, "step vanished"))?,
            remaining: p.remaining,
            saga_state: saga.state(),
            escalation,
        })
    }

    /// Emits the resolution events; runs the escalation when the saga escalated.
    fn on_resolved(
        &mut self,
        saga_id: &str,
        state: SagaState,
        ctx: &mut Ctx<'_>,
    ) -> Option<Escalation> {
        if state == SagaState::Escalated {
            return Some(self.escalate(saga_id, ctx));
        }
        let error = self
            .saga_entry(saga_id)
            .ok()
            .and_then(|e| e.saga.error().map(str::to_owned));
        ctx.out.push(
            EventType::SagaCompleted,
            ctx.now,
            Some(&self.id),
            None,
            crate::payload!({"saga_id": saga_id, "state": state, "rolled_back": true, "error": error}),
        );
        None
    }

    /// Attribution, then one slash per agent whose compensation failed (ω = the highest risk
    /// weight among its failed compensations), then `saga.escalated`. Never fails: what could
    /// not be applied is listed in `errors`.
    fn escalate(&mut self, saga_id: &str, ctx: &mut Ctx<'_>) -> Escalation {
        let mut errors = Vec::new();
        let attribution = match self.attribute_saga(saga_id, ctx) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(format!("attribution: {}", e.message()));
                None
            }
        };
        // agent → (ω, failed steps), in DID order.
        let mut targets: BTreeMap<String, (f64, Vec<String>)> = BTreeMap::new();
        let mut saga_error = None;
        if let Ok(e) = self.saga_entry(saga_id) {
            saga_error = e.saga.error().map(str::to_owned);
            for t in e.saga.escalation_targets() {
                let omega = e
                    .saga
                    .step(&t.step_id)
                    .map_or(0.0, |s| self.step_action_profile(s).1);
                let slot = targets.entry(t.agent_did).or_insert((0.0, Vec::new()));
                slot.0 = slot.0.max(omega);
                slot.1.push(t.step_id);
            }
        }
        let mut slashes = Vec::new();
        for (agent, (omega, steps)) in &targets {
            let reason = format!(
                "compensation failed for step(s) {} of saga '{saga_id}'",
                steps.join(", ")
            );
            match self.slash_agent(
                agent,
                *omega,
                &reason,
                QuarantineReason::LiabilityViolation,
                ctx,
            ) {
                Ok(r) => slashes.push(r),
                Err(e) => errors.push(format!("slash of '{agent}': {}", e.message())),
            }
        }
        ctx.out.push(
            EventType::SagaEscalated,
            ctx.now,
            Some(&self.id),
            attribution.as_ref().map(|a| a.root_cause_agent.as_str()),
            crate::payload!({"saga_id": saga_id, "error": saga_error,
                   "attribution_id": attribution.as_ref().map(|a| a.attribution_id.as_str()),
                   "root_cause_agent": attribution.as_ref().map(|a| a.root_cause_agent.as_str()),
                   "slashed": targets.keys().collect::<Vec<_>>(), "errors": &errors}),
        );
        Escalation {
            attribution,
            slashes,
            errors,
        }
    }

    /// Fault attribution over a saga's attempted steps: risk weight of each agent = the highest
    /// ω among its attempted steps' actions. Records ledger entries and the event.
    fn attribute_saga(&self, saga_id: &str, ctx: &mut Ctx<'_>) -> Result<AttributionResult> {
        let saga = &self.saga_entry(saga_id)?.saga;
        let acts = saga.agent_actions();
        let (Some(fs), Some(fa)) = (acts.failure_step_id, acts.failure_agent_did) else {
            return Err(Error::new(
                Code::INVALID_SAGA_STATE,
                format!("saga '{saga_id}' has no failed step to attribute"),
            )
            .with_detail("saga_id", saga_id));
        };
        let mut risk: BTreeMap<String, f64> = BTreeMap::new();
        for s in saga.steps().iter().filter(|s| s.attempts() > 0) {
            let w = self.step_action_profile(s).1;
            let slot = risk.entry(s.agent_did().to_owned()).or_insert(w);
            *slot = slot.max(w);
        }
        let actions: BTreeMap<String, Vec<AgentAction>> = acts
            .agent_actions
            .into_iter()
            .map(|(did, v)| {
                let v = v
                    .into_iter()
                    .map(|a| AgentAction {
                        action_id: a.action_id,
                        step_id: a.step_id,
                        success: a.success,
                    })
                    .collect();
                (did, v)
            })
            .collect();
        let r = attribute(&actions, &fs, &fa, &risk, mint(IdKind::Attribution))?;
        self.record_attribution(&r, Some(saga_id), &fs, ctx);
        Ok(r)
    }

    /// Ledger entries (`fault_attributed`, severity = liability score, for every agent with a
    /// non-zero share) and `liability.fault_attributed`.
    fn record_attribution(
        &self,
        r: &AttributionResult,
        saga_id: Option<&str>,
        failure_step_id: &str,
        ctx: &mut Ctx<'_>,
    ) {
        let what = match saga_id {
            Some(id) => format!("failure at step '{failure_step_id}' of saga '{id}'"),
            None => format!("failure at step '{failure_step_id}'"),
        };
        for a in r.attributions.iter().filter(|a| a.liability_score > 0.0) {
            let related =
                (a.agent_did != r.root_cause_agent).then_some(r.root_cause_agent.as_str());
            self.ledger(
                ctx,
                &a.agent_did,
                LedgerEntryType::FaultAttributed,
                a.liability_score,
                &format!("fault attributed ({:.3}) for {what}", a.liability_score),
                related,
            );
        }
        ctx.out.push(
            EventType::FaultAttributed,
            ctx.now,
            Some(&self.id),
            Some(&r.root_cause_agent),
            crate::payload!({"saga_id": saga_id, "failure_step_id": failure_step_id,
                   "attribution_id": r.attribution_id, "root_cause_agent": r.root_cause_agent,
                   "attributions": r.attributions}),
        );
    }
}

impl Hypervisor {
    /// `saga.compensate.begin`.
    pub fn compensate_begin(
        &self,
        saga_id: &str,
        trace: Option<&str>,
    ) -> Result<CompensationBegun> {
        self.with_saga(saga_id, trace, |s, ctx| {
            s.compensate_begin_locked(saga_id, ctx)
        })
    }

    /// `saga.compensate.end`.
    pub fn compensate_end(&self, req: CompensateEndRequest) -> Result<CompensationEnded> {
        validate_id(&req.step_id, "step_id")?;
        let saga_id = req.saga_id.as_str();
        self.with_saga(saga_id, req.trace_id.as_deref(), |s, ctx| {
            s.compensate_end_locked(saga_id, &req.step_id, req.ok, req.error, ctx)
        })
    }

    /// `hv_saga_compensate`: begins compensation (or resumes one already begun) and calls
    /// `undo` for every step to undo, in reverse order, on the calling thread with no engine
    /// lock held; each outcome is reported (a failing or panicking undo → compensation_failed),
    /// so the saga always resolves. Returns the final Saga (+ escalation).
    pub fn run_compensate(
        &self,
        saga_id: &str,
        trace: Option<&str>,
        undo: &mut dyn FnMut(&StepCall) -> StepOutcome,
    ) -> Result<SagaOutcome> {
        let (steps, mut escalation) = self.with_saga(saga_id, trace, |s, ctx| {
            let saga = &s.saga_entry(saga_id)?.saga;
            match saga.state() {
                SagaState::Running => {
                    let b = s.compensate_begin_locked(saga_id, ctx)?;
                    Ok((b.steps, b.escalation))
                }
                SagaState::Compensating => {
                    // Resume: the steps still compensating, latest first.
                    let open = saga
                        .steps()
                        .iter()
                        .rev()
                        .filter(|st| st.state() == StepState::Compensating)
                        .cloned()
                        .collect();
                    Ok((open, None))
                }
                st => Err(Error::new(
                    Code::INVALID_SAGA_STATE,
                    format!(
                        "saga '{saga_id}' is {}, must be running or compensating",
                        st.as_str()
                    ),
                )
                .with_detail("saga_id", saga_id)
                .with_detail("state", st.as_str())),
            }
        })?;
        for step in steps {
            let deadline = self
                .clock
                .now()
                .plus_micros(i64::from(step.timeout_seconds()) * Timestamp::MICROS_PER_SEC);
            let step_id = step.step_id().to_owned();
            let call = StepCall {
                attempt: step.attempts(),
                deadline,
                step,
            };
            let out = call_executor(undo, &call);
            let error = if out.ok {
                None
            } else {
                Some(out.error.unwrap_or_else(|| "undo failed".to_owned()))
            };
            // An error here means someone else already reported this step: nothing is left
            // open by skipping it.
            if let Ok(ended) = self.with_saga(saga_id, trace, |s, ctx| {
                s.compensate_end_locked(saga_id, &step_id, out.ok, error, ctx)
            }) {
                if ended.escalation.is_some() {
                    escalation = ended.escalation;
                }
            }
        }
        Ok(SagaOutcome {
            saga: self.get_saga(saga_id)?,
            escalation,
        })
    }

    /// `liability.attribute`: `{saga_id}` (the saga's attempted steps, risk weights from their
    /// actions) or `{session_id, agent_actions, failure_step_id, failure_agent_did,
    /// risk_weights?}` (every agent must be a participant of the session). Records
    /// `fault_attributed` ledger entries and `liability.fault_attributed`.
    pub fn liability_attribute(&self, req: AttributeRequest) -> Result<AttributionResult> {
        let trace = req.trace_id.as_deref();
        match (&req.saga_id, &req.session_id) {
            (Some(saga_id), None) => {
                for (field, given) in [
                    ("agent_actions", req.agent_actions.is_some()),
                    ("failure_step_id", req.failure_step_id.is_some()),
                    ("failure_agent_did", req.failure_agent_did.is_some()),
                    ("risk_weights", req.risk_weights.is_some()),
                ] {
                    if given {
                        return Err(Error::invalid(
                            field,
                            "only with the explicit form ({session_id, ...}), not with saga_id",
                        ));
                    }
                }
                self.with_saga(saga_id, trace, |s, ctx| s.attribute_saga(saga_id, ctx))
            }
            (None, Some(session_id)) => {
                let missing =
                    |f: &str| Error::field(Code::MISSING_FIELD, f, "required with session_id");
                let actions = req
                    .agent_actions
                    .as_ref()
                    .ok_or_else(|| missing("agent_actions"))?;
                let fs = req
                    .failure_step_id
                    .as_deref()
                    .ok_or_else(|| missing("failure_step_id"))?;
                let fa = req
                    .failure_agent_did
                    .as_deref()
                    .ok_or_else(|| missing("failure_agent_did"))?;
                validate_id(fs, "failure_step_id")?;
                validate_id(fa, "failure_agent_did")?;
                for did in actions.keys() {
                    validate_id(did, &format!("agent_actions.{did}"))?;
                }
                let empty = BTreeMap::new();
                let risk = req.risk_weights.as_ref().unwrap_or(&empty);
                self.with_session(session_id, trace, |s, ctx| {
                    for did in actions.keys() {
                        s.member(did)
                            .map_err(|e| e.with_detail("field", format!("agent_actions.{did}")))?;
                    }
                    let r = attribute(actions, fs, fa, risk, mint(IdKind::Attribution))?;
                    s.record_attribution(&r, None, fs, ctx);
                    Ok(r)
                })
            }
            (Some(_), Some(_)) => Err(Error::invalid(
                "saga_id",
                "give either saga_id or session_id, not both",
            )),
            (None, None) => Err(Error::field(
                Code::MISSING_FIELD,
                "saga_id",
                "one of saga_id or session_id is required",
            )),
        }
    }
}
