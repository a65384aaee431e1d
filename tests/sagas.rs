//! Sagas as governed transactions (API.md §4.5): the JSON methods and the native executor
//! loops (`run_step`, `run_compensate`, `run_fan_out`) that the C entry points adapt.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agent_hypervisor::engine::{FanOutRunRequest, StepBeginRequest, StepCall, StepOutcome};
use agent_hypervisor::{api, Code, Error, Hypervisor, Status};
use serde_json::{json, Value};

fn engine() -> Hypervisor {
    Hypervisor::new(api::parse_config(r#"{"clock":"manual"}"#).unwrap())
}

fn ok(hv: &Hypervisor, method: &str, req: Value) -> Value {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(e) => panic!("{method} {req}: {e:?}"),
    }
}

fn err(hv: &Hypervisor, method: &str, req: Value) -> Error {
    match api::call(hv, method, &req.to_string()) {
        Ok(s) => panic!("{method} {req} succeeded: {s}"),
        Err(e) => e,
    }
}

const A: &str = "did:ex:a";
const B: &str = "did:ex:b";
const C: &str = "did:ex:c";

/// An active session with agents a, b, c at σ 0.8 (ring 2).
fn session(hv: &Hypervisor, id: &str, isolation: &str) -> String {
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

fn saga(hv: &Hypervisor, sid: &str, saga_id: &str) -> String {
    let s = ok(
        hv,
        "saga.create",
        json!({"session_id": sid, "saga_id": saga_id}),
    );
    assert_eq!(s["state"], "running");
    saga_id.to_owned()
}

/// A reversible step (undo_api → derived reversibility full → ring 2, ω 0.2).
fn step(hv: &Hypervisor, saga: &str, id: &str, agent: &str, extra: Value) -> Value {
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

fn begin_req(saga: &str, step: &str) -> StepBeginRequest {
    serde_json::from_value(json!({"saga_id": saga, "step_id": step})).unwrap()
}

fn events(hv: &Hypervisor, ty: &str) -> Vec<Value> {
    ok(hv, "events.query", json!({"event_type": ty}))["events"]
        .as_array()
        .unwrap()
        .clone()
}

fn participant(hv: &Hypervisor, sid: &str, agent: &str) -> Value {
    let s = ok(hv, "session.get", json!({"session_id": sid}));
    s["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agent_did"] == agent)
        .unwrap()
        .clone()
}

fn succeed(c: &StepCall) -> StepOutcome {
    StepOutcome::success(Some(json!({"done": c.step.step_id()})))
}

#[test]
fn happy_path_commits_audits_checkpoints_and_completes() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "a1", A, json!({}));
    step(&hv, &sg, "b1", B, json!({"checkpoint_goal": "b done"}));
    let minted = step(&hv, &sg, "x", C, json!({"step_id": null}));
    let c1 = minted["step_id"].as_str().unwrap().to_owned();
    assert!(c1.starts_with("step:"), "{c1}");
    assert_eq!(minted["state"], "pending");
    assert_eq!(minted["timeout_seconds"], 300);

    for id in ["a1", "b1", c1.as_str()] {
        let mut seen = Vec::new();
        let st = hv
            .run_step(&begin_req(&sg, id), &mut |c| {
                seen.push((c.attempt, c.step.state().as_str().to_owned()));
                succeed(c)
            })
            .unwrap();
        assert_eq!(seen, vec![(1, "executing".to_owned())]);
        assert_eq!(st.state().as_str(), "committed");
        assert_eq!(st.result().unwrap()["done"], id);
    }
    let got = ok(&hv, "saga.get", json!({"saga_id": sg}));
    assert!(got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["state"] == "committed" && s["attempts"] == 1));
    assert_eq!(events(&hv, "saga.step_started").len(), 3);
    assert_eq!(events(&hv, "saga.step_committed").len(), 3);
    assert_eq!(events(&hv, "audit.delta_captured").len(), 3);
    let ck = events(&hv, "saga.checkpoint_saved");
    assert_eq!(ck.len(), 1);
    assert_eq!(ck[0]["payload"]["step_id"], "b1");
    assert_eq!(ck[0]["session_id"], "s1");
    let plan = ok(&hv, "saga.replay_plan", json!({"saga_id": sg}));
    assert_eq!(plan["step_ids"], json!(["a1", c1]));

    assert_eq!(ok(&hv, "stats", json!({}))["active_sagas"], 1);
    let done = ok(&hv, "saga.complete", json!({"saga_id": sg}));
    assert_eq!(done["state"], "completed");
    assert!(done["completed_at"].is_string());
    assert_eq!(ok(&hv, "stats", json!({}))["active_sagas"], 0);
    assert_eq!(events(&hv, "saga.completed").len(), 1);
    let list = ok(&hv, "saga.list", json!({"session_id": sid}));
    assert_eq!(list["sagas"].as_array().unwrap().len(), 1);
}

