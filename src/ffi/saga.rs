//! Saga execution with host executors: `hv_saga_step`, `hv_saga_compensate`,
//! `hv_saga_fan_out` and the `HvStepContext` accessors.
//!
//! Thin adapters over [`Hypervisor::run_step`], [`Hypervisor::run_compensate`] and
//! [`Hypervisor::run_fan_out`]: the loops, governance and retries live in the engine. Executors
//! are called with no engine lock held, so they may call back into the same handle.

use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::Value;

use super::strings::read_str_opt;
use super::{engine, guard, HvHypervisor, HvStatus, UserData};
use crate::api::{self, parse_request, SagaIdReq};
use crate::config::STEP_ERROR_MAX_BYTES;
use crate::engine::{FanOutRunRequest, Hypervisor, StepBeginRequest, StepCall, StepOutcome};
use crate::error::{Code, Error};
use crate::model::Timestamp;

/// Opaque per-callback context of a step executor: valid only during the callback it was
/// passed to, on that callback's thread. Holds the attempt's deadline and the result / error
/// slots written by `hv_step_set_result` / `hv_step_set_error`.
pub struct HvStepContext {
    hv: *const Hypervisor,
    deadline: Timestamp,
    max_result_bytes: usize,
    result: Option<Value>,
    error: Option<String>,
    invalid: Option<String>,
}

/// A step executor (or undo callback). `step_json` is the Step object of API.md §4.5,
/// borrowed for the call. Return 0 for success (optionally after `hv_step_set_result`) and
/// non-zero for failure (optionally after `hv_step_set_error`). Runs with no engine lock held,
/// so it may call back into the handle; fan-out executors run on engine worker threads and
/// must be thread-safe.
pub type HvStepFn = Option<
    unsafe extern "C" fn(
        ctx: *mut HvStepContext,
        step_json: *const c_char,
        user_data: *mut c_void,
    ) -> i32,
>;

type StepFnPtr =
    unsafe extern "C" fn(ctx: *mut HvStepContext, step_json: *const c_char, ud: *mut c_void) -> i32;

/// Runs one host callback for `call` and collects its outcome. An invalid result (see
/// `hv_step_set_result`) fails the attempt whatever the return code.
fn invoke(hv: &Hypervisor, f: StepFnPtr, ud: UserData, call: &StepCall) -> StepOutcome {
    let json = match crate::api::json::to_vec(&call.step, 512) {
        Ok(j) => j,
        Err(e) => return StepOutcome::failure(format!("step serialisation failed: {e}")),
    };
    let Ok(step_json) = CString::new(json) else {
        return StepOutcome::failure("step JSON contained a NUL byte");
    };
    let mut ctx = HvStepContext {
        hv,
        deadline: call.deadline,
        max_result_bytes: hv.config().limits.max_request_bytes,
        result: None,
        error: None,
        invalid: None,
    };
    // SAFETY: `f` is the host's executor (non-NULL, checked by the caller); `ctx` and
    // `step_json` outlive the call; `ud.0` is the host's own pointer, passed back untouched.
    let rc = unsafe { f(&mut ctx, step_json.as_ptr(), ud.0) };
    if let Some(why) = ctx.invalid {
        return StepOutcome::failure(why);
    }
    if rc == 0 {
        StepOutcome::success(ctx.result)
    } else {
        StepOutcome::failure(
            ctx.error
                .unwrap_or_else(|| format!("executor returned {rc}")),
        )
    }
}

fn require_fn(f: HvStepFn, field: &str) -> Result<StepFnPtr, Error> {
    f.ok_or_else(|| Error::field(Code::NULL_POINTER, field, "callback is NULL"))
}

/// The shared body of the executor entry points, inside the panic guard: parse the request,
/// require the callback (`field` names it), then run `body` with an executor that calls it.
fn with_executor<T: serde::de::DeserializeOwned + api::Traced>(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    callback: HvStepFn,
    field: &str,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
    body: impl FnOnce(
        &Hypervisor,
        T,
        &(dyn Fn(&StepCall) -> StepOutcome + Sync),
    ) -> Result<String, Error>,
) -> HvStatus {
    guard(out_json, || {
        let hv = engine(hv)?;
        let req: T = parse_request(
            hv,
            read_str_opt(request_json, "request_json")?.unwrap_or(""),
        )?;
        let f = require_fn(callback, field)?;
        let ud = UserData(user_data);
        body(hv, req, &|call| invoke(hv, f, ud, call))
    })
}

/// Runs a saga step with a host executor: `saga.step.begin` → `execute` → `saga.step.end`,
/// retrying while attempts remain (a system clock sleeps `attempt × retry_base_delay_ms`
/// between attempts; a manual clock retries at once). `request_json` is `{saga_id, step_id,
/// has_consensus?, has_sre_witness?}`. On `HV_OK` `*out_json` is the committed Step. A final
/// failure is `HV_STEP_FAILED` with the Step in `details.step`; a governance denial returns
/// its own status (`HV_DENIED`, `HV_RATE_LIMITED`, `HV_CONFLICT`, ...) without calling
/// `execute`. `execute` runs on the calling thread with no engine lock held.
///
/// # Safety
/// `hv` is a live handle; `request_json` NULL or NUL-terminated; `execute` a valid function;
/// `out_json` NULL or a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn hv_saga_step(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    execute: HvStepFn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> HvStatus {
    with_executor(
        hv,
        request_json,
        execute,
        "execute",
        user_data,
        out_json,
        |hv, req: StepBeginRequest, exec| api::respond(&hv.run_step(&req, &mut |c| exec(c))?),
    )
}

