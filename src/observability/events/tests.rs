//! Unit tests of the event bus, outbox and log.
use super::*;
use crate::observability::log::CHUNK_BYTES;
use crate::observability::outbox::OUTBOX_KEEP_BYTES;
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