#[test]
fn retry_then_success_counts_attempts() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "r", A, json!({"max_retries": 2}));
    let mut calls = 0;
    let st = hv
        .run_step(&begin_req(&sg, "r"), &mut |c| {
            calls += 1;
            assert_eq!(c.attempt, calls);
            if calls < 3 {
                StepOutcome::failure(format!("flaky {calls}"))
            } else {
                succeed(c)
            }
        })
        .unwrap();
    assert_eq!(calls, 3);
    assert_eq!(st.attempts(), 3);
    assert_eq!(st.retry_count(), 2);
    assert_eq!(st.state().as_str(), "committed");
    let failed = events(&hv, "saga.step_failed");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["payload"]["final"], false);
    assert_eq!(failed[1]["payload"]["retry_after_ms"], 2000);
}

#[test]
fn begin_enforces_the_retry_delay_under_a_manual_clock() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "r", A, json!({"max_retries": 1}));
    let b = ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": sg, "step_id": "r"}),
    );
    assert_eq!(b["attempt"], 1);
    assert_eq!(b["timeout_ms"], 300_000);
    let e = ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": sg, "step_id": "r", "ok": false, "error": "nope"}),
    );
    assert_eq!(e["state"], "pending");
    assert_eq!(e["retry_after_ms"], 1000);
    let e = err(
        &hv,
        "saga.step.begin",
        json!({"saga_id": sg, "step_id": "r"}),
    );
    assert_eq!(e.code(), Code::RETRY_NOT_DUE);
    assert_eq!(e.details().unwrap()["retry_after_ms"], 1000);
    ok(&hv, "clock.advance", json!({"ms": 999}));
    let e = err(
        &hv,
        "saga.step.begin",
        json!({"saga_id": sg, "step_id": "r"}),
    );
    assert_eq!(e.details().unwrap()["retry_after_ms"], 1);
    ok(&hv, "clock.advance", json!({"ms": 1}));
    let b = ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": sg, "step_id": "r"}),
    );
    assert_eq!(b["attempt"], 2);
    let e = ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": sg, "step_id": "r", "ok": false}),
    );
    assert_eq!(e["state"], "failed");
    // Final failure: the saga stays running until compensation begins.
    assert_eq!(
        ok(&hv, "saga.get", json!({"saga_id": sg}))["state"],
        "running"
    );
}

#[test]
fn late_result_is_a_timeout_and_is_discarded() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "t", A, json!({"timeout_seconds": 10}));
    let mut calls = 0;
    let e = hv
        .run_step(&begin_req(&sg, "t"), &mut |c| {
            calls += 1;
            // Re-enters the handle from inside the executor: no engine lock is held.
            ok(&hv, "clock.advance", json!({"seconds": 11}));
            StepOutcome::success(Some(json!({"late": c.attempt})))
        })
        .unwrap_err();
    assert_eq!(calls, 1);
    assert_eq!(e.code(), Code::STEP_FAILED);
    assert_eq!(e.status(), Status::StepFailed);
    let st = &e.details().unwrap()["step"];
    assert_eq!(st["state"], "failed");
    assert!(st["error"].as_str().unwrap().contains("timeout"), "{st}");
    assert!(st.get("result").is_none(), "{st}");
    let failed = events(&hv, "saga.step_failed");
    assert_eq!(failed[0]["payload"]["timed_out"], true);
}

