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

/// Writes one event's payload object straight into the outbox buffer: no intermediate
/// `serde_json::Value` tree is built. Built by the [`payload!`](crate::payload) macro.
pub struct PayloadWriter<'a> {
    buf: &'a mut Vec<u8>,
    empty: bool,
}

impl PayloadWriter<'_> {
    /// Appends `"key": value`. `key` is a literal of plain characters (no escaping needed).
    /// A value whose serialisation fails (only possible for maps with non-string keys) is
    /// written as `null` rather than leaving half-written JSON behind.
    pub fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        debug_assert!(!key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
        if !self.empty {
            self.buf.push(b',');
        }
        self.empty = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
        let mark = self.buf.len();
        if crate::api::json::write_into(self.buf, value).is_err() {
            self.buf.truncate(mark);
            self.buf.extend_from_slice(b"null");
        }
    }
}

/// An event payload: `payload!({"key": value, ...})` with literal keys and any `Serialize`
/// values (taken by reference, like `serde_json::json!`). Nested literals are written as
/// `json!(...)` values.
#[macro_export]
macro_rules! payload {
    ({ $($key:literal : $val:expr),* $(,)? }) => {
        |_w: &mut $crate::observability::events::PayloadWriter<'_>| {
            $( _w.field($key, &$val); )*
        }
    };
}

/// Where one pending event sits in [`Outbox::buf`].
#[derive(Debug, Clone, Copy)]
struct Pending {
    event_type: EventType,
    /// `"event_type":…,"timestamp":…[,"session_id":…][,"agent_did":…]` starts here.
    start: u32,
    /// The payload object starts here (and ends at `end`).
    payload: u32,
    end: u32,
    /// The quoted, escaped session id (absolute range), if any.
    session: Option<(u32, u32)>,
    /// The quoted, escaped agent DID (absolute range), if any.
    agent: Option<(u32, u32)>,
}

/// Events collected while serving one request; published after locks are released. Each event
/// is written as JSON into one buffer as it is pushed, so publishing only copies bytes.
///
/// The buffers are recycled per thread: a new outbox takes the thread's spare ones and a
/// dropped outbox (published or not) hands them back, cleared, unless a large request grew
/// them past [`OUTBOX_KEEP_BYTES`].
#[derive(Debug)]
pub struct Outbox {
    buf: Vec<u8>,
    events: Vec<Pending>,
}

/// Outbox buffers above this size are freed instead of being kept for the thread's next request.
const OUTBOX_KEEP_BYTES: usize = 64 * 1024;

type SpareBuffers = (Vec<u8>, Vec<Pending>);

thread_local! {
    static SPARE_OUTBOX: std::cell::Cell<SpareBuffers> = const {
        std::cell::Cell::new((Vec::new(), Vec::new()))
    };
}

impl Default for Outbox {
    fn default() -> Self {
        let (buf, events) = SPARE_OUTBOX
            .try_with(std::cell::Cell::take)
            .unwrap_or_default();
        Outbox { buf, events }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        if self.buf.capacity() > OUTBOX_KEEP_BYTES || self.events.capacity() > 1024 {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut events = std::mem::take(&mut self.events);
        buf.clear();
        events.clear();
        // During thread teardown the slot may be gone: the buffers are then simply freed.
        let _ = SPARE_OUTBOX.try_with(|c| c.set((buf, events)));
    }
}

fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    crate::api::json::write_str(buf, s);
}

fn pos(buf: &[u8]) -> u32 {
    // An outbox never approaches 4 GiB: requests are capped at limits.max_request_bytes.
    u32::try_from(buf.len()).unwrap_or(u32::MAX)
}

