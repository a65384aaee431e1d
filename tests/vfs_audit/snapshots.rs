//! `session.snapshot` / `session.restore`.

use crate::common::*;
use crate::*;
use serde_json::{json, Value};

fn snapshot(hv: &agent_hypervisor::Hypervisor, sid: &str) -> String {
    let s = ok(hv, "session.snapshot", json!({"session_id": sid}));
    let id = s["snapshot_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("snap:"), "{id}");
    id
}

fn restore(hv: &agent_hypervisor::Hypervisor, sid: &str, snap: &str, agent: &str) -> Value {
    ok(
        hv,
        "session.restore",
        json!({"session_id": sid, "snapshot_id": snap, "agent_did": agent}),
    )
}

#[test]
fn snapshot_restore_round_trip_covers_files_and_permissions_and_is_audited() {
    let hv = engine();
    session_cfg(
        &hv,
        "s",
        json!({"isolation_level": "read_committed"}),
        &[("did:a", 0.8), ("did:b", 0.8)],
    );
    write(&hv, "s", "did:a", "keep", "k");
    write(&hv, "s", "did:a", "change", "c1");
    write(&hv, "s", "did:a", "gone", "g");
    ok(
        &hv,
        "vfs.set_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "keep",
               "allowed_agents": ["did:a"]}),
    );
    let snap = snapshot(&hv, "s");
    let ev = session_events(&hv, "s", "vfs.snapshot");
    assert_eq!(ev[0]["payload"]["snapshot_id"], snap.as_str());
    assert_eq!(ev[0]["payload"]["files"], 3);

    write(&hv, "s", "did:a", "change", "c2");
    ok(
        &hv,
        "vfs.delete",
        json!({"session_id": "s", "agent_did": "did:a", "path": "gone"}),
    );
    write(&hv, "s", "did:a", "new", "n");
    ok(
        &hv,
        "vfs.clear_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "keep"}),
    );
    let before = deltas(&hv, "s").len();

    let r = restore(&hv, "s", &snap, "did:a");
    assert_eq!(r["session_id"], "s");
    assert_eq!(r["state"], "active");
    assert_eq!(r["participants"].as_array().unwrap().len(), 2);
    assert_eq!(r["restore"]["files_created"], 1);
    assert_eq!(r["restore"]["files_updated"], 1);
    assert_eq!(r["restore"]["files_removed"], 1);
    assert_eq!(r["restore"]["permissions_changed"], 1);
    assert_eq!(r["delta"]["turn_id"], before + 1);
    assert_eq!(
        ok(&hv, "vfs.list", json!({"session_id": "s"}))["paths"],
        json!(["/change", "/gone", "/keep"])
    );
    assert_eq!(read(&hv, "s", "did:a", "change")["content"], "c1");
    assert_eq!(read(&hv, "s", "did:a", "gone")["content"], "g");
    // The permission came back with the files.
    assert_eq!(
        fail(
            &hv,
            "vfs.read",
            json!({"session_id": "s", "agent_did": "did:b", "path": "keep"})
        ),
        "PERMISSION_DENIED"
    );
    // One delta lists every change the restore made.
    let d = deltas(&hv, "s");
    let changes = d.last().unwrap()["changes"].as_array().unwrap().clone();
    let summary: Vec<(Value, Value)> = changes
        .iter()
        .map(|c| (c["path"].clone(), c["operation"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!("/change"), json!("modify")),
            (json!("/gone"), json!("add")),
            (json!("/new"), json!("delete")),
            (json!("/keep"), json!("permission")),
        ]
    );
    assert_eq!(changes[0]["content_hash"], sha256_hex(b"c1"));
    assert_eq!(changes[0]["previous_hash"], sha256_hex(b"c2"));
    assert_eq!(changes[3]["content_hash"], sha256_hex(br#"["did:a"]"#));
    let ev = session_events(&hv, "s", "vfs.restore");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["agent_did"], "did:a");
    assert_eq!(ev[0]["payload"]["snapshot_id"], snap.as_str());
    // A restore is a write by the restorer: b must read again before writing.
    assert_eq!(
        write_fails(&hv, "s", "did:b", "change", "b"),
        "CAUSAL_VIOLATION"
    );
    read(&hv, "s", "did:b", "change");
    write(&hv, "s", "did:b", "change", "b");
    // Restoring to the current state changes nothing and appends nothing.
    let snap2 = snapshot(&hv, "s");
    let n = deltas(&hv, "s").len();
    let r = restore(&hv, "s", &snap2, "did:a");
    assert!(r.get("delta").is_none(), "{r}");
    assert_eq!(deltas(&hv, "s").len(), n);
    assert_eq!(
        ok(&hv, "audit.verify", json!({"session_id": "s"}))["valid"],
        true
    );
}

#[test]
fn snapshot_and_restore_rules() {
    let hv = engine_with(json!({"clock": "manual", "limits": {"max_snapshots_per_session": 2}}));
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "did:c", "session_id": "s"}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "did:a", "sigma_raw": 0.8}),
    );
    ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "did:low", "sigma_raw": 0.3}),
    );
    assert_eq!(
        fail(&hv, "session.snapshot", json!({"session_id": "s"})),
        "INVALID_SESSION_STATE"
    );
    ok(&hv, "session.activate", json!({"session_id": "s"}));
    write(&hv, "s", "did:a", "f", "1");
    let snap = snapshot(&hv, "s");
    snapshot(&hv, "s");
    let e = fail_json(&hv, "session.snapshot", json!({"session_id": "s"}));
    assert_eq!(e["error"]["code"], "CAPACITY_EXCEEDED");
    assert_eq!(e["error"]["details"]["table"], "snapshots");

    let req = |snap: &str, agent: &str| json!({"session_id": "s", "snapshot_id": snap, "agent_did": agent});
    assert_eq!(
        fail(&hv, "session.restore", req("snap:nope", "did:a")),
        "SNAPSHOT_NOT_FOUND"
    );
    assert_eq!(
        fail(&hv, "session.restore", req("bad id", "did:a")),
        "INVALID_ID"
    );
    assert_eq!(
        fail(&hv, "session.restore", req(&snap, "did:low")),
        "RING_READ_ONLY"
    );
    ok(
        &hv,
        "liability.quarantine",
        json!({"session_id": "s", "agent_did": "did:a", "reason": "manual"}),
    );
    assert_eq!(
        fail(&hv, "session.restore", req(&snap, "did:a")),
        "AGENT_QUARANTINED"
    );
    ok(
        &hv,
        "liability.release_quarantine",
        json!({"session_id": "s", "agent_did": "did:a"}),
    );
    // A restore the restorer is not allowed to make changes nothing.
    write(&hv, "s", "did:a", "f", "2");
    ok(
        &hv,
        "vfs.set_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "f",
               "allowed_agents": ["did:other"]}),
    );
    let n = deltas(&hv, "s").len();
    assert_eq!(
        fail(&hv, "session.restore", req(&snap, "did:a")),
        "PERMISSION_DENIED"
    );
    assert_eq!(deltas(&hv, "s").len(), n);
    assert_eq!(
        ok(&hv, "vfs.read", json!({"session_id": "s", "path": "f"}))["content"],
        "2"
    );
    ok(&hv, "session.terminate", json!({"session_id": "s"}));
    assert_eq!(
        fail(&hv, "session.restore", req(&snap, "did:a")),
        "INVALID_SESSION_STATE"
    );
}
