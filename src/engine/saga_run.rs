//! The host executor loops (API.md §4.5): `hv_saga_step` ([`Hypervisor::run_step`]: begin →
//! executor → end, with retries) and the concurrent fan-out ([`Hypervisor::run_fan_out`]).
//!
//! Host executors are called with no engine lock held: every begin and end takes the session
//! lock only for its own bookkeeping, so an executor may call back into the engine (including
//! on the same session).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};

use super::saga_exec::{FanOutRunRequest, StepBeginRequest};
use super::sagas::resolve_group;
use super::{Hypervisor, Owned};
use crate::config::{FAN_OUT_MAX_CONCURRENCY, STEP_ERROR_MAX_BYTES};
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;
use crate::observability::events::EventType;
use crate::saga::fan_out::FanOutResult;
use crate::saga::{Step, StepState};

/// What a host executor is given for one attempt (or one undo).
#[derive(Debug, Clone)]
pub struct StepCall {
    /// The step as it is now (executing, or compensating for an undo).
    pub step: Step,
    /// 1-based attempt number (the step's attempts for an undo).
    pub attempt: u32,
    /// The attempt must end by this time (for an undo: advisory, `now + timeout_seconds`).
    pub deadline: Timestamp,
}

/// What a host executor reports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepOutcome {
    /// True for success.
    pub ok: bool,
    /// The result (kept on commit; ignored for an undo).
    pub result: Option<Value>,
    /// The failure message.
    pub error: Option<String>,
}

impl StepOutcome {
    /// Success with a result.
    pub fn success(result: Option<Value>) -> StepOutcome {
        StepOutcome {
            ok: true,
            result,
            error: None,
        }
    }

    /// Failure with a message.
    pub fn failure(error: impl Into<String>) -> StepOutcome {
        StepOutcome {
            ok: false,
            result: None,
            error: Some(error.into()),
        }
    }
}

