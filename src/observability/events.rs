//! The typed event bus: a bounded, sequence-numbered log plus filtered subscriptions.
//!
//! Engine code collects events in an [`Outbox`] while it holds a session lock; after releasing
//! it, [`EventBus::publish`] assigns sequence numbers, appends to the log (evicting the oldest
//! past `max_events`, counted in `dropped`) and then invokes matching subscribers with no engine
//! lock held, on the publishing thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use super::log::{slice, Log, Rec};
use super::outbox::push_json_str;
pub use super::outbox::{Outbox, PayloadWriter};
use crate::error::{Code, Error, Result};
use crate::model::Timestamp;

macro_rules! event_types {
    ($( $variant:ident => $name:literal ),* $(,)?) => {
        /// Every event type of API.md §5.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $( #[doc = $name] $variant, )*
        }

        impl EventType {
            /// All event types, in declaration order.
            pub const ALL: &'static [EventType] = &[ $( EventType::$variant, )* ];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $( EventType::$variant => $name, )* }
            }

            /// Parses a wire name.
            pub fn parse(s: &str) -> Option<EventType> {
                match s { $( $name => Some(EventType::$variant), )* _ => None }
            }
        }
    };
}

event_types! {
    SessionCreated => "session.created",
    SessionJoined => "session.joined",
    SessionActivated => "session.activated",
    SessionLeft => "session.left",
    SessionTerminated => "session.terminated",
    SessionArchived => "session.archived",
    RingAssigned => "ring.assigned",
    RingElevated => "ring.elevated",
    RingDemoted => "ring.demoted",
    RingElevationExpired => "ring.elevation_expired",
    RingBreachDetected => "ring.breach_detected",
    VouchCreated => "liability.vouch_created",
    VouchReleased => "liability.vouch_released",
    SlashExecuted => "liability.slash_executed",
    FaultAttributed => "liability.fault_attributed",
    QuarantineEntered => "liability.quarantine_entered",
    QuarantineReleased => "liability.quarantine_released",
    SagaCreated => "saga.created",
    SagaStepStarted => "saga.step_started",
    SagaStepCommitted => "saga.step_committed",
    SagaStepFailed => "saga.step_failed",
    SagaCompensating => "saga.compensating",
    SagaCompleted => "saga.completed",
    SagaEscalated => "saga.escalated",
    SagaFanoutStarted => "saga.fanout_started",
    SagaFanoutResolved => "saga.fanout_resolved",
    SagaCheckpointSaved => "saga.checkpoint_saved",
    VfsWrite => "vfs.write",
    VfsDelete => "vfs.delete",
    VfsSnapshot => "vfs.snapshot",
    VfsRestore => "vfs.restore",
    VfsConflict => "vfs.conflict",
    SecurityRateLimited => "security.rate_limited",
    SecurityAgentKilled => "security.agent_killed",
    SecuritySagaHandoff => "security.saga_handoff",
    AuditDeltaCaptured => "audit.delta_captured",
    AuditCommitted => "audit.committed",
    AuditGcCollected => "audit.gc_collected",
    VerificationBehaviorDrift => "verification.behavior_drift",
    VerificationHistoryVerified => "verification.history_verified",
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        EventType::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event type '{s}'")))
    }
}

/// One event as returned by `events.query`, parsed back from its stored JSON (Rust callers;
/// the C ABI hands out the stored JSON itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Strictly increasing sequence number (1-based).
    pub seq: u64,
    /// `evt:<seq>`.
    pub event_id: String,
    /// The type.
    pub event_type: EventType,
    /// When it was emitted (engine clock).
    pub timestamp: Timestamp,
    /// Session concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Agent concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_did: Option<String>,
    /// Child span of the request's trace id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causal_trace_id: Option<String>,
    /// Type-specific data.
    pub payload: serde_json::Value,
}

/// A subscription filter (`hv_subscribe`): every present criterion must match.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Accept only these types.
    #[serde(default)]
    pub event_types: Option<Vec<EventType>>,
    /// Accept only this session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Accept only this agent.
    #[serde(default)]
    pub agent_did: Option<String>,
}

