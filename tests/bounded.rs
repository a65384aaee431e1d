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
