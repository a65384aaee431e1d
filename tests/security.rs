//! Dynamic rings and security through the JSON API: elevation, child rings, rate limits,
//! the breach breaker, the kill switch, subscriptions and causal traces.

mod common;

use std::sync::{Arc, Mutex};

use agent_hypervisor::observability::events::EventFilter;
use common::*;
use serde_json::{json, Value};

fn elevate(hv: &agent_hypervisor::Hypervisor, agent: &str, target: u8, extra: Value) -> Value {
    let mut r = json!({"session_id": "s", "agent_did": agent, "target_ring": target});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            r[k] = v;
        }
    }
    match agent_hypervisor::api::call(hv, "ring.elevate", &r.to_string()) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(e) => e.to_json(),
    }
}

#[test]
fn every_elevation_denial_in_order() {
    let hv = engine();
    session(&hv, "s", &[("hi", 0.9), ("mid", 0.62), ("low", 0.45)]);
    let reason = |v: &Value| {
        v["error"]["details"]["reason"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(
        reason(&elevate(&hv, "hi", 0, json!({}))),
        "ring_0_forbidden"
    );
    assert_eq!(reason(&elevate(&hv, "hi", 2, json!({}))), "invalid_target");
    assert_eq!(reason(&elevate(&hv, "hi", 3, json!({}))), "invalid_target");
    assert_eq!(
        reason(&elevate(&hv, "mid", 1, json!({"attestation": "sre"}))),
        "insufficient_trust"
    );
    assert_eq!(
        reason(&elevate(&hv, "low", 2, json!({}))),
        "insufficient_trust"
    );
    assert_eq!(reason(&elevate(&hv, "hi", 1, json!({}))), "no_sponsorship");
    let e = elevate(
        &hv,
        "hi",
        1,
        json!({"attestation": "sre-42", "ttl_seconds": 99999}),
    );
    assert_eq!(e["elevated_ring"], 1, "{e}");
    assert_eq!(
        e["expires_at"], "2026-01-01T01:00:00.000000Z",
        "TTL clamped to 3600 s"
    );
    assert_eq!(
        reason(&elevate(&hv, "hi", 1, json!({"attestation": "x"}))),
        "duplicate_elevation"
    );
    let d = elevate(&hv, "hi", 0, json!({}));
    assert_eq!(d["error"]["code"], "ELEVATION_DENIED");
    assert_eq!(d["error"]["status"], "DENIED");
}

#[test]
fn elevation_counts_everywhere_and_expires_without_a_tick() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.9)]);
    let e = elevate(
        &hv,
        "a",
        1,
        json!({"attestation": "sre", "ttl_seconds": 60}),
    );
    let check = json!({"session_id": "s", "agent_did": "a", "has_consensus": true,
        "action": {"action_id": "p", "name": "p", "execute_api": "/p"}});
    // σ 0.9 < 0.95: the ring-1 check fails on σ_eff even though the ring is elevated.
    let c = ok(&hv, "ring.check", check.clone());
    assert_eq!(c["agent_ring"], 1);
    assert_eq!(c["allowed"], false);
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"][0]["effective_ring"], 1);
    assert_eq!(
        ok(
            &hv,
            "security.rate_stats",
            json!({"session_id": "s", "agent_did": "a"})
        )["ring"],
        1
    );
    let list = ok(&hv, "ring.elevations", json!({"session_id": "s"}));
    assert_eq!(list["elevations"].as_array().unwrap().len(), 1);
    advance(&hv, 60.0);
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"][0]["effective_ring"], 2);
    assert_eq!(events_of(&hv, "ring.elevation_expired").len(), 1);
    ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(
        events_of(&hv, "ring.elevation_expired").len(),
        1,
        "reported once"
    );
    assert!(
        ok(&hv, "ring.elevations", json!({"session_id": "s"}))["elevations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Revoke of a live elevation.
    let e2 = elevate(&hv, "a", 1, json!({"attestation": "sre"}));
    ok(
        &hv,
        "ring.revoke",
        json!({"elevation_id": e2["elevation_id"]}),
    );
    assert_eq!(
        fail(
            &hv,
            "ring.revoke",
            json!({"elevation_id": e["elevation_id"]})
        ),
        "ELEVATION_NOT_FOUND"
    );
}

#[test]
fn child_ring_is_capped_by_parent() {
    let hv = engine();
    session(&hv, "s", &[("parent", 0.8), ("kid", 0.99)]);
    let r = ok(
        &hv,
        "ring.register_child",
        json!({"session_id": "s", "parent_did": "parent", "child_did": "kid"}),
    );
    assert_eq!(r["ring"], 3);
    let r = ok(
        &hv,
        "ring.register_child",
        json!({"session_id": "s", "parent_did": "parent", "child_did": "newkid"}),
    );
    assert_eq!(r["ring"], 3);
}

#[test]
fn ring3_eleventh_request_refused_and_refills() {
    let hv = engine();
    session(&hv, "s", &[("sand", 0.4)]);
    let req = json!({"session_id": "s", "agent_did": "sand"});
    for i in 0..10 {
        let r = ok(&hv, "security.rate_check", req.clone());
        assert!(close(&r["tokens_remaining"], 9.0 - i as f64), "{r}");
    }
    let e = fail_json(&hv, "security.rate_check", req.clone());
    assert_eq!(e["error"]["code"], "RATE_LIMITED");
    assert_eq!(e["error"]["status"], "RATE_LIMITED");
    assert_eq!(events_of(&hv, "security.rate_limited").len(), 1);
    advance(&hv, 0.2); // 5/s → one token
    ok(&hv, "security.rate_check", req.clone());
    fail(&hv, "security.rate_check", req.clone());
    let st = ok(&hv, "security.rate_stats", req);
    assert_eq!(st["total_requests"], 13);
    assert_eq!(st["rejected_requests"], 2);
    assert_eq!(st["capacity"], 10.0);
}

#[test]
fn bucket_cap_fails_closed() {
    let hv = engine_with(json!({"clock": "manual", "limits": {"max_rate_buckets": 2}}));
    session(&hv, "s", &[("a", 0.8), ("b", 0.8), ("c", 0.8)]);
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "b"}),
    );
    let e = fail_json(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "c"}),
    );
    assert_eq!(e["error"]["code"], "CAPACITY_EXCEEDED");
    assert_eq!(e["error"]["status"], "LIMIT_EXCEEDED");
    // Leaving frees a bucket.
    ok(
        &hv,
        "session.leave",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "c"}),
    );
}

