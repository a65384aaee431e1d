//! VFS governance: shapes, traversal, rings, quarantine, kill, breaker, rate, permissions,
//! causal conflicts, quotas, caps.

use crate::common::*;
use crate::*;
use serde_json::json;

#[test]
fn write_read_list_edits_and_their_shapes() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:b", 0.8)]);
    let w = write(&hv, "s", "did:a", "notes/./todo.txt", "one");
    assert_eq!(w["path"], "/notes/todo.txt");
    assert_eq!(w["operation"], "create");
    assert_eq!(w["content_hash"], sha256_hex(b"one"));
    assert!(w.get("previous_hash").is_none(), "{w}");
    assert_eq!(w["clock"], json!({"did:a": 1}));
    assert_eq!(w["delta"]["turn_id"], 1);
    assert_eq!(w["delta"]["delta_hash"].as_str().unwrap().len(), 64);

    let w = write(&hv, "s", "did:a", "/notes/todo.txt", "two");
    assert_eq!(w["operation"], "update");
    assert_eq!(w["previous_hash"], sha256_hex(b"one"));
    assert_eq!(w["clock"], json!({"did:a": 2}));
    assert_eq!(w["delta"]["turn_id"], 2);

    let r = read(&hv, "s", "did:b", "notes/todo.txt");
    assert_eq!(
        r,
        json!({"path": "/notes/todo.txt", "content": "two", "clock": {"did:a": 2}})
    );
    let r = ok(
        &hv,
        "vfs.read",
        json!({"session_id": "s", "path": "/missing"}),
    );
    assert_eq!(r["content"], json!(null));
    assert_eq!(r["clock"], json!({}));

    write(&hv, "s", "did:b", "b.txt", "bee");
    let l = ok(&hv, "vfs.list", json!({"session_id": "s"}));
    assert_eq!(l["paths"], json!(["/b.txt", "/notes/todo.txt"]));

    let e = ok(&hv, "vfs.edits", json!({"session_id": "s"}))["edits"].clone();
    assert_eq!(e.as_array().unwrap().len(), 3);
    assert_eq!(e[0]["operation"], "create");
    assert_eq!(e[1]["operation"], "update");
    assert_eq!(e[1]["previous_hash"], sha256_hex(b"one"));
    assert_eq!(e[2]["agent_did"], "did:b");
    let eb = ok(
        &hv,
        "vfs.edits",
        json!({"session_id": "s", "agent_did": "did:b"}),
    );
    assert_eq!(eb["edits"].as_array().unwrap().len(), 1);

    let d = ok(
        &hv,
        "vfs.delete",
        json!({"session_id": "s", "agent_did": "did:b", "path": "b.txt"}),
    );
    assert_eq!(d["path"], "/b.txt");
    assert_eq!(d["previous_hash"], sha256_hex(b"bee"));
    assert_eq!(d["delta"]["turn_id"], 4);
    assert_eq!(
        fail(
            &hv,
            "vfs.delete",
            json!({"session_id": "s", "agent_did": "did:b", "path": "b.txt"})
        ),
        "FILE_NOT_FOUND"
    );

    // Events: every vfs.* / audit.* event carries the session and the agent.
    let writes = session_events(&hv, "s", "vfs.write");
    assert_eq!(writes.len(), 3);
    assert_eq!(writes[0]["agent_did"], "did:a");
    assert_eq!(writes[0]["payload"]["path"], "/notes/todo.txt");
    assert_eq!(writes[0]["payload"]["turn_id"], 1);
    assert!(writes[0]["payload"].get("content").is_none());
    let deletes = session_events(&hv, "s", "vfs.delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["agent_did"], "did:b");
    let captured = session_events(&hv, "s", "audit.delta_captured");
    assert_eq!(captured.len(), 4);
    assert!(captured.iter().all(|e| e["agent_did"].is_string()));
}

#[test]
fn traversal_and_bad_requests_are_rejected_naming_the_field() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8)]);
    for p in ["../etc/passwd", "a/../../x", "/..", "", "a/\u{0}b", "/"] {
        let e = fail_json(
            &hv,
            "vfs.write",
            json!({"session_id": "s", "agent_did": "did:a", "path": p, "content": "x"}),
        );
        assert_eq!(e["error"]["code"], "INVALID_PATH", "{p}: {e}");
        assert_eq!(e["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(e["error"]["details"]["field"], "path");
        assert_eq!(
            fail(
                &hv,
                "vfs.read",
                json!({"session_id": "s", "agent_did": "did:a", "path": p})
            ),
            "INVALID_PATH"
        );
    }
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:a", "path": "x", "contents": "x"}),
    );
    assert_eq!(e["error"]["code"], "UNKNOWN_FIELD");
    assert_eq!(e["error"]["details"]["field"], "contents");
    assert_eq!(
        fail(
            &hv,
            "vfs.write",
            json!({"session_id": "s", "agent_did": "did:nobody", "path": "x", "content": "x"})
        ),
        "AGENT_NOT_FOUND"
    );
    assert_eq!(
        fail(
            &hv,
            "vfs.write",
            json!({"session_id": "nope", "agent_did": "did:a", "path": "x", "content": "x"})
        ),
        "SESSION_NOT_FOUND"
    );
    // Nothing was written, nothing audited.
    assert_eq!(
        ok(&hv, "vfs.list", json!({"session_id": "s"}))["paths"],
        json!([])
    );
    assert!(deltas(&hv, "s").is_empty());
}

