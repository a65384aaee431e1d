//! The benchmarked workloads: one struct per row of the suite, each able to run on the native
//! API or through the C ABI.

use agent_hypervisor::engine::VouchRequest;
use agent_hypervisor::ffi;
use agent_hypervisor::Hypervisor;

use super::calls::*;
use super::{native_engine, next_id, Abi, Path, Workload};

pub(crate) struct RingCompute {
    path: Path,
    native: Option<Hypervisor>,
    abi: Option<Abi>,
}

impl RingCompute {
    pub(crate) fn new(path: Path) -> Self {
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

/// A session with a voucher and a vouchee whose history holds `prior` vouches (vouch/release
/// churn, so every record but the last is released); the operation asks the vouchee's σ_eff.
pub(crate) struct SigmaEff {
    path: Path,
    native: Option<Hypervisor>,
    abi: Option<Abi>,
    session: String,
}

impl SigmaEff {
    pub(crate) fn new(path: Path, prior: usize) -> Self {
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

/// Create → join → activate → terminate; the engine is replaced every 50 000 lifecycles so
/// runs stay below `limits.max_sessions` (see [`Pipeline`]).
pub(crate) struct Lifecycle {
    path: Path,
    engine: Engine,
}

impl Lifecycle {
    pub(crate) fn new(path: Path) -> Self {
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

/// Either engine.
pub(crate) enum Engine {
    Native(Box<Hypervisor>),
    Abi(Abi),
}

impl Engine {
    /// A fresh engine whose bounded event log is already full (see [`Engine::fill_event_log`]).
    pub(crate) fn new(path: Path) -> Engine {
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
pub(crate) struct Capture {
    engine: Engine,
    session: String,
}

impl Capture {
    pub(crate) fn new(path: Path) -> Self {
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
pub(crate) enum AuditOp {
    Root,
    Verify,
}

pub(crate) struct AuditQuery {
    engine: Engine,
    session: String,
    op: AuditOp,
}

impl AuditQuery {
    pub(crate) fn new(path: Path, n: usize, op: AuditOp) -> Self {
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

const SAGA_AGENTS: [&str; 3] = ["did:mesh:0", "did:mesh:1", "did:mesh:2"];
const STEP_IDS: [&str; 3] = ["step-0", "step-1", "step-2"];

/// A saga with 3 steps (one per agent, like the Python original), each run through
/// `hv_saga_step` / `run_step` with a no-op executor. Sessions rotate every 3 000 sagas
/// (`limits.max_sagas_per_session` is 10 000).
pub(crate) struct Saga3 {
    engine: Engine,
    session: String,
    saga: String,
}

impl Saga3 {
    pub(crate) fn new(path: Path) -> Self {
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

/// Session create + agent join + activate + 3 audit deltas + a saga with one step run through
/// `hv_saga_step` (no-op executor) + terminate, which commits the Merkle root of the deltas.
/// The same sequence as `examples/bench_pipeline.c` and the Python original's
/// `full_governance_pipeline`.
///
/// Every pipeline leaves an archived session behind (API.md keeps them for audit queries until
/// `limits.max_sessions` forces eviction). By default the engine is replaced every 50 000
/// pipelines so runs stay below the cap; `at_cap` instead pre-fills the engine to the cap so
/// that every create evicts the oldest archived session (the long-running steady state).
pub(crate) struct Pipeline {
    path: Path,
    engine: Engine,
    sid: String,
    saga: String,
    at_cap: bool,
}

impl Pipeline {
    pub(crate) fn new(path: Path) -> Self {
        Self::with(path, false)
    }

    pub(crate) fn at_cap(path: Path) -> Self {
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