#[test]
fn breaker_trips_on_the_fifth_privileged_call_and_resets_after_30s() {
    let hv = engine_with(json!({"clock": "manual", "auto_quarantine": false}));
    session(&hv, "s", &[("a", 0.8)]);
    let priv_check = json!({"session_id": "s", "agent_did": "a",
        "action": {"action_id": "p", "name": "p", "execute_api": "/p"}});
    for _ in 0..4 {
        ok(&hv, "ring.check", priv_check.clone());
        assert_eq!(
            ok(
                &hv,
                "ring.breaker",
                json!({"session_id": "s", "agent_did": "a"})
            )["tripped"],
            false
        );
    }
    ok(&hv, "ring.check", priv_check.clone());
    let b = ok(
        &hv,
        "ring.breaker",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    assert_eq!(b["tripped"], true, "{b}");
    assert_eq!(b["window_calls"], 5);
    let ev = events_of(&hv, "ring.breach_detected");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["payload"]["severity"], "critical");
    // Critical: demoted to ring 3 (auto_quarantine is off here).
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"][0]["ring"], 3);
    assert_eq!(s["participants"][0]["quarantined"], false);
    advance(&hv, 30.0);
    let b = ok(
        &hv,
        "ring.breaker",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    assert_eq!(b["tripped"], false);
    // Manual reset clears the window.
    ok(&hv, "ring.check", priv_check);
    let b = ok(
        &hv,
        "ring.reset_breaker",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    assert_eq!(b["window_calls"], 0);
}

#[test]
fn critical_breach_quarantines_with_auto_quarantine() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.8)]);
    let priv_check = json!({"session_id": "s", "agent_did": "a",
        "action": {"action_id": "p", "name": "p", "execute_api": "/p"}});
    for _ in 0..5 {
        ok(&hv, "ring.check", priv_check.clone());
    }
    let q = events_of(&hv, "liability.quarantine_entered");
    assert_eq!(q[0]["payload"]["reason"], "ring_breach");
    assert_eq!(
        fail(
            &hv,
            "ring.elevate",
            json!({"session_id": "s", "agent_did": "a", "target_ring": 2})
        ),
        "AGENT_QUARANTINED"
    );
}