#[test]
fn ring_3_is_read_only_and_writes_need_an_active_session() {
    let hv = engine();
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
    let j = ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "did:low", "sigma_raw": 0.3}),
    );
    assert_eq!(j["ring"], 3);
    // Handshaking: no writes yet.
    assert_eq!(
        write_fails(&hv, "s", "did:a", "f", "x"),
        "INVALID_SESSION_STATE"
    );
    ok(&hv, "session.activate", json!({"session_id": "s"}));
    write(&hv, "s", "did:a", "f", "x");
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:low", "path": "g", "content": "y"}),
    );
    assert_eq!(e["error"]["code"], "RING_READ_ONLY");
    assert_eq!(e["error"]["status"], "DENIED");
    for (m, extra) in [
        ("vfs.delete", json!({})),
        ("vfs.clear_permissions", json!({})),
        (
            "vfs.set_permissions",
            json!({"allowed_agents": ["did:low"]}),
        ),
    ] {
        let mut req = json!({"session_id": "s", "agent_did": "did:low", "path": "f"});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        assert_eq!(fail(&hv, m, req), "RING_READ_ONLY", "{m}");
    }
    // Ring 3 reads.
    assert_eq!(read(&hv, "s", "did:low", "f")["content"], "x");
    assert_eq!(deltas(&hv, "s").len(), 1);
}

#[test]
fn quarantine_blocks_writes_not_reads_and_killed_agents_are_refused_first() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:q", 0.8), ("did:k", 0.8)]);
    write(&hv, "s", "did:a", "f", "x");
    ok(
        &hv,
        "liability.quarantine",
        json!({"session_id": "s", "agent_did": "did:q", "reason": "manual"}),
    );
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:q", "path": "f", "content": "y"}),
    );
    assert_eq!(e["error"]["code"], "AGENT_QUARANTINED");
    assert_eq!(e["error"]["status"], "DENIED");
    assert_eq!(
        fail(
            &hv,
            "vfs.delete",
            json!({"session_id": "s", "agent_did": "did:q", "path": "f"})
        ),
        "AGENT_QUARANTINED"
    );
    assert_eq!(read(&hv, "s", "did:q", "f")["content"], "x");
    ok(
        &hv,
        "liability.release_quarantine",
        json!({"session_id": "s", "agent_did": "did:q"}),
    );
    write(&hv, "s", "did:q", "f", "y");

    ok(
        &hv,
        "security.kill",
        json!({"session_id": "s", "agent_did": "did:k", "reason": "manual"}),
    );
    assert_eq!(write_fails(&hv, "s", "did:k", "f", "z"), "AGENT_KILLED");
    assert_eq!(
        fail(
            &hv,
            "vfs.read",
            json!({"session_id": "s", "agent_did": "did:k", "path": "f"})
        ),
        "AGENT_KILLED"
    );
    ok(
        &hv,
        "session.leave",
        json!({"session_id": "s", "agent_did": "did:q"}),
    );
    assert_eq!(write_fails(&hv, "s", "did:q", "f", "z"), "AGENT_INACTIVE");
    assert_eq!(read(&hv, "s", "did:a", "f")["content"], "y");
}