/// One branch of a fan-out run.
#[derive(Debug, Clone, Serialize)]
pub struct BranchReport {
    /// The branch step.
    pub step_id: String,
    /// Its state after the run.
    pub state: Option<StepState>,
    /// Why it did not commit: `{code, status, message}` of the denial or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// `hv_saga_fan_out` response: the policy evaluation plus one report per branch.
#[derive(Debug, Clone, Serialize)]
pub struct FanOutRun {
    /// The policy evaluation after every branch ran.
    #[serde(flatten)]
    pub result: FanOutResult,
    /// Per-branch outcome, in group order.
    pub branches: Vec<BranchReport>,
}

/// Truncates a message to [`STEP_ERROR_MAX_BYTES`] at a character boundary.
pub(crate) fn clip_error(mut s: String) -> String {
    if s.len() > STEP_ERROR_MAX_BYTES {
        let mut end = STEP_ERROR_MAX_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Calls a host executor, turning a panic into a failure.
pub(crate) fn call_executor(
    exec: &mut dyn FnMut(&StepCall) -> StepOutcome,
    call: &StepCall,
) -> StepOutcome {
    catch_unwind(AssertUnwindSafe(|| exec(call)))
        .unwrap_or_else(|_| StepOutcome::failure("executor panicked"))
}

impl Hypervisor {
    /// `hv_saga_step`: begin → executor → end, with retries, returning the committed step.
    ///
    /// The executor runs on the calling thread with no engine lock held. A governance denial
    /// (or any begin error) is returned as is and the executor is not called. Between retries a
    /// system clock sleeps `attempt × retry_base_delay_ms`; a manual clock retries at once.
    /// A final failure is `STEP_FAILED` with the Step in `details.step`.
    pub fn run_step(
        &self,
        req: &StepBeginRequest,
        exec: &mut dyn FnMut(&StepCall) -> StepOutcome,
    ) -> Result<Step> {
        let manual = self.clock.is_manual();
        let trace = req.trace_id.as_deref();
        let mut first = true;
        // The copy of the step handed to the executor, kept up to date across attempts.
        let mut buf = None;
        loop {
            let (info, step) = match self.begin_snapshot(req, manual && !first, buf.take()) {
                Ok(i) => i,
                Err(e) if e.code() == Code::RETRY_NOT_DUE && !manual && !first => {
                    // Woke up a little early: wait out the rest.
                    let ms = e
                        .details()
                        .and_then(|d| d.get("retry_after_ms"))
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    self.clock.sleep_ms(ms);
                    continue;
                }
                Err(e) => return Err(e),
            };
            first = false;
            let mut call = StepCall {
                step,
                attempt: info.attempt,
                deadline: info.deadline,
            };
            let outcome = call_executor(exec, &call);
            let end =
                self.end_snapshot(&req.saga_id, &req.step_id, outcome, trace, &mut call.step)?;
            let step = call.step;
            match end.state {
                StepState::Committed => return Ok(step),
                StepState::Pending => {
                    let ms = end.retry_after_ms.unwrap_or(0);
                    self.clock.sleep_ms(i64::try_from(ms).unwrap_or(i64::MAX));
                    buf = Some(step);
                }
                _ => {
                    return Err(Error::new(
                        Code::STEP_FAILED,
                        format!(
                            "step '{}' of saga '{}' failed after {} attempt(s): {}",
                            req.step_id,
                            req.saga_id,
                            step.attempts(),
                            step.error().unwrap_or("failed")
                        ),
                    )
                    .with_detail("saga_id", req.saga_id.as_str())
                    .with_detail("step_id", req.step_id.as_str())
                    .with_detail("step", serde_json::to_value(&step).unwrap_or_default()));
                }
            }
        }
    }

    /// `hv_saga_fan_out`: runs every branch of the group as a governed step ([`Self::run_step`])
    /// concurrently on up to [`FAN_OUT_MAX_CONCURRENCY`] scoped worker threads, then evaluates
    /// the policy (`saga.fanout_resolved`). Returns `Ok` whether or not the policy held; branch
    /// denials and failures are reported per branch. `exec` must be thread-safe.
    pub fn run_fan_out(
        &self,
        req: &FanOutRunRequest,
        exec: &(dyn Fn(&StepCall) -> StepOutcome + Sync),
    ) -> Result<FanOutRun> {
        let cell = self.owner(Owned::Group, &req.group_id, "group_id")?;
        let trace = req.trace_id.as_deref();
        let step_ids = self.with_cell(&cell, trace, |s, ctx| {
            let g = s
                .groups
                .get(&req.group_id)
                .ok_or_else(|| Error::not_found(Code::GROUP_NOT_FOUND, "group", &req.group_id))?;
            if g.saga_id() != req.saga_id {
                return Err(Error::invalid(
                    "saga_id",
                    format!(
                        "group '{}' belongs to saga '{}', not '{}'",
                        req.group_id,
                        g.saga_id(),
                        req.saga_id
                    ),
                ));
            }
            let ids = g.step_ids().to_vec();
            ctx.out.push(
                EventType::SagaFanoutStarted,
                ctx.now,
                Some(&s.id),
                None,
                crate::payload!({"saga_id": g.saga_id(), "group_id": g.group_id(), "policy": g.policy(),
                       "step_ids": &ids, "run": true}),
            );
            Ok(ids)
        })?;
        let n = step_ids.len();
        let next = AtomicUsize::new(0);
        let reports: Mutex<Vec<Option<Error>>> = Mutex::new(vec![None; n]);
        let worker = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(step_id) = step_ids.get(i) else {
                break;
            };
            let branch = StepBeginRequest {
                saga_id: req.saga_id.clone(),
                step_id: step_id.clone(),
                has_consensus: req.has_consensus,
                has_sre_witness: req.has_sre_witness,
                trace_id: req.trace_id.clone(),
            };
            let r = self.run_step(&branch, &mut |c| exec(c));
            if let (Err(e), Some(slot)) = (r, reports.lock().get_mut(i)) {
                *slot = Some(e);
            }
        };
        std::thread::scope(|sc| {
            let mut spawned = 0;
            for k in 0..n.min(FAN_OUT_MAX_CONCURRENCY) {
                let b = std::thread::Builder::new().name(format!("hv-fanout-{k}"));
                if b.spawn_scoped(sc, worker).is_ok() {
                    spawned += 1;
                }
            }
            if spawned == 0 {
                worker();
            }
        });
        let errors = reports.into_inner();
        self.with_cell(&cell, trace, |s, ctx| {
            let result = resolve_group(s, &req.group_id, ctx)?;
            let saga = &s.saga_entry(&req.saga_id)?.saga;
            let branches = step_ids
                .iter()
                .zip(errors)
                .map(|(id, e)| BranchReport {
                    step_id: id.clone(),
                    state: saga.step(id).map(Step::state),
                    error: e.map(|e| {
                        json!({"code": e.code().as_str(), "status": e.status().as_str(),
                               "message": e.message()})
                    }),
                })
                .collect();
            Ok(FanOutRun { result, branches })
        })
    }
}
