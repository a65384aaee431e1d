//! Bounded memory: every table keyed by caller input has a cap from `config::Limits` and a
//! documented overflow policy (docs/LIMITS.md). Each test shrinks one cap through the engine
//! config, hammers it with fresh ids, and checks the refusal code or the eviction, and that the
//! table stays at its cap.

mod common;

use common::*;
use serde_json::{json, Value};

/// An engine on a manual clock with `limits` overriding the defaults.
fn capped(limits: Value) -> agent_hypervisor::Hypervisor {
    engine_with(json!({"clock": "manual", "limits": limits}))
}

/// The error object of a call that must fail with `code`.
fn refused(hv: &agent_hypervisor::Hypervisor, method: &str, req: Value, code: &str) -> Value {
    let e = fail_json(hv, method, req);
    assert_eq!(e["error"]["code"], code, "{method}: {e}");
    e["error"].clone()
}

#[test]
fn members_are_capped_with_departed_ones_included() {
    // Leave + join with fresh ids used to grow the member table (and every per-agent table
    // keyed by it) without bound: only *active* participants were capped.
    let hv = capped(json!({"max_members_per_session": 5}));
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "s", "config": {"max_participants": 2}}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "a0", "sigma_raw": 0.7}),
    );
    for i in 1..5 {
        let did = format!("a{i}");
        ok(
            &hv,
            "session.join",
            json!({"session_id": "s", "agent_did": did, "sigma_raw": 0.7}),
        );
        ok(
            &hv,
            "session.leave",
            json!({"session_id": "s", "agent_did": did}),
        );
    }
    let e = refused(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "fresh", "sigma_raw": 0.7}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["status"], "LIMIT_EXCEEDED");
    assert_eq!(e["details"]["table"], "members");
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"].as_array().unwrap().len(), 5);
    // The quarantine table is keyed by members, so it can always take every member (it used
    // to be capped by the session's *active* participant cap, 2 here).
    for i in 0..5 {
        ok(
            &hv,
            "liability.quarantine",
            json!({"session_id": "s", "agent_did": format!("a{i}"), "reason": "manual"}),
        );
    }
}

#[test]
fn sessions_evict_the_oldest_archived_then_refuse() {
    let hv = capped(json!({"max_sessions": 3}));
    for i in 0..3 {
        session(&hv, &format!("s{i}"), &[("a", 0.7)]);
    }
    let e = refused(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "s3"}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "sessions");
    ok(&hv, "session.terminate", json!({"session_id": "s0"}));
    session(&hv, "s3", &[("a", 0.7)]);
    ok(&hv, "session.terminate", json!({"session_id": "s1"}));
    assert_eq!(
        fail(&hv, "session.get", json!({"session_id": "s0"})),
        "SESSION_NOT_FOUND",
        "the archived session was evicted"
    );
    // Churn with fresh ids: the table never grows past its cap.
    for i in 4..60 {
        let sid = format!("s{i}");
        session(&hv, &sid, &[("a", 0.7)]);
        ok(&hv, "session.terminate", json!({ "session_id": sid }));
        assert_eq!(ok(&hv, "stats", json!({}))["sessions"], 3);
    }
}

#[test]
fn participants_are_capped_per_session_and_by_the_engine() {
    let hv = capped(json!({"max_participants": 2}));
    let e = refused(
        &hv,
        "session.create",
        json!({"creator_did": "c", "config": {"max_participants": 3}}),
        "OUT_OF_RANGE",
    );
    assert_eq!(e["details"]["field"], "config.max_participants");
    session(&hv, "s", &[("a", 0.7), ("b", 0.7)]);
    let e = refused(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "c", "sigma_raw": 0.7}),
        "SESSION_FULL",
    );
    assert_eq!(e["status"], "LIMIT_EXCEEDED");
}

/// One vouch + release cycle: two events, two ledger entries for the voucher.
fn vouch_cycle(hv: &agent_hypervisor::Hypervisor, voucher: &str, vouchee: &str) -> Value {
    let v = ok(
        hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": voucher, "vouchee_did": vouchee}),
    );
    ok(hv, "liability.release", json!({"vouch_id": v["vouch_id"]}));
    v
}

