//! Host callbacks: trust provider and event subscriptions.
//!
//! Callbacks are invoked with no engine lock held, so they may call back into the same handle.
//! Strings passed to them are borrowed for the duration of the call only.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::strings::read_str_opt;
use super::{engine, guard, HvHypervisor, HvStatus, UserData};
use crate::error::{Code, Error};
use crate::observability::events::EventFilter;

/// Trust scoring provider (Nexus-style), asked on every `session.join`. Return 0 and write
/// `*out_sigma` in [0,1] to answer; non-zero (or a value outside [0,1]) means "unknown".
/// When the join request also gives `sigma_raw`, the lower of the two wins. `context_json`
/// is `{"session_id","sigma_raw","sigma_hint"}`. Called on the joining thread with no engine
/// lock held; it must be thread-safe.
pub type HvTrustFn = Option<
    unsafe extern "C" fn(
        agent_did: *const c_char,
        context_json: *const c_char,
        user_data: *mut c_void,
        out_sigma: *mut f64,
    ) -> i32,
>;

/// Event callback: `event_json` is one event exactly as in `events.query`, borrowed for the
/// call. Runs on the thread that caused the event, after the engine released its locks; it
/// must not block for long and may call back into the handle.
pub type HvEventFn =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

/// Installs the trust provider; a NULL `provider` clears it. `user_data` is passed back on
/// every call and must stay valid until the provider is replaced or the engine destroyed.
///
/// # Safety
/// `hv` is a live handle; `provider` is NULL or a function safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn hv_set_trust_provider(
    hv: *mut HvHypervisor,
    provider: HvTrustFn,
    user_data: *mut c_void,
) -> HvStatus {
    guard(std::ptr::null_mut(), || {
        let hv = engine(hv)?;
        let ud = UserData(user_data);
        let p = provider.map(|f| {
            let call = move |agent: &str, ctx: &str| -> Option<f64> {
                let a = CString::new(agent).ok()?;
                let c = CString::new(ctx).ok()?;
                let mut sigma = f64::NAN;
                let ud = ud;
                // SAFETY: `f` is the host's provider; the strings live for the call and
                // `sigma` is a valid out-pointer.
                let rc = unsafe { f(a.as_ptr(), c.as_ptr(), ud.0, &mut sigma) };
                (rc == 0 && sigma.is_finite() && (0.0..=1.0).contains(&sigma)).then_some(sigma)
            };
            Arc::new(call) as crate::engine::TrustProvider
        });
        hv.set_trust_provider(p);
        Ok(String::new())
    })
}

/// Subscribes to events matching `filter_json` (`{event_types?, session_id?, agent_did?}`;
/// NULL or `""` for all). `*out_subscription` receives the id for `hv_unsubscribe`.
///
/// # Safety
/// `hv` is a live handle; `filter_json` NULL or NUL-terminated; `on_event` safe to call from
/// any thread; `out_subscription` valid.
#[no_mangle]
pub unsafe extern "C" fn hv_subscribe(
    hv: *mut HvHypervisor,
    filter_json: *const c_char,
    on_event: HvEventFn,
    user_data: *mut c_void,
    out_subscription: *mut u64,
) -> HvStatus {
    guard(std::ptr::null_mut(), || {
        let hv = engine(hv)?;
        if out_subscription.is_null() {
            return Err(Error::field(
                Code::NULL_POINTER,
                "out_subscription",
                "pointer is NULL",
            ));
        }
        let f = on_event
            .ok_or_else(|| Error::field(Code::NULL_POINTER, "on_event", "callback is NULL"))?;
        let filter: EventFilter =
            crate::api::parse_value(read_str_opt(filter_json, "filter_json")?.unwrap_or(""))?;
        let ud = UserData(user_data);
        let cb = move |json: &str| {
            if let Ok(c) = CString::new(json) {
                let ud = ud;
                // SAFETY: host callback; the string lives for the call.
                unsafe { f(c.as_ptr(), ud.0) };
            }
        };
        let id = hv.events().subscribe(filter, Arc::new(cb))?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_subscription = id };
        Ok(String::new())
    })
}

/// Removes a subscription. After it returns the callback is not called for new events.
///
/// # Safety
/// `hv` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn hv_unsubscribe(hv: *mut HvHypervisor, subscription: u64) -> HvStatus {
    guard(std::ptr::null_mut(), || {
        engine(hv)?.events().unsubscribe(subscription)?;
        Ok(String::new())
    })
}
