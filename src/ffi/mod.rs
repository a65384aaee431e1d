//! The C ABI (API.md §2). Every `unsafe` block of the crate lives in this module.
//!
//! Conventions: every function that can fail returns [`HvStatus`] and, when `out_json` is not
//! NULL, writes a caller-owned string (release with [`hv_string_free`]): the response on
//! `HV_OK`, else `{"error":{code,status,message,details}}`. Every export runs inside a panic
//! boundary: a panic becomes `HV_INTERNAL` (code `PANIC`) and the handle stays usable.

mod callbacks;
mod saga;
mod strings;
pub mod verify;

pub use callbacks::*;
pub use saga::*;

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::api;
use crate::engine::Hypervisor;
use crate::error::{Code, Error, Status};
use strings::{read_str, read_str_opt, write_out};

/// Status codes returned by every fallible function.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HvStatus {
    /// Success.
    HV_OK = 0,
    /// NULL pointer, bad UTF-8, malformed JSON, failed validation.
    HV_INVALID_ARGUMENT = 1,
    /// Unknown session, agent, saga, step, vouch, snapshot, method, ...
    HV_NOT_FOUND = 2,
    /// Lifecycle or state-machine violation.
    HV_INVALID_STATE = 3,
    /// Governance denial: ring, quarantine, killed, permission, breaker, admission.
    HV_DENIED = 4,
    /// Rate limit exceeded.
    HV_RATE_LIMITED = 5,
    /// Duplicate id, lock contention, deadlock, causal violation, circular vouch.
    HV_CONFLICT = 6,
    /// Capacity, exposure cap, size limits, table caps.
    HV_LIMIT_EXCEEDED = 7,
    /// A deadline passed.
    HV_TIMEOUT = 8,
    /// A saga step failed after its retries.
    HV_STEP_FAILED = 9,
    /// Storage errors (durable mode).
    HV_IO = 10,
    /// Integrity failure in stored or supplied audit data.
    HV_CORRUPT = 11,
    /// Bug or caught panic.
    HV_INTERNAL = 12,
}

impl From<Status> for HvStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Ok => HvStatus::HV_OK,
            Status::InvalidArgument => HvStatus::HV_INVALID_ARGUMENT,
            Status::NotFound => HvStatus::HV_NOT_FOUND,
            Status::InvalidState => HvStatus::HV_INVALID_STATE,
            Status::Denied => HvStatus::HV_DENIED,
            Status::RateLimited => HvStatus::HV_RATE_LIMITED,
            Status::Conflict => HvStatus::HV_CONFLICT,
            Status::LimitExceeded => HvStatus::HV_LIMIT_EXCEEDED,
            Status::Timeout => HvStatus::HV_TIMEOUT,
            Status::StepFailed => HvStatus::HV_STEP_FAILED,
            Status::Io => HvStatus::HV_IO,
            Status::Corrupt => HvStatus::HV_CORRUPT,
            Status::Internal => HvStatus::HV_INTERNAL,
        }
    }
}

/// Opaque engine handle. Thread-safe: any function may be called on it from any thread
/// concurrently. Created by [`hv_create`], released by [`hv_destroy`].
pub struct HvHypervisor {
    pub(crate) inner: Hypervisor,
}

/// Runs `f` inside the panic boundary and writes its outcome to `out_json`.
pub(crate) fn guard(
    out_json: *mut *mut c_char,
    f: impl FnOnce() -> Result<String, Error>,
) -> HvStatus {
    let r = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::new(
            Code::PANIC,
            format!("internal panic caught: {what}"),
        ))
    });
    match r {
        Ok(json) => {
            write_out(out_json, json);
            HvStatus::HV_OK
        }
        Err(e) => {
            write_out(out_json, e.to_json().to_string());
            e.status().into()
        }
    }
}

/// Borrows the engine behind a handle pointer.
fn engine<'a>(hv: *const HvHypervisor) -> Result<&'a Hypervisor, Error> {
    if hv.is_null() {
        return Err(Error::field(Code::NULL_POINTER, "hv", "handle is NULL"));
    }
    // SAFETY: a non-NULL `hv` was returned by `hv_create` and not yet destroyed (caller
    // contract); `HvHypervisor` is Sync, so shared references from many threads are fine.
    Ok(unsafe { &(*hv).inner })
}

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's semantic version as a static NUL-terminated string. Do not free.
#[no_mangle]
pub extern "C" fn hv_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The C ABI version: starts at 1 and is bumped on any incompatible header change.
#[no_mangle]
pub extern "C" fn hv_abi_version() -> u32 {
    crate::engine::ABI_VERSION
}