#[test]
fn the_event_log_evicts_the_oldest_and_counts_drops() {
    let hv = capped(json!({"max_events": 50, "max_vouches_per_session": 1000}));
    session(&hv, "s", &[("a", 0.9), ("b", 0.7)]);
    for round in 0..4 {
        for _ in 0..50 {
            vouch_cycle(&hv, "a", "b");
        }
        let page = ok(&hv, "events.query", json!({"limit": 10000}));
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 50, "round {round}: the log stays at its cap");
        let total = ok(&hv, "events.stats", json!({}))["total"]
            .as_u64()
            .unwrap();
        assert_eq!(page["dropped"].as_u64().unwrap(), total - 50);
        let first = events[0]["seq"].as_u64().unwrap();
        assert_eq!(first, total - 49, "the newest events are kept");
        assert_eq!(ok(&hv, "stats", json!({}))["events"], 50);
    }
}

#[test]
fn ledger_entries_evict_and_ledger_agents_refuse_without_blocking_governance() {
    let hv = capped(json!({"max_ledger_entries_per_agent": 5, "max_ledger_agents": 2}));
    session(&hv, "s", &[("a", 0.9), ("b", 0.7), ("c", 0.7)]);
    for _ in 0..20 {
        vouch_cycle(&hv, "a", "b");
    }
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "a"}));
    assert_eq!(l["entries"].as_array().unwrap().len(), 5);
    assert_eq!(
        l["entries"][4]["entry_type"], "vouch_released",
        "the newest entries are kept"
    );
    // A third agent is past the agent cap: its entries are refused (counted), but the
    // governance action that caused them still happens.
    vouch_cycle(&hv, "a", "c");
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "c"}));
    assert!(l["entries"].as_array().unwrap().is_empty());
    assert_eq!(l["profile"]["recommendation"], "admit");
}

