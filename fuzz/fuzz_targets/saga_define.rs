//! Saga definitions (`saga.define` / `saga.validate`, API.md §4.5).
//!
//! The input, as JSON, is a definition. Oracles: the DSL checker never panics, reports no
//! errors exactly when parsing succeeds, and a refused parse is `INVALID_DEFINITION` listing
//! the same messages; through the C ABI (when the engine exposes the methods) `saga.validate`
//! always answers `HV_OK` with an `errors` array, and `saga.define` never fails internally and
//! leaves the engine consistent.
#![no_main]

#[path = "common.rs"]
mod common;

use agent_hypervisor::error::Code;
use agent_hypervisor::ffi::HvStatus;
use agent_hypervisor::saga::dsl;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn has(method: &str) -> bool {
    agent_hypervisor::api::table().contains_key(method)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(def) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let errors = dsl::validate(&def);
    match dsl::parse(&def) {
        Ok(d) => {
            assert!(errors.is_empty(), "parsed despite {errors:?}");
            assert!(!d.steps.is_empty(), "a valid definition has steps");
        }
        Err(e) => {
            assert!(!errors.is_empty(), "refused without a message: {e}");
            assert_eq!(e.code(), Code::INVALID_DEFINITION);
            let listed = e.details().and_then(|d| d["errors"].as_array().cloned());
            assert_eq!(listed.map(|l| l.len()), Some(errors.len()));
        }
    }
    if has("saga.validate") || has("saga.define") {
        let hv = common::seeded_engine();
        let req = json!({ "definition": def });
        if has("saga.validate") {
            let (st, v) = common::call(&hv, "saga.validate", &req);
            // Wrapping adds one level of nesting: a definition at the parser's depth limit is
            // refused as malformed JSON; anything else is answered with a list of errors.
            if v["error"]["code"] != "MALFORMED_JSON" {
                assert_eq!(st, HvStatus::HV_OK, "saga.validate threw: {v}");
                assert!(v["errors"].is_array(), "{v}");
            }
        }
        if has("saga.define") {
            let (st, v) = common::call(&hv, "saga.define", &req);
            if st == HvStatus::HV_OK {
                let id = v["saga_id"].as_str().expect("saga_id");
                let (st, got) = common::call(&hv, "saga.get", &json!({ "saga_id": id }));
                assert_eq!(st, HvStatus::HV_OK, "{got}");
            }
            common::check_invariants(&hv);
        }
    }
});
