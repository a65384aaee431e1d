//! Explicit capture, paging, commitments at terminate, retention GC.

use crate::common::*;
use crate::*;
use serde_json::json;

#[test]
fn capture_needs_a_non_killed_participant_of_an_active_session() {
    let hv = engine();
    session(
        &hv,
        "s",
        &[
            ("did:a", 0.8),
            ("did:q", 0.8),
            ("did:k", 0.8),
            ("did:low", 0.3),
        ],
    );
    let change = json!([{"path": "/x", "operation": "modify", "content_hash": "h2",
                         "previous_hash": "h1"}]);
    let cap = |agent: &str| {
        api_call(
            &hv,
            "audit.capture",
            json!({"session_id": "s", "agent_did": agent, "changes": change}),
        )
    };
    let d = cap("did:a").unwrap();
    assert_eq!(d["turn_id"], 1);
    assert_eq!(d["session_id"], "s");
    assert_eq!(d["agent_did"], "did:a");
    assert_eq!(d["parent_hash"], json!(null));
    assert_eq!(d["changes"], change);
    assert_eq!(d["timestamp"], "2026-01-01T00:00:00.000000Z");
    // Quarantined and ring-3 agents' actions may still be recorded by the host.
    ok(
        &hv,
        "liability.quarantine",
        json!({"session_id": "s", "agent_did": "did:q", "reason": "manual"}),
    );
    let d2 = cap("did:q").unwrap();
    assert_eq!(d2["turn_id"], 2);
    assert_eq!(d2["parent_hash"], d["delta_hash"]);
    assert_eq!(cap("did:low").unwrap()["turn_id"], 3);
    ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "did:k", "reason": "manual"}),
    );
    assert_eq!(cap("did:k").unwrap_err(), "AGENT_KILLED");
    assert_eq!(cap("did:nobody").unwrap_err(), "AGENT_NOT_FOUND");

    let e = fail_json(
        &hv,
        "audit.capture",
        json!({"session_id": "s", "agent_did": "did:a", "changes": []}),
    );
    assert_eq!(e["error"]["details"]["field"], "changes");
    let e = fail_json(
        &hv,
        "audit.capture",
        json!({"session_id": "s", "agent_did": "did:a",
               "changes": [{"path": "/x", "operation": "rename"}]}),
    );
    assert_eq!(e["error"]["details"]["field"], "changes[0].operation");
    let e = fail_json(
        &hv,
        "audit.capture",
        json!({"session_id": "s", "agent_did": "did:a",
               "changes": [{"path": "", "operation": "add"}]}),
    );
    assert_eq!(e["error"]["details"]["field"], "changes[0].path");
    assert_eq!(
        session_events(&hv, "s", "audit.delta_captured").len(),
        3,
        "refusals emit nothing"
    );
    ok(&hv, "session.terminate", json!({"session_id": "s"}));
    assert_eq!(cap("did:a").unwrap_err(), "INVALID_SESSION_STATE");
}

/// `api::call` returning the parsed response or the error code.
fn api_call(
    hv: &agent_hypervisor::Hypervisor,
    method: &str,
    req: serde_json::Value,
) -> Result<serde_json::Value, String> {
    agent_hypervisor::api::call(hv, method, &req.to_string())
        .map(|s| serde_json::from_str(&s).unwrap())
        .map_err(|e| e.code().as_str().to_owned())
}

#[test]
fn deltas_page_by_turn() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8)]);
    for i in 0..5 {
        write(&hv, "s", "did:a", &format!("f{i}"), "x");
    }
    let p = ok(
        &hv,
        "audit.deltas",
        json!({"session_id": "s", "after_turn": 2, "limit": 2}),
    );
    let turns: Vec<_> = p["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["turn_id"].as_u64().unwrap())
        .collect();
    assert_eq!(turns, [3, 4]);
    assert_eq!(p["tree_size"], 5);
    assert_eq!(p["gc_dropped"], 0);
    let all = ok(&hv, "audit.deltas", json!({"session_id": "s"}));
    assert_eq!(all["deltas"].as_array().unwrap().len(), 5);
    let e = fail_json(&hv, "audit.deltas", json!({"session_id": "s", "limit": 0}));
    assert_eq!(e["error"]["details"]["field"], "limit");
    assert_eq!(
        fail(&hv, "audit.deltas", json!({"session_id": "s", "after": 1})),
        "UNKNOWN_FIELD"
    );
}