#[test]
fn rate_buckets_fail_closed_at_the_engine_cap_and_are_freed_on_leave() {
    let hv = capped(json!({"max_rate_buckets": 2}));
    session(&hv, "s", &[("a", 0.7), ("b", 0.7), ("c", 0.7)]);
    let rc = |a: &str| json!({"session_id": "s", "agent_did": a});
    ok(&hv, "security.rate_check", rc("a"));
    ok(&hv, "security.rate_check", rc("b"));
    let e = refused(&hv, "security.rate_check", rc("c"), "CAPACITY_EXCEEDED");
    assert_eq!(e["details"]["table"], "rate_buckets");
    ok(&hv, "security.rate_check", rc("a"));
    ok(&hv, "session.leave", rc("b"));
    ok(&hv, "security.rate_check", rc("c"));
    // A second session shares the engine-wide budget; terminating frees it.
    session(&hv, "t", &[("x", 0.7)]);
    let e = refused(
        &hv,
        "security.rate_check",
        json!({"session_id": "t", "agent_did": "x"}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "rate_buckets");
    ok(&hv, "session.terminate", json!({"session_id": "s"}));
    ok(
        &hv,
        "security.rate_check",
        json!({"session_id": "t", "agent_did": "x"}),
    );
}

#[test]
fn breach_history_keeps_at_most_its_cap() {
    let hv = capped(json!({"max_breach_history": 8}));
    session(&hv, "s", &[("a", 0.7)]);
    let action = json!({"action_id": "w", "name": "w", "execute_api": "/w",
                        "undo_api": "/u", "reversibility": "full"});
    for _ in 0..100 {
        ok(
            &hv,
            "ring.check",
            json!({"session_id": "s", "agent_did": "a", "action": action}),
        );
    }
    let b = ok(
        &hv,
        "ring.breaker",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    assert_eq!(b["total_calls"], 100);
    assert!(b["window_calls"].as_u64().unwrap() <= 8, "{b}");
}

#[test]
fn vouch_records_are_refused_at_the_cap_released_ones_included() {
    let hv = capped(json!({"max_vouches_per_session": 3}));
    session(&hv, "s", &[("a", 0.9), ("b", 0.7)]);
    for _ in 0..3 {
        vouch_cycle(&hv, "a", "b");
    }
    let e = refused(
        &hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "b"}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "vouches");
}

#[test]
fn elevations_prune_expired_records_then_refuse() {
    let hv = capped(json!({"max_elevations_per_session": 1}));
    session(&hv, "s", &[("a", 0.9), ("b", 0.9)]);
    let el = |a: &str| {
        json!({"session_id": "s", "agent_did": a, "target_ring": 1,
               "attestation": "sre", "ttl_seconds": 10})
    };
    ok(&hv, "ring.elevate", el("a"));
    let e = refused(&hv, "ring.elevate", el("b"), "CAPACITY_EXCEEDED");
    assert_eq!(e["details"]["table"], "elevations");
    for _ in 0..50 {
        advance(&hv, 11.0);
        ok(&hv, "ring.elevate", el("b"));
        advance(&hv, 11.0);
        ok(&hv, "ring.elevate", el("a"));
    }
    assert_eq!(
        ok(&hv, "ring.elevations", json!({"session_id": "s"}))["elevations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn subscriptions_are_refused_at_the_cap() {
    use agent_hypervisor::observability::events::EventFilter;
    use std::sync::Arc;
    let hv = capped(json!({"max_subscriptions": 2}));
    let sub = || {
        hv.events()
            .subscribe(EventFilter::default(), Arc::new(|_: &str| {}))
    };
    let first = sub().unwrap();
    sub().unwrap();
    let e = sub().unwrap_err();
    assert_eq!(e.code().as_str(), "CAPACITY_EXCEEDED");
    hv.events().unsubscribe(first).unwrap();
    sub().unwrap();
}

#[test]
fn per_request_inputs_are_capped() {
    let hv = capped(
        json!({"max_actions_per_session": 2, "max_history_records": 2,
                           "max_embedding_len": 3, "max_request_bytes": 512}),
    );
    session(&hv, "s", &[("a", 0.7)]);
    let actions: Vec<Value> = (0..3)
        .map(|i| json!({"action_id": format!("x{i}"), "name": "n", "execute_api": "/x"}))
        .collect();
    let e = refused(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "b", "sigma_raw": 0.7, "actions": actions}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "actions");
    let rec = json!({"session_id": "x", "summary_hash": "0123456789abcdef",
                     "timestamp": "2025-01-01T00:00:00Z"});
    let e = refused(
        &hv,
        "verify.history",
        json!({"agent_did": "a", "history": [rec, rec, rec]}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["field"], "history");
    refused(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "a",
               "claimed_embedding": [1, 0, 0, 0], "observed_embedding": [1, 0, 0, 0]}),
        "CAPACITY_EXCEEDED",
    );
    let big =
        json!({"agent_did": "a", "history": [], "trace_id": "t/".to_owned() + &"s".repeat(600)});
    let e = refused(&hv, "verify.history", big, "REQUEST_TOO_LARGE");
    assert_eq!(e["status"], "LIMIT_EXCEEDED");
}

// ---------------------------------------------------------------- VFS, audit, sagas

#[test]
fn vfs_files_bytes_and_edit_log_are_capped() {
    let hv = capped(
        json!({"max_vfs_files_per_session": 3, "max_vfs_bytes_per_session": 64,
                           "max_edit_log_per_session": 4}),
    );
    session(&hv, "s", &[("a", 0.7)]);
    let w =
        |p: &str, c: &str| json!({"session_id": "s", "agent_did": "a", "path": p, "content": c});
    for i in 0..3 {
        ok(&hv, "vfs.write", w(&format!("/f{i}"), "x"));
    }
    let e = refused(&hv, "vfs.write", w("/f3", "x"), "CAPACITY_EXCEEDED");
    assert_eq!(e["details"]["table"], "vfs_files");
    refused(
        &hv,
        "vfs.write",
        w("/f0", &"y".repeat(65)),
        "VFS_QUOTA_EXCEEDED",
    );
    for i in 0..10 {
        ok(&hv, "vfs.write", w("/f0", &format!("v{i}")));
    }
    let edits = ok(&hv, "vfs.edits", json!({"session_id": "s"}));
    assert_eq!(edits["edits"].as_array().unwrap().len(), 4);
}

#[test]
fn audit_deltas_are_refused_at_the_cap() {
    let hv = capped(json!({"max_deltas_per_session": 3}));
    session(&hv, "s", &[("a", 0.7)]);
    let cap = json!({"session_id": "s", "agent_did": "a",
                     "changes": [{"path": "/x", "operation": "add"}]});
    for _ in 0..3 {
        ok(&hv, "audit.capture", cap.clone());
    }
    let e = refused(&hv, "audit.capture", cap, "CAPACITY_EXCEEDED");
    assert_eq!(e["status"], "LIMIT_EXCEEDED");
}

#[test]
fn snapshots_are_refused_at_the_cap() {
    let hv = capped(json!({"max_snapshots_per_session": 2}));
    session(&hv, "s", &[("a", 0.7)]);
    for _ in 0..2 {
        ok(&hv, "session.snapshot", json!({"session_id": "s"}));
    }
    refused(
        &hv,
        "session.snapshot",
        json!({"session_id": "s"}),
        "CAPACITY_EXCEEDED",
    );
}

#[test]
fn sagas_and_steps_are_refused_at_their_caps() {
    let hv = capped(json!({"max_sagas_per_session": 2, "max_steps_per_saga": 2}));
    session(&hv, "s", &[("a", 0.7)]);
    for i in 0..2 {
        ok(
            &hv,
            "saga.create",
            json!({"session_id": "s", "saga_id": format!("g{i}")}),
        );
    }
    let e = refused(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g2"}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "sagas");
    let step = json!({"saga_id": "g0", "action_id": "w", "agent_did": "a", "execute_api": "/w"});
    for _ in 0..2 {
        ok(&hv, "saga.add_step", step.clone());
    }
    let e = refused(&hv, "saga.add_step", step, "CAPACITY_EXCEEDED");
    assert_eq!(e["details"]["table"], "steps");
}

#[test]
fn intent_locks_are_refused_at_the_cap_all_or_nothing() {
    let hv = capped(json!({"max_locks_per_session": 2}));
    session(&hv, "s", &[("a", 0.7)]);
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g", "isolation_level": "serializable"}),
    );
    let res = |paths: &[&str]| -> Value {
        paths
            .iter()
            .map(|p| json!({"path": p, "intent": "write"}))
            .collect()
    };
    let step = |id: &str, paths: &[&str]| {
        json!({"saga_id": "g", "step_id": id, "action_id": "w", "agent_did": "a",
               "execute_api": "/w", "undo_api": "/u", "resources": res(paths)})
    };
    ok(&hv, "saga.add_step", step("big", &["/x", "/y", "/z"]));
    ok(&hv, "saga.add_step", step("small", &["/x", "/y"]));
    let e = refused(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "g", "step_id": "big"}),
        "CAPACITY_EXCEEDED",
    );
    assert_eq!(e["details"]["table"], "locks");
    // Nothing was taken: a step that fits still gets all of its locks.
    ok(
        &hv,
        "saga.step.begin",
        json!({"saga_id": "g", "step_id": "small"}),
    );
}

#[test]
fn fan_out_groups_are_refused_at_the_fixed_cap() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.7)]);
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g"}),
    );
    for p in ["p0", "p1"] {
        ok(
            &hv,
            "saga.add_step",
            json!({"saga_id": "g", "step_id": p, "action_id": "w", "agent_did": "a",
                   "execute_api": "/w"}),
        );
    }
    let group = json!({"saga_id": "g", "policy": "all_must_succeed", "step_ids": ["p0", "p1"]});
    let mut created = 0;
    let code = loop {
        match agent_hypervisor::api::call(&hv, "saga.fan_out.create", &group.to_string()) {
            Ok(_) => created += 1,
            Err(e) => break e.code().as_str().to_owned(),
        }
        assert!(
            created <= 64,
            "more groups than FAN_OUT_MAX_GROUPS_PER_SAGA"
        );
    };
    assert_eq!(code, "CAPACITY_EXCEEDED");
    assert_eq!(
        created,
        agent_hypervisor::config::FAN_OUT_MAX_GROUPS_PER_SAGA
    );
}
