//! The engine calls the workloads are made of, each on the native API and through the C ABI:
//! sessions, audit captures, sagas and the full pipeline.

use agent_hypervisor::audit::{Change, ChangeOp};
use agent_hypervisor::engine::{
    AddStepRequest, CaptureRequest, CreateRequest, JoinRequest, SagaCreateRequest,
    StepBeginRequest, StepOutcome,
};
use agent_hypervisor::ffi;
use agent_hypervisor::Hypervisor;

use super::{bench_config, next_id, Abi};

/// One change `{path, "add", content_hash}`.
pub(crate) fn change(path: &str, hash: &str) -> Vec<Change> {
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

pub(crate) const PIPE_FILES: [(&str, &str); 3] = [("/f0", "h0"), ("/f1", "h1"), ("/f2", "h2")];

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

pub(crate) fn fill_runs() -> usize {
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

/// Native create → join (σ 0.8) → activate of session `bench-<n>` with agent `did:mesh:a`.
pub(crate) fn native_lifecycle_start(hv: &Hypervisor, n: u64) -> String {
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
pub(crate) fn abi_lifecycle_start(abi: &mut Abi, n: u64) {
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
