//! The offline proof verifiers `hv_verify_inclusion` / `hv_verify_consistency` (through the C
//! ABI) and the proof types behind them: arbitrary bytes must never panic or fail internally;
//! genuine proofs of a tree built from the input must verify, and any single bit flip in a hash
//! must not.
//!
//! Input: bytes 0..2 tree size (1..=300), byte 2 leaf salt, bytes 3..5 proof coordinates,
//! bytes 5..7 bit to flip; the whole input is also tried as a proof JSON document.
#![no_main]

#[path = "common.rs"]
mod common;

use std::ffi::{c_char, CString};

use agent_hypervisor::audit::merkle::MerkleTree;
use agent_hypervisor::audit::{ConsistencyProof, InclusionProof};
use agent_hypervisor::error::Code;
use agent_hypervisor::ffi::verify::{hv_verify_consistency, hv_verify_inclusion};
use agent_hypervisor::ffi::HvStatus;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

type Verifier = unsafe extern "C" fn(*const c_char, *mut *mut c_char) -> HvStatus;

/// Calls a C verifier; `Some(valid)` on `HV_OK`, `None` on a (well-formed) error response.
fn c_verify(f: Verifier, json: &[u8]) -> Option<bool> {
    let c = CString::new(json).ok()?;
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: NUL-terminated input and a valid out-pointer.
    let st = unsafe { f(c.as_ptr(), &mut out) };
    let v: Value = common::take_response(st, out, "hv_verify_*");
    (st == HvStatus::HV_OK).then(|| v["valid"].as_bool().expect("{valid: bool}"))
}

fn check_err(e: agent_hypervisor::Error) {
    assert_eq!(e.code(), Code::INVALID_ARGUMENT, "{e}");
    assert!(e.details().is_some_and(|d| d["field"].is_string()), "{e}");
}

fn raw(data: &[u8]) {
    c_verify(hv_verify_inclusion, data);
    c_verify(hv_verify_consistency, data);
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = serde_json::from_str::<InclusionProof>(s) {
        if let Err(e) = p.verify() {
            check_err(e);
        }
    }
    if let Ok(p) = serde_json::from_str::<ConsistencyProof>(s) {
        if let Err(e) = p.verify() {
            check_err(e);
        }
    }
}

/// Flips bit `bit` of the hex hash `h` (a valid 64-hex-digit string).
fn flip(h: &mut String, bit: u16) {
    let mut bytes = hex::decode(&*h).expect("genuine hashes are hex");
    let i = (bit as usize / 8) % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
    *h = hex::encode(bytes);
}

fn structured(data: &[u8]) {
    if data.len() < 7 {
        return;
    }
    let n = 1 + u16::from_le_bytes([data[0], data[1]]) as u64 % 300;
    let salt = data[2];
    let mut t = MerkleTree::new();
    for i in 0..n {
        let mut e = [salt; 32];
        e[..8].copy_from_slice(&i.to_le_bytes());
        t.append(&e);
    }
    let size = 1 + data[3] as u64 % n;
    let idx = data[4] as u64 % size;
    let bit = u16::from_le_bytes([data[5], data[6]]);

    let path = t.inclusion_proof(idx, size).expect("in range");
    let root = t.root_at(size).expect("in range");
    let p = InclusionProof::from_parts(idx, size, t.leaf(idx).unwrap(), &path, &root);
    assert_eq!(p.verify(), Ok(true), "genuine inclusion proof rejected");
    let back: InclusionProof = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back.verify(), Ok(true));
    let json = serde_json::to_vec(&p).unwrap();
    assert_eq!(c_verify(hv_verify_inclusion, &json), Some(true));
    let mut bad = p.clone();
    let slots = 2 + bad.audit_path.len();
    match (bit as usize >> 8) % slots {
        0 => flip(&mut bad.leaf_hash, bit),
        1 => flip(&mut bad.root, bit),
        k => flip(&mut bad.audit_path[k - 2], bit),
    }
    assert_eq!(bad.verify(), Ok(false), "tampered inclusion proof accepted");
    let json = serde_json::to_vec(&bad).unwrap();
    assert_eq!(c_verify(hv_verify_inclusion, &json), Some(false));

    let first = data[4] as u64 % (size + 1);
    let proof = t.consistency_proof(first, size).expect("in range");
    let c = ConsistencyProof::from_parts(
        first,
        size,
        &t.root_at(first).expect("in range"),
        &root,
        &proof,
    );
    assert_eq!(c.verify(), Ok(true), "genuine consistency proof rejected");
    let json = serde_json::to_vec(&c).unwrap();
    assert_eq!(c_verify(hv_verify_consistency, &json), Some(true));
    // With an empty first tree the second root cannot be checked (the empty tree is a prefix
    // of every tree), so only that one flip may pass.
    let mut bad = c.clone();
    let slots = 2 + bad.proof.len();
    let slot = (bit as usize >> 8) % slots;
    match slot {
        0 => flip(&mut bad.first_root, bit),
        1 => flip(&mut bad.second_root, bit),
        k => flip(&mut bad.proof[k - 2], bit),
    }
    let r = bad.verify();
    let json = serde_json::to_vec(&bad).unwrap();
    assert_eq!(c_verify(hv_verify_consistency, &json), r.clone().ok());
    if !(slot == 1 && first == 0) {
        assert_eq!(r, Ok(false), "tampered consistency proof accepted");
    }
}

fuzz_target!(|data: &[u8]| {
    raw(data);
    structured(data);
});
