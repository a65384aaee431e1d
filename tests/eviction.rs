//! Session-table eviction (`limits.max_sessions`): the oldest archived session goes, together
//! with every saga / vouch id it registered, and nothing of the sessions that stay.

use agent_hypervisor::api::call;
use agent_hypervisor::{api, Hypervisor};

fn hv() -> Hypervisor {
    Hypervisor::new(api::parse_config(r#"{"limits":{"max_sessions":2}}"#).unwrap())
}

fn session(hv: &Hypervisor, sid: &str, saga: &str) -> String {
    call(
        hv,
        "session.create",
        &format!(r#"{{"creator_did":"did:a","session_id":"{sid}"}}"#),
    )
    .unwrap();
    for a in ["did:a", "did:b"] {
        call(
            hv,
            "session.join",
            &format!(r#"{{"session_id":"{sid}","agent_did":"{a}","sigma_raw":0.8}}"#),
        )
        .unwrap();
    }
    call(
        hv,
        "session.activate",
        &format!(r#"{{"session_id":"{sid}"}}"#),
    )
    .unwrap();
    call(
        hv,
        "saga.create",
        &format!(r#"{{"session_id":"{sid}","saga_id":"{saga}"}}"#),
    )
    .unwrap();
    let v = call(
        hv,
        "liability.vouch",
        &format!(r#"{{"session_id":"{sid}","voucher_did":"did:a","vouchee_did":"did:b"}}"#),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    v["vouch_id"].as_str().unwrap().to_owned()
}

#[test]
fn evicting_a_session_forgets_exactly_its_owned_ids() {
    let hv = hv();
    let v1 = session(&hv, "s1", "saga1");
    let v2 = session(&hv, "s2", "saga2");
    call(&hv, "session.terminate", r#"{"session_id":"s1"}"#).unwrap();
    // Full: creating s3 evicts s1 (the only archived session).
    call(
        &hv,
        "session.create",
        r#"{"creator_did":"did:a","session_id":"s3"}"#,
    )
    .unwrap();
    let e = call(&hv, "session.get", r#"{"session_id":"s1"}"#).unwrap_err();
    assert_eq!(e.code().as_str(), "SESSION_NOT_FOUND");
    let e = call(&hv, "saga.get", r#"{"saga_id":"saga1"}"#).unwrap_err();
    assert_eq!(e.code().as_str(), "SAGA_NOT_FOUND");
    let e = call(
        &hv,
        "liability.release",
        &format!(r#"{{"vouch_id":"{v1}"}}"#),
    )
    .unwrap_err();
    assert_eq!(e.code().as_str(), "VOUCH_NOT_FOUND");
    // s2's ids are untouched, and s1's saga id may be used again.
    call(&hv, "saga.get", r#"{"saga_id":"saga2"}"#).unwrap();
    call(
        &hv,
        "liability.release",
        &format!(r#"{{"vouch_id":"{v2}"}}"#),
    )
    .unwrap();
    call(
        &hv,
        "session.join",
        r#"{"session_id":"s3","agent_did":"did:a","sigma_raw":0.8}"#,
    )
    .unwrap();
    call(&hv, "session.activate", r#"{"session_id":"s3"}"#).unwrap();
    call(
        &hv,
        "saga.create",
        r#"{"session_id":"s3","saga_id":"saga1"}"#,
    )
    .unwrap();
}
