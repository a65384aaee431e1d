//! Offline proof verification (API.md §2): `hv_verify_inclusion` / `hv_verify_consistency`.
//! Pure functions over the JSON that `audit.proof` / `audit.consistency` return; no engine
//! handle, no state.
//!
//! Input is parsed like a request: unknown fields are rejected (`UNKNOWN_FIELD`, naming the
//! field), an optional `trace_id` is accepted, malformed hashes are `INVALID_ARGUMENT` naming
//! the field (e.g. `audit_path[2]`). A well-formed proof that does not verify is `HV_OK` with
//! `{"valid":false}`.
//!
//! `hv_verify_inclusion` also accepts an optional `delta` (a Delta exactly as `audit.deltas`
//! returns it). Then the verifier recomputes the delta's hash from its content, derives the
//! leaf hash from it (`leaf_hash` may be omitted; if given it must match), and requires
//! `leaf_index == delta.turn_id - 1`: a valid answer then proves that this very delta is in the
//! tree with `root`.

use std::ffi::c_char;

use serde_json::json;

use super::strings::read_str;
use super::{guard, HvStatus};
use crate::api::{parse, respond};
use crate::audit::delta::hex_eq;
use crate::audit::merkle::leaf_hash;
use crate::audit::{ConsistencyProof, Delta, InclusionProof};
use crate::error::{Code, Error, Result};

crate::request! {
    /// `hv_verify_inclusion` input: an `audit.proof` response, optionally with its delta.
    pub struct InclusionInput {
        /// 0-based leaf index.
        pub leaf_index: u64,
        /// Tree size the proof is for.
        pub tree_size: u64,
        /// Hex leaf hash (optional when `delta` is given).
        pub leaf_hash: Option<String>,
        /// Sibling hashes, leaf to root.
        pub audit_path: Vec<String>,
        /// Hex root.
        pub root: String,
        /// The delta the leaf is for.
        pub delta: Option<Delta>,
    }
}

crate::request! {
    /// `hv_verify_consistency` input: an `audit.consistency` response.
    pub struct ConsistencyInput {
        /// Older tree size.
        pub first_size: u64,
        /// Newer tree size.
        pub second_size: u64,
        /// Hex root of the older tree.
        pub first_root: String,
        /// Hex root of the newer tree.
        pub second_root: String,
        /// Proof nodes.
        pub proof: Vec<String>,
    }
}

/// Verifies an inclusion proof given as JSON; returns `true`/`false` for well-formed input.
pub fn verify_inclusion_json(json: &str) -> Result<bool> {
    let input: InclusionInput = parse(json)?;
    let mut leaf = input.leaf_hash;
    if let Some(d) = &input.delta {
        let hash = d.compute_hash(&mut Vec::new());
        let derived = hex::encode(leaf_hash(&hash));
        if let Some(given) = &leaf {
            crate::audit::proof::parse_hash(given, || "leaf_hash".into())?;
            if !given.eq_ignore_ascii_case(&derived) {
                return Ok(false);
            }
        }
        if !hex_eq(&hash, &d.delta_hash) || d.turn_id.checked_sub(1) != Some(input.leaf_index) {
            return Ok(false);
        }
        leaf = Some(derived);
    }
    let leaf_hash = leaf.ok_or_else(|| {
        Error::field(
            Code::MISSING_FIELD,
            "leaf_hash",
            "required field is missing (or give delta)",
        )
    })?;
    InclusionProof {
        leaf_index: input.leaf_index,
        tree_size: input.tree_size,
        leaf_hash,
        audit_path: input.audit_path,
        root: input.root,
    }
    .verify()
}

/// Verifies a consistency proof given as JSON; returns `true`/`false` for well-formed input.
pub fn verify_consistency_json(json: &str) -> Result<bool> {
    let input: ConsistencyInput = parse(json)?;
    ConsistencyProof {
        first_size: input.first_size,
        second_size: input.second_size,
        first_root: input.first_root,
        second_root: input.second_root,
        proof: input.proof,
    }
    .verify()
}

fn run(
    proof_json: *const c_char,
    out_json: *mut *mut c_char,
    f: fn(&str) -> Result<bool>,
) -> HvStatus {
    guard(out_json, || {
        let text = read_str(proof_json, "proof_json")?;
        respond(&json!({ "valid": f(text)? }))
    })
}

/// Verifies an inclusion proof offline: `proof_json` is the object `audit.proof` returns
/// (`{leaf_index, tree_size, leaf_hash, audit_path, root}`), optionally with the `delta` it is
/// for (then `leaf_hash` may be omitted). `*out_json` receives `{"valid":bool}`. No handle
/// needed. Malformed input is `HV_INVALID_ARGUMENT` naming the field.
///
/// # Safety
/// `proof_json` is a NUL-terminated string; `out_json` is NULL or a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn hv_verify_inclusion(
    proof_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    run(proof_json, out_json, verify_inclusion_json)
}

/// Verifies a consistency proof offline: `proof_json` is the object `audit.consistency`
/// returns (`{first_size, second_size, first_root, second_root, proof}`). `*out_json`
/// receives `{"valid":bool}`. No handle needed. Malformed input is `HV_INVALID_ARGUMENT`
/// naming the field.
///
/// # Safety
/// `proof_json` is a NUL-terminated string; `out_json` is NULL or a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn hv_verify_consistency(
    proof_json: *const c_char,
    out_json: *mut *mut c_char,
) -> HvStatus {
    run(proof_json, out_json, verify_consistency_json)
}