#[test]
fn an_open_breaker_and_an_empty_bucket_refuse_writes() {
    let hv = engine_with(json!({"clock": "manual", "auto_quarantine": false}));
    session(&hv, "s", &[("did:a", 0.8)]);
    let check = |action: Value| {
        ok(
            &hv,
            "ring.check",
            json!({"session_id": "s", "agent_did": "did:a", "action": action}),
        );
    };
    let benign = json!({"action_id": "r", "name": "r", "execute_api": "/r", "is_read_only": true});
    let risky = json!({"action_id": "w", "name": "w", "execute_api": "/w"});
    // 2 benign then 5 ring-1 calls: anomaly 5/7 ≈ 0.71 (high) trips the breaker.
    check(benign.clone());
    check(benign);
    for _ in 0..5 {
        check(risky.clone());
    }
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:a", "path": "f", "content": "x"}),
    );
    assert_eq!(e["error"]["code"], "CIRCUIT_OPEN", "{e}");
    advance(&hv, 31.0);
    write(&hv, "s", "did:a", "f", "x");

    // Ring 2 bucket: burst 40, no refill on a manual clock that does not move.
    let hv = engine();
    session(&hv, "r", &[("did:a", 0.8)]);
    for i in 0..40 {
        write(&hv, "r", "did:a", &format!("f{i}"), "x");
    }
    assert_eq!(write_fails(&hv, "r", "did:a", "f40", "x"), "RATE_LIMITED");
    assert_eq!(deltas(&hv, "r").len(), 40);
    assert_eq!(session_events(&hv, "r", "security.rate_limited").len(), 1);
}

