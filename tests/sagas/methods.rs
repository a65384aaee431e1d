//! The DSL, request validation, checkpoints, `liability.attribute`, events.

use agent_hypervisor::engine::FanOutRunRequest;
use agent_hypervisor::Code;
use serde_json::json;

use super::common::*;

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
