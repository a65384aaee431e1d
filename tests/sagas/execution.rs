//! The governed step: commit, retries, timeouts, denials, re-entrancy, locks, fan-out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agent_hypervisor::engine::{FanOutRunRequest, StepCall, StepOutcome};
use agent_hypervisor::{api, Code, Hypervisor, Status};
use serde_json::json;

use super::common::*;

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
