//! Shared benchmark workloads: every operation of the suite exists twice, once on the native
//! Rust API (`agent_hypervisor::Hypervisor` methods) and once through the C ABI with JSON
//! (`hv_call` and the named exports, called from Rust exactly as a C host would call them).
//!
//! Both the criterion suite (`benches/governance.rs`) and the table printer
//! (`benches/table.rs`) drive the same [`Workload`]s, so the numbers in `make bench` and in
//! criterion's reports measure the same thing.
//!
//! The workload mirrors the Python original's `benchmarks/bench_hypervisor.py`: ring
//! computation, σ_eff, delta capture, Merkle root, chain verification, session lifecycle, a
//! 3-step saga and the full governance pipeline.
#![allow(dead_code)]

mod calls;
mod workloads;

#[allow(unused_imports)] // used by some bench targets, not all
pub use calls::*;
use workloads::*;

use std::ffi::{c_char, c_void, CStr};
use std::io::Write as _;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use agent_hypervisor::ffi::{self, HvHypervisor, HvStatus};
use agent_hypervisor::Hypervisor;

/// Engine configuration used by every benchmark (native and ABI alike): the defaults, except
/// rate limits high enough that long-lived benchmark sessions are never throttled (a
/// throttled call would measure the error path instead of the operation).
pub const BENCH_CONFIG: &str =
    r#"{"rate_limits":{"0":[1e9,1e9],"1":[1e9,1e9],"2":[1e9,1e9],"3":[1e9,1e9]}}"#;

/// The engine configuration of every benchmark engine: [`BENCH_CONFIG`], or the JSON in the
/// environment variable `HV_BENCH_CONFIG` (for experiments, e.g. a smaller `max_events`).
pub fn bench_config() -> String {
    std::env::var("HV_BENCH_CONFIG").unwrap_or_else(|_| BENCH_CONFIG.to_owned())
}

/// Process-wide counter for caller-chosen ids (`bench-<n>`), unique across workloads.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh number for caller-chosen ids.
pub fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A native engine with the benchmark configuration.
pub fn native_engine() -> Hypervisor {
    let cfg = agent_hypervisor::api::parse_config(&bench_config()).expect("bench config is valid");
    Hypervisor::new(cfg)
}

/// True when the method table has `method` (areas being wired concurrently may lack some).
pub fn has_method(method: &str) -> bool {
    agent_hypervisor::api::table().contains_key(method)
}

/// A C-ABI engine handle plus a reusable request buffer, used the way a C host uses the
/// library: NUL-terminated JSON in, a library-owned string out, released with
/// `hv_string_free`.
pub struct Abi {
    hv: *mut HvHypervisor,
    req: Vec<u8>,
}

// SAFETY: the handle is thread-safe by contract (API.md §1); `Abi` only adds a buffer.
unsafe impl Send for Abi {}

impl Abi {
    /// `hv_create` with [`bench_config`].
    pub fn new() -> Abi {
        let cfg = format!("{}\0", bench_config());
        let mut hv: *mut HvHypervisor = ptr::null_mut();
        // SAFETY: `cfg` is NUL-terminated; `hv` is a valid out-pointer; NULL out_json is allowed.
        let st = unsafe { ffi::hv_create(cfg.as_ptr().cast(), &mut hv, ptr::null_mut()) };
        assert_eq!(st, HvStatus::HV_OK, "hv_create failed");
        Abi {
            hv,
            req: Vec::with_capacity(512),
        }
    }

    /// The raw handle.
    pub fn handle(&self) -> *mut HvHypervisor {
        self.hv
    }

    /// Formats the request into the reusable buffer (NUL-terminated) and returns its pointer.
    fn request(&mut self, args: std::fmt::Arguments<'_>) -> *const c_char {
        self.req.clear();
        self.req
            .write_fmt(args)
            .expect("writing to a Vec cannot fail");
        self.req.push(0);
        self.req.as_ptr().cast()
    }

    /// `hv_call(method, request)`; panics unless `HV_OK` (a benchmark must never silently
    /// measure an error path). `method` ends with `\0`.
    pub fn call(&mut self, method: &'static str, args: std::fmt::Arguments<'_>) {
        let req = self.request(args);
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: live handle; `method` and `req` are NUL-terminated; `out` is a valid pointer.
        let st = unsafe { ffi::hv_call(self.hv, method.as_ptr().cast(), req, &mut out) };
        finish(st, out, method);
    }

