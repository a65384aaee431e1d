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

/// One event as stored and as returned by `events.query`.
#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Agent concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_did: Option<String>,
    /// Child span of the request's trace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causal_trace_id: Option<String>,
    /// Type-specific data.
    pub payload: serde_json::Value,
}

/// An event not yet published (no sequence number yet).
#[derive(Debug, Clone)]
pub struct PendingEvent {
    /// The type.
    pub event_type: EventType,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Session concerned.
    pub session_id: Option<String>,
    /// Agent concerned.
    pub agent_did: Option<String>,
    /// Payload.
    pub payload: serde_json::Value,
}

/// Events collected while serving one request; published after locks are released.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Pending events in emission order.
    pub events: Vec<PendingEvent>,
}

impl Outbox {
    /// Queues an event.
    pub fn push(
        &mut self,
        event_type: EventType,
        timestamp: Timestamp,
        session_id: Option<&str>,
        agent_did: Option<&str>,
        payload: serde_json::Value,
    ) {
        self.events.push(PendingEvent {
            event_type,
            timestamp,
            session_id: session_id.map(str::to_owned),
            agent_did: agent_did.map(str::to_owned),
            payload,
        });
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
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

impl EventFilter {
    /// True when `e` passes the filter.
    pub fn matches(&self, e: &Event) -> bool {
        self.event_types
            .as_ref()
            .is_none_or(|ts| ts.contains(&e.event_type))
            && self
                .session_id
                .as_deref()
                .is_none_or(|s| e.session_id.as_deref() == Some(s))
            && self
                .agent_did
                .as_deref()
                .is_none_or(|a| e.agent_did.as_deref() == Some(a))
    }
}

/// A subscriber callback: receives one event serialised as in `events.query`.
pub type Subscriber = Arc<dyn Fn(&str) + Send + Sync>;

struct Subscription {
    id: u64,
    filter: EventFilter,
    callback: Subscriber,
}

struct Log {
    events: VecDeque<Arc<Event>>,
    next_seq: u64,
    dropped: u64,
    total: u64,
    type_counts: Vec<u64>,
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

/// Result of `events.query`.
#[derive(Debug, Serialize)]
pub struct EventPage {
    /// Matching events in sequence order.
    pub events: Vec<Arc<Event>>,
    /// Pass as `after_seq` to continue.
    pub next_seq: u64,
    /// Events evicted from the log so far.
    pub dropped: u64,
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
pub struct EventBus {
    log: Mutex<Log>,
    cap: usize,
    subs: RwLock<Vec<Subscription>>,
    sub_count: AtomicUsize,
    next_sub: Mutex<u64>,
    max_subs: usize,
}

impl EventBus {
    /// A bus keeping at most `cap` events and `max_subs` subscriptions.
    pub fn new(cap: usize, max_subs: usize) -> Self {
        EventBus {
            log: Mutex::new(Log {
                events: VecDeque::with_capacity(cap.min(4096)),
                next_seq: 1,
                dropped: 0,
                total: 0,
                type_counts: vec![0; EventType::ALL.len()],
            }),
            cap,
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
        let mut published: Vec<Arc<Event>> = if notify {
            Vec::with_capacity(outbox.events.len())
        } else {
            Vec::new()
        };
        {
            let mut log = self.log.lock();
            for p in outbox.events {
                let seq = log.next_seq;
                log.next_seq += 1;
                log.total += 1;
                if let Some(i) = EventType::ALL.iter().position(|t| *t == p.event_type) {
                    log.type_counts[i] += 1;
                }
                let e = Arc::new(Event {
                    seq,
                    event_id: format!("evt:{seq}"),
                    event_type: p.event_type,
                    timestamp: p.timestamp,
                    session_id: p.session_id,
                    agent_did: p.agent_did,
                    causal_trace_id: trace.map(str::to_owned),
                    payload: p.payload,
                });
                if log.events.len() >= self.cap {
                    log.events.pop_front();
                    log.dropped += 1;
                }
                if notify {
                    published.push(Arc::clone(&e));
                }
                log.events.push_back(e);
            }
        }
        if notify {
            // Snapshot matching callbacks, release the lock, then call out.
            let subs = self.subs.read();
            let mut calls: Vec<(Subscriber, Arc<Event>)> = Vec::new();
            for e in &published {
                for s in subs.iter() {
                    if s.filter.matches(e) {
                        calls.push((Arc::clone(&s.callback), Arc::clone(e)));
                    }
                }
            }
            drop(subs);
            for (cb, e) in calls {
                if let Ok(json) = serde_json::to_string(&*e) {
                    // A panicking subscriber must not poison the engine; the FFI trampoline
                    // cannot panic, but Rust subscribers might.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&json)));
                }
            }
        }
    }

    /// Registers a subscriber; `CAPACITY_EXCEEDED` past `max_subscriptions`.
    pub fn subscribe(&self, filter: EventFilter, callback: Subscriber) -> Result<u64> {
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
        let log = self.log.lock();
        // Events are in seq order: skip straight past `after_seq`.
        let first_seq = log.events.front().map_or(log.next_seq, |e| e.seq);
        let skip = after.saturating_sub(first_seq.saturating_sub(1)) as usize;
        let mut out = Vec::new();
        let mut last = after;
        for e in log.events.iter().skip(skip) {
            if out.len() >= limit {
                break;
            }
            last = e.seq;
            if q.event_type.is_none_or(|t| t == e.event_type)
                && q.session_id
                    .is_none_or(|s| e.session_id.as_deref() == Some(s))
                && q.agent_did
                    .is_none_or(|a| e.agent_did.as_deref() == Some(a))
            {
                out.push(Arc::clone(e));
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
        self.log.lock().events.len()
    }

    /// True when the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outbox(n: usize, t: EventType) -> Outbox {
        let mut o = Outbox::default();
        for i in 0..n {
            o.push(
                t,
                Timestamp(i as i64),
                Some("s1"),
                Some("a"),
                json!({"i": i}),
            );
        }
        o
    }

    #[test]
    fn bounded_log_counts_drops_and_keeps_sequence() {
        let bus = EventBus::new(3, 4);
        bus.publish(outbox(5, EventType::SessionCreated), None);
        let page = bus.query(&EventQuery::default());
        assert_eq!(page.dropped, 2);
        let seqs: Vec<u64> = page.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(bus.stats().total, 5);
        let page = bus.query(&EventQuery {
            after_seq: Some(4),
            ..Default::default()
        });
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.next_seq, 5);
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
        assert_eq!(p.events.first().unwrap().seq, 5);
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
                    ..Default::default()
                },
                Arc::new(move |s: &str| g.lock().push(s.to_owned())),
            )
            .unwrap();
        bus.publish(outbox(2, EventType::VfsWrite), Some("t/s"));
        bus.publish(outbox(2, EventType::VfsDelete), None);
        assert_eq!(got.lock().len(), 2);
        assert!(got.lock()[0].contains("\"causal_trace_id\":\"t/s\""));
        bus.unsubscribe(id).unwrap();
        bus.publish(outbox(2, EventType::VfsWrite), None);
        assert_eq!(got.lock().len(), 2);
        assert!(bus.unsubscribe(id).is_err());
    }

    #[test]
    fn type_names_round_trip() {
        assert_eq!(EventType::ALL.len(), 40);
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
    }
}
