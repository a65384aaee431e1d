//! Every event type of API.md §5 is emitted by some real operation: one scenario drives the
//! engine through all of them and the test enumerates `EventType::ALL` against `events.stats`.

mod common;

use agent_hypervisor::observability::events::EventType;
use common::*;
use serde_json::json;

fn step(
    hv: &agent_hypervisor::Hypervisor,
    saga: &str,
    id: &str,
    agent: &str,
    extra: serde_json::Value,
) {
    let mut r = json!({"saga_id": saga, "step_id": id, "action_id": id, "agent_did": agent,
                       "execute_api": "/x", "undo_api": "/u"});
    if let serde_json::Value::Object(m) = extra {
        for (k, v) in m {
            r[k] = v;
        }
    }
    ok(hv, "saga.add_step", r);
}

#[test]
fn every_event_type_is_emitted() {
    let hv = engine();
    let history: Vec<_> = (0..5)
        .map(|i| {
            json!({"session_id": format!("old{i}"), "summary_hash": format!("{i:016x}{i:016x}"),
                        "timestamp": format!("2025-06-0{}T00:00:00Z", i + 1)})
        })
        .collect();
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "s"}),
    );
    for (a, s) in [("a", 0.9), ("b", 0.8), ("c", 0.8), ("d", 0.8), ("low", 0.4)] {
        ok(
            &hv,
            "session.join",
            json!({"session_id": "s", "agent_did": a, "sigma_raw": s}),
        );
    }
    ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "h", "sigma_raw": 0.8, "history": history}),
    );
    ok(&hv, "session.activate", json!({"session_id": "s"}));

    // Rings: elevation that expires, breach on the sandboxed agent.
    ok(
        &hv,
        "ring.elevate",
        json!({"session_id": "s", "agent_did": "a", "target_ring": 1, "attestation": "sre", "ttl_seconds": 1}),
    );
    advance(&hv, 2.0);
    ok(&hv, "session.get", json!({"session_id": "s"}));
    for _ in 0..5 {
        ok(
            &hv,
            "ring.check",
            json!({"session_id": "s", "agent_did": "low",
            "action": {"action_id": "p", "name": "p", "execute_api": "/p"}}),
        );
    }
    // Rate limit.
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "h", "cost": 40.0}),
    );
    fail(
        &hv,
        "security.rate_check",
        json!({"session_id": "s", "agent_did": "h"}),
    );

    // Liability: vouch, release, slash (→ quarantine), release quarantine, drift.
    let v = ok(
        &hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "b"}),
    );
    ok(&hv, "liability.release", json!({"vouch_id": v["vouch_id"]}));
    ok(
        &hv,
        "liability.slash",
        json!({"session_id": "s", "agent_did": "d", "risk_weight": 0.5, "reason": "r"}),
    );
    ok(
        &hv,
        "liability.release_quarantine",
        json!({"session_id": "s", "agent_did": "d"}),
    );
    ok(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "h", "claimed_embedding": [1.0, 0.0], "observed_embedding": [1.0, 0.0]}),
    );

    // VFS: write, conflict (read_committed session), delete, snapshot, restore.
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "f", "config": {"isolation_level": "read_committed"}}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "f", "agent_did": "w1", "sigma_raw": 0.8}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "f", "agent_did": "w2", "sigma_raw": 0.8}),
    );
    ok(&hv, "session.activate", json!({"session_id": "f"}));
    ok(
        &hv,
        "vfs.write",
        json!({"session_id": "f", "agent_did": "w1", "path": "a.txt", "content": "1"}),
    );
    fail(
        &hv,
        "vfs.write",
        json!({"session_id": "f", "agent_did": "w2", "path": "a.txt", "content": "2"}),
    );
    let snap = ok(&hv, "session.snapshot", json!({"session_id": "f"}));
    ok(
        &hv,
        "vfs.delete",
        json!({"session_id": "f", "agent_did": "w1", "path": "a.txt"}),
    );
    ok(
        &hv,
        "session.restore",
        json!({"session_id": "f", "snapshot_id": snap["snapshot_id"], "agent_did": "w1"}),
    );

    // Sagas: checkpointed commit, failure, compensation with a failed undo → escalation
    // (fault attribution + slash); a clean saga completes; a fan-out group.
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "f", "saga_id": "g"}),
    );
    step(
        &hv,
        "g",
        "s1",
        "w1",
        json!({"checkpoint_goal": "draft written"}),
    );
    step(&hv, "g", "s2", "w2", json!({}));
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
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "g", "step_id": "s2"}),
    );
    ok(
        &hv,
        "saga.step.end",
        json!({"saga_id": "g", "step_id": "s2", "ok": false, "error": "boom"}),
    );
    ok(&hv, "saga.compensate.begin", json!({"saga_id": "g"}));
    ok(
        &hv,
        "saga.compensate.end",
        json!({"saga_id": "g", "step_id": "s1", "ok": false, "error": "undo failed"}),
    );
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "f", "saga_id": "g2"}),
    );
    step(&hv, "g2", "x1", "w2", json!({}));
    step(&hv, "g2", "x2", "w2", json!({}));
    let grp = ok(
        &hv,
        "saga.fan_out.create",
        json!({"saga_id": "g2", "policy": "any_must_succeed", "step_ids": ["x1", "x2"]}),
    );
    for x in ["x1", "x2"] {
        ok(
            &hv,
            "saga.step.begin",
            json!({"saga_id": "g2", "step_id": x}),
        );
        ok(
            &hv,
            "saga.step.end",
            json!({"saga_id": "g2", "step_id": x, "ok": true}),
        );
    }
    ok(
        &hv,
        "saga.fan_out.resolve",
        json!({"group_id": grp["group_id"]}),
    );
    ok(&hv, "saga.complete", json!({"saga_id": "g2"}));

    // Kill with handoff: c has a pending step, b is a substitute.
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "k"}),
    );
    step(&hv, "k", "k1", "c", json!({}));
    ok(
        &hv,
        "security.substitute",
        json!({"session_id": "s", "agent_did": "b", "available": true}),
    );
    ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "c", "reason": "manual"}),
    );

    // Leave, terminate (commit), gc after retention.
    ok(
        &hv,
        "session.leave",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    ok(&hv, "session.terminate", json!({"session_id": "f"}));
    ok(&hv, "session.terminate", json!({"session_id": "s"}));
    advance(&hv, 181.0 * 86_400.0);
    ok(&hv, "audit.gc", json!({}));

    let stats = ok(&hv, "events.stats", json!({}));
    let missing: Vec<&str> = EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|t| stats["type_counts"].get(*t).is_none())
        .collect();
    assert!(missing.is_empty(), "never emitted: {missing:?}");
    // Every session-scoped event carries its session; agent events their agent.
    let page = ok(&hv, "events.query", json!({"limit": 10000}));
    for e in page["events"].as_array().unwrap() {
        let t = e["event_type"].as_str().unwrap();
        assert!(e.get("session_id").is_some(), "{t} has no session_id: {e}");
        assert!(e["seq"].as_u64().unwrap() > 0);
    }
}