#[test]
fn ring_denial_never_calls_the_executor() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    // No undo_api and not registered: derived reversibility none → ring 1 needed.
    step(&hv, &sg, "irrev", A, json!({"undo_api": null}));
    let mut calls = 0;
    let e = hv
        .run_step(&begin_req(&sg, "irrev"), &mut |c| {
            calls += 1;
            succeed(c)
        })
        .unwrap_err();
    assert_eq!(calls, 0);
    assert_eq!(e.code(), Code::RING_DENIED);
    assert_eq!(e.status(), Status::Denied);
    let check = &e.details().unwrap()["check"];
    assert_eq!(check["allowed"], false);
    assert_eq!(check["required_ring"], 1);
    assert_eq!(check["agent_ring"], 2);
    let st = ok(&hv, "saga.get", json!({"saga_id": sg}))["steps"][0].clone();
    assert_eq!(st["state"], "pending");
    assert_eq!(st["attempts"], 0);
    assert!(events(&hv, "saga.step_started").is_empty());
    // The registry wins over derivation: a registered read-only action needs ring 3 only.
    step(
        &hv,
        &sg,
        "ro",
        A,
        json!({"action_id": "read", "undo_api": null}),
    );
    hv.run_step(&begin_req(&sg, "ro"), &mut succeed).unwrap();
}

#[test]
fn quarantined_agent_is_denied_before_the_breaker() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "q", A, json!({}));
    // Five calls to a ring-0 action from ring 2: critical breach → breaker, demotion,
    // quarantine (auto_quarantine).
    for _ in 0..5 {
        let r = ok(
            &hv,
            "ring.check",
            json!({"session_id": sid, "agent_did": A,
                   "action": {"action_id": "admin", "name": "admin", "execute_api": "/root",
                              "is_admin": true}}),
        );
        assert_eq!(r["allowed"], false);
    }
    assert_eq!(participant(&hv, &sid, A)["quarantined"], true);
    let mut calls = 0;
    let e = hv
        .run_step(&begin_req(&sg, "q"), &mut |c| {
            calls += 1;
            succeed(c)
        })
        .unwrap_err();
    assert_eq!(calls, 0);
    assert_eq!(e.code(), Code::AGENT_QUARANTINED);
    assert_eq!(e.status(), Status::Denied);
}

/// Three committed steps (a1, b1, c1) and a fourth (c2) failed for good.
fn failed_saga(hv: &Hypervisor, sid: &str, sg: &str) {
    saga(hv, sid, sg);
    step(hv, sg, "a1", A, json!({}));
    step(hv, sg, "b1", B, json!({}));
    step(hv, sg, "c1", C, json!({}));
    step(hv, sg, "c2", C, json!({}));
    for id in ["a1", "b1", "c1"] {
        hv.run_step(&begin_req(sg, id), &mut succeed).unwrap();
    }
    let e = hv
        .run_step(&begin_req(sg, "c2"), &mut |_| StepOutcome::failure("boom"))
        .unwrap_err();
    assert_eq!(e.code(), Code::STEP_FAILED);
}

#[test]
fn compensation_runs_in_reverse_order_and_completes() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    failed_saga(&hv, &sid, "saga-1");
    let mut order = Vec::new();
    let out = hv
        .run_compensate("saga-1", None, &mut |c| {
            assert_eq!(c.step.state().as_str(), "compensating");
            order.push(c.step.step_id().to_owned());
            StepOutcome::success(None)
        })
        .unwrap();
    assert_eq!(order, ["c1", "b1", "a1"]);
    assert!(out.escalation.is_none());
    let saga = serde_json::to_value(&out).unwrap();
    assert_eq!(saga["state"], "completed");
    assert!(saga["error"].as_str().unwrap().contains("rolled back"));
    let states: Vec<&str> = saga["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["compensated", "compensated", "compensated", "failed"]
    );
    assert_eq!(events(&hv, "saga.completed").len(), 1);
    assert!(!events(&hv, "saga.compensating").is_empty());
    assert!(events(&hv, "liability.slash_executed").is_empty());
}