/// A filter with its strings in stored form (quoted and escaped), compared byte for byte.
struct Matcher {
    event_types: Option<Vec<EventType>>,
    session: Option<String>,
    agent: Option<String>,
}

impl Matcher {
    fn new(
        event_types: Option<Vec<EventType>>,
        session: Option<&str>,
        agent: Option<&str>,
    ) -> Self {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        Matcher {
            event_types,
            session: session.map(quote),
            agent: agent.map(quote),
        }
    }

    fn matches(&self, t: EventType, session: Option<&[u8]>, agent: Option<&[u8]>) -> bool {
        let same = |want: &Option<String>, got: Option<&[u8]>| {
            want.as_deref()
                .is_none_or(|w| got.is_some_and(|g| g == w.as_bytes()))
        };
        self.event_types.as_ref().is_none_or(|ts| ts.contains(&t))
            && same(&self.session, session)
            && same(&self.agent, agent)
    }
}

/// A subscriber callback: receives one event serialised as in `events.query`.
pub type Subscriber = Arc<dyn Fn(&str) + Send + Sync>;

struct Subscription {
    id: u64,
    filter: Matcher,
    callback: Subscriber,
}

/// Query parameters of `events.query`.
#[derive(Debug, Clone, Default)]
pub struct EventQuery<'a> {
    /// Only events with `seq > after_seq`.
    pub after_seq: Option<u64>,
    /// Only this type.
    pub event_type: Option<EventType>,
    /// Only this session.
    pub session_id: Option<&'a str>,
    /// Only this agent.
    pub agent_did: Option<&'a str>,
    /// At most this many (default 1000, max 10000).
    pub limit: Option<usize>,
}

/// Result of `events.query`: the matching events' stored JSON.
#[derive(Debug)]
pub struct EventPage {
    /// Matching events in sequence order, each the JSON object subscribers also receive.
    pub events: Vec<String>,
    /// Pass as `after_seq` to continue.
    pub next_seq: u64,
    /// Events evicted from the log so far.
    pub dropped: u64,
}

impl EventPage {
    /// The `events.query` response: `{"events":[…],"next_seq":…,"dropped":…}`.
    pub fn to_json(&self) -> String {
        let mut out =
            String::with_capacity(48 + self.events.iter().map(|e| e.len() + 1).sum::<usize>());
        out.push_str("{\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(e);
        }
        out.push_str("],\"next_seq\":");
        out.push_str(itoa::Buffer::new().format(self.next_seq));
        out.push_str(",\"dropped\":");
        out.push_str(itoa::Buffer::new().format(self.dropped));
        out.push('}');
        out
    }

    /// The events parsed into [`Event`]s (for Rust callers and tests).
    pub fn parsed(&self) -> Result<Vec<Event>> {
        self.events
            .iter()
            .map(|e| {
                serde_json::from_str(e).map_err(|err| {
                    Error::new(
                        Code::INTERNAL,
                        format!("stored event is not valid JSON: {err}"),
                    )
                })
            })
            .collect()
    }
}

/// Result of `events.stats`.
#[derive(Debug, Serialize)]
pub struct EventStats {
    /// Events emitted since the engine started.
    pub total: u64,
    /// Per type, events emitted since the engine started.
    pub type_counts: std::collections::BTreeMap<&'static str, u64>,
}

/// The bounded event log and its subscribers.
///
/// Every event is serialised once, at publish, into the JSON object `events.query` returns and
/// subscribers receive, and appended to a log of 64 KiB chunks. Evicting the oldest event past
/// `max_events` frees nothing (its chunk is recycled once empty), so a full log costs no more
/// per event than an empty one.
pub struct EventBus {
    log: Mutex<Log>,
    cap: usize,
    subs: RwLock<Vec<Subscription>>,
    sub_count: AtomicUsize,
    next_sub: Mutex<u64>,
    max_subs: usize,
}

