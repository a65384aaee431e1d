//! Compensation in reverse order, escalation (attribution, slashes, ledger).

use agent_hypervisor::engine::StepOutcome;
use agent_hypervisor::{Code, Hypervisor};
use serde_json::json;

use super::common::*;

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
