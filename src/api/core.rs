//! Methods of the foundation: sessions, rings, events, traces, clock, stats, health,
//! history verification.

use serde::Deserialize;
use serde_json::json;

use super::{parse, respond, Handler};
use crate::engine::{CreateRequest, Hypervisor, JoinRequest, RingCheckRequest};
use crate::error::{Error, Result};
use crate::model::{ActionDescriptor, SessionState};
use crate::observability::events::{EventQuery, EventType};
use crate::observability::trace;
use crate::verification::history::{validate_records, verify_history, TransactionRecord};

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("session.create", session_create),
    ("session.join", session_join),
    ("session.activate", session_activate),
    ("session.leave", session_leave),
    ("session.get", session_get),
    ("session.list", session_list),
    ("session.terminate", session_terminate),
    ("ring.compute", ring_compute),
    ("ring.classify", ring_classify),
    ("ring.check", ring_check),
    ("verify.history", verify_history_m),
    ("events.query", events_query),
    ("events.stats", events_stats),
    ("trace.new", trace_new),
    ("trace.child", trace_child),
    ("clock.now", clock_now),
    ("clock.advance", clock_advance),
    ("stats", stats),
    ("health", health),
];

crate::request! {
    /// `{session_id}`.
    pub struct SessionIdReq {
        /// Session.
        pub session_id: String,
    }
}

crate::request! {
    /// `{session_id, agent_did}`.
    pub struct SessionAgentReq {
        /// Session.
        pub session_id: String,
        /// Agent.
        pub agent_did: String,
    }
}

crate::request! {
    /// `{}` (only `trace_id` allowed).
    pub struct EmptyReq {}
}

crate::request! {
    /// `session.list`.
    pub struct ListReq {
        /// Filter by state.
        pub state: Option<SessionState>,
    }
}

crate::request! {
    /// `ring.compute`.
    pub struct ComputeReq {
        /// σ_eff.
        pub sigma_eff: f64,
        /// Consensus.
        pub has_consensus: Option<bool>,
    }
}

crate::request! {
    /// `ring.classify`.
    pub struct ClassifyReq {
        /// The action.
        pub action: ActionDescriptor,
    }
}

crate::request! {
    /// `verify.history`.
    pub struct HistoryReq {
        /// Agent.
        pub agent_did: String,
        /// Records.
        pub history: Vec<TransactionRecord>,
    }
}

crate::request! {
    /// `events.query`.
    pub struct EventsReq {
        /// After this sequence number.
        pub after_seq: Option<u64>,
        /// Type filter.
        pub event_type: Option<EventType>,
        /// Session filter.
        pub session_id: Option<String>,
        /// Agent filter.
        pub agent_did: Option<String>,
        /// Page size (1..=10000, default 1000).
        pub limit: Option<usize>,
    }
}

crate::request! {
    /// `clock.advance`.
    pub struct AdvanceReq {
        /// Seconds (may be fractional).
        pub seconds: Option<f64>,
        /// Milliseconds.
        pub ms: Option<u64>,
    }
}

fn session_create(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.create_session(parse::<CreateRequest>(req)?)?)
}

fn session_join(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.join_session(parse::<JoinRequest>(req)?)?)
}

fn session_activate(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.activate_session(&r.session_id, r.trace_id.as_deref())?)
}

fn session_leave(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionAgentReq = parse(req)?;
    respond(&hv.leave_session(&r.session_id, &r.agent_did, r.trace_id.as_deref())?)
}

fn session_get(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.get_session(&r.session_id)?)
}

fn session_list(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ListReq = parse(req)?;
    respond(&json!({ "sessions": hv.list_sessions(r.state) }))
}

fn session_terminate(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: SessionIdReq = parse(req)?;
    respond(&hv.terminate_session(&r.session_id, r.trace_id.as_deref())?)
}

fn ring_compute(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ComputeReq = parse(req)?;
    let ring = hv.ring_compute(r.sigma_eff, r.has_consensus.unwrap_or(false))?;
    respond(&json!({ "ring": ring }))
}

fn ring_classify(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: ClassifyReq = parse(req)?;
    respond(&hv.ring_classify(&r.action)?)
}

fn ring_check(hv: &Hypervisor, req: &str) -> Result<String> {
    respond(&hv.ring_check(&parse::<RingCheckRequest>(req)?)?)
}

fn verify_history_m(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: HistoryReq = parse(req)?;
    crate::ids::validate_id(&r.agent_did, "agent_did")?;
    validate_records(
        &r.history,
        hv.config().limits.max_history_records,
        "history",
    )?;
    respond(&verify_history(&r.history))
}

fn events_query(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: EventsReq = parse(req)?;
    if let Some(l) = r.limit {
        if l == 0 || l > 10_000 {
            return Err(Error::out_of_range("limit", "must be 1..=10000"));
        }
    }
    let page = hv.events().query(&EventQuery {
        after_seq: r.after_seq,
        event_type: r.event_type,
        session_id: r.session_id.as_deref(),
        agent_did: r.agent_did.as_deref(),
        limit: r.limit,
    });
    Ok(page.to_json())
}

fn events_stats(hv: &Hypervisor, req: &str) -> Result<String> {
    let _: EmptyReq = parse(req)?;
    respond(&hv.events().stats())
}

fn trace_new(_hv: &Hypervisor, req: &str) -> Result<String> {
    let _: EmptyReq = parse(req)?;
    respond(&json!({ "trace_id": trace::new_trace() }))
}

/// `trace.child` takes `{trace_id}`: here the request's own `trace_id` *is* the parent.
fn trace_child(_hv: &Hypervisor, req: &str) -> Result<String> {
    let r: EmptyReq = parse(req)?;
    let parent = r.trace_id.as_deref().ok_or_else(|| {
        Error::field(
            crate::error::Code::MISSING_FIELD,
            "trace_id",
            "required field is missing",
        )
    })?;
    respond(&json!({ "trace_id": trace::child(parent, "trace_id")? }))
}

fn clock_now(hv: &Hypervisor, req: &str) -> Result<String> {
    let _: EmptyReq = parse(req)?;
    respond(&json!({ "now": hv.now() }))
}

fn clock_advance(hv: &Hypervisor, req: &str) -> Result<String> {
    let r: AdvanceReq = parse(req)?;
    let mut micros: i64 = 0;
    if let Some(s) = r.seconds {
        if !s.is_finite() || !(0.0..=1e9).contains(&s) {
            return Err(Error::out_of_range(
                "seconds",
                "must be a finite number in [0, 1e9]",
            ));
        }
        micros = (s * 1e6).round() as i64;
    }
    if let Some(ms) = r.ms {
        if ms > 1_000_000_000_000 {
            return Err(Error::out_of_range("ms", "must be at most 1e12"));
        }
        micros = micros.saturating_add(ms as i64 * 1000);
    }
    let now = hv.advance_clock(micros)?;
    // Expiries noticed on the next call touching each session; nothing else to do here.
    respond(&json!({ "now": now }))
}

fn stats(hv: &Hypervisor, req: &str) -> Result<String> {
    let _: EmptyReq = parse(req)?;
    respond(&hv.stats())
}

fn health(hv: &Hypervisor, req: &str) -> Result<String> {
    let _: EmptyReq = parse(req)?;
    respond(&hv.health())
}

/// Parses the `hv_create` configuration.
pub fn parse_config(json: &str) -> Result<crate::config::Config> {
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct C(crate::config::ConfigInput);
    let c: C = super::parse_value(json)?;
    crate::config::Config::from_input(c.0)
}
