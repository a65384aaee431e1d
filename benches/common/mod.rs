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

use std::ffi::{c_char, c_void, CStr};
use std::io::Write as _;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use agent_hypervisor::audit::{Change, ChangeOp};
use agent_hypervisor::engine::{
    AddStepRequest, CaptureRequest, CreateRequest, JoinRequest, SagaCreateRequest,
    StepBeginRequest, StepOutcome, VouchRequest,
};
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

// ------------------------------------------------------------------------------ C ABI

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

// ------------------------------------------------------------------------------ workloads

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

// ---- ring computation

struct RingCompute {
    path: Path,
    native: Option<Hypervisor>,
    abi: Option<Abi>,
}

impl RingCompute {
    fn new(path: Path) -> Self {
        match path {
            Path::Native => RingCompute {
                path,
                native: Some(native_engine()),
                abi: None,
            },
            Path::Abi => RingCompute {
                path,
                native: None,
                abi: Some(Abi::new()),
            },
        }
    }
}

impl Workload for RingCompute {
    fn op(&mut self) {
        match self.path {
            Path::Native => {
                let hv = self.native.as_ref().expect("native engine");
                let r = hv.ring_compute(std::hint::black_box(0.85), false);
                std::hint::black_box(r.expect("ring.compute"));
            }
            Path::Abi => {
                let abi = self.abi.as_mut().expect("abi engine");
                abi.call("ring.compute\0", format_args!(r#"{{"sigma_eff":0.85}}"#));
            }
        }
    }

    fn batch(&self) -> u32 {
        match self.path {
            Path::Native => 256,
            Path::Abi => 1,
        }
    }
}

// ---- σ_eff with a vouch history

/// A session with a voucher and a vouchee whose history holds `prior` vouches (vouch/release
/// churn, so every record but the last is released); the operation asks the vouchee's σ_eff.
struct SigmaEff {
    path: Path,
    native: Option<Hypervisor>,
    abi: Option<Abi>,
    session: String,
}

impl SigmaEff {
    fn new(path: Path, prior: usize) -> Self {
        let session = format!("bench-{}", next_id());
        let mut me = SigmaEff {
            path,
            native: None,
            abi: None,
            session,
        };
        match path {
            Path::Native => {
                let hv = native_engine();
                native_session(&hv, &me.session, &["did:mesh:voucher", "did:mesh:vouchee"]);
                for i in 0..prior {
                    let rec = hv
                        .vouch(&VouchRequest {
                            session_id: me.session.clone(),
                            voucher_did: "did:mesh:voucher".into(),
                            vouchee_did: "did:mesh:vouchee".into(),
                            bond_pct: Some(0.2),
                            expires_at: None,
                            trace_id: None,
                        })
                        .expect("vouch");
                    if i + 1 < prior {
                        hv.release_vouch(&rec.vouch_id, None).expect("release");
                    }
                }
                me.native = Some(hv);
            }
            Path::Abi => {
                let mut abi = Abi::new();
                abi_session(
                    &mut abi,
                    &me.session,
                    &["did:mesh:voucher", "did:mesh:vouchee"],
                );
                for i in 0..prior {
                    let text = abi.call_text(
                        "liability.vouch\0",
                        format_args!(
                            r#"{{"session_id":"{}","voucher_did":"did:mesh:voucher","vouchee_did":"did:mesh:vouchee","bond_pct":0.2}}"#,
                            me.session
                        ),
                    );
                    if i + 1 < prior {
                        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
                        let id = v["vouch_id"].as_str().expect("vouch_id").to_owned();
                        abi.call_text(
                            "liability.release\0",
                            format_args!(r#"{{"vouch_id":"{id}"}}"#),
                        );
                    }
                }
                me.abi = Some(abi);
            }
        }
        me
    }
}

impl Workload for SigmaEff {
    fn op(&mut self) {
        match self.path {
            Path::Native => {
                let hv = self.native.as_ref().expect("native engine");
                let s = hv.sigma_eff(&self.session, "did:mesh:vouchee", 0.5);
                std::hint::black_box(s.expect("sigma_eff"));
            }
            Path::Abi => {
                let abi = self.abi.as_mut().expect("abi engine");
                abi.call(
                    "liability.sigma_eff\0",
                    format_args!(
                        r#"{{"session_id":"{}","agent_did":"did:mesh:vouchee","risk_weight":0.5}}"#,
                        self.session
                    ),
                );
            }
        }
    }
}

// ---- session lifecycle

/// Create → join → activate → terminate; the engine is replaced every 50 000 lifecycles so
/// runs stay below `limits.max_sessions` (see [`Pipeline`]).
struct Lifecycle {
    path: Path,
    engine: Engine,
}

impl Lifecycle {
    fn new(path: Path) -> Self {
        Lifecycle {
            path,
            engine: Engine::new(path),
        }
    }
}

impl Workload for Lifecycle {
    fn op(&mut self) {
        let n = next_id();
        match &mut self.engine {
            Engine::Native(hv) => {
                let sid = native_lifecycle_start(hv, n);
                hv.terminate_session(&sid, None).expect("terminate");
            }
            Engine::Abi(abi) => {
                abi_lifecycle_start(abi, n);
                abi.export(
                    ffi::hv_terminate,
                    "hv_terminate",
                    format_args!(r#"{{"session_id":"bench-{n}"}}"#),
                );
            }
        }
    }

    fn rotate(&mut self) {
        self.engine = Engine::new(self.path);
    }

    fn rotate_every(&self) -> u64 {
        50_000
    }
}

// ---- audit

/// One change `{path, "add", content_hash}`.
fn change(path: &str, hash: &str) -> Vec<Change> {
    vec![Change {
        path: path.to_owned(),
        operation: ChangeOp::Add,
        content_hash: Some(hash.to_owned()),
        previous_hash: None,
    }]
}

/// Native `audit.capture` of one change.
pub fn native_capture(hv: &Hypervisor, session: &str, agent: &str, path: &str, hash: &str) {
    let d = hv.audit_capture_changes(CaptureRequest {
        session_id: session.to_owned(),
        agent_did: agent.to_owned(),
        changes: change(path, hash),
        trace_id: None,
    });
    std::hint::black_box(d.expect("audit.capture"));
}

/// `audit.capture` of one change through `hv_call`.
pub fn abi_capture(abi: &mut Abi, session: &str, agent: &str, path: &str, hash: &str) {
    abi.call(
        "audit.capture\0",
        format_args!(
            r#"{{"session_id":"{session}","agent_did":"{agent}","changes":[{{"path":"{path}","operation":"add","content_hash":"{hash}"}}]}}"#
        ),
    );
}

/// Either engine.
enum Engine {
    Native(Box<Hypervisor>),
    Abi(Abi),
}

impl Engine {
    /// A fresh engine whose bounded event log is already full (see [`Engine::fill_event_log`]).
    fn new(path: Path) -> Engine {
        let mut e = match path {
            Path::Native => Engine::Native(Box::new(native_engine())),
            Path::Abi => Engine::Abi(Abi::new()),
        };
        e.fill_event_log();
        e
    }

    /// Runs full pipelines (untimed) until the event log holds `limits.max_events` events: a
    /// long-running engine lives with a full log, where every new event evicts the oldest,
    /// and that eviction is part of what each call costs.
    fn fill_event_log(&mut self) {
        match self {
            Engine::Native(hv) => fill_native(hv),
            Engine::Abi(abi) => fill_abi(abi),
        }
    }

    /// A fresh active session `bench-<n>` with `agents` (σ 0.8); returns its id.
    fn session(&mut self, agents: &[&str]) -> String {
        let sid = format!("bench-{}", next_id());
        match self {
            Engine::Native(hv) => native_session(hv, &sid, agents),
            Engine::Abi(abi) => abi_session(abi, &sid, agents),
        }
        sid
    }

    fn capture(&mut self, session: &str, agent: &str, path: &str, hash: &str) {
        match self {
            Engine::Native(hv) => native_capture(hv, session, agent, path, hash),
            Engine::Abi(abi) => abi_capture(abi, session, agent, path, hash),
        }
    }
}

/// `audit.capture` into a long-lived session (rotated every 50 000 deltas).
struct Capture {
    engine: Engine,
    session: String,
}

impl Capture {
    fn new(path: Path) -> Self {
        let mut engine = Engine::new(path);
        let session = engine.session(&["did:mesh:a"]);
        Capture { engine, session }
    }
}

impl Workload for Capture {
    fn op(&mut self) {
        self.engine
            .capture(&self.session, "did:mesh:a", "/data/file.txt", "abc123");
    }

    fn rotate(&mut self) {
        self.session = self.engine.session(&["did:mesh:a"]);
    }

    fn rotate_every(&self) -> u64 {
        50_000
    }
}

/// Read-only audit queries over a session holding `n` deltas.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AuditOp {
    Root,
    Verify,
}

struct AuditQuery {
    engine: Engine,
    session: String,
    op: AuditOp,
}

impl AuditQuery {
    fn new(path: Path, n: usize, op: AuditOp) -> Self {
        let mut engine = Engine::new(path);
        let session = engine.session(&["did:mesh:a"]);
        for i in 0..n {
            engine.capture(&session, "did:mesh:a", &format!("/f{i}"), &format!("h{i}"));
        }
        AuditQuery {
            engine,
            session,
            op,
        }
    }
}

impl Workload for AuditQuery {
    fn op(&mut self) {
        match (&mut self.engine, self.op) {
            (Engine::Native(hv), AuditOp::Root) => {
                let r = hv.audit_root(&self.session, None).expect("audit.root");
                std::hint::black_box(r);
            }
            (Engine::Native(hv), AuditOp::Verify) => {
                let r = hv.audit_verify(&self.session, None).expect("audit.verify");
                assert!(r.valid);
            }
            (Engine::Abi(abi), AuditOp::Root) => abi.call(
                "audit.root\0",
                format_args!(r#"{{"session_id":"{}"}}"#, self.session),
            ),
            (Engine::Abi(abi), AuditOp::Verify) => abi.call(
                "audit.verify\0",
                format_args!(r#"{{"session_id":"{}"}}"#, self.session),
            ),
        }
    }
}

// ---- sagas

/// Native: a saga `saga_id` with one step `step_id` for `agent` (reversible: undo_api given,
/// so the required ring is 2 and a σ 0.8 agent may run it), then the step run through
/// `run_step` with an executor that does nothing.
pub fn native_saga_add(hv: &Hypervisor, saga: &str, step: &str, agent: &str) {
    hv.add_saga_step(AddStepRequest {
        saga_id: saga.to_owned(),
        action_id: "action".into(),
        agent_did: agent.to_owned(),
        execute_api: "/api/action".into(),
        undo_api: Some("/api/undo".into()),
        timeout_seconds: None,
        max_retries: None,
        resources: None,
        checkpoint_goal: None,
        step_id: Some(step.to_owned()),
        trace_id: None,
    })
    .expect("saga.add_step");
}

pub fn native_saga_create(hv: &Hypervisor, session: &str, saga: &str) {
    hv.create_saga(SagaCreateRequest {
        session_id: session.to_owned(),
        saga_id: Some(saga.to_owned()),
        isolation_level: None,
        trace_id: None,
    })
    .expect("saga.create");
}

pub fn native_step(hv: &Hypervisor, saga: &str, step: &str) {
    let r = hv.run_step(
        &StepBeginRequest {
            saga_id: saga.to_owned(),
            step_id: step.to_owned(),
            has_consensus: None,
            has_sre_witness: None,
            trace_id: None,
        },
        &mut |_call| StepOutcome::success(None),
    );
    std::hint::black_box(r.expect("hv_saga_step"));
}

pub fn abi_saga_create(abi: &mut Abi, session: &str, saga: &str) {
    abi.call(
        "saga.create\0",
        format_args!(r#"{{"session_id":"{session}","saga_id":"{saga}"}}"#),
    );
}

pub fn abi_saga_add(abi: &mut Abi, saga: &str, step: &str, agent: &str) {
    abi.call(
        "saga.add_step\0",
        format_args!(
            r#"{{"saga_id":"{saga}","step_id":"{step}","action_id":"action","agent_did":"{agent}","execute_api":"/api/action","undo_api":"/api/undo"}}"#
        ),
    );
}

pub fn abi_step(abi: &mut Abi, saga: &str, step: &str) {
    abi.saga_step(format_args!(r#"{{"saga_id":"{saga}","step_id":"{step}"}}"#));
}

const SAGA_AGENTS: [&str; 3] = ["did:mesh:0", "did:mesh:1", "did:mesh:2"];
const STEP_IDS: [&str; 3] = ["step-0", "step-1", "step-2"];

/// A saga with 3 steps (one per agent, like the Python original), each run through
/// `hv_saga_step` / `run_step` with a no-op executor. Sessions rotate every 3 000 sagas
/// (`limits.max_sagas_per_session` is 10 000).
struct Saga3 {
    engine: Engine,
    session: String,
    saga: String,
}

impl Saga3 {
    fn new(path: Path) -> Self {
        let mut engine = Engine::new(path);
        let session = engine.session(&SAGA_AGENTS);
        Saga3 {
            engine,
            session,
            saga: String::with_capacity(32),
        }
    }
}

impl Workload for Saga3 {
    fn op(&mut self) {
        use std::fmt::Write as _;
        self.saga.clear();
        let _ = write!(self.saga, "saga-{}", next_id());
        let saga = self.saga.as_str();
        match &mut self.engine {
            Engine::Native(hv) => {
                native_saga_create(hv, &self.session, saga);
                for (step, agent) in STEP_IDS.iter().zip(SAGA_AGENTS) {
                    native_saga_add(hv, saga, step, agent);
                }
                for step in STEP_IDS {
                    native_step(hv, saga, step);
                }
            }
            Engine::Abi(abi) => {
                abi_saga_create(abi, &self.session, saga);
                for (step, agent) in STEP_IDS.iter().zip(SAGA_AGENTS) {
                    abi_saga_add(abi, saga, step, agent);
                }
                for step in STEP_IDS {
                    abi_step(abi, saga, step);
                }
            }
        }
    }

    fn rotate(&mut self) {
        self.session = self.engine.session(&SAGA_AGENTS);
    }

    fn rotate_every(&self) -> u64 {
        3_000
    }
}

// ---- the full governance pipeline

/// Session create + agent join + activate + 3 audit deltas + a saga with one step run through
/// `hv_saga_step` (no-op executor) + terminate, which commits the Merkle root of the deltas.
/// The same sequence as `examples/bench_pipeline.c` and the Python original's
/// `full_governance_pipeline`.
///
/// Every pipeline leaves an archived session behind (API.md keeps them for audit queries until
/// `limits.max_sessions` forces eviction). By default the engine is replaced every 50 000
/// pipelines so runs stay below the cap; `at_cap` instead pre-fills the engine to the cap so
/// that every create evicts the oldest archived session (the long-running steady state).
struct Pipeline {
    path: Path,
    engine: Engine,
    sid: String,
    saga: String,
    at_cap: bool,
}

impl Pipeline {
    fn new(path: Path) -> Self {
        Self::with(path, false)
    }

    fn at_cap(path: Path) -> Self {
        let mut p = Self::with(path, true);
        let cap = agent_hypervisor::Config::default().limits.max_sessions;
        for _ in 0..cap {
            p.op();
        }
        p
    }

    fn with(path: Path, at_cap: bool) -> Self {
        let mut p = Pipeline {
            path,
            engine: Engine::new(path),
            sid: String::with_capacity(32),
            saga: String::with_capacity(32),
            at_cap,
        };
        // The terminate response must carry a root: the deltas were really captured.
        p.op();
        if let Engine::Abi(abi) = &mut p.engine {
            let n = next_id();
            abi_lifecycle_start(abi, n);
            abi_capture(abi, &format!("bench-{n}"), "did:mesh:a", "/f0", "h0");
            let t = abi.call_text(
                "session.terminate\0",
                format_args!(r#"{{"session_id":"bench-{n}"}}"#),
            );
            assert!(t.contains(r#""merkle_root":""#), "no Merkle root: {t}");
        }
        p
    }
}

const PIPE_FILES: [(&str, &str); 3] = [("/f0", "h0"), ("/f1", "h1"), ("/f2", "h2")];

/// Events one full pipeline emits (measured by `benches/memory.rs`).
pub const EVENTS_PER_PIPELINE: usize = 14;

/// Full pipelines (untimed) until the native engine's event log is full.
pub fn fill_native(hv: &Hypervisor) {
    for _ in 0..fill_runs() {
        let n = next_id();
        native_pipeline(hv, n, &format!("bench-{n}"), &format!("saga-{n}"));
    }
}

/// Full pipelines (untimed) until the C-ABI engine's event log is full.
pub fn fill_abi(abi: &mut Abi) {
    for _ in 0..fill_runs() {
        let n = next_id();
        abi_pipeline(abi, n, &format!("bench-{n}"), &format!("saga-{n}"));
    }
}

fn fill_runs() -> usize {
    let cfg = agent_hypervisor::api::parse_config(&bench_config()).expect("bench config is valid");
    cfg.limits.max_events / EVENTS_PER_PIPELINE + 500
}

/// One full pipeline through the C ABI: session `sid` (= `bench-<n>`), saga `saga`.
pub fn abi_pipeline(abi: &mut Abi, n: u64, sid: &str, saga: &str) {
    abi_lifecycle_start(abi, n);
    for (path, hash) in PIPE_FILES {
        abi_capture(abi, sid, "did:mesh:a", path, hash);
    }
    abi_saga_create(abi, sid, saga);
    abi_saga_add(abi, saga, "step-1", "did:mesh:a");
    abi_step(abi, saga, "step-1");
    abi.export(
        ffi::hv_terminate,
        "hv_terminate",
        format_args!(r#"{{"session_id":"{sid}"}}"#),
    );
}

/// One full pipeline on the native API: session `sid` (= `bench-<n>`), saga `saga`.
pub fn native_pipeline(hv: &Hypervisor, n: u64, sid: &str, saga: &str) {
    native_lifecycle_start(hv, n);
    for (path, hash) in PIPE_FILES {
        native_capture(hv, sid, "did:mesh:a", path, hash);
    }
    native_saga_create(hv, sid, saga);
    native_saga_add(hv, saga, "step-1", "did:mesh:a");
    native_step(hv, saga, "step-1");
    let t = hv.terminate_session(sid, None).expect("terminate");
    assert!(t.merkle_root.is_some());
}

impl Workload for Pipeline {
    fn op(&mut self) {
        use std::fmt::Write as _;
        let n = next_id();
        self.sid.clear();
        let _ = write!(self.sid, "bench-{n}");
        self.saga.clear();
        let _ = write!(self.saga, "saga-{n}");
        let (sid, saga) = (self.sid.as_str(), self.saga.as_str());
        match &mut self.engine {
            Engine::Native(hv) => native_pipeline(hv, n, sid, saga),
            Engine::Abi(abi) => abi_pipeline(abi, n, sid, saga),
        }
    }

    fn rotate(&mut self) {
        self.engine = Engine::new(self.path);
    }

    fn rotate_every(&self) -> u64 {
        if self.at_cap {
            u64::MAX
        } else {
            50_000
        }
    }
}

/// Native create → join (σ 0.8) → activate of session `bench-<n>` with agent `did:mesh:a`.
fn native_lifecycle_start(hv: &Hypervisor, n: u64) -> String {
    let sid = format!("bench-{n}");
    hv.create_session(CreateRequest {
        config: None,
        creator_did: "did:mesh:admin".into(),
        session_id: Some(sid.clone()),
        trace_id: None,
    })
    .expect("create");
    hv.join_session(join_req(&sid, "did:mesh:a")).expect("join");
    hv.activate_session(&sid, None).expect("activate");
    sid
}

/// The same through the named exports.
fn abi_lifecycle_start(abi: &mut Abi, n: u64) {
    abi.export(
        ffi::hv_create_session,
        "hv_create_session",
        format_args!(r#"{{"creator_did":"did:mesh:admin","session_id":"bench-{n}"}}"#),
    );
    abi.export(
        ffi::hv_join_session,
        "hv_join_session",
        format_args!(r#"{{"session_id":"bench-{n}","agent_did":"did:mesh:a","sigma_raw":0.8}}"#),
    );
    abi.export(
        ffi::hv_activate_session,
        "hv_activate_session",
        format_args!(r#"{{"session_id":"bench-{n}"}}"#),
    );
}

/// A join request with σ 0.8 (ring 2).
pub fn join_req(session: &str, agent: &str) -> JoinRequest {
    JoinRequest {
        session_id: session.to_owned(),
        agent_did: agent.to_owned(),
        sigma_raw: Some(0.8),
        actions: None,
        manifest: None,
        history: None,
        parent_did: None,
        has_consensus: None,
        trace_id: None,
    }
}

/// Creates, joins (σ 0.8 each) and activates a session natively.
pub fn native_session(hv: &Hypervisor, session: &str, agents: &[&str]) {
    hv.create_session(CreateRequest {
        config: None,
        creator_did: "did:mesh:admin".into(),
        session_id: Some(session.to_owned()),
        trace_id: None,
    })
    .expect("create");
    for a in agents {
        hv.join_session(join_req(session, a)).expect("join");
    }
    hv.activate_session(session, None).expect("activate");
}

/// The same through the C ABI.
pub fn abi_session(abi: &mut Abi, session: &str, agents: &[&str]) {
    abi.call_text(
        "session.create\0",
        format_args!(r#"{{"creator_did":"did:mesh:admin","session_id":"{session}"}}"#),
    );
    for a in agents {
        abi.call_text(
            "session.join\0",
            format_args!(r#"{{"session_id":"{session}","agent_did":"{a}","sigma_raw":0.8}}"#),
        );
    }
    abi.call_text(
        "session.activate\0",
        format_args!(r#"{{"session_id":"{session}"}}"#),
    );
}

// ------------------------------------------------------------------------------ drivers

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