#[test]
fn failed_undo_escalates_attributes_and_slashes() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    failed_saga(&hv, &sid, "saga-1");
    let out = hv
        .run_compensate("saga-1", None, &mut |c| {
            if c.step.step_id() == "b1" {
                StepOutcome::failure("undo refused")
            } else {
                StepOutcome::success(None)
            }
        })
        .unwrap();
    let j = serde_json::to_value(&out).unwrap();
    assert_eq!(j["state"], "escalated");
    assert_eq!(j["steps"][1]["state"], "compensation_failed");
    assert_eq!(j["steps"][1]["error"], "undo refused");
    let esc = &j["escalation"];
    let attrs = esc["attribution"]["attributions"].as_array().unwrap();
    assert_eq!(attrs.len(), 3, "every attempted agent is attributed");
    let total: f64 = attrs
        .iter()
        .map(|a| a["liability_score"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert!(esc["attribution"]["attribution_id"]
        .as_str()
        .unwrap()
        .starts_with("attr:"));
    // Only the agent whose undo failed is slashed, with ω of its action (full → 0.2).
    let slashes = esc["slashes"].as_array().unwrap();
    assert_eq!(slashes.len(), 1);
    assert_eq!(slashes[0]["vouchee_did"], B);
    assert_eq!(slashes[0]["vouchee_sigma_after"], 0.0);
    let b = participant(&hv, &sid, B);
    assert_eq!(b["sigma"], 0.0);
    assert_eq!(b["quarantined"], true);
    assert_eq!(participant(&hv, &sid, A)["sigma"], 0.8);
    assert_eq!(events(&hv, "liability.slash_executed").len(), 1);
    assert_eq!(events(&hv, "liability.fault_attributed").len(), 1);
    let escalated = events(&hv, "saga.escalated");
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["payload"]["slashed"], json!([B]));
    let ledger = ok(&hv, "liability.ledger", json!({"agent_did": B}));
    let entries = ledger["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["entry_type"] == "slash_received" && e["severity"] == 0.2),
        "{ledger}"
    );
    assert!(entries
        .iter()
        .any(|e| e["entry_type"] == "fault_attributed"));
    assert_eq!(ledger["profile"]["slash_count"], 1);
    // The ledger remembers: B now carries risk into its next admission.
    ok(
        &hv,
        "session.create",
        json!({"creator_did": B, "session_id": "s2"}),
    );
    let j = ok(
        &hv,
        "session.join",
        json!({"session_id": "s2", "agent_did": B, "sigma_raw": 0.8}),
    );
    assert!(j["admission"]["risk_score"].as_f64().unwrap() > 0.1, "{j}");
    // The saga form of liability.attribute repeats the analysis.
    let r = ok(&hv, "liability.attribute", json!({"saga_id": "saga-1"}));
    assert_eq!(r["attributions"].as_array().unwrap().len(), 3);
}

#[test]
fn undo_that_fails_at_once_still_resolves_and_registry_omega_is_used() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    // Registered as partial (ring 2, ω 0.65), no undo_api: cannot be compensated.
    step(
        &hv,
        &sg,
        "p",
        A,
        json!({"action_id": "partial", "undo_api": null}),
    );
    step(&hv, &sg, "b1", B, json!({}));
    hv.run_step(&begin_req(&sg, "p"), &mut succeed).unwrap();
    hv.run_step(&begin_req(&sg, "b1"), &mut succeed).unwrap();
    let mut calls = 0;
    let out = hv
        .run_compensate(&sg, None, &mut |_| {
            calls += 1;
            StepOutcome::default()
        })
        .unwrap();
    assert_eq!(calls, 1, "a step without undo_api is never called");
    let j = serde_json::to_value(&out).unwrap();
    assert_eq!(j["state"], "escalated");
    assert!(j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["state"] == "compensation_failed"));
    let slashes = j["escalation"]["slashes"].as_array().unwrap();
    assert_eq!(slashes.len(), 2);
    let reason_a = slashes.iter().find(|s| s["vouchee_did"] == A).unwrap()["reason"].clone();
    assert!(
        reason_a.as_str().unwrap().contains("step(s) p "),
        "{reason_a}"
    );
    let ev = events(&hv, "liability.slash_executed");
    assert_eq!(ev.len(), 2);
    // Compensation is over: a second run is refused.
    let e = hv.run_compensate(&sg, None, &mut |_| StepOutcome::default());
    assert_eq!(e.unwrap_err().code(), Code::INVALID_SAGA_STATE);
}