    /// Like [`Self::call`] but returns the response text (setup paths only).
    pub fn call_text(&mut self, method: &'static str, args: std::fmt::Arguments<'_>) -> String {
        let req = self.request(args);
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: as in `call`.
        let st = unsafe { ffi::hv_call(self.hv, method.as_ptr().cast(), req, &mut out) };
        // SAFETY: `out` is NULL or a NUL-terminated string from the library.
        let text = if out.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(out) }
                .to_string_lossy()
                .into_owned()
        };
        // SAFETY: `out` came from the library and is freed once.
        unsafe { ffi::hv_string_free(out) };
        assert_eq!(st, HvStatus::HV_OK, "{method} failed: {text}");
        text
    }

    /// A named export taking `(hv, request_json, out_json)`.
    pub fn export(
        &mut self,
        f: unsafe extern "C" fn(*mut HvHypervisor, *const c_char, *mut *mut c_char) -> HvStatus,
        name: &'static str,
        args: std::fmt::Arguments<'_>,
    ) {
        let req = self.request(args);
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: `f` is one of the library's named exports; arguments as in `call`.
        let st = unsafe { f(self.hv, req, &mut out) };
        finish(st, out, name);
    }
}

impl Abi {
    /// `hv_saga_step` with a no-op executor (the step succeeds without doing anything).
    pub fn saga_step(&mut self, args: std::fmt::Arguments<'_>) {
        let req = self.request(args);
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: live handle, NUL-terminated request, valid out-pointer; `noop_step` is safe
        // to call from any thread and ignores its arguments.
        let st =
            unsafe { ffi::hv_saga_step(self.hv, req, Some(noop_step), ptr::null_mut(), &mut out) };
        finish(st, out, "hv_saga_step");
    }
}

/// The host executor of the saga benchmarks: does nothing and reports success.
unsafe extern "C" fn noop_step(
    _ctx: *mut ffi::HvStepContext,
    _step_json: *const c_char,
    _user_data: *mut c_void,
) -> i32 {
    0
}

impl Drop for Abi {
    fn drop(&mut self) {
        // SAFETY: the handle came from `hv_create` and is destroyed once, with no call in flight.
        unsafe { ffi::hv_destroy(self.hv) };
    }
}

/// Frees the response; panics with the error text unless `HV_OK`.
fn finish(st: HvStatus, out: *mut c_char, what: &str) {
    if st != HvStatus::HV_OK {
        // SAFETY: `out` is NULL or a NUL-terminated string from the library.
        let text = if out.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(out) }
                .to_string_lossy()
                .into_owned()
        };
        // SAFETY: freed once.
        unsafe { ffi::hv_string_free(out) };
        panic!("{what} returned {st:?}: {text}");
    }
    // SAFETY: `out` came from the library and is freed once.
    unsafe { ffi::hv_string_free(out) };
}

/// One benchmarked operation with its own state.
pub trait Workload {
    /// One measured operation.
    fn op(&mut self);
    /// Called outside the timed region every [`Self::rotate_every`] operations, so that
    /// per-session tables (deltas, sagas) do not grow without bound during long runs.
    fn rotate(&mut self) {}
    /// Operations between two [`Self::rotate`] calls.
    fn rotate_every(&self) -> u64 {
        u64::MAX
    }
    /// Operations per timed sample in the table printer: >1 only for operations so short
    /// that the timer's own cost (~20–30 ns) would dominate a single call.
    fn batch(&self) -> u32 {
        1
    }
}

/// Native or C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// `agent_hypervisor::Hypervisor` methods.
    Native,
    /// `hv_call` / named exports with JSON.
    Abi,
}

/// A benchmark of the suite: its table label, criterion id, and how to build each variant.
pub struct Spec {
    /// Row label in the table.
    pub label: &'static str,
    /// Criterion group id.
    pub id: &'static str,
    /// JSON methods the ABI variant needs (areas wired concurrently may lack some).
    pub needs: &'static [&'static str],
    /// Whether the native variant exists in this build.
    pub native: bool,
    /// Builds the workload for a path.
    pub build: fn(Path) -> Box<dyn Workload>,
}

impl Spec {
    /// True when `path` can run in this build.
    pub fn available(&self, path: Path) -> bool {
        match path {
            Path::Native => self.native,
            Path::Abi => self.needs.iter().all(|m| has_method(m)),
        }
    }
}