/// One just-published event, copied for delivery to subscribers after the log lock is released.
struct Published {
    event_type: EventType,
    json: String,
    session: (u32, u32),
    agent: (u32, u32),
}

impl EventBus {
    /// A bus keeping at most `cap` events and `max_subs` subscriptions.
    pub fn new(cap: usize, max_subs: usize) -> Self {
        EventBus {
            log: Mutex::new(Log {
                recs: VecDeque::with_capacity(cap.min(4096)),
                chunks: VecDeque::new(),
                first_chunk: 0,
                spare: None,
                next_seq: 1,
                dropped: 0,
                total: 0,
                type_counts: vec![0; EventType::ALL.len()],
            }),
            cap: cap.max(1),
            subs: RwLock::new(Vec::new()),
            sub_count: AtomicUsize::new(0),
            next_sub: Mutex::new(1),
            max_subs,
        }
    }

    /// Publishes the outbox: sequence, store, then notify subscribers with no engine lock held.
    /// `trace` is the request's causal child span, stamped on every event.
    pub fn publish(&self, outbox: Outbox, trace: Option<&str>) {
        if outbox.events.is_empty() {
            return;
        }
        let notify = self.sub_count.load(Ordering::Acquire) > 0;
        let mut published: Vec<Published> = Vec::new();
        let mut trace_json = Vec::new();
        if let Some(t) = trace {
            trace_json.extend_from_slice(b",\"causal_trace_id\":");
            push_json_str(&mut trace_json, t);
        }
        let buf = &outbox.buf;
        {
            let mut log = self.log.lock();
            for p in &outbox.events {
                let seq = log.next_seq;
                log.next_seq += 1;
                log.total += 1;
                if let Some(n) = log.type_counts.get_mut(p.event_type as usize) {
                    *n += 1;
                }
                if log.recs.len() >= self.cap {
                    log.evict_one();
                }
                let mut num = itoa::Buffer::new();
                let seq_str = num.format(seq).as_bytes();
                let body = buf.get(p.start as usize..p.payload as usize).unwrap_or(b"");
                let payload = buf.get(p.payload as usize..p.end as usize).unwrap_or(b"{}");
                const SEQ: &[u8] = b"{\"seq\":";
                const EVENT_ID: &[u8] = b",\"event_id\":\"evt:";
                const END_ID: &[u8] = b"\",";
                const PAYLOAD: &[u8] = b",\"payload\":";
                let len = SEQ.len()
                    + EVENT_ID.len()
                    + 2 * seq_str.len()
                    + END_ID.len()
                    + body.len()
                    + trace_json.len()
                    + PAYLOAD.len()
                    + payload.len()
                    + 1;
                let (chunk_no, chunk) = log.chunk_for(len);
                let d = &mut chunk.data;
                let off = d.len();
                d.extend_from_slice(SEQ);
                d.extend_from_slice(seq_str);
                d.extend_from_slice(EVENT_ID);
                d.extend_from_slice(seq_str);
                d.extend_from_slice(END_ID);
                let body_at = d.len() - off;
                d.extend_from_slice(body);
                d.extend_from_slice(&trace_json);
                d.extend_from_slice(PAYLOAD);
                d.extend_from_slice(payload);
                d.push(b'}');
                debug_assert_eq!(d.len() - off, len, "record length computed exactly");
                chunk.live += 1;
                let rel = |r: Option<(u32, u32)>| {
                    r.map_or((0, 0), |(a, b)| (a - p.start + body_at as u32, b - a))
                };
                let rec = Rec {
                    seq,
                    chunk: chunk_no,
                    off: off as u32,
                    len: (d.len() - off) as u32,
                    session: rel(p.session),
                    agent: rel(p.agent),
                    event_type: p.event_type,
                };
                if notify {
                    let json = String::from_utf8_lossy(&d[off..]).into_owned();
                    published.push(Published {
                        event_type: p.event_type,
                        json,
                        session: rec.session,
                        agent: rec.agent,
                    });
                }
                log.recs.push_back(rec);
            }
        }
        if notify {
            // Snapshot matching callbacks, release the lock, then call out.
            let subs = self.subs.read();
            let mut calls: Vec<(Subscriber, usize)> = Vec::new();
            for (i, e) in published.iter().enumerate() {
                let b = e.json.as_bytes();
                for s in subs.iter() {
                    if s.filter
                        .matches(e.event_type, slice(b, e.session), slice(b, e.agent))
                    {
                        calls.push((Arc::clone(&s.callback), i));
                    }
                }
            }
            drop(subs);
            for (cb, i) in calls {
                let json = published[i].json.as_str();
                // A panicking subscriber must not poison the engine; the FFI trampoline
                // cannot panic, but Rust subscribers might.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(json)));
            }
        }
    }