#[test]
fn kill_denies_everything_after() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.8), ("b", 0.8)]);
    ok(
        &hv,
        "security.substitute",
        json!({"session_id": "s", "agent_did": "b", "available": true}),
    );
    let k = ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "a", "reason": "manual", "details": "test"}),
    );
    assert_eq!(k["terminated"], true);
    assert!(k["kill_id"].as_str().unwrap().starts_with("kill:"));
    assert_eq!(k["handoffs"], json!([]));
    for (m, r) in [
        (
            "ring.check",
            json!({"session_id": "s", "agent_did": "a", "action_id": "x"}),
        ),
        (
            "security.rate_check",
            json!({"session_id": "s", "agent_did": "a"}),
        ),
        (
            "liability.vouch",
            json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "b"}),
        ),
        (
            "ring.elevate",
            json!({"session_id": "s", "agent_did": "a", "target_ring": 2}),
        ),
        (
            "security.kill",
            json!({"session_id": "s", "agent_did": "a", "reason": "manual"}),
        ),
        (
            "session.leave",
            json!({"session_id": "s", "agent_did": "a"}),
        ),
        (
            "session.join",
            json!({"session_id": "s", "agent_did": "a", "sigma_raw": 0.9}),
        ),
    ] {
        assert_eq!(fail(&hv, m, r), "AGENT_KILLED", "{m}");
    }
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"][0]["killed"], true);
    assert_eq!(s["participants"][0]["is_active"], false);
    assert_eq!(events_of(&hv, "security.agent_killed").len(), 1);
    // A killed agent gets no clean_session entry.
    ok(&hv, "session.terminate", json!({"session_id": "s"}));
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "a"}));
    assert_eq!(l["profile"]["clean_session_count"], 0);
}

#[test]
fn subscriber_reenters_and_traces_propagate() {
    let hv = Arc::new(engine());
    session(&hv, "s", &[("a", 0.8)]);
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let (h2, seen2) = (Arc::clone(&hv), Arc::clone(&seen));
    hv.events()
        .subscribe(
            EventFilter {
                event_types: None,
                session_id: Some("s".into()),
                agent_did: Some("a".into()),
            },
            Arc::new(move |e: &str| {
                let v: Value = serde_json::from_str(e).unwrap();
                // Re-enter the handle from inside the callback: no deadlock.
                let _ = agent_hypervisor::api::call(&h2, "session.get", r#"{"session_id":"s"}"#)
                    .unwrap();
                seen2.lock().unwrap().push(v);
            }),
        )
        .unwrap();
    let t = ok(&hv, "trace.new", json!({}))["trace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "a", "cost": 10.0, "trace_id": t}),
    );
    assert!(
        fail(
            &hv,
            "security.rate_check",
            json!({"session_id": "s", "agent_did": "a", "cost": 500.0})
        ) == "INVALID_ARGUMENT"
    );
    let q = ok(
        &hv,
        "liability.quarantine",
        json!({"session_id": "s", "agent_did": "a", "reason": "manual", "trace_id": t}),
    );
    assert_eq!(q["reason"], "manual");
    let seen = seen.lock().unwrap();
    let ev = seen
        .iter()
        .find(|e| e["event_type"] == "liability.quarantine_entered")
        .unwrap();
    let span = ev["causal_trace_id"].as_str().unwrap();
    let parts: Vec<&str> = span.split('/').collect();
    let root: Vec<&str> = t.split('/').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], root[0], "same trace");
    assert_eq!(parts[2], root[1], "parent is the request's span");
    let c = ok(&hv, "trace.child", json!({"trace_id": t}))["trace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(c.starts_with(root[0]));
}

