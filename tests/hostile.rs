//! Hostile input catalogue: malformed and adversarial requests each get their documented
//! status (and code) and leave the engine exactly as it was: `stats`, `events.stats`, every
//! session (`session.list`), the ledgers and the clock are compared before and after.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use agent_hypervisor::api;
use agent_hypervisor::ffi::{hv_call, hv_create, hv_destroy, hv_string_free, HvHypervisor};
use agent_hypervisor::Hypervisor;
use common::*;
use serde_json::{json, Value};

/// Session `s` (active: `a` σ 0.9, `b` σ 0.7, `c` σ 0.3, action `w` registered, a bond a→b)
/// and session `h` (handshaking).
fn seeded() -> Hypervisor {
    let hv = engine();
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "did:c", "session_id": "s"}),
    );
    for (a, s) in [("a", 0.9), ("b", 0.7), ("c", 0.3)] {
        ok(
            &hv,
            "session.join",
            json!({"session_id": "s", "agent_did": a, "sigma_raw": s,
                   "actions": [{"action_id": "w", "name": "write", "execute_api": "/w",
                                "undo_api": "/u", "reversibility": "full"}]}),
        );
    }
    ok(&hv, "session.activate", json!({"session_id": "s"}));
    ok(
        &hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "b"}),
    );
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "did:c", "session_id": "h"}),
    );
    ok(
        &hv,
        "vfs.write",
        json!({"session_id": "s", "agent_did": "b", "path": "/f", "content": "x"}),
    );
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g"}),
    );
    ok(
        &hv,
        "saga.add_step",
        json!({"saga_id": "g", "step_id": "p", "action_id": "w", "agent_did": "b",
               "execute_api": "/w", "undo_api": "/u"}),
    );
    hv
}

/// Everything observable that a refused request must not change.
fn state(hv: &Hypervisor) -> Value {
    let mut ledgers = Vec::new();
    for a in ["a", "b", "c"] {
        ledgers.push(ok(hv, "liability.ledger", json!({ "agent_did": a })));
    }
    json!({
        "stats": ok(hv, "stats", json!({})),
        "events": ok(hv, "events.stats", json!({})),
        "sessions": ok(hv, "session.list", json!({})),
        "matrix": ok(hv, "liability.matrix", json!({"session_id": "s"})),
        "ledgers": ledgers,
        "saga": ok(hv, "saga.get", json!({"saga_id": "g"})),
        "files": ok(hv, "vfs.list", json!({"session_id": "s"})),
        "edits": ok(hv, "vfs.edits", json!({"session_id": "s"})),
        "audit": ok(hv, "audit.root", json!({"session_id": "s"})),
        "now": ok(hv, "clock.now", json!({})),
    })
}

/// One catalogue entry: `body` is sent verbatim; `status` is the expected status name and
/// `codes` the acceptable codes (empty = any code of that status).
struct Case {
    name: &'static str,
    method: String,
    body: String,
    status: &'static str,
    codes: &'static [&'static str],
}

fn case(
    name: &'static str,
    method: &str,
    body: impl Into<String>,
    status: &'static str,
    codes: &'static [&'static str],
) -> Case {
    Case {
        name,
        method: method.to_owned(),
        body: body.into(),
        status,
        codes,
    }
}

const BAD_JSON: &[&str] = &["MALFORMED_JSON"];
const BAD_TYPE: &[&str] = &[
    "INVALID_TYPE",
    "MISSING_FIELD",
    "OUT_OF_RANGE",
    "UNKNOWN_FIELD",
];
const BAD_NUMBER: &[&str] = &["OUT_OF_RANGE", "INVALID_TYPE", "MALFORMED_JSON"];
const BAD_ID: &[&str] = &["INVALID_ID"];
/// Deep nesting: refused by the recursion limit or by the first type check, never a crash.
const DEEP: &[&str] = &["MALFORMED_JSON", "INVALID_TYPE", "UNKNOWN_FIELD"];
const INVALID: &str = "INVALID_ARGUMENT";