#[test]
fn compensate_begin_end_by_hand() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    failed_saga(&hv, &sid, "saga-1");
    let b = ok(&hv, "saga.compensate.begin", json!({"saga_id": "saga-1"}));
    assert_eq!(b["state"], "compensating");
    let ids: Vec<&str> = b["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "b1", "a1"]);
    let e = err(&hv, "saga.compensate.begin", json!({"saga_id": "saga-1"}));
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    for (i, id) in ids.iter().enumerate() {
        let r = ok(
            &hv,
            "saga.compensate.end",
            json!({"saga_id": "saga-1", "step_id": id, "ok": true}),
        );
        assert_eq!(r["state"], "compensated");
        assert_eq!(r["remaining"], 2 - i);
    }
    assert_eq!(
        ok(&hv, "saga.get", json!({"saga_id": "saga-1"}))["state"],
        "completed"
    );
}

fn fan_out_saga(hv: &Hypervisor, sid: &str, sg: &str) -> String {
    saga(hv, sid, sg);
    for (id, agent) in [("b0", A), ("b1", B), ("b2", C)] {
        step(hv, sg, id, agent, json!({}));
    }
    let g = ok(
        hv,
        "saga.fan_out.create",
        json!({"saga_id": sg, "policy": "majority_must_succeed",
               "step_ids": ["b0", "b1", "b2"]}),
    );
    let gid = g["group_id"].as_str().unwrap().to_owned();
    assert!(gid.starts_with("group:"));
    gid
}

#[test]
fn fan_out_majority_runs_branches_concurrently() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let gid = fan_out_saga(&hv, &sid, "saga-1");
    let running = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let exec = |c: &StepCall| {
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        running.fetch_sub(1, Ordering::SeqCst);
        if c.step.step_id() == "b2" {
            StepOutcome::failure("branch down")
        } else {
            succeed(c)
        }
    };
    let req: FanOutRunRequest =
        serde_json::from_value(json!({"saga_id": "saga-1", "group_id": gid})).unwrap();
    let r = serde_json::to_value(hv.run_fan_out(&req, &exec).unwrap()).unwrap();
    assert!(
        peak.load(Ordering::SeqCst) >= 2,
        "branches ran one at a time"
    );
    assert_eq!(r["policy_satisfied"], true);
    assert_eq!(r["success_count"], 2);
    assert_eq!(r["failure_count"], 1);
    assert_eq!(r["compensation_needed"], json!([]));
    assert_eq!(r["branches"][2]["error"]["code"], "STEP_FAILED");
    assert_eq!(events(&hv, "saga.fanout_resolved").len(), 1);

    // One of three: not satisfied; the committed branch is listed for compensation.
    let gid = fan_out_saga(&hv, &sid, "saga-2");
    let req: FanOutRunRequest =
        serde_json::from_value(json!({"saga_id": "saga-2", "group_id": gid})).unwrap();
    let exec = |c: &StepCall| {
        if c.step.step_id() == "b0" {
            succeed(c)
        } else {
            StepOutcome::failure("down")
        }
    };
    let r = serde_json::to_value(hv.run_fan_out(&req, &exec).unwrap()).unwrap();
    assert_eq!(r["policy_satisfied"], false);
    assert_eq!(r["success_count"], 1);
    assert_eq!(r["failure_count"], 2);
    assert_eq!(r["compensation_needed"], json!(["b0"]));
    // The same evaluation through the JSON method.
    let again = ok(&hv, "saga.fan_out.resolve", json!({"group_id": gid}));
    assert_eq!(again["policy_satisfied"], false);
    // A group of another saga is refused.
    let req: FanOutRunRequest =
        serde_json::from_value(json!({"saga_id": "saga-1", "group_id": gid})).unwrap();
    let e = hv.run_fan_out(&req, &exec).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "saga_id");
}

