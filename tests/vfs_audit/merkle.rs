//! The audit trail's hashes and Merkle tree recomputed here from first principles (canonical
//! JSON, SHA-256, RFC 6962), and proofs verified offline through the pure verifiers and the C
//! exports.

use std::ffi::{c_char, CStr, CString};

use crate::common::*;
use crate::*;
use agent_hypervisor::ffi::verify::{
    hv_verify_consistency, hv_verify_inclusion, verify_consistency_json, verify_inclusion_json,
};
use agent_hypervisor::ffi::{hv_string_free, HvStatus};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

type Hash = [u8; 32];

fn leaf(delta_hash_hex: &str) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(hex::decode(delta_hash_hex).unwrap());
    h.finalize().into()
}

/// RFC 6962 §2.1 MTH over leaf hashes.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(mth(&leaves[..k]));
            h.update(mth(&leaves[k..]));
            h.finalize().into()
        }
    }
}

/// The canonical JSON of a delta: every field but `delta_hash`, keys sorted, no whitespace
/// (serde_json's map is sorted).
fn canonical(delta: &Value) -> String {
    let mut d = delta.clone();
    d.as_object_mut().unwrap().remove("delta_hash");
    d.to_string()
}

/// Checks every delta hash, the parent chain and the Merkle root against the API's.
fn check_log(hv: &agent_hypervisor::Hypervisor, sid: &str) -> Vec<Value> {
    let ds = deltas(hv, sid);
    let mut parent = Value::Null;
    for (i, d) in ds.iter().enumerate() {
        assert_eq!(d["turn_id"], i as u64 + 1);
        assert_eq!(d["parent_hash"], parent, "turn {}", i + 1);
        assert_eq!(d["delta_hash"], sha256_hex(canonical(d).as_bytes()));
        assert!(d["delta_id"].as_str().unwrap().starts_with("delta:"));
        parent = d["delta_hash"].clone();
    }
    let leaves: Vec<Hash> = ds
        .iter()
        .map(|d| leaf(d["delta_hash"].as_str().unwrap()))
        .collect();
    let root = ok(hv, "audit.root", json!({"session_id": sid}));
    assert_eq!(root["tree_size"], ds.len());
    if ds.is_empty() {
        assert_eq!(root["merkle_root"], Value::Null);
    } else {
        assert_eq!(
            root["merkle_root"],
            hex::encode(mth(&leaves)),
            "size {}",
            ds.len()
        );
    }
    ds
}

fn c_verify(
    f: unsafe extern "C" fn(*const c_char, *mut *mut c_char) -> HvStatus,
    json: &str,
) -> (HvStatus, Value) {
    let input = CString::new(json).unwrap();
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated input and out-pointer; the output is freed once below.
    let st = unsafe { f(input.as_ptr(), &mut out) };
    // SAFETY: `out` was written by the library.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: freed once.
    unsafe { hv_string_free(out) };
    (st, serde_json::from_str(&text).unwrap())
}

fn flip_hex(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).unwrap()
}

#[test]
fn delta_hashes_and_roots_match_first_principles_for_many_sizes() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8), ("did:b", 0.8)]);
    check_log(&hv, "s");
    let mut n = 0;
    for target in [1usize, 2, 3, 7, 8] {
        while n < target {
            let agent = if n % 2 == 0 { "did:a" } else { "did:b" };
            write(&hv, "s", agent, &format!("f{}", n % 3), &format!("v{n}"));
            n += 1;
        }
        let ds = check_log(&hv, "s");
        assert_eq!(ds.len(), target);
    }
    let ops: Vec<Value> = deltas(&hv, "s")
        .iter()
        .map(|d| d["changes"][0]["operation"].clone())
        .collect();
    assert_eq!(
        &ops[..4],
        [json!("add"), json!("add"), json!("add"), json!("modify")]
    );
    let v = ok(&hv, "audit.verify", json!({"session_id": "s"}));
    assert_eq!(v, json!({"valid": true, "delta_count": 8}));

    // 1000 leaves through explicit capture (not rate limited).
    let hv = engine();
    session(&hv, "big", &[("did:a", 0.8)]);
    for i in 0..1000 {
        ok(
            &hv,
            "audit.capture",
            json!({"session_id": "big", "agent_did": "did:a",
                   "changes": [{"path": format!("/f{i}"), "operation": "add",
                                "content_hash": format!("{i:064x}")}]}),
        );
    }
    assert_eq!(check_log(&hv, "big").len(), 1000);
}