#[test]
fn permissions_govern_reads_writes_and_are_audited() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:b", 0.8)]);
    write(&hv, "s", "did:a", "secret", "s1");
    let p = ok(
        &hv,
        "vfs.set_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "/secret",
               "allowed_agents": ["did:a", "did:a"]}),
    );
    assert_eq!(p["allowed_agents"], json!(["did:a"]));
    assert_eq!(p["changed"], true);
    assert_eq!(p["delta"]["turn_id"], 2);
    assert_eq!(
        write_fails(&hv, "s", "did:b", "secret", "x"),
        "PERMISSION_DENIED"
    );
    assert_eq!(
        fail(
            &hv,
            "vfs.read",
            json!({"session_id": "s", "agent_did": "did:b", "path": "secret"})
        ),
        "PERMISSION_DENIED"
    );
    // Without an agent, a host read is not permission-checked.
    assert_eq!(
        ok(
            &hv,
            "vfs.read",
            json!({"session_id": "s", "path": "secret"})
        )["content"],
        "s1"
    );
    assert_eq!(
        fail(
            &hv,
            "vfs.clear_permissions",
            json!({"session_id": "s", "agent_did": "did:b", "path": "secret"})
        ),
        "PERMISSION_DENIED"
    );
    let e = fail_json(
        &hv,
        "vfs.set_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "x", "allowed_agents": []}),
    );
    assert_eq!(e["error"]["details"]["field"], "allowed_agents");
    let e = fail_json(
        &hv,
        "vfs.set_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "x",
               "allowed_agents": ["ok", "bad id"]}),
    );
    assert_eq!(e["error"]["details"]["field"], "allowed_agents[1]");

    let c = ok(
        &hv,
        "vfs.clear_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "secret"}),
    );
    assert_eq!(c["changed"], true);
    assert_eq!(c["delta"]["turn_id"], 3);
    let c = ok(
        &hv,
        "vfs.clear_permissions",
        json!({"session_id": "s", "agent_did": "did:a", "path": "secret"}),
    );
    assert_eq!(c["changed"], false);
    assert!(c.get("delta").is_none());
    read(&hv, "s", "did:b", "secret");
    write(&hv, "s", "did:b", "secret", "s2");

    let d = deltas(&hv, "s");
    assert_eq!(d.len(), 4);
    let change = &d[1]["changes"][0];
    assert_eq!(change["operation"], "permission");
    assert_eq!(change["path"], "/secret");
    assert_eq!(change["content_hash"], sha256_hex(br#"["did:a"]"#));
    assert_eq!(d[2]["changes"][0]["content_hash"], json!(null));
    let ops: Vec<_> = session_events(&hv, "s", "vfs.write")
        .iter()
        .map(|e| e["payload"]["operation"].clone())
        .collect();
    assert_eq!(
        ops,
        [
            json!("create"),
            json!("set_permissions"),
            json!("clear_permissions"),
            json!("update")
        ]
    );
}

#[test]
fn stale_writes_conflict_under_read_committed_and_serializable_only() {
    for iso in ["read_committed", "serializable"] {
        let hv = engine();
        session_cfg(
            &hv,
            "s",
            json!({"isolation_level": iso}),
            &[("did:a", 0.8), ("did:b", 0.8)],
        );
        write(&hv, "s", "did:a", "f", "a1");
        // b never saw a's version: stale.
        let e = fail_json(
            &hv,
            "vfs.write",
            json!({"session_id": "s", "agent_did": "did:b", "path": "f", "content": "b1"}),
        );
        assert_eq!(e["error"]["code"], "CAUSAL_VIOLATION", "{iso}");
        assert_eq!(e["error"]["status"], "CONFLICT");
        let c = session_events(&hv, "s", "vfs.conflict");
        assert_eq!(c.len(), 1, "{iso}");
        assert_eq!(c[0]["agent_did"], "did:b");
        assert_eq!(c[0]["payload"]["path"], "/f");
        assert_eq!(c[0]["payload"]["last_writer"], "did:a");
        assert_eq!(c[0]["payload"]["isolation_level"], iso);
        // Nothing half-applied: content, deltas unchanged.
        assert_eq!(read(&hv, "s", "did:a", "f")["content"], "a1");
        assert_eq!(deltas(&hv, "s").len(), 1);
        // Deletes are governed the same way.
        assert_eq!(
            fail(
                &hv,
                "vfs.delete",
                json!({"session_id": "s", "agent_did": "did:b", "path": "f"})
            ),
            "CAUSAL_VIOLATION"
        );
        // Reading makes b fresh; now a is stale.
        read(&hv, "s", "did:b", "f");
        let w = write(&hv, "s", "did:b", "f", "b1");
        assert_eq!(w["clock"], json!({"did:a": 1, "did:b": 1}));
        assert_eq!(
            write_fails(&hv, "s", "did:a", "f", "a2"),
            "CAUSAL_VIOLATION"
        );
        assert_eq!(session_events(&hv, "s", "vfs.conflict").len(), 3);
    }
    // snapshot isolation accepts concurrent writes.
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:b", 0.8)]);
    write(&hv, "s", "did:a", "f", "a1");
    let w = write(&hv, "s", "did:b", "f", "b1");
    assert_eq!(w["clock"], json!({"did:a": 1, "did:b": 1}));
    assert!(session_events(&hv, "s", "vfs.conflict").is_empty());
}

#[test]
fn quotas_and_audit_caps_refuse_before_anything_changes() {
    let hv = engine_with(json!({"clock": "manual",
        "limits": {"max_vfs_bytes_per_session": 8, "max_deltas_per_session": 3}}));
    session(&hv, "s", &[("did:a", 0.8)]);
    write(&hv, "s", "did:a", "f", "12345");
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:a", "path": "g", "content": "1234"}),
    );
    assert_eq!(e["error"]["code"], "VFS_QUOTA_EXCEEDED");
    assert_eq!(e["error"]["status"], "LIMIT_EXCEEDED");
    write(&hv, "s", "did:a", "f", "1234567"); // replacing counts the old bytes out
    write(&hv, "s", "did:a", "g", "8");
    // The audit log is full (3 deltas): the next write is refused and the VFS is untouched.
    let e = fail_json(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "did:a", "path": "f", "content": "x"}),
    );
    assert_eq!(e["error"]["code"], "CAPACITY_EXCEEDED");
    assert_eq!(e["error"]["details"]["table"], "audit_deltas");
    assert_eq!(read(&hv, "s", "did:a", "f")["content"], "1234567");
    assert_eq!(
        fail(
            &hv,
            "vfs.delete",
            json!({"session_id": "s", "agent_did": "did:a", "path": "g"})
        ),
        "CAPACITY_EXCEEDED"
    );
    assert_eq!(
        ok(&hv, "vfs.list", json!({"session_id": "s"}))["paths"],
        json!(["/f", "/g"])
    );
    let edits = ok(&hv, "vfs.edits", json!({"session_id": "s"}));
    assert_eq!(edits["edits"].as_array().unwrap().len(), 3);
    assert_eq!(
        ok(&hv, "audit.verify", json!({"session_id": "s"}))["valid"],
        true
    );
}

#[test]
fn audit_disabled_sessions_write_without_deltas() {
    let hv = engine();
    session_cfg(&hv, "s", json!({"enable_audit": false}), &[("did:a", 0.8)]);
    let w = write(&hv, "s", "did:a", "f", "x");
    assert!(w.get("delta").is_none(), "{w}");
    assert_eq!(
        ok(&hv, "audit.root", json!({"session_id": "s"})),
        json!({"merkle_root": null, "tree_size": 0})
    );
    let e = fail_json(
        &hv,
        "audit.capture",
        json!({"session_id": "s", "agent_did": "did:a",
               "changes": [{"path": "/f", "operation": "add"}]}),
    );
    assert_eq!(e["error"]["code"], "AUDIT_DISABLED");
    assert_eq!(e["error"]["status"], "INVALID_STATE");
    assert_eq!(
        fail(&hv, "audit.commitment", json!({"session_id": "s"})),
        "AUDIT_DISABLED"
    );
    let t = ok(&hv, "session.terminate", json!({"session_id": "s"}));
    assert_eq!(t["merkle_root"], json!(null));
    assert_eq!(t["tree_size"], 0);
    assert!(t.get("commitment").is_none());
}
