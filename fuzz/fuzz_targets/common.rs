//! Shared by the fuzz targets: a fresh engine on a manual clock with small caps, a seeded
//! session, and C-ABI calls whose every response is checked against the contract.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use agent_hypervisor::ffi::{
    hv_call, hv_create, hv_destroy, hv_string_free, HvHypervisor, HvStatus,
};
use serde_json::Value;

/// Small caps so a fuzzing engine stays small; manual clock so runs are deterministic.
pub const CONFIG: &str = r#"{"clock":"manual","limits":{
  "max_sessions":8,"max_participants":16,"max_request_bytes":65536,"max_events":256,
  "max_rate_buckets":64,"max_vfs_bytes_per_session":65536,"max_vfs_files_per_session":32,
  "max_edit_log_per_session":64,"max_snapshots_per_session":4,"max_deltas_per_session":256,
  "max_sagas_per_session":16,"max_steps_per_saga":16,"max_vouches_per_session":32,
  "max_actions_per_session":32,"max_locks_per_session":32,"max_elevations_per_session":16,
  "max_breach_history":64,"max_ledger_agents":64,"max_ledger_entries_per_agent":32,
  "max_subscriptions":4,"max_history_records":32,"max_embedding_len":64}}"#;

/// An owned engine handle, destroyed on drop.
pub struct Engine(pub *mut HvHypervisor);

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle came from hv_create and is destroyed once.
        unsafe { hv_destroy(self.0) };
    }
}

const STATUS_NAMES: [&str; 13] = [
    "OK",
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "INVALID_STATE",
    "DENIED",
    "RATE_LIMITED",
    "CONFLICT",
    "LIMIT_EXCEEDED",
    "TIMEOUT",
    "STEP_FAILED",
    "IO",
    "CORRUPT",
    "INTERNAL",
];

/// Takes ownership of an out-string, checks it is JSON consistent with `st`, frees it.
/// Panics (a fuzzing crash) on `HV_INTERNAL`, a missing or non-JSON response, or an error
/// object whose status disagrees with the returned status.
pub fn take_response(st: HvStatus, out: *mut c_char, what: &str) -> Value {
    assert!(!out.is_null(), "{what}: no response string");
    // SAFETY: written by the library; freed below exactly once.
    let text = unsafe { CStr::from_ptr(out) }.to_str().map(str::to_owned);
    // SAFETY: as above.
    unsafe { hv_string_free(out) };
    let text = text.expect("responses are UTF-8");
    assert_ne!(st, HvStatus::HV_INTERNAL, "{what}: internal error {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    if st != HvStatus::HV_OK {
        let err = &v["error"];
        assert_eq!(
            err["status"].as_str(),
            Some(STATUS_NAMES[st as usize]),
            "{what}: {text}"
        );
        assert!(
            err["code"].is_string() && err["message"].is_string(),
            "{what}: {text}"
        );
        if err["status"] == "INVALID_ARGUMENT" && err["code"] != "NULL_POINTER" {
            // Every INVALID_ARGUMENT names its field, except whole-document problems.
            let named = err["details"]["field"].is_string();
            let whole = matches!(
                err["code"].as_str(),
                Some("MALFORMED_JSON" | "INVALID_UTF8" | "INVALID_DEFINITION")
            );
            assert!(
                named || whole,
                "{what}: INVALID_ARGUMENT without a field: {text}"
            );
        }
    }
    v
}

/// `hv_call` with raw bytes (no NUL inside). Returns the status and the parsed response.
pub fn call_bytes(hv: &Engine, method: &[u8], body: &[u8]) -> (HvStatus, Value) {
    let m = CString::new(method).expect("no NUL in method");
    let b = CString::new(body).expect("no NUL in body");
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: live handle, NUL-terminated strings, valid out-pointer.
    let st = unsafe { hv_call(hv.0, m.as_ptr(), b.as_ptr(), &mut out) };
    let what = String::from_utf8_lossy(method).into_owned();
    let v = take_response(st, out, &what);
    (st, v)
}

/// `hv_call` with a JSON value.
pub fn call(hv: &Engine, method: &str, body: &Value) -> (HvStatus, Value) {
    call_bytes(hv, method.as_bytes(), body.to_string().as_bytes())
}

/// A fresh engine with session `s` (active: `a` σ 0.9, `b` σ 0.7, `c` σ 0.3) and session
/// `h` (handshaking, `a` joined).
pub fn seeded_engine() -> Engine {
    let cfg = CString::new(CONFIG).unwrap();
    let mut hv: *mut HvHypervisor = ptr::null_mut();
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: valid config string and out-pointers.
    let st = unsafe { hv_create(cfg.as_ptr(), &mut hv, &mut out) };
    take_response(st, out, "hv_create");
    assert_eq!(st, HvStatus::HV_OK);
    let e = Engine(hv);
    let ok = |m: &str, b: Value| {
        let (st, v) = call(&e, m, &b);
        assert_eq!(st, HvStatus::HV_OK, "seed {m}: {v}");
    };
    use serde_json::json;
    ok(
        "session.create",
        json!({"creator_did": "did:c", "session_id": "s"}),
    );
    for (a, s) in [("a", 0.9), ("b", 0.7), ("c", 0.3)] {
        ok(
            "session.join",
            json!({"session_id": "s", "agent_did": a, "sigma_raw": s,
                   "actions": [{"action_id": "w", "name": "write", "execute_api": "/w",
                                "undo_api": "/u", "reversibility": "full"}]}),
        );
    }
    ok("session.activate", json!({"session_id": "s"}));
    ok(
        "session.create",
        json!({"creator_did": "did:c", "session_id": "h"}),
    );
    ok(
        "session.join",
        json!({"session_id": "h", "agent_did": "a", "sigma_raw": 0.8}),
    );
    e
}

/// Cross-checks engine-wide invariants through the API: `stats` agrees with the sessions'
/// participant lists, and the event log is strictly increasing with no gaps except drops.
pub fn check_invariants(hv: &Engine) {
    use serde_json::json;
    let (st, stats) = call(hv, "stats", &json!({}));
    assert_eq!(st, HvStatus::HV_OK);
    let (st, list) = call(hv, "session.list", &json!({}));
    assert_eq!(st, HvStatus::HV_OK);
    let sessions = list["sessions"].as_array().expect("sessions array");
    assert_eq!(stats["sessions"].as_u64(), Some(sessions.len() as u64));
    let active: u64 = sessions
        .iter()
        .flat_map(|s| s["participants"].as_array().into_iter().flatten())
        .filter(|p| p["is_active"] == true)
        .count() as u64;
    assert_eq!(stats["participants"].as_u64(), Some(active), "{stats}");
    for s in sessions {
        for p in s["participants"].as_array().into_iter().flatten() {
            for k in ["sigma", "sigma_eff"] {
                let v = p[k].as_f64().expect("σ is a number");
                assert!((0.0..=1.0).contains(&v), "{k} out of range: {p}");
            }
        }
    }
    let (st, page) = call(hv, "events.query", &json!({"limit": 10000}));
    assert_eq!(st, HvStatus::HV_OK);
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let dropped = page["dropped"].as_u64().unwrap();
    for (i, s) in seqs.iter().enumerate() {
        assert_eq!(*s, dropped + 1 + i as u64, "event sequence has a gap");
    }
    assert_eq!(stats["events"].as_u64(), Some(seqs.len() as u64));
}