/// Compensates a saga with a host undo callback: `saga.compensate.begin` (or resumes a saga
/// already compensating), then `undo` for each committed step in reverse order, each outcome
/// reported with `saga.compensate.end`. A failing undo (non-zero) marks the step
/// compensation_failed; the saga always resolves: completed, or escalated (fault attribution,
/// slashes). `request_json` is `{saga_id}`. On `HV_OK` `*out_json` is the final Saga plus
/// `escalation` when it escalated. `undo` runs on the calling thread with no engine lock held;
/// `hv_step_remaining_ms` counts down the step's timeout from the undo's start (advisory).
///
/// # Safety
/// As for `hv_saga_step`.
#[no_mangle]
pub unsafe extern "C" fn hv_saga_compensate(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    undo: HvStepFn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> HvStatus {
    with_executor(
        hv,
        request_json,
        undo,
        "undo",
        user_data,
        out_json,
        |hv, req: SagaIdReq, exec| {
            let trace = req.trace_id.as_deref();
            api::respond(&hv.run_compensate(&req.saga_id, trace, &mut |c| exec(c))?)
        },
    )
}

/// Runs every branch of a fan-out group as a governed step (as `hv_saga_step`), concurrently
/// on engine worker threads (at most 16 at once), then evaluates the group's policy.
/// `request_json` is `{saga_id, group_id, has_consensus?, has_sre_witness?}`. Returns `HV_OK`
/// whether or not the policy held: `{group_id, policy, policy_satisfied, success_count,
/// failure_count, pending_count, settled, compensation_needed, branches:[{step_id, state,
/// error?}]}`. `execute` must be thread-safe.
///
/// # Safety
/// As for `hv_saga_step`; additionally `execute` and `user_data` must be usable from any
/// thread concurrently.
#[no_mangle]
pub unsafe extern "C" fn hv_saga_fan_out(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    execute: HvStepFn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> HvStatus {
    with_executor(
        hv,
        request_json,
        execute,
        "execute",
        user_data,
        out_json,
        |hv, req: FanOutRunRequest, exec| api::respond(&hv.run_fan_out(&req, exec)?),
    )
}

/// Sets the result of the running attempt (copied; the last call wins). `result_json` must be
/// valid JSON of at most `limits.max_request_bytes`: anything else (invalid JSON or UTF-8, too
/// large) makes the attempt fail with an error naming the problem, even if the executor
/// returns 0. NULL clears a result set earlier. A NULL `ctx` is a no-op.
///
/// # Safety
/// `ctx` is NULL or the context passed to the running callback, used on its thread;
/// `result_json` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn hv_step_set_result(ctx: *mut HvStepContext, result_json: *const c_char) {
    if ctx.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: a non-NULL `ctx` is the live context of the running callback (contract),
        // used only on that thread, so this is the only reference.
        let ctx = unsafe { &mut *ctx };
        ctx.invalid = None;
        ctx.result = None;
        let text = match read_str_opt(result_json, "result_json") {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => {
                ctx.invalid = Some(format!("hv_step_set_result: {}", e.message()));
                return;
            }
        };
        if text.len() > ctx.max_result_bytes {
            ctx.invalid = Some(format!(
                "hv_step_set_result: result is {} bytes, at most {} (limits.max_request_bytes)",
                text.len(),
                ctx.max_result_bytes
            ));
            return;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => ctx.result = Some(v),
            Err(e) => ctx.invalid = Some(format!("hv_step_set_result: invalid JSON: {e}")),
        }
    }));
}

/// Sets the failure message of the running attempt (copied; invalid UTF-8 is replaced,
/// messages over 4096 bytes are truncated; the last call wins). NULL clears it. A NULL `ctx`
/// is a no-op.
///
/// # Safety
/// `ctx` is NULL or the context passed to the running callback, used on its thread;
/// `message` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn hv_step_set_error(ctx: *mut HvStepContext, message: *const c_char) {
    if ctx.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `hv_step_set_result`.
        let ctx = unsafe { &mut *ctx };
        ctx.error = if message.is_null() {
            None
        } else {
            // SAFETY: a non-NULL `message` is NUL-terminated and lives for this call.
            let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
            let mut end = text.len().min(STEP_ERROR_MAX_BYTES);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            Some(text[..end].to_owned())
        };
    }));
}

/// Milliseconds left before the running attempt's deadline, read from the engine clock
/// (manual or system); ≤ 0 once past it. A NULL `ctx` returns 0.
///
/// # Safety
/// `ctx` is NULL or the context passed to the running callback.
#[no_mangle]
pub unsafe extern "C" fn hv_step_remaining_ms(ctx: *const HvStepContext) -> i64 {
    if ctx.is_null() {
        return 0;
    }
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: a non-NULL `ctx` is the live context of the running callback; its `hv`
        // points to the engine running the step, alive for the whole callback.
        let (hv, deadline) = unsafe { (&*(*ctx).hv, (*ctx).deadline) };
        hv.now().millis_until(deadline)
    }))
    .unwrap_or(0)
}