/// Every benchmark of the suite, in table order.
pub fn suite() -> Vec<Spec> {
    vec![
        Spec {
            label: "ring computation (σ 0.85)",
            id: "ring_compute",
            needs: &["ring.compute"],
            native: true,
            build: |p| Box::new(RingCompute::new(p)),
        },
        Spec {
            label: "σ_eff, 10 prior vouches",
            id: "sigma_eff_10",
            needs: &["liability.sigma_eff"],
            native: true,
            build: |p| Box::new(SigmaEff::new(p, 10)),
        },
        Spec {
            label: "σ_eff, 10 000 prior vouches",
            id: "sigma_eff_10000",
            needs: &["liability.sigma_eff"],
            native: true,
            build: |p| Box::new(SigmaEff::new(p, 10_000)),
        },
        Spec {
            label: "delta capture (audit.capture, 1 change)",
            id: "delta_capture",
            needs: &["audit.capture"],
            native: true,
            build: |p| Box::new(Capture::new(p)),
        },
        Spec {
            label: "Merkle root after 10 deltas",
            id: "merkle_root_10",
            needs: &["audit.root"],
            native: true,
            build: |p| Box::new(AuditQuery::new(p, 10, AuditOp::Root)),
        },
        Spec {
            label: "Merkle root after 100 deltas",
            id: "merkle_root_100",
            needs: &["audit.root"],
            native: true,
            build: |p| Box::new(AuditQuery::new(p, 100, AuditOp::Root)),
        },
        Spec {
            label: "Merkle root after 10 000 deltas",
            id: "merkle_root_10000",
            needs: &["audit.root"],
            native: true,
            build: |p| Box::new(AuditQuery::new(p, 10_000, AuditOp::Root)),
        },
        Spec {
            label: "chain verify, 50 deltas (audit.verify)",
            id: "chain_verify_50",
            needs: &["audit.verify"],
            native: true,
            build: |p| Box::new(AuditQuery::new(p, 50, AuditOp::Verify)),
        },
        Spec {
            label: "session lifecycle (create→join→activate→terminate)",
            id: "session_lifecycle",
            needs: &["session.create"],
            native: true,
            build: |p| Box::new(Lifecycle::new(p)),
        },
        Spec {
            label: "saga, 3 steps (create, 3 add_step, 3 × hv_saga_step)",
            id: "saga_3_steps",
            needs: &["saga.create", "saga.add_step"],
            native: true,
            build: |p| Box::new(Saga3::new(p)),
        },
        Spec {
            label: "FULL PIPELINE (see docs/PERFORMANCE.md)",
            id: "full_pipeline",
            needs: &[
                "session.create",
                "audit.capture",
                "saga.create",
                "saga.add_step",
            ],
            native: true,
            build: |p| Box::new(Pipeline::new(p)),
        },
        Spec {
            label: "full pipeline, engine at max_sessions (evicting)",
            id: "full_pipeline_at_cap",
            needs: &[
                "session.create",
                "audit.capture",
                "saga.create",
                "saga.add_step",
            ],
            native: true,
            build: |p| Box::new(Pipeline::at_cap(p)),
        },
    ]
}

/// A workload plus its rotation counter.
pub struct Runner {
    w: Box<dyn Workload>,
    since_rotate: u64,
}

impl Runner {
    /// Wraps a workload.
    pub fn new(w: Box<dyn Workload>) -> Runner {
        Runner { w, since_rotate: 0 }
    }

    /// Operations per timed sample (see [`Workload::batch`]).
    pub fn batch(&self) -> u32 {
        self.w.batch()
    }

    /// Rotates when due (outside any timed region).
    fn maybe_rotate(&mut self) {
        if self.since_rotate >= self.w.rotate_every() {
            self.w.rotate();
            self.since_rotate = 0;
        }
    }

    /// Runs `iters` operations and returns the time they took, rotation excluded.
    pub fn timed(&mut self, iters: u64) -> std::time::Duration {
        let mut total = std::time::Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            self.maybe_rotate();
            let n = left.min(self.w.rotate_every() - self.since_rotate);
            let t = std::time::Instant::now();
            for _ in 0..n {
                self.w.op();
            }
            total += t.elapsed();
            left -= n;
            self.since_rotate += n;
        }
        total
    }

    /// Runs one sample of [`Self::batch`] operations and returns the time per operation in ns.
    pub fn sample_ns(&mut self) -> f64 {
        let b = u64::from(self.batch());
        if self.since_rotate + b > self.w.rotate_every() {
            self.w.rotate();
            self.since_rotate = 0;
        }
        let t = std::time::Instant::now();
        for _ in 0..b {
            self.w.op();
        }
        let ns = t.elapsed().as_nanos() as f64;
        self.since_rotate += b;
        ns / b as f64
    }
}
