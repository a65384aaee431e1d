//! Shared fixtures: a manual-clock engine, an active session with three agents, saga and step
//! builders, event queries.

use agent_hypervisor::engine::{StepBeginRequest, StepCall, StepOutcome};
use agent_hypervisor::{api, Error, Hypervisor};
use serde_json::{json, Value};

pub fn engine() -> Hypervisor {
    Hypervisor::new(api::parse_config(r#"{"clock":"manual"}"#).unwrap())
}

pub fn ok(hv: &Hypervisor, method: &str, req: Value) -> Value {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(e) => panic!("{method} {req}: {e:?}"),
    }
}

pub fn err(hv: &Hypervisor, method: &str, req: Value) -> Error {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => panic!("{method} {req} succeeded: {s}"),
        Err(e) => e,
    }
}

pub const A: &str = "did:ex:a";
pub const B: &str = "did:ex:b";
pub const C: &str = "did:ex:c";

/// An active session with agents a, b, c at σ 0.8 (ring 2).
pub fn session(hv: &Hypervisor, id: &str, isolation: &str) -> String {
    ok(
        hv,
        "session.create",
        json!({"creator_did": A, "session_id": id,
               "config": {"isolation_level": isolation}}),
    );
    for agent in [A, B, C] {
        ok(
            hv,
            "session.join",
            json!({"session_id": id, "agent_did": agent, "sigma_raw": 0.8,
                   "actions": [
                     {"action_id": "read", "name": "read", "execute_api": "/read",
                      "is_read_only": true},
                     {"action_id": "partial", "name": "partial", "execute_api": "/p",
                      "reversibility": "partial"}]}),
        );
    }
    ok(hv, "session.activate", json!({"session_id": id}));
    id.to_owned()
}

pub fn saga(hv: &Hypervisor, sid: &str, saga_id: &str) -> String {
    let s = ok(
        hv,
        "saga.create",
        json!({"session_id": sid, "saga_id": saga_id}),
    );
    assert_eq!(s["state"], "running");
    saga_id.to_owned()
}

/// A reversible step (undo_api → derived reversibility full → ring 2, ω 0.2).
pub fn step(hv: &Hypervisor, saga: &str, id: &str, agent: &str, extra: Value) -> Value {
    let mut req = json!({"saga_id": saga, "step_id": id, "action_id": format!("act-{id}"),
                         "agent_did": agent, "execute_api": format!("/do/{id}"),
                         "undo_api": format!("/undo/{id}")});
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if v.is_null() {
                r.remove(k);
            } else {
                r.insert(k.clone(), v.clone());
            }
        }
    }
    ok(hv, "saga.add_step", req)
}

pub fn begin_req(saga: &str, step: &str) -> StepBeginRequest {
    serde_json::from_value(json!({"saga_id": saga, "step_id": step})).unwrap()
}

pub fn events(hv: &Hypervisor, ty: &str) -> Vec<Value> {
    ok(hv, "events.query", json!({"event_type": ty}))["events"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn participant(hv: &Hypervisor, sid: &str, agent: &str) -> Value {
    let s = ok(hv, "session.get", json!({"session_id": sid}));
    s["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agent_did"] == agent)
        .unwrap()
        .clone()
}

pub fn succeed(c: &StepCall) -> StepOutcome {
    StepOutcome::success(Some(json!({"done": c.step.step_id()})))
}