fn catalogue() -> Vec<Case> {
    let mb = "x".repeat(1 << 20);
    let deep_arr = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    let join =
        |extra: &str| format!(r#"{{"session_id":"s","agent_did":"n","sigma_raw":0.7{extra}}}"#);
    vec![
        // ---- malformed JSON, NaN / Infinity (not JSON), deep nesting
        case("truncated object", "session.get", "{", INVALID, BAD_JSON),
        case("trailing garbage", "session.get", r#"{"session_id":"s"} x"#, INVALID, BAD_JSON),
        case("bare word", "session.get", "session", INVALID, BAD_JSON),
        case("NaN literal", "ring.compute", r#"{"sigma_eff":NaN}"#, INVALID, BAD_JSON),
        case("Infinity literal", "ring.compute", r#"{"sigma_eff":Infinity}"#, INVALID, BAD_JSON),
        case("-Infinity literal", "session.join", join("").replace("0.7", "-Infinity"), INVALID, BAD_JSON),
        case("deep array", "session.get", deep_arr.clone(), INVALID, DEEP),
        case("deep object", "session.get", deep_obj.clone(), INVALID, DEEP),
        case(
            "deep value in a free-form field",
            "liability.quarantine",
            format!(
                r#"{{"session_id":"s","agent_did":"c","reason":"manual","details":{deep_arr}}}"#
            ),
            INVALID,
            &["MALFORMED_JSON", "INVALID_TYPE"],
        ),
        case("deep kill details", "security.kill",
             format!(r#"{{"session_id":"s","agent_did":"c","reason":"manual","details":{deep_obj}}}"#),
             INVALID, &["MALFORMED_JSON", "INVALID_TYPE"]),
        // ---- huge and out-of-range numbers
        case("1e400 score", "ring.compute", r#"{"sigma_eff":1e400}"#, INVALID, BAD_NUMBER),
        case("1e400 sigma_raw", "session.join", join("").replace("0.7", "1e400"), INVALID, BAD_NUMBER),
        case("score above 1", "session.join", join("").replace("0.7", "1.0000001"), INVALID, &["OUT_OF_RANGE"]),
        case("negative score", "liability.sigma_eff",
             r#"{"session_id":"s","agent_did":"a","risk_weight":-0.1}"#, INVALID, &["OUT_OF_RANGE"]),
        case("u64 overflow", "liability.quarantine",
             r#"{"session_id":"s","agent_did":"c","reason":"manual","duration_seconds":18446744073709551616}"#,
             INVALID, BAD_NUMBER),
        case("float for an integer", "liability.quarantine",
             r#"{"session_id":"s","agent_did":"c","reason":"manual","duration_seconds":1e300}"#,
             INVALID, BAD_NUMBER),
        case("quarantine longer than a year", "liability.quarantine",
             r#"{"session_id":"s","agent_did":"c","reason":"manual","duration_seconds":999999999999}"#,
             INVALID, &["OUT_OF_RANGE"]),
        case("ring 300", "ring.elevate",
             r#"{"session_id":"s","agent_did":"b","target_ring":300}"#, INVALID, BAD_NUMBER),
        case("huge clock advance", "clock.advance", r#"{"seconds":1e300}"#, INVALID, &["OUT_OF_RANGE"]),
        case("huge ms advance", "clock.advance", r#"{"ms":18446744073709551615}"#, INVALID, &["OUT_OF_RANGE"]),
        case("huge rate cost", "security.rate_check",
             r#"{"session_id":"s","agent_did":"a","cost":1e308}"#, INVALID, &["OUT_OF_RANGE", "INVALID_ARGUMENT"]),
        case("events page 0", "events.query", r#"{"limit":0}"#, INVALID, &["OUT_OF_RANGE"]),
        case("huge max_participants", "session.create",
             r#"{"creator_did":"c","config":{"max_participants":4294967296}}"#, INVALID, BAD_NUMBER),
        // ---- negative durations and times in the past
        case("negative quarantine", "liability.quarantine",
             r#"{"session_id":"s","agent_did":"c","reason":"manual","duration_seconds":-5}"#,
             INVALID, BAD_NUMBER),
        case("negative ttl", "ring.elevate",
             r#"{"session_id":"s","agent_did":"b","target_ring":1,"ttl_seconds":-1}"#, INVALID, BAD_NUMBER),
        case("zero ttl", "ring.elevate",
             r#"{"session_id":"s","agent_did":"b","target_ring":2,"ttl_seconds":0}"#, INVALID, &[]),
        case("negative clock advance", "clock.advance", r#"{"seconds":-1}"#, INVALID, &["OUT_OF_RANGE"]),
        case("negative ms", "clock.advance", r#"{"ms":-1}"#, INVALID, BAD_NUMBER),
        case("negative max duration", "session.create",
             r#"{"creator_did":"c","config":{"max_duration_seconds":-1}}"#, INVALID, BAD_NUMBER),
        case("vouch expiring in the past", "liability.vouch",
             r#"{"session_id":"s","voucher_did":"a","vouchee_did":"c","expires_at":"2020-01-01T00:00:00Z"}"#,
             INVALID, &["INVALID_ARGUMENT"]),
        case("bad timestamp", "liability.vouch",
             r#"{"session_id":"s","voucher_did":"a","vouchee_did":"c","expires_at":"2026-13-45T99:00:00Z"}"#,
             INVALID, &["INVALID_TIMESTAMP", "INVALID_TYPE", "OUT_OF_RANGE"]),
        // ---- 1 MB identifiers and strings
        case("1 MB session id", "session.get", json!({ "session_id": mb }).to_string(), INVALID, BAD_ID),
        case("1 MB agent", "session.join",
             json!({"session_id": "s", "agent_did": mb, "sigma_raw": 0.7}).to_string(), INVALID, BAD_ID),
        case("1 MB creator", "session.create", json!({ "creator_did": mb }).to_string(), INVALID, BAD_ID),
        case("1 MB new session id", "session.create",
             json!({"creator_did": "c", "session_id": mb}).to_string(), INVALID, BAD_ID),
        case("1 MB ledger agent", "liability.ledger", json!({ "agent_did": mb }).to_string(), INVALID, BAD_ID),
        case("1 MB vouch id", "liability.release", json!({ "vouch_id": mb }).to_string(), INVALID, BAD_ID),
        case("1 MB trace id", "session.get",
             json!({"session_id": "s", "trace_id": mb}).to_string(), INVALID, &[]),
        case("1 MB slash reason", "liability.slash",
             json!({"session_id": "s", "agent_did": "c", "risk_weight": 0.5, "reason": mb}).to_string(),
             INVALID, &[]),
        case("1 MB action id", "session.join",
             json!({"session_id": "s", "agent_did": "n", "sigma_raw": 0.7,
                    "actions": [{"action_id": mb, "name": "n", "execute_api": "/x"}]}).to_string(),
             INVALID, BAD_ID),
        case("1 MB method", &mb, "{}", "NOT_FOUND", &["UNKNOWN_METHOD"]),
        case("non-ASCII id", "session.get", r#"{"session_id":"агент"}"#, INVALID, BAD_ID),
        case("id with a slash", "session.get", r#"{"session_id":"../s"}"#, INVALID, BAD_ID),
        case("empty id", "liability.ledger", r#"{"agent_did":""}"#, INVALID, BAD_ID),
        // ---- unknown enum strings
        case("unknown isolation", "session.create",
             r#"{"creator_did":"c","config":{"isolation_level":"chaos"}}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown consistency", "session.create",
             r#"{"creator_did":"c","config":{"consistency_mode":"sometimes"}}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown quarantine reason", "liability.quarantine",
             r#"{"session_id":"s","agent_did":"c","reason":"vibes"}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown kill reason", "security.kill",
             r#"{"session_id":"s","agent_did":"c","reason":"vibes"}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown event type", "events.query", r#"{"event_type":"session.exploded"}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown state", "session.list", r#"{"state":"zombie"}"#, INVALID, &["INVALID_TYPE"]),
        case("unknown reversibility", "ring.classify",
             r#"{"action":{"action_id":"x","name":"n","execute_api":"/x","reversibility":"maybe"}}"#,
             INVALID, &["INVALID_TYPE"]),
        case("unknown metric", "verify.drift",
             r#"{"session_id":"s","agent_did":"b","claimed_embedding":[1],"observed_embedding":[1],"metric":"vibes"}"#,
             INVALID, &["INVALID_TYPE"]),
        case("enum in the wrong case", "session.list", r#"{"state":"ACTIVE"}"#, INVALID, &["INVALID_TYPE"]),
        // ---- wrong types, unknown and missing fields
        case("number as id", "session.get", r#"{"session_id":5}"#, INVALID, BAD_TYPE),
        case("null required field", "session.get", r#"{"session_id":null}"#, INVALID, BAD_TYPE),
        case("string as number", "session.join", join("").replace("0.7", "\"0.7\""), INVALID, BAD_TYPE),
        case("object as array", "session.join", join(",\"actions\":{}"), INVALID, BAD_TYPE),
        case("string as bool", "session.join", join(",\"has_consensus\":\"yes\""), INVALID, BAD_TYPE),
        case("array as request", "session.get", "[]", INVALID, BAD_TYPE),
        case("string as request", "session.get", "\"s\"", INVALID, BAD_TYPE),
        case("null request", "session.get", "null", INVALID, BAD_TYPE),
        case("empty request", "session.get", "", INVALID, BAD_TYPE),
        case("misspelt field", "session.join", join(",\"sigma_rwa\":0.1"), INVALID, &["UNKNOWN_FIELD"]),
        case("duplicate key", "session.get", r#"{"session_id":"s","session_id":"h"}"#, INVALID, &[]),
        case("empty embedding", "verify.drift",
             r#"{"session_id":"s","agent_did":"b","claimed_embedding":[],"observed_embedding":[]}"#,
             INVALID, &[]),
        case("mismatched embeddings", "verify.drift",
             r#"{"session_id":"s","agent_did":"b","claimed_embedding":[1,2],"observed_embedding":[1]}"#,
             INVALID, &[]),
        case("1e400 in an embedding", "verify.drift",
             r#"{"session_id":"s","agent_did":"b","claimed_embedding":[1e400],"observed_embedding":[1]}"#,
             INVALID, BAD_NUMBER),
        case("both action and action_id", "ring.check",
             r#"{"session_id":"s","agent_did":"b","action_id":"w","action":{"action_id":"w","name":"n","execute_api":"/w"}}"#,
             INVALID, &[]),
        case("bad trace id", "session.get", r#"{"session_id":"s","trace_id":"not a trace"}"#, INVALID, &[]),
        case("unknown config field", "session.create",
             r#"{"creator_did":"c","config":{"max_participant":3}}"#, INVALID, &["UNKNOWN_FIELD"]),
        // ---- lookups and size limits
        case("unknown method", "session.explode", "{}", "NOT_FOUND", &["UNKNOWN_METHOD"]),
        case("method with NUL-free junk", "sessi\u{fffd}n.get", "{}", "NOT_FOUND", &["UNKNOWN_METHOD"]),
        case("too many history records", "verify.history",
             json!({"agent_did": "a", "history": vec![json!({"session_id": "x",
                    "summary_hash": "0123456789abcdef", "timestamp": "2025-01-01T00:00:00Z"}); 10_001]})
             .to_string(),
             "LIMIT_EXCEEDED", &["CAPACITY_EXCEEDED"]),
        case("request above max_request_bytes", "session.get",
             format!(r#"{{"session_id":"s","pad":"{}"}}"#, "x".repeat(4 << 20)),
             "LIMIT_EXCEEDED", &["REQUEST_TOO_LARGE"]),
    ]
}

/// VFS path traversal.
fn vfs_catalogue() -> Vec<Case> {
    let w = |p: &str| {
        json!({"session_id": "s", "agent_did": "b", "path": p, "content": "x"}).to_string()
    };
    let paths: &[&str] = &[
        "../../etc/passwd",
        "/a/../../b",
        "..",
        "/..",
        "a/b/../../..",
        "",
        "/",
        "./.",
        "a\u{0}b",
        "a\nb",
    ];
    let mut v: Vec<Case> = paths
        .iter()
        .map(|p| {
            case(
                "vfs path traversal",
                "vfs.write",
                w(p),
                INVALID,
                &["INVALID_PATH"],
            )
        })
        .collect();
    let step = |extra: &str| {
        format!(r#"{{"saga_id":"g","action_id":"w","agent_did":"b","execute_api":"/w"{extra}}}"#)
    };
    v.extend([
        case(
            "negative step timeout",
            "saga.add_step",
            step(r#","timeout_seconds":-1"#),
            INVALID,
            BAD_NUMBER,
        ),
        case(
            "huge step timeout",
            "saga.add_step",
            step(r#","timeout_seconds":1e12"#),
            INVALID,
            BAD_NUMBER,
        ),
        case(
            "too many retries",
            "saga.add_step",
            step(r#","max_retries":100000"#),
            INVALID,
            BAD_NUMBER,
        ),
        case(
            "unknown lock intent",
            "saga.add_step",
            step(r#","resources":[{"path":"/x","intent":"maybe"}]"#),
            INVALID,
            &["INVALID_TYPE"],
        ),
        case(
            "traversal in a lock resource",
            "saga.add_step",
            step(r#","resources":[{"path":"../../x","intent":"read"}]"#),
            INVALID,
            &["INVALID_PATH"],
        ),
        case(
            "1 MB api path",
            "saga.add_step",
            json!({"saga_id": "g", "action_id": "w", "agent_did": "b",
                    "execute_api": "/".repeat(1 << 20)})
            .to_string(),
            INVALID,
            &[],
        ),
        case(
            "bad saga definition",
            "saga.define",
            r#"{"definition":{"name":"","session_id":"s","steps":[]}}"#,
            INVALID,
            &["INVALID_DEFINITION"],
        ),
        case(
            "definition of the wrong type",
            "saga.define",
            r#"{"definition":[1,2]}"#,
            INVALID,
            &[],
        ),
        case(
            "unknown fan-out policy",
            "saga.fan_out.create",
            r#"{"saga_id":"g","policy":"most","step_ids":["p","p"]}"#,
            INVALID,
            &["INVALID_TYPE"],
        ),
        case(
            "step end with a 1e400 result",
            "saga.step.end",
            r#"{"saga_id":"g","step_id":"p","ok":true,"result":1e400}"#,
            INVALID,
            BAD_NUMBER,
        ),
        case(
            "unknown audit operation",
            "audit.capture",
            r#"{"session_id":"s","agent_did":"b","changes":[{"path":"/x","operation":"explode"}]}"#,
            INVALID,
            &["INVALID_TYPE"],
        ),
        case(
            "audit change with a 1 MB path",
            "audit.capture",
            json!({"session_id": "s", "agent_did": "b",
                    "changes": [{"path": "x".repeat(1 << 20), "operation": "add"}]})
            .to_string(),
            INVALID,
            &[],
        ),
        case(
            "negative turn",
            "audit.proof",
            r#"{"session_id":"s","turn_id":-1}"#,
            INVALID,
            BAD_NUMBER,
        ),
        case(
            "1 MB permission list entry",
            "vfs.set_permissions",
            json!({"session_id": "s", "agent_did": "b", "path": "/f",
                    "allowed_agents": ["x".repeat(1 << 20)]})
            .to_string(),
            INVALID,
            BAD_ID,
        ),
        case(
            "traversal in a snapshot id",
            "session.restore",
            r#"{"session_id":"s","snapshot_id":"../snap","agent_did":"b"}"#,
            INVALID,
            BAD_ID,
        ),
    ]);
    v.push(case(
        "1 MB path",
        "vfs.write",
        w(&"a/".repeat(1 << 19)),
        INVALID,
        &["INVALID_PATH"],
    ));
    v.push(case(
        "traversal on read",
        "vfs.read",
        json!({"session_id": "s", "path": "../x"}).to_string(),
        INVALID,
        &["INVALID_PATH"],
    ));
    v
}

#[test]
fn every_hostile_request_gets_its_status_and_changes_nothing() {
    let hv = seeded();
    let before = state(&hv);
    let mut failures = Vec::new();
    let cases: Vec<Case> = catalogue().into_iter().chain(vfs_catalogue()).collect();
    for c in &cases {
        let got = match api::call(&hv, &c.method, &c.body) {
            Ok(r) => {
                failures.push(format!("{}: unexpectedly succeeded: {:.200}", c.name, r));
                continue;
            }
            Err(e) => e.to_json(),
        };
        let err = &got["error"];
        let code = err["code"].as_str().unwrap_or_default();
        if err["status"] != c.status || !(c.codes.is_empty() || c.codes.contains(&code)) {
            failures.push(format!(
                "{}: expected {} {:?}, got {:.300}",
                c.name, c.status, c.codes, got
            ));
        }
        if c.status == INVALID && code != "MALFORMED_JSON" && !err["details"]["field"].is_string() {
            failures.push(format!(
                "{}: INVALID_ARGUMENT without details.field: {:.300}",
                c.name, got
            ));
        }
        let after = state(&hv);
        if after != before {
            failures.push(format!("{}: engine state changed", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The same guarantees at the C boundary: NULL pointers and bytes that are not UTF-8.
#[test]
fn c_boundary_rejects_null_and_non_utf8_without_side_effects() {
    let cfg = CString::new(r#"{"clock":"manual"}"#).unwrap();
    let mut hv: *mut HvHypervisor = ptr::null_mut();
    // SAFETY: valid config string and out-pointers.
    let st = unsafe { hv_create(cfg.as_ptr(), &mut hv, ptr::null_mut()) };
    assert_eq!(st as i32, 0);
    let call = |m: Option<&[u8]>, b: Option<&[u8]>| -> (i32, Value) {
        let m = m.map(|m| CString::new(m).unwrap());
        let b = b.map(|b| CString::new(b).unwrap());
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: live handle; strings are NUL-terminated or NULL; valid out-pointer.
        let st = unsafe {
            hv_call(
                hv,
                m.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                b.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                &mut out,
            )
        };
        // SAFETY: written by the library, freed once.
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        // SAFETY: as above.
        unsafe { hv_string_free(out) };
        (st as i32, serde_json::from_str(&text).unwrap())
    };
    let (_, before) = call(Some(b"events.stats"), None);
    let (st, e) = call(None, Some(b"{}"));
    assert_eq!((st, e["error"]["code"].as_str()), (1, Some("NULL_POINTER")));
    assert_eq!(e["error"]["details"]["field"], "method");
    let (st, e) = call(
        Some(b"session.create"),
        Some(b"{\"creator_did\":\"\xff\xfe\"}"),
    );
    assert_eq!((st, e["error"]["code"].as_str()), (1, Some("INVALID_UTF8")));
    assert_eq!(e["error"]["details"]["field"], "request_json");
    let (st, e) = call(Some(b"session.\xc3\x28"), Some(b"{}"));
    assert_eq!((st, e["error"]["code"].as_str()), (1, Some("INVALID_UTF8")));
    assert_eq!(e["error"]["details"]["field"], "method");
    // NULL request means `{}`: a missing field, not a crash.
    let (st, e) = call(Some(b"session.create"), None);
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (1, Some("MISSING_FIELD"))
    );
    let (_, after) = call(Some(b"events.stats"), None);
    assert_eq!(before, after);
    let (_, stats) = call(Some(b"stats"), None);
    assert_eq!(stats["sessions"], 0);
    // A NULL handle is an error, not a crash; out_json may be NULL too.
    let m = CString::new("health").unwrap();
    // SAFETY: NULL handle and NULL out-pointer are allowed and reported.
    let st = unsafe { hv_call(ptr::null_mut(), m.as_ptr(), ptr::null(), ptr::null_mut()) };
    assert_eq!(st as i32, 1);
    // SAFETY: destroyed once.
    unsafe { hv_destroy(hv) };
}
