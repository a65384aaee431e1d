//! Generates the C header from `src/ffi` with cbindgen into `$OUT_DIR/agent_hypervisor.h`.
//! The checked-in copy in `include/` is compared against it by `tests/header.rs`; run
//! `make header` (which sets `HV_WRITE_HEADER=1`) to refresh it.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=HV_WRITE_HEADER");
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("agent_hypervisor.h");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => {
            b.write_to_file(&out);
            if env::var_os("HV_WRITE_HEADER").is_some() {
                b.write_to_file(dir.join("include/agent_hypervisor.h"));
            }
        }
        // A syntax error is reported by rustc itself with a better message; do not fail here.
        Err(e) => println!("cargo:warning=cbindgen: {e}"),
    }
}