#[test]
fn session_expires_after_max_duration() {
    let hv = engine();
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "s", "config": {"max_duration_seconds": 10}}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "a", "sigma_raw": 0.8}),
    );
    ok(&hv, "session.activate", json!({"session_id": "s"}));
    advance(&hv, 9.0);
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    advance(&hv, 1.0);
    assert_eq!(
        fail(
            &hv,
            "session.join",
            json!({"session_id": "s", "agent_did": "b", "sigma_raw": 0.8})
        ),
        "INVALID_SESSION_STATE"
    );
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["state"], "archived");
    let ev = events_of(&hv, "session.archived");
    assert_eq!(ev[0]["payload"]["cause"], "max_duration_seconds elapsed");
    // The agent finished cleanly.
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "a"}));
    assert_eq!(l["profile"]["clean_session_count"], 1);
}

#[test]
fn kill_hands_steps_to_a_substitute_or_marks_compensation() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.8), ("sub", 0.8), ("c", 0.8)]);
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g"}),
    );
    for (id, agent) in [("s1", "a"), ("s2", "a"), ("s3", "c")] {
        ok(
            &hv,
            "saga.add_step",
            json!({"saga_id": "g", "step_id": id, "action_id": id, "agent_did": agent,
                   "execute_api": "/x", "undo_api": "/u"}),
        );
    }
    // s1 is executing when a is killed; s2 is pending.
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "g", "step_id": "s1"}),
    );
    ok(
        &hv,
        "security.substitute",
        json!({"session_id": "s", "agent_did": "sub", "available": true}),
    );
    let k = ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "a", "reason": "behavioral_drift"}),
    );
    assert_eq!(k["handoff_success_count"], 2, "{k}");
    assert_eq!(k["compensation_triggered"], false);
    assert_eq!(k["handoffs"][0]["to_agent"], "sub");
    assert_eq!(k["handoffs"][0]["status"], "handed_off");
    assert_eq!(events_of(&hv, "security.saga_handoff").len(), 2);
    let g = ok(&hv, "saga.get", json!({"saga_id": "g"}));
    assert_eq!(g["steps"][0]["agent_did"], "sub");
    assert_eq!(g["steps"][0]["state"], "pending");
    assert_eq!(g["steps"][1]["agent_did"], "sub");
    // The killed agent's late result is refused; the substitute can run the step.
    assert_eq!(
        fail(
            &hv,
            "saga.step.end",
            json!({"saga_id": "g", "step_id": "s1", "ok": true})
        ),
        "INVALID_STEP_STATE"
    );
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "g", "step_id": "s1"}),
    );
    ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": "g", "step_id": "s1", "ok": true}),
    );

    // Without a substitute the saga is marked for compensation.
    ok(
        &hv,
        "security.substitute",
        json!({"session_id": "s", "agent_did": "sub", "available": false}),
    );
    let k = ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "c", "reason": "manual"}),
    );
    assert_eq!(k["handoff_success_count"], 0);
    assert_eq!(k["compensation_triggered"], true);
    assert_eq!(k["handoffs"][0]["status"], "compensation_required");
    assert!(k["handoffs"][0].get("to_agent").is_none());
    let g = ok(&hv, "saga.get", json!({"saga_id": "g"}));
    assert_eq!(g["compensation_required"], true);
    assert_eq!(
        fail(
            &hv,
            "saga.step.begin",
            json!({"saga_id": "g", "step_id": "s2"})
        ),
        "INVALID_SAGA_STATE"
    );
    let c = ok(&hv, "saga.compensate.begin", json!({"saga_id": "g"}));
    assert_eq!(c["steps"][0]["step_id"], "s1");
}