/// Creates an engine. `config_json` may be NULL or `""` for defaults (API.md §3). On success
/// `*out_hv` receives the handle (release with `hv_destroy`) and `*out_json` (if not NULL)
/// `{"abi_version":n,"version":"..."}`.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `out_hv` is a valid pointer;
/// `out_json` is NULL or a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn hv_create(
    config_json: *const c_char,
    out_hv: *mut *mut HvHypervisor,
    out_json: *mut *mut c_char,
) -> HvStatus {
    guard(out_json, || {
        if out_hv.is_null() {
            return Err(Error::field(
                Code::NULL_POINTER,
                "out_hv",
                "pointer is NULL",
            ));
        }
        // SAFETY: checked non-NULL above; caller guarantees it is writable.
        unsafe { *out_hv = std::ptr::null_mut() };
        let cfg_text = read_str_opt(config_json, "config_json")?.unwrap_or("");
        let cfg = api::parse_config(cfg_text)?;
        let hv = Box::new(HvHypervisor {
            inner: Hypervisor::new(cfg),
        });
        let resp = api::respond(&hv.inner.health())?;
        // SAFETY: as above.
        unsafe { *out_hv = Box::into_raw(hv) };
        Ok(resp)
    })
}

/// Destroys an engine and everything it holds. NULL is a no-op. No call on the handle may be
/// in flight or follow.
///
/// # Safety
/// `hv` is NULL or a handle from `hv_create` not yet destroyed.
#[no_mangle]
pub unsafe extern "C" fn hv_destroy(hv: *mut HvHypervisor) {
    if hv.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `hv` came from `Box::into_raw` in `hv_create` and is destroyed once.
        drop(unsafe { Box::from_raw(hv) });
    }));
}

/// Releases a string returned through an out-parameter. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hv_string_free(s: *mut c_char) {
    strings::free(s);
}

/// Generic dispatcher: `method` is one of API.md §4's names; any other name is
/// `HV_NOT_FOUND` with code `UNKNOWN_METHOD`. `request_json` may be NULL or `""` for `{}`.
///
/// # Safety
/// `hv` is a live handle; `method` a NUL-terminated string; `request_json` NULL or a
/// NUL-terminated string; `out_json` NULL or a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn hv_call(
    hv: *mut HvHypervisor,
    method: *const c_char,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    guard(out_json, || {
        let hv = engine(hv)?;
        let method = read_str(method, "method")?;
        let req = read_str_opt(request_json, "request_json")?.unwrap_or("");
        api::call(hv, method, req)
    })
}

fn shortcut(
    hv: *mut HvHypervisor,
    method: &str,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    guard(out_json, || {
        let hv = engine(hv)?;
        let req = read_str_opt(request_json, "request_json")?.unwrap_or("");
        api::call(hv, method, req)
    })
}

/// `session.create`: identical to `hv_call(hv, "session.create", request_json, out_json)`.
///
/// # Safety
/// As for `hv_call`.
#[no_mangle]
pub unsafe extern "C" fn hv_create_session(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    shortcut(hv, "session.create", request_json, out_json)
}

/// `session.join`: identical to `hv_call(hv, "session.join", request_json, out_json)`.
///
/// # Safety
/// As for `hv_call`.
#[no_mangle]
pub unsafe extern "C" fn hv_join_session(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    shortcut(hv, "session.join", request_json, out_json)
}

/// `session.activate`: identical to `hv_call(hv, "session.activate", request_json, out_json)`.
///
/// # Safety
/// As for `hv_call`.
#[no_mangle]
pub unsafe extern "C" fn hv_activate_session(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    shortcut(hv, "session.activate", request_json, out_json)
}

/// `session.terminate`: identical to `hv_call(hv, "session.terminate", request_json, out_json)`.
///
/// # Safety
/// As for `hv_call`.
#[no_mangle]
pub unsafe extern "C" fn hv_terminate(
    hv: *mut HvHypervisor,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    shortcut(hv, "session.terminate", request_json, out_json)
}

/// Thread-affine host pointer handed back to host callbacks. The host promises (API.md §2)
/// that its callbacks and `user_data` may be used from any thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub *mut c_void);
// SAFETY: the contract requires host callbacks and their user_data to be thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_panics_into_internal_and_handle_survives() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let st = guard(&mut out, || panic!("boom"));
        assert_eq!(st, HvStatus::HV_INTERNAL);
        // SAFETY: `out` was written by `guard` with a string from this library.
        let text = unsafe { std::ffi::CStr::from_ptr(out) }
            .to_str()
            .unwrap()
            .to_owned();
        // SAFETY: freed once.
        unsafe { hv_string_free(out) };
        assert!(text.contains("\"PANIC\"") && text.contains("boom"));

        let mut hv: *mut HvHypervisor = std::ptr::null_mut();
        // SAFETY: valid out-pointers; NULL config means defaults.
        let st = unsafe { hv_create(std::ptr::null(), &mut hv, std::ptr::null_mut()) };
        assert_eq!(st, HvStatus::HV_OK);
        let st = guard(std::ptr::null_mut(), || {
            let _ = engine(hv)?;
            panic!("inside a call")
        });
        assert_eq!(st, HvStatus::HV_INTERNAL);
        let st = guard(std::ptr::null_mut(), || {
            api::call(engine(hv)?, "health", "")
        });
        assert_eq!(st, HvStatus::HV_OK);
        // SAFETY: destroyed once.
        unsafe { hv_destroy(hv) };
    }

    #[test]
    fn status_values_match_the_contract() {
        assert_eq!(HvStatus::HV_INTERNAL as i32, 12);
        assert_eq!(HvStatus::from(Status::Conflict) as i32, 6);
    }
}