#[test]
fn dsl_validation_lists_every_error_and_define_creates_groups() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let bad = json!({"definition": {
        "session_id": sid,
        "steps": [
            {"id": "a", "action_id": "x", "agent": A, "execute_api": "/a"},
            {"id": "a", "action_id": "x", "agent": B, "execute_api": "/b"},
            {"id": "c", "agent": C, "execute_api": "/c"}],
        "fan_out": [
            {"policy": "most_must_succeed", "branches": ["a", "c"]},
            {"policy": "any_must_succeed", "branches": ["a", "zz"]},
            {"policy": "all_must_succeed", "branches": ["a"]}]}});
    let errors = ok(&hv, "saga.validate", bad.clone())["errors"].clone();
    let text = errors.to_string();
    for needle in [
        "definition.name",
        "duplicate",
        "definition.steps[2].action_id",
        "definition.fan_out[0].policy",
        "'zz' is not a step id",
        "at least 2 branches",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    let e = err(&hv, "saga.define", bad);
    assert_eq!(e.code(), Code::INVALID_DEFINITION);
    assert!(e.details().unwrap()["errors"].as_array().unwrap().len() >= 6);
    assert!(
        ok(&hv, "saga.validate", json!({"definition": 5}))["errors"][0]
            .as_str()
            .unwrap()
            .contains("must be an object")
    );

    let good = json!({"definition": {
        "name": "pipeline", "session_id": sid, "saga_id": "dsl-1",
        "steps": [
            {"id": "x", "action_id": "x", "agent": A, "execute_api": "/x", "undo_api": "/ux"},
            {"id": "y", "action_id": "y", "agent": B, "execute_api": "/y", "undo_api": "/uy",
             "retries": 1, "timeout": 5, "checkpoint_goal": "y done"}],
        "fan_out": [{"policy": "all_must_succeed", "branches": ["x", "y"]}]}});
    assert_eq!(ok(&hv, "saga.validate", good.clone())["errors"], json!([]));
    let d = ok(&hv, "saga.define", good);
    assert_eq!(d["saga_id"], "dsl-1");
    assert_eq!(d["name"], "pipeline");
    assert_eq!(d["steps"][1]["max_retries"], 1);
    assert_eq!(d["steps"][1]["timeout_seconds"], 5);
    let gid = d["fan_out_groups"][0]["group_id"].as_str().unwrap();
    let req: FanOutRunRequest =
        serde_json::from_value(json!({"saga_id": "dsl-1", "group_id": gid})).unwrap();
    let r = hv.run_fan_out(&req, &succeed).unwrap();
    assert!(r.result.policy_satisfied);
    assert_eq!(
        ok(&hv, "saga.replay_plan", json!({"saga_id": "dsl-1"}))["step_ids"],
        json!(["x"])
    );
    // Duplicate saga id, and an agent that is not a participant.
    let e = err(
        &hv,
        "saga.create",
        json!({"session_id": sid, "saga_id": "dsl-1"}),
    );
    assert_eq!(e.code(), Code::DUPLICATE_ID);
    let e = err(
        &hv,
        "saga.define",
        json!({"definition": {"name": "n", "session_id": sid, "steps": [
            {"id": "x", "action_id": "x", "agent": "did:ex:stranger", "execute_api": "/x"}]}}),
    );
    assert_eq!(e.code(), Code::AGENT_NOT_FOUND);
    assert_eq!(e.details().unwrap()["field"], "definition.steps[0].agent");
}

#[test]
fn executor_reentering_the_handle_does_not_deadlock() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "re", A, json!({}));
    let has_vfs = api::method_names().contains(&"vfs.write");
    let st = hv
        .run_step(&begin_req(&sg, "re"), &mut |c| {
            // Same session, same saga, while the step executes.
            let s = ok(&hv, "saga.get", json!({"saga_id": "saga-1"}));
            assert_eq!(s["steps"][0]["state"], "executing");
            ok(&hv, "session.get", json!({"session_id": "s1"}));
            ok(
                &hv,
                "ring.check",
                json!({"session_id": "s1", "agent_did": A, "action_id": "read"}),
            );
            if has_vfs {
                ok(
                    &hv,
                    "vfs.write",
                    json!({"session_id": "s1", "agent_did": A, "path": "/out.txt",
                           "content": "hello"}),
                );
            }
            succeed(c)
        })
        .unwrap();
    assert_eq!(st.state().as_str(), "committed");
}