    /// Registers a subscriber; `CAPACITY_EXCEEDED` past `max_subscriptions`.
    pub fn subscribe(&self, filter: EventFilter, callback: Subscriber) -> Result<u64> {
        let filter = Matcher::new(
            filter.event_types,
            filter.session_id.as_deref(),
            filter.agent_did.as_deref(),
        );
        let mut subs = self.subs.write();
        if subs.len() >= self.max_subs {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!("at most {} subscriptions", self.max_subs),
            )
            .with_detail("table", "subscriptions"));
        }
        let id = {
            let mut n = self.next_sub.lock();
            let id = *n;
            *n += 1;
            id
        };
        subs.push(Subscription {
            id,
            filter,
            callback,
        });
        self.sub_count.store(subs.len(), Ordering::Release);
        Ok(id)
    }

    /// Removes a subscriber; `SUBSCRIPTION_NOT_FOUND` when unknown. Once this returns, the
    /// callback is not invoked for events published afterwards.
    pub fn unsubscribe(&self, id: u64) -> Result<()> {
        let mut subs = self.subs.write();
        let before = subs.len();
        subs.retain(|s| s.id != id);
        self.sub_count.store(subs.len(), Ordering::Release);
        if subs.len() == before {
            return Err(Error::not_found(
                Code::SUBSCRIPTION_NOT_FOUND,
                "subscription",
                &id.to_string(),
            ));
        }
        Ok(())
    }

    /// `events.query`.
    pub fn query(&self, q: &EventQuery<'_>) -> EventPage {
        let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
        let after = q.after_seq.unwrap_or(0);
        let filter = Matcher::new(q.event_type.map(|t| vec![t]), q.session_id, q.agent_did);
        let log = self.log.lock();
        // Events are in seq order: skip straight past `after_seq`.
        let first_seq = log.recs.front().map_or(log.next_seq, |e| e.seq);
        let skip = after.saturating_sub(first_seq.saturating_sub(1));
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut last = after;
        for r in log.recs.iter().skip(skip) {
            if out.len() >= limit {
                break;
            }
            last = r.seq;
            let b = log.bytes(r);
            if filter.matches(r.event_type, slice(b, r.session), slice(b, r.agent)) {
                out.push(String::from_utf8_lossy(b).into_owned());
            }
        }
        if out.len() < limit {
            last = log.next_seq - 1;
        }
        EventPage {
            events: out,
            next_seq: last.max(after),
            dropped: log.dropped,
        }
    }

    /// `events.stats`.
    pub fn stats(&self) -> EventStats {
        let log = self.log.lock();
        let type_counts = EventType::ALL
            .iter()
            .zip(log.type_counts.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| (t.as_str(), *n))
            .collect();
        EventStats {
            total: log.total,
            type_counts,
        }
    }

    /// Events currently held in the log.
    pub fn len(&self) -> usize {
        self.log.lock().recs.len()
    }

    /// True when the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the log's chunks hold (capacity, the spare chunk included), for the memory bench.
    pub fn stored_bytes(&self) -> usize {
        let log = self.log.lock();
        log.chunks.iter().map(|c| c.data.capacity()).sum::<usize>()
            + log.spare.as_ref().map_or(0, Vec::capacity)
            + log.recs.capacity() * std::mem::size_of::<Rec>()
    }
}

#[cfg(test)]
mod tests;
