//! The per-request outbox: events are written as JSON into one buffer while the request holds
//! its session lock, and published by [`EventBus::publish`](super::events::EventBus::publish)
//! after the lock is released. Payloads are written by the [`payload!`](crate::payload) macro
//! straight into that buffer, without a `serde_json::Value` tree.

use serde::Serialize;

use super::events::EventType;
use crate::model::Timestamp;

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
pub(super) struct Pending {
    pub(super) event_type: EventType,
    /// `"event_type":…,"timestamp":…[,"session_id":…][,"agent_did":…]` starts here.
    pub(super) start: u32,
    /// The payload object starts here (and ends at `end`).
    pub(super) payload: u32,
    pub(super) end: u32,
    /// The quoted, escaped session id (absolute range), if any.
    pub(super) session: Option<(u32, u32)>,
    /// The quoted, escaped agent DID (absolute range), if any.
    pub(super) agent: Option<(u32, u32)>,
}

/// Events collected while serving one request; published after locks are released. Each event
/// is written as JSON into one buffer as it is pushed, so publishing only copies bytes.
///
/// The buffers are recycled per thread: a new outbox takes the thread's spare ones and a
/// dropped outbox (published or not) hands them back, cleared, unless a large request grew
/// them past [`OUTBOX_KEEP_BYTES`].
#[derive(Debug)]
pub struct Outbox {
    pub(super) buf: Vec<u8>,
    pub(super) events: Vec<Pending>,
}

/// Outbox buffers above this size are freed instead of being kept for the thread's next request.
pub(super) const OUTBOX_KEEP_BYTES: usize = 64 * 1024;

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

pub(super) fn push_json_str(buf: &mut Vec<u8>, s: &str) {
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