#[test]
fn serializable_steps_lock_declared_resources_until_they_end() {
    let hv = engine();
    let sid = session(&hv, "s1", "serializable");
    saga(&hv, &sid, "sa");
    saga(&hv, &sid, "sb");
    let created = ok(&hv, "saga.get", json!({"saga_id": "sa"}));
    assert_eq!(created["isolation_level"], "serializable");
    let res = |intent: &str| json!({"resources": [{"path": "data/./x", "intent": intent}]});
    step(&hv, "sa", "w", A, res("write"));
    step(&hv, "sb", "w", B, res("write"));
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "sa", "step_id": "w"}),
    );
    let e = err(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "sb", "step_id": "w"}),
    );
    assert_eq!(e.code(), Code::LOCK_CONTENTION);
    assert_eq!(e.status(), Status::Conflict);
    assert_eq!(e.details().unwrap()["resource"], "/data/x");
    // Same step id in the other saga is untouched by the denial.
    ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": "sa", "step_id": "w", "ok": true}),
    );
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "sb", "step_id": "w"}),
    );
    // Read + read share.
    step(&hv, "sa", "r", A, res("read"));
    step(&hv, "sb", "r", C, res("read"));
    ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": "sb", "step_id": "w", "ok": true}),
    );
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "sa", "step_id": "r"}),
    );
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "sb", "step_id": "r"}),
    );
    // A path escaping the namespace is refused at add_step.
    let e = err(
        &hv,
        "saga.add_step",
        json!({"saga_id": "sa", "action_id": "x", "agent_did": A, "execute_api": "/x",
               "resources": [{"path": "../etc", "intent": "read"}]}),
    );
    assert_eq!(e.code(), Code::INVALID_PATH);
    assert_eq!(e.details().unwrap()["field"], "resources[0].path");
}

#[test]
fn request_validation_and_state_checks() {
    let hv = engine();
    ok(
        &hv,
        "session.create",
        json!({"creator_did": A, "session_id": "hs"}),
    );
    let e = err(&hv, "saga.create", json!({"session_id": "hs"}));
    assert_eq!(e.code(), Code::INVALID_SESSION_STATE);
    let sid = session(&hv, "s1", "read_committed");
    let s = ok(&hv, "saga.create", json!({"session_id": sid}));
    let minted = s["saga_id"].as_str().unwrap();
    assert!(minted.starts_with("saga:"));
    assert_eq!(s["isolation_level"], "read_committed");
    let e = err(
        &hv,
        "saga.add_step",
        json!({"saga_id": minted, "action_id": "x", "agent_did": A, "execute_api": "/x",
               "max_retrys": 1}),
    );
    assert_eq!(e.code(), Code::UNKNOWN_FIELD);
    assert_eq!(e.details().unwrap()["field"], "max_retrys");
    let e = err(
        &hv,
        "saga.add_step",
        json!({"saga_id": minted, "action_id": "x", "agent_did": "did:ex:zz",
               "execute_api": "/x"}),
    );
    assert_eq!(e.code(), Code::AGENT_NOT_FOUND);
    let e = err(&hv, "saga.get", json!({"saga_id": "nope"}));
    assert_eq!(e.code(), Code::SAGA_NOT_FOUND);
    let e = err(
        &hv,
        "saga.step.begin",
        json!({"saga_id": minted, "step_id": "nope"}),
    );
    assert_eq!(e.code(), Code::STEP_NOT_FOUND);
    ok(
        &hv,
        "saga.add_step",
        json!({"saga_id": minted, "step_id": "p", "action_id": "x", "agent_did": A,
               "execute_api": "/x"}),
    );
    let e = err(&hv, "saga.complete", json!({"saga_id": minted}));
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    assert_eq!(e.details().unwrap()["step_id"], "p");
    let e = err(
        &hv,
        "saga.fan_out.resolve",
        json!({"group_id": "g-unknown"}),
    );
    assert_eq!(e.code(), Code::GROUP_NOT_FOUND);
    let e = err(
        &hv,
        "saga.fan_out.create",
        json!({"saga_id": minted, "policy": "sometimes", "step_ids": ["a", "b"]}),
    );
    assert_eq!(e.details().unwrap()["field"], "policy");
}