impl Outbox {
    /// Queues an event whose payload is written by `payload` (see [`payload!`](crate::payload)).
    pub fn push(
        &mut self,
        event_type: EventType,
        timestamp: Timestamp,
        session_id: Option<&str>,
        agent_did: Option<&str>,
        payload: impl FnOnce(&mut PayloadWriter<'_>),
    ) {
        self.push_with(event_type, timestamp, session_id, agent_did, |buf| {
            buf.push(b'{');
            payload(&mut PayloadWriter {
                buf: &mut *buf,
                empty: true,
            });
            buf.push(b'}');
        });
    }

    /// Queues an event whose payload is `value`, which must serialise as a JSON object (a
    /// struct or map); anything else is stored as `{}`.
    pub fn push_value<T: Serialize + ?Sized>(
        &mut self,
        event_type: EventType,
        timestamp: Timestamp,
        session_id: Option<&str>,
        agent_did: Option<&str>,
        value: &T,
    ) {
        self.push_with(event_type, timestamp, session_id, agent_did, |buf| {
            let mark = buf.len();
            if crate::api::json::write_into(buf, value).is_err() || buf.get(mark) != Some(&b'{') {
                buf.truncate(mark);
                buf.extend_from_slice(b"{}");
            }
        });
    }

    fn push_with(
        &mut self,
        event_type: EventType,
        timestamp: Timestamp,
        session_id: Option<&str>,
        agent_did: Option<&str>,
        write_payload: impl FnOnce(&mut Vec<u8>),
    ) {
        if self.buf.capacity() == 0 {
            self.buf.reserve(512);
        }
        let buf = &mut self.buf;
        let start = pos(buf);
        buf.extend_from_slice(b"\"event_type\":\"");
        buf.extend_from_slice(event_type.as_str().as_bytes());
        buf.extend_from_slice(b"\",\"timestamp\":");
        timestamp.write_json(buf);
        let quoted = |buf: &mut Vec<u8>, key: &[u8], v: Option<&str>| {
            v.map(|v| {
                buf.extend_from_slice(key);
                let a = pos(buf);
                push_json_str(buf, v);
                (a, pos(buf))
            })
        };
        let session = quoted(buf, b",\"session_id\":", session_id);
        let agent = quoted(buf, b",\"agent_did\":", agent_did);
        let at = pos(buf);
        write_payload(buf);
        self.events.push(Pending {
            event_type,
            start,
            payload: at,
            end: pos(buf),
            session,
            agent,
        });
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.events.len()
    }
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

/// Bytes per log chunk. Records are appended to the newest chunk; a chunk is recycled once
/// every record in it has been evicted, so a full log evicts without freeing anything.
const CHUNK_BYTES: usize = 64 * 1024;

/// One stored event: where its JSON is, plus what filters need.
#[derive(Debug, Clone, Copy)]
struct Rec {
    seq: u64,
    /// Chunk number (monotonic; `chunk - Log::first_chunk` indexes `Log::chunks`).
    chunk: u64,
    off: u32,
    len: u32,
    /// Quoted session id within the record (`len` 0 = none).
    session: (u32, u32),
    /// Quoted agent DID within the record (`len` 0 = none).
    agent: (u32, u32),
    event_type: EventType,
}

struct Chunk {
    data: Vec<u8>,
    live: u32,
}

struct Log {
    recs: VecDeque<Rec>,
    chunks: VecDeque<Chunk>,
    first_chunk: u64,
    spare: Option<Vec<u8>>,
    next_seq: u64,
    dropped: u64,
    total: u64,
    type_counts: Vec<u64>,
}

fn slice(bytes: &[u8], (off, len): (u32, u32)) -> Option<&[u8]> {
    (len > 0).then(|| bytes.get(off as usize..(off + len) as usize))?
}

impl Log {
    fn bytes(&self, r: &Rec) -> &[u8] {
        let i = usize::try_from(r.chunk - self.first_chunk).unwrap_or(usize::MAX);
        self.chunks
            .get(i)
            .and_then(|c| c.data.get(r.off as usize..(r.off + r.len) as usize))
            .unwrap_or(b"")
    }

    /// Evicts the oldest record, recycling chunks no record points into any more.
    fn evict_one(&mut self) {
        let Some(r) = self.recs.pop_front() else {
            return;
        };
        self.dropped += 1;
        let i = usize::try_from(r.chunk - self.first_chunk).unwrap_or(usize::MAX);
        if let Some(c) = self.chunks.get_mut(i) {
            c.live = c.live.saturating_sub(1);
        }
        while self.chunks.len() > 1 && self.chunks.front().is_some_and(|c| c.live == 0) {
            if let Some(mut c) = self.chunks.pop_front() {
                self.first_chunk += 1;
                if c.data.capacity() == CHUNK_BYTES && self.spare.is_none() {
                    c.data.clear();
                    self.spare = Some(c.data);
                }
            }
        }
        if self.recs.is_empty() {
            if let Some(c) = self.chunks.back_mut() {
                c.data.clear();
            }
        }
    }

    /// The chunk a record of `len` bytes is appended to, and its number.
    fn chunk_for(&mut self, len: usize) -> (u64, &mut Chunk) {
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.data.capacity() - c.data.len() >= len);
        if !fits {
            let data = match self.spare.take() {
                Some(d) if d.capacity() >= len => d,
                other => {
                    self.spare = other;
                    Vec::with_capacity(len.max(CHUNK_BYTES))
                }
            };
            self.chunks.push_back(Chunk { data, live: 0 });
        }
        let n = self.first_chunk + self.chunks.len() as u64 - 1;
        let last = self.chunks.len() - 1;
        (n, &mut self.chunks[last])
    }
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
mod tests {
    use super::*;
    use parking_lot::Mutex;

    fn outbox(n: usize, t: EventType) -> Outbox {
        let mut o = Outbox::default();
        for i in 0..n {
            o.push(
                t,
                Timestamp(i as i64),
                Some("s1"),
                Some("a"),
                crate::payload!({"i": i, "text": "q\"uote\\"}),
            );
        }
        o
    }

    fn seqs(p: &EventPage) -> Vec<u64> {
        p.parsed().unwrap().iter().map(|e| e.seq).collect()
    }

    #[test]
    fn stored_json_is_the_event_object() {
        let bus = EventBus::new(10, 4);
        let mut o = Outbox::default();
        o.push(
            EventType::SagaCreated,
            Timestamp(1_767_225_600_000_001),
            Some("s\"1"),
            None,
            crate::payload!({"saga_id": "g", "steps": 3usize, "name": None::<String>,
                             "nested": serde_json::json!({"a": [1, 2]})}),
        );
        o.push(
            EventType::SessionLeft,
            Timestamp(0),
            None,
            None,
            crate::payload!({}),
        );
        bus.publish(o, Some("t/s/p"));
        let page = bus.query(&EventQuery::default());
        assert_eq!(
            page.events[0],
            r#"{"seq":1,"event_id":"evt:1","event_type":"saga.created","timestamp":"2026-01-01T00:00:00.000001Z","session_id":"s\"1","causal_trace_id":"t/s/p","payload":{"saga_id":"g","steps":3,"name":null,"nested":{"a":[1,2]}}}"#
        );
        let e = &page.parsed().unwrap()[1];
        assert_eq!(e.event_id, "evt:2");
        assert_eq!(e.payload, serde_json::json!({}));
        assert!(e.session_id.is_none() && e.agent_did.is_none());
        let v: serde_json::Value = serde_json::from_str(&page.to_json()).unwrap();
        assert_eq!(v["next_seq"], 2);
        assert_eq!(v["events"][0]["session_id"], "s\"1");
    }

    #[test]
    fn outbox_buffers_are_recycled_empty() {
        let mut o = outbox(3, EventType::VfsWrite);
        let cap = o.buf.capacity();
        assert!(cap > 0 && o.len() == 3);
        o.events.shrink_to_fit();
        drop(o);
        let fresh = Outbox::default();
        assert!(fresh.is_empty() && fresh.buf.is_empty());
        assert_eq!(
            fresh.buf.capacity(),
            cap,
            "the dropped outbox's buffer is reused"
        );
        let mut big = Outbox::default();
        big.buf.reserve(OUTBOX_KEEP_BYTES * 2);
        drop(big);
        assert!(Outbox::default().buf.capacity() <= OUTBOX_KEEP_BYTES);
    }

    #[test]
    fn bounded_log_counts_drops_and_keeps_sequence() {
        let bus = EventBus::new(3, 4);
        bus.publish(outbox(5, EventType::SessionCreated), None);
        let page = bus.query(&EventQuery::default());
        assert_eq!(page.dropped, 2);
        assert_eq!(seqs(&page), vec![3, 4, 5]);
        assert_eq!(bus.stats().total, 5);
        let page = bus.query(&EventQuery {
            after_seq: Some(4),
            ..Default::default()
        });
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.next_seq, 5);
    }

    #[test]
    fn chunks_are_recycled_and_memory_stays_bounded() {
        let bus = EventBus::new(100, 4);
        for round in 0..200 {
            bus.publish(outbox(50, EventType::VfsWrite), None);
            let page = bus.query(&EventQuery {
                limit: Some(10_000),
                ..Default::default()
            });
            let s = seqs(&page);
            assert_eq!(s.len(), 100.min((round + 1) * 50) as usize);
            assert_eq!(*s.last().unwrap(), (round + 1) * 50);
            assert!(s.windows(2).all(|w| w[1] == w[0] + 1));
        }
        // 100 events of ~200 B: one or two live chunks plus one spare.
        assert!(
            bus.stored_bytes() <= 3 * CHUNK_BYTES + 100 * 64,
            "{}",
            bus.stored_bytes()
        );
    }

    #[test]
    fn oversized_events_get_their_own_chunk() {
        let bus = EventBus::new(4, 4);
        let big = "x".repeat(CHUNK_BYTES * 2);
        for _ in 0..6 {
            let mut o = Outbox::default();
            o.push(
                EventType::VfsWrite,
                Timestamp(0),
                None,
                None,
                crate::payload!({"big": big}),
            );
            bus.publish(o, None);
            bus.publish(outbox(1, EventType::VfsDelete), None);
        }
        let page = bus.query(&EventQuery::default());
        let ev = page.parsed().unwrap();
        assert_eq!(ev.len(), 4);
        assert_eq!(
            ev[2].payload["big"].as_str().map(str::len),
            Some(CHUNK_BYTES * 2)
        );
    }

    #[test]
    fn query_filters_on_type_session_and_agent() {
        let bus = EventBus::new(100, 4);
        let mut o = Outbox::default();
        o.push(
            EventType::VfsWrite,
            Timestamp(0),
            Some("s1"),
            Some("a"),
            crate::payload!({}),
        );
        o.push(
            EventType::VfsWrite,
            Timestamp(0),
            Some("s2"),
            Some("a"),
            crate::payload!({}),
        );
        o.push(
            EventType::VfsDelete,
            Timestamp(0),
            Some("s1"),
            Some("b"),
            crate::payload!({}),
        );
        o.push(
            EventType::VfsDelete,
            Timestamp(0),
            None,
            None,
            crate::payload!({}),
        );
        bus.publish(o, None);
        let q = |t, s, a| {
            seqs(&bus.query(&EventQuery {
                event_type: t,
                session_id: s,
                agent_did: a,
                ..Default::default()
            }))
        };
        assert_eq!(q(None, Some("s1"), None), vec![1, 3]);
        assert_eq!(q(None, None, Some("a")), vec![1, 2]);
        assert_eq!(q(Some(EventType::VfsDelete), None, None), vec![3, 4]);
        assert_eq!(
            q(Some(EventType::VfsDelete), Some("s1"), Some("b")),
            vec![3]
        );
        assert_eq!(q(None, Some("s"), None), Vec::<u64>::new());
    }

    #[test]
    fn query_pages_with_limit() {
        let bus = EventBus::new(100, 4);
        bus.publish(outbox(10, EventType::VfsWrite), None);
        let p = bus.query(&EventQuery {
            limit: Some(4),
            ..Default::default()
        });
        assert_eq!(p.events.len(), 4);
        assert_eq!(p.next_seq, 4);
        let p = bus.query(&EventQuery {
            after_seq: Some(p.next_seq),
            limit: Some(100),
            ..Default::default()
        });
        assert_eq!(seqs(&p).first(), Some(&5));
        assert_eq!(p.next_seq, 10);
    }

    #[test]
    fn subscribers_filter_and_unsubscribe() {
        let bus = EventBus::new(100, 4);
        let got = Arc::new(Mutex::new(Vec::<String>::new()));
        let g = Arc::clone(&got);
        let id = bus
            .subscribe(
                EventFilter {
                    event_types: Some(vec![EventType::VfsWrite]),
                    session_id: Some("s1".into()),
                    ..Default::default()
                },
                Arc::new(move |s: &str| g.lock().push(s.to_owned())),
            )
            .unwrap();
        bus.publish(outbox(2, EventType::VfsWrite), Some("t/s"));
        bus.publish(outbox(2, EventType::VfsDelete), None);
        assert_eq!(got.lock().len(), 2);
        assert!(got.lock()[0].contains("\"causal_trace_id\":\"t/s\""));
        assert_eq!(got.lock()[1], bus.query(&EventQuery::default()).events[1]);
        let mut other = Outbox::default();
        other.push(
            EventType::VfsWrite,
            Timestamp(0),
            Some("s2"),
            None,
            crate::payload!({}),
        );
        bus.publish(other, None);
        assert_eq!(got.lock().len(), 2);
        bus.unsubscribe(id).unwrap();
        bus.publish(outbox(2, EventType::VfsWrite), None);
        assert_eq!(got.lock().len(), 2);
        assert!(bus.unsubscribe(id).is_err());
    }

    #[test]
    fn type_names_round_trip() {
        assert_eq!(EventType::ALL.len(), 40);
        for (i, t) in EventType::ALL.iter().enumerate() {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert_eq!(*t as usize, i);
        }
    }
}
