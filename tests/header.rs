//! The checked-in header must equal what cbindgen generates from the current source.

#[test]
fn checked_in_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/agent_hypervisor.h"));
    let checked_in = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/agent_hypervisor.h"
    ))
    .expect("include/agent_hypervisor.h exists");
    assert!(
        generated == checked_in,
        "include/agent_hypervisor.h is stale: run `make header` and commit it"
    );
}