#[test]
fn checkpoints_and_replay_plan() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "a", A, json!({}));
    step(&hv, &sg, "b", B, json!({}));
    let saved = ok(
        &hv,
        "saga.checkpoint.save",
        json!({"saga_id": sg, "step_id": "a", "goal": "abc", "state": {"v": 1}}),
    );
    assert_eq!(
        saved["goal_hash"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(saved["checkpoint_id"]
        .as_str()
        .unwrap()
        .starts_with("ckpt:"));
    assert_eq!(
        ok(&hv, "saga.replay_plan", json!({"saga_id": sg}))["step_ids"],
        json!(["b"])
    );
    let inv = ok(
        &hv,
        "saga.checkpoint.invalidate",
        json!({"saga_id": sg, "step_id": "a", "reason": "state drifted"}),
    );
    assert_eq!(inv["is_valid"], false);
    assert_eq!(
        ok(&hv, "saga.replay_plan", json!({"saga_id": sg}))["step_ids"],
        json!(["a", "b"])
    );
    let e = err(
        &hv,
        "saga.checkpoint.invalidate",
        json!({"saga_id": sg, "step_id": "b"}),
    );
    assert_eq!(e.code(), Code::CHECKPOINT_NOT_FOUND);
}

#[test]
fn liability_attribute_forms() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "a", A, json!({}));
    let e = err(&hv, "liability.attribute", json!({"saga_id": sg}));
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    let r = ok(
        &hv,
        "liability.attribute",
        json!({"session_id": sid, "failure_step_id": "s2", "failure_agent_did": B,
               "agent_actions": {
                   A: [{"action_id": "x", "step_id": "s1", "success": true}],
                   B: [{"action_id": "y", "step_id": "s2", "success": false}]},
               "risk_weights": {A: 0.2}}),
    );
    assert_eq!(r["root_cause_agent"], B);
    assert_eq!(r["attributions"].as_array().unwrap().len(), 2);
    assert_eq!(events(&hv, "liability.fault_attributed").len(), 1);
    let e = err(
        &hv,
        "liability.attribute",
        json!({"saga_id": sg, "session_id": sid}),
    );
    assert_eq!(e.details().unwrap()["field"], "saga_id");
    let e = err(&hv, "liability.attribute", json!({"session_id": sid}));
    assert_eq!(e.code(), Code::MISSING_FIELD);
    let e = err(
        &hv,
        "liability.attribute",
        json!({"saga_id": sg, "failure_step_id": "a"}),
    );
    assert_eq!(e.details().unwrap()["field"], "failure_step_id");
    let e = err(
        &hv,
        "liability.attribute",
        json!({"session_id": sid, "failure_step_id": "s", "failure_agent_did": "did:ex:zz",
               "agent_actions": {"did:ex:zz": [{"action_id": "x", "step_id": "s",
                                                "success": false}]}}),
    );
    assert_eq!(e.code(), Code::AGENT_NOT_FOUND);
}

#[test]
fn events_carry_session_and_agent() {
    let hv = engine();
    let sid = session(&hv, "s1", "snapshot");
    let sg = saga(&hv, &sid, "saga-1");
    step(&hv, &sg, "a", A, json!({}));
    hv.run_step(&begin_req(&sg, "a"), &mut succeed).unwrap();
    let mut seen = 0;
    for ty in ["saga.created", "saga.step_started", "saga.step_committed"] {
        for e in events(&hv, ty) {
            assert_eq!(e["session_id"], "s1", "{e}");
            assert_eq!(e["payload"]["saga_id"], "saga-1", "{e}");
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
    assert_eq!(events(&hv, "saga.step_started")[0]["agent_did"], A);
}
