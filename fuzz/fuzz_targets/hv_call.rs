//! `hv_call` with arbitrary methods and JSON bodies against a live, seeded engine.
//!
//! Input: up to 16 records separated by NUL bytes. A record whose first byte is < 0x80 calls
//! the known method `method_names()[byte % n]` with the rest as its body (mutated bodies for
//! real methods); any other first byte means "arbitrary method": the rest is split at the
//! first `\n` into method name and body. Bytes go to the C ABI unchanged (non-UTF-8 included).
//!
//! Oracles: no panic anywhere (libfuzzer-sys aborts on any panic, even one the boundary
//! catches), never `HV_INTERNAL`, every response is JSON whose error status matches the
//! returned status, and afterwards `stats`, the session list and the event log agree.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn methods() -> &'static [&'static str] {
    static M: OnceLock<Vec<&'static str>> = OnceLock::new();
    M.get_or_init(agent_hypervisor::api::method_names)
}

fuzz_target!(|data: &[u8]| {
    let hv = common::seeded_engine();
    for rec in data.split(|&b| b == 0).take(16) {
        let Some((&sel, rest)) = rec.split_first() else {
            continue;
        };
        if sel < 0x80 {
            let m = methods()[sel as usize % methods().len()];
            common::call_bytes(&hv, m.as_bytes(), rest);
        } else {
            let (m, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            common::call_bytes(&hv, m, body);
        }
    }
    common::check_invariants(&hv);
});