#[test]
fn terminate_commits_the_root_and_verify_commitment_accepts_it() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:b", 0.8)]);
    assert_eq!(
        fail(&hv, "audit.commitment", json!({"session_id": "s"})),
        "AUDIT_EMPTY"
    );
    write(&hv, "s", "did:a", "f", "1");
    write(&hv, "s", "did:b", "g", "2");
    ok(
        &hv,
        "vfs.delete",
        json!({"session_id": "s", "agent_did": "did:a", "path": "f"}),
    );
    let root = ok(&hv, "audit.root", json!({"session_id": "s"}));
    let live = ok(&hv, "audit.commitment", json!({"session_id": "s"}));
    assert_eq!(live["committed"], false);
    assert_eq!(live["merkle_root"], root["merkle_root"]);
    assert_eq!(live["participant_dids"], json!(["did:a", "did:b"]));

    let t = ok(&hv, "session.terminate", json!({"session_id": "s"}));
    assert_eq!(t["merkle_root"], root["merkle_root"]);
    assert_eq!(t["tree_size"], 3);
    assert_eq!(t["gc"]["purged_vfs_files"], 1);
    assert_eq!(t["gc"]["retained_deltas"], 3);
    assert_eq!(t["commitment"]["merkle_root"], root["merkle_root"]);
    let c = ok(&hv, "audit.commitment", json!({"session_id": "s"}));
    assert_eq!(c["committed"], true);
    assert_eq!(c["tree_size"], 3);
    assert_eq!(c["session_id"], "s");
    assert_eq!(c["committed_at"], t["commitment"]["committed_at"]);
    let root_hex = root["merkle_root"].as_str().unwrap();
    let v = ok(
        &hv,
        "audit.verify_commitment",
        json!({"session_id": "s", "merkle_root": root_hex.to_uppercase()}),
    );
    assert_eq!(v, json!({"valid": true}));
    let v = ok(
        &hv,
        "audit.verify_commitment",
        json!({"session_id": "s", "merkle_root": "0".repeat(64)}),
    );
    assert_eq!(v, json!({"valid": false}));
    let e = fail_json(
        &hv,
        "audit.verify_commitment",
        json!({"session_id": "s", "merkle_root": "abc"}),
    );
    assert_eq!(e["error"]["details"]["field"], "merkle_root");
    assert_eq!(session_events(&hv, "s", "audit.committed").len(), 1);
    // Reads still work on the archived session; the VFS does not.
    assert_eq!(
        ok(&hv, "audit.verify", json!({"session_id": "s"}))["valid"],
        true
    );
    assert_eq!(
        ok(&hv, "vfs.edits", json!({"session_id": "s"}))["edits"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        fail(&hv, "vfs.list", json!({"session_id": "s"})),
        "INVALID_SESSION_STATE"
    );
}

#[test]
fn gc_drops_old_deltas_of_archived_sessions_only_and_keeps_roots() {
    // Retention 1 day; the live session may run 7 days, so it is still active after 2.
    let hv = engine_with(json!({"clock": "manual", "retention_days": 1}));
    session(&hv, "old", &[("did:a", 0.8)]);
    session_cfg(
        &hv,
        "live",
        json!({"max_duration_seconds": 604_800}),
        &[("did:a", 0.8)],
    );
    for i in 0..4 {
        write(&hv, "old", "did:a", &format!("f{i}"), "x");
        write(&hv, "live", "did:a", &format!("f{i}"), "x");
    }
    let e = fail_json(&hv, "audit.gc", json!({"session_id": "live"}));
    assert_eq!(e["error"]["code"], "INVALID_SESSION_STATE");
    let t = ok(&hv, "session.terminate", json!({"session_id": "old"}));
    let proof_before = ok(
        &hv,
        "audit.proof",
        json!({"session_id": "old", "turn_id": 2}),
    );
    // Within retention: nothing to collect.
    let g = ok(&hv, "audit.gc", json!({"session_id": "old"}));
    assert_eq!(g["collected"], 0);
    assert_eq!(g["sessions"][0]["retained_deltas"], 4);

    advance(&hv, 2.0 * 86_400.0);
    let g = ok(&hv, "audit.gc", json!({}));
    assert_eq!(g["collected"], 4, "{g}");
    assert_eq!(g["sessions_checked"], 1);
    assert_eq!(g["sessions"][0]["session_id"], "old");
    assert_eq!(g["sessions"][0]["retained_deltas"], 0);
    assert!(deltas(&hv, "old").is_empty());
    assert_eq!(
        deltas(&hv, "live").len(),
        4,
        "active sessions are never collected"
    );
    let page = ok(&hv, "audit.deltas", json!({"session_id": "old"}));
    assert_eq!(page["gc_dropped"], 4);
    // Roots, commitments and proofs survive; the log still verifies.
    let root = ok(&hv, "audit.root", json!({"session_id": "old"}));
    assert_eq!(root["merkle_root"], t["merkle_root"]);
    assert_eq!(root["tree_size"], 4);
    assert_eq!(
        ok(&hv, "audit.commitment", json!({"session_id": "old"}))["merkle_root"],
        t["merkle_root"]
    );
    assert_eq!(
        ok(
            &hv,
            "audit.proof",
            json!({"session_id": "old", "turn_id": 2})
        ),
        proof_before
    );
    assert_eq!(
        ok(&hv, "audit.verify", json!({"session_id": "old"}))["valid"],
        true
    );
    let ev = session_events(&hv, "old", "audit.gc_collected");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["payload"]["collected"], 4);
    assert_eq!(ok(&hv, "audit.gc", json!({}))["collected"], 0);
    assert_eq!(
        ok(&hv, "session.get", json!({"session_id": "live"}))["state"],
        "active"
    );
}
