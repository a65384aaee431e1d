//! Helpers shared by the integration tests: an engine on a manual clock and JSON calls.
#![allow(dead_code)]

use agent_hypervisor::api;
use agent_hypervisor::config::{ClockKind, Config};
use agent_hypervisor::Hypervisor;
use serde_json::{json, Value};

/// An engine on a manual clock starting 2026-01-01T00:00:00Z.
pub fn engine() -> Hypervisor {
    Hypervisor::new(Config {
        clock: ClockKind::Manual,
        ..Config::default()
    })
}

/// An engine from a JSON config.
pub fn engine_with(cfg: Value) -> Hypervisor {
    Hypervisor::new(api::parse_config(&cfg.to_string()).expect("valid config"))
}

/// Calls a method that must succeed.
pub fn ok(hv: &Hypervisor, method: &str, req: Value) -> Value {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => serde_json::from_str(&s).expect("response is JSON"),
        Err(e) => panic!("{method} {req} failed: {e}"),
    }
}

/// Calls a method that must fail; returns the error code.
pub fn fail(hv: &Hypervisor, method: &str, req: Value) -> String {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => panic!("{method} {req} unexpectedly succeeded: {s}"),
        Err(e) => e.code().as_str().to_owned(),
    }
}

/// Calls a method that must fail; returns the full error object.
pub fn fail_json(hv: &Hypervisor, method: &str, req: Value) -> Value {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => panic!("{method} {req} unexpectedly succeeded: {s}"),
        Err(e) => e.to_json(),
    }
}

/// Creates session `sid` and joins `agents` as (did, σ), then activates it.
pub fn session(hv: &Hypervisor, sid: &str, agents: &[(&str, f64)]) {
    ok(
        hv,
        "session.create",
        json!({"creator_did": "did:t:creator", "session_id": sid}),
    );
    for (did, sigma) in agents {
        ok(
            hv,
            "session.join",
            json!({"session_id": sid, "agent_did": did, "sigma_raw": sigma}),
        );
    }
    ok(hv, "session.activate", json!({"session_id": sid}));
}

/// Advances the manual clock by `secs` seconds.
pub fn advance(hv: &Hypervisor, secs: f64) {
    ok(hv, "clock.advance", json!({ "seconds": secs }));
}

/// Events of one type, in order.
pub fn events_of(hv: &Hypervisor, ty: &str) -> Vec<Value> {
    ok(
        hv,
        "events.query",
        json!({"event_type": ty, "limit": 10000}),
    )["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Approximate float equality.
pub fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}