#[test]
fn inclusion_and_consistency_proofs_verify_offline_and_tampering_fails() {
    let hv = engine();
    session(&hv, "s", &[("did:a", 0.8)]);
    for i in 0..7 {
        write(&hv, "s", "did:a", &format!("f{i}"), "x");
    }
    let ds = check_log(&hv, "s");
    for size in 1..=7u64 {
        for turn in 1..=size {
            let p = ok(
                &hv,
                "audit.proof",
                json!({"session_id": "s", "turn_id": turn, "tree_size": size}),
            );
            assert_eq!(p["leaf_index"], turn - 1);
            assert_eq!(p["tree_size"], size);
            let text = p.to_string();
            assert_eq!(verify_inclusion_json(&text), Ok(true), "{turn}/{size}");
            let (st, v) = c_verify(hv_verify_inclusion, &text);
            assert_eq!((st, v), (HvStatus::HV_OK, json!({"valid": true})));
            // Any flipped hash digit fails.
            for field in ["leaf_hash", "root"] {
                let mut t = p.clone();
                t[field] = flip_hex(p[field].as_str().unwrap(), 5).into();
                assert_eq!(verify_inclusion_json(&t.to_string()), Ok(false));
            }
            for i in 0..p["audit_path"].as_array().unwrap().len() {
                let mut t = p.clone();
                t["audit_path"][i] = flip_hex(p["audit_path"][i].as_str().unwrap(), 63).into();
                assert_eq!(verify_inclusion_json(&t.to_string()), Ok(false));
            }
            // With the delta itself: recomputed from content.
            let mut with = p.clone();
            with["delta"] = ds[turn as usize - 1].clone();
            assert_eq!(verify_inclusion_json(&with.to_string()), Ok(true));
            with.as_object_mut().unwrap().remove("leaf_hash");
            assert_eq!(verify_inclusion_json(&with.to_string()), Ok(true));
            with["delta"]["agent_did"] = "did:mallory".into();
            assert_eq!(verify_inclusion_json(&with.to_string()), Ok(false));
        }
        for first in 0..=size {
            let c = ok(
                &hv,
                "audit.consistency",
                json!({"session_id": "s", "first_size": first, "second_size": size}),
            );
            let text = c.to_string();
            assert_eq!(verify_consistency_json(&text), Ok(true), "{first}/{size}");
            let (st, v) = c_verify(hv_verify_consistency, &text);
            assert_eq!((st, v), (HvStatus::HV_OK, json!({"valid": true})));
            if first > 0 && first < size {
                let mut t = c.clone();
                t["first_root"] = flip_hex(c["first_root"].as_str().unwrap(), 0).into();
                assert_eq!(verify_consistency_json(&t.to_string()), Ok(false));
                let mut t = c.clone();
                t["proof"][0] = flip_hex(c["proof"][0].as_str().unwrap(), 10).into();
                assert_eq!(verify_consistency_json(&t.to_string()), Ok(false));
            }
        }
    }
    // The proof of an older tree size uses that size's root.
    let old = ok(
        &hv,
        "audit.consistency",
        json!({"session_id": "s", "first_size": 3, "second_size": 7}),
    );
    let p = ok(
        &hv,
        "audit.proof",
        json!({"session_id": "s", "turn_id": 2, "tree_size": 3}),
    );
    assert_eq!(p["root"], old["first_root"]);

    // Bad requests name their field.
    let e = fail_json(&hv, "audit.proof", json!({"session_id": "s", "turn_id": 9}));
    assert_eq!(e["error"]["code"], "TURN_NOT_FOUND");
    let e = fail_json(
        &hv,
        "audit.proof",
        json!({"session_id": "s", "turn_id": 1, "tree_size": 8}),
    );
    assert_eq!(e["error"]["details"]["field"], "tree_size");
    let e = fail_json(
        &hv,
        "audit.consistency",
        json!({"session_id": "s", "first_size": 5, "second_size": 4}),
    );
    assert_eq!(e["error"]["details"]["field"], "first_size");
}

#[test]
fn offline_verifiers_reject_malformed_input_naming_the_field() {
    let (st, e) = c_verify(hv_verify_inclusion, "{not json");
    assert_eq!(st, HvStatus::HV_INVALID_ARGUMENT);
    assert_eq!(e["error"]["code"], "MALFORMED_JSON");
    let good = json!({"leaf_index": 0, "tree_size": 1, "leaf_hash": "ab".repeat(32),
                      "audit_path": [], "root": "ab".repeat(32)});
    assert_eq!(verify_inclusion_json(&good.to_string()), Ok(true));
    let mut t = good.clone();
    t["extra"] = 1.into();
    let e = verify_inclusion_json(&t.to_string()).unwrap_err();
    assert_eq!(e.code().as_str(), "UNKNOWN_FIELD");
    assert_eq!(e.details().unwrap()["field"], "extra");
    let mut t = good.clone();
    t["audit_path"] = json!(["zz"]);
    let (st, e) = c_verify(hv_verify_inclusion, &t.to_string());
    assert_eq!(st, HvStatus::HV_INVALID_ARGUMENT);
    assert_eq!(e["error"]["details"]["field"], "audit_path[0]");
    let mut t = good;
    t.as_object_mut().unwrap().remove("leaf_hash");
    let e = verify_inclusion_json(&t.to_string()).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "leaf_hash");
    let e = verify_consistency_json(
        r#"{"first_size":1,"second_size":2,"first_root":"00","second_root":"00","proof":[]}"#,
    )
    .unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "first_root");
    // NULL input and NULL out_json are handled.
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: NULL input is part of the contract (rejected); out is a valid pointer.
    let st = unsafe { hv_verify_inclusion(std::ptr::null(), &mut out) };
    assert_eq!(st, HvStatus::HV_INVALID_ARGUMENT);
    // SAFETY: freed once.
    unsafe { hv_string_free(out) };
    let input = CString::new("{}").unwrap();
    // SAFETY: NULL out_json is allowed.
    let st = unsafe { hv_verify_consistency(input.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(st, HvStatus::HV_INVALID_ARGUMENT);
}
