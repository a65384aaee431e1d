use super::*;
use crate::error::Status;
use proptest::prelude::*;

const A: &str = "did:web:alice";
const B: &str = "did:web:bob";
const C: &str = "did:web:carol";
use LockIntent::{Exclusive, Read, Write};

fn table() -> LockTable {
    LockTable::new(&Limits::default())
}

struct Ids(u64);
impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        format!("lock:{}", self.0)
    }
}

fn take(
    t: &mut LockTable,
    ids: &mut Ids,
    agent: &str,
    res: &str,
    intent: LockIntent,
    tag: &str,
) -> Result<LockId> {
    t.acquire(agent, res, intent, tag, ids.next())
}

#[test]
fn compatibility_matrix() {
    for held in [Read, Write, Exclusive] {
        for wanted in [Read, Write, Exclusive] {
            let mut t = table();
            let mut ids = Ids(0);
            take(&mut t, &mut ids, A, "/r", held, "s1").unwrap();
            let r = take(&mut t, &mut ids, B, "/r", wanted, "s2");
            if held == Read && wanted == Read {
                r.unwrap();
                assert_eq!(t.holders("/r").count(), 2);
            } else {
                let e = r.unwrap_err();
                assert_eq!(e.code(), Code::LOCK_CONTENTION, "{held:?}/{wanted:?}");
                assert_eq!(e.status(), Status::Conflict);
                let d = e.details().unwrap();
                assert_eq!(d["resource"], "/r");
                assert_eq!(d["holders"], serde_json::json!([A]));
                assert!(e.message().contains("/r") && e.message().contains(A));
                assert_eq!(t.holders("/r").count(), 1);
            }
            assert_eq!(held.compatible_with(wanted), held == Read && wanted == Read);
        }
    }
}

#[test]
fn an_agent_never_conflicts_with_itself() {
    let mut t = table();
    let mut ids = Ids(0);
    let l1 = take(&mut t, &mut ids, A, "/r", Exclusive, "s1").unwrap();
    let l2 = take(&mut t, &mut ids, A, "/r", Write, "s2").unwrap();
    let l3 = take(&mut t, &mut ids, A, "/r", Read, "s2").unwrap();
    assert_ne!(l1, l2);
    assert_eq!(t.held_by(A).len(), 3);
    // Releasing one step's locks keeps the other's.
    assert_eq!(t.release_tag("s1"), 1);
    assert_eq!(
        t.held_by(A)
            .iter()
            .map(|l| l.lock_id.as_str())
            .collect::<Vec<_>>(),
        vec![l2.as_str(), l3.as_str()]
    );
    assert_eq!(
        take(&mut t, &mut ids, B, "/r", Read, "b")
            .unwrap_err()
            .code(),
        Code::LOCK_CONTENTION
    );
}

#[test]
fn upgrade_needs_no_other_holder() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/r", Read, "a").unwrap();
    let b = take(&mut t, &mut ids, B, "/r", Read, "b").unwrap();
    let e = take(&mut t, &mut ids, A, "/r", Write, "a").unwrap_err();
    assert_eq!(e.code(), Code::LOCK_CONTENTION);
    assert_eq!(e.details().unwrap()["holders"], serde_json::json!([B]));
    t.release(&b).unwrap();
    take(&mut t, &mut ids, A, "/r", Write, "a").unwrap();
    assert!(
        t.waits().next().is_none(),
        "the successful acquire cleared A's wait"
    );
}

#[test]
fn two_party_deadlock() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/x", Write, "a1").unwrap();
    take(&mut t, &mut ids, B, "/y", Write, "b1").unwrap();
    let e = take(&mut t, &mut ids, A, "/y", Write, "a2").unwrap_err();
    assert_eq!(e.code(), Code::LOCK_CONTENTION);
    assert_eq!(t.waiting_on(A), vec![B.to_owned()]);
    let e = take(&mut t, &mut ids, B, "/x", Read, "b2").unwrap_err();
    assert_eq!(e.code(), Code::DEADLOCK);
    assert_eq!(e.status(), Status::Conflict);
    assert_eq!(e.details().unwrap()["cycle"], serde_json::json!([B, A]));
    assert_eq!(e.details().unwrap()["resource"], "/x");
    assert!(
        e.message().contains(&format!("{B} -> {A} -> {B}")),
        "{}",
        e.message()
    );
    // The victim's wait is not recorded.
    assert!(t.waiting_on(B).is_empty());
    assert_eq!(
        t.contention_points(),
        vec![("/x".into(), 1), ("/y".into(), 1)]
    );
}

#[test]
fn three_party_deadlock_reports_the_cycle_in_order() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/1", Write, "a").unwrap();
    take(&mut t, &mut ids, B, "/2", Write, "b").unwrap();
    take(&mut t, &mut ids, C, "/3", Write, "c").unwrap();
    take(&mut t, &mut ids, A, "/2", Write, "a").unwrap_err();
    take(&mut t, &mut ids, B, "/3", Exclusive, "b").unwrap_err();
    let e = take(&mut t, &mut ids, C, "/1", Read, "c").unwrap_err();
    assert_eq!(e.code(), Code::DEADLOCK);
    assert_eq!(e.details().unwrap()["cycle"], serde_json::json!([C, A, B]));
}

#[test]
fn released_holders_are_not_waited_on() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/x", Write, "a").unwrap();
    let y = take(&mut t, &mut ids, B, "/y", Write, "b").unwrap();
    take(&mut t, &mut ids, A, "/y", Write, "a2").unwrap_err();
    // B lets go of /y: A's recorded wait no longer points at anyone.
    t.release(&y).unwrap();
    assert!(t.waiting_on(A).is_empty());
    let e = take(&mut t, &mut ids, B, "/x", Write, "b").unwrap_err();
    assert_eq!(e.code(), Code::LOCK_CONTENTION, "no cycle, so no deadlock");
}

#[test]
fn waits_are_cleared_by_tag_and_agent() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/x", Write, "a").unwrap();
    take(&mut t, &mut ids, B, "/x", Write, "b-step").unwrap_err();
    take(&mut t, &mut ids, C, "/x", Read, "c-step").unwrap_err();
    assert_eq!(t.waits().count(), 2);
    assert_eq!(t.release_tag("b-step"), 0);
    assert_eq!(
        t.waits().map(|w| (w.0, w.1, w.2, w.3)).collect::<Vec<_>>(),
        vec![(C, "/x", Read, "c-step")]
    );
    assert_eq!(t.release_agent(C), 0);
    assert_eq!(t.waits().count(), 0);
}

#[test]
fn releases() {
    let mut t = table();
    let mut ids = Ids(0);
    let l = take(&mut t, &mut ids, A, "/a", Write, "s1").unwrap();
    take(&mut t, &mut ids, A, "/b", Read, "s1").unwrap();
    take(&mut t, &mut ids, A, "/c", Read, "s2").unwrap();
    take(&mut t, &mut ids, B, "/c", Read, "t1").unwrap();
    let info = t.release(&l).unwrap();
    assert_eq!(
        (info.agent_did.as_str(), info.resource.as_str(), info.intent),
        (A, "/a", Write)
    );
    let e = t.release(&l).unwrap_err();
    assert_eq!(e.code(), Code::LOCK_NOT_FOUND);
    assert_eq!(e.status(), Status::NotFound);
    assert_eq!(t.release_tag("s1"), 1);
    assert_eq!(t.release_tag("s1"), 0);
    assert_eq!(t.release_agent(A), 1);
    assert!(t.held_by(A).is_empty());
    assert_eq!(t.len(), 1);
    assert_eq!(t.release_all(), 1);
    assert!(t.is_empty());
    assert_eq!(t.holders("/c").count(), 0);
    // Everything is free again.
    take(&mut t, &mut ids, C, "/a", Exclusive, "u").unwrap();
}

#[test]
fn duplicate_ids_and_capacity() {
    let mut t = LockTable::new(&Limits {
        max_locks_per_session: 2,
        ..Limits::default()
    });
    t.acquire(A, "/a", Read, "s", "lock:1".into()).unwrap();
    let e = t.acquire(A, "/b", Read, "s", "lock:1".into()).unwrap_err();
    assert_eq!(e.code(), Code::DUPLICATE_ID);
    t.acquire(A, "/b", Read, "s", "lock:2".into()).unwrap();
    let e = t.acquire(A, "/c", Read, "s", "lock:3".into()).unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.status(), Status::LimitExceeded);
    assert_eq!(e.details().unwrap()["table"], "locks");
    assert_eq!(t.len(), 2);
}

#[test]
fn acquire_all_is_all_or_nothing() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, B, "/y", Read, "b").unwrap();
    let e = t
        .acquire_all(A, &[("/x", Write), ("/y", Write)], "s", || ids.next())
        .unwrap_err();
    assert_eq!(e.code(), Code::LOCK_CONTENTION);
    assert!(t.held_by(A).is_empty());
    assert_eq!(t.waiting_on(A), vec![B.to_owned()]);
    let got = t
        .acquire_all(A, &[("/x", Write), ("/y", Read)], "s", || ids.next())
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(t.held_by(A).len(), 2);
    assert_eq!(t.release_tag("s"), 2);
    let mut small = LockTable::new(&Limits {
        max_locks_per_session: 1,
        ..Limits::default()
    });
    let e = small
        .acquire_all(A, &[("/x", Write), ("/y", Read)], "s", || ids.next())
        .unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert!(small.is_empty());
    let e = t
        .acquire_all(A, &[("/x", Write), ("/y", Read)], "s", || {
            "lock:same".into()
        })
        .unwrap_err();
    assert_eq!(e.code(), Code::DUPLICATE_ID);
    assert!(t.held_by(A).is_empty());
}

#[test]
fn contention_points_sorted_desc() {
    let mut t = table();
    let mut ids = Ids(0);
    take(&mut t, &mut ids, A, "/hot", Write, "a").unwrap();
    take(&mut t, &mut ids, A, "/warm", Write, "a").unwrap();
    for _ in 0..3 {
        take(&mut t, &mut ids, B, "/hot", Read, "b").unwrap_err();
    }
    take(&mut t, &mut ids, B, "/warm", Read, "b").unwrap_err();
    take(&mut t, &mut ids, C, "/warm", Read, "c").unwrap_err();
    take(&mut t, &mut ids, C, "/free", Read, "c").unwrap();
    assert_eq!(
        t.contention_points(),
        vec![("/hot".into(), 3), ("/warm".into(), 2)]
    );
}

#[test]
fn intent_wire_names() {
    assert_eq!(serde_json::to_value(Exclusive).unwrap(), "exclusive");
    let i: LockIntent = serde_json::from_str("\"read\"").unwrap();
    assert_eq!(i, Read);
    assert!(serde_json::from_str::<LockIntent>("\"shared\"").is_err());
    assert_eq!(Write.as_str(), "write");
}

// ------------------------------------------------------------------------------- properties

#[derive(Debug, Clone)]
enum Op {
    Acquire(usize, usize, usize, usize),
    AcquireAll(usize, usize, usize, usize),
    Release(usize),
    ReleaseTag(usize, usize),
    ReleaseAgent(usize),
}

const AGENTS: [&str; 4] = ["did:a", "did:b", "did:c:1", "did:d"];
const INTENTS: [LockIntent; 3] = [Read, Write, Exclusive];

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4, 0usize..3, 0usize..3, 0usize..2).prop_map(|(a, r, i, s)| Op::Acquire(a, r, i, s)),
        2 => (0usize..4, 0usize..3, 0usize..3, 0usize..2).prop_map(|(a, r, i, s)| Op::AcquireAll(a, r, i, s)),
        2 => (0usize..64).prop_map(Op::Release),
        1 => (0usize..4, 0usize..2).prop_map(|(a, s)| Op::ReleaseTag(a, s)),
        1 => (0usize..4).prop_map(Op::ReleaseAgent),
    ]
}

/// Reference wait-for graph from the public view, plus `extra` edges.
fn graph(
    t: &LockTable,
    extra: Option<(&str, &BTreeSet<String>)>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (waiter, res, intent, _) in t.waits() {
        for h in t.holders(res) {
            if h.agent_did != waiter && !(h.intent == Read && intent == Read) {
                g.entry(waiter.to_owned())
                    .or_default()
                    .insert(h.agent_did.clone());
            }
        }
    }
    if let Some((from, to)) = extra {
        g.entry(from.to_owned())
            .or_default()
            .extend(to.iter().cloned());
    }
    g
}

fn reaches(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n.clone()) {
            stack.extend(g.get(&n).into_iter().flatten().cloned());
        }
    }
    false
}

fn blockers_of(t: &LockTable, agent: &str, res: &str, intent: LockIntent) -> BTreeSet<String> {
    t.holders(res)
        .filter(|h| h.agent_did != agent && !(h.intent == Read && intent == Read))
        .map(|h| h.agent_did.clone())
        .collect()
}

/// Checks one single-resource acquire against the reference model.
fn check_acquire(
    t: &mut LockTable,
    ids: &mut Ids,
    agent: &str,
    res: &str,
    intent: LockIntent,
    tag: &str,
) -> std::result::Result<(), TestCaseError> {
    let blockers = blockers_of(t, agent, res, intent);
    let g = graph(t, Some((agent, &blockers)));
    let cycle_expected = !blockers.is_empty() && blockers.iter().any(|b| reaches(&g, b, agent));
    match t.acquire(agent, res, intent, tag, ids.next()) {
        Ok(_) => prop_assert!(blockers.is_empty()),
        Err(e) if e.code() == Code::LOCK_CONTENTION => {
            prop_assert!(!blockers.is_empty());
            prop_assert!(
                !cycle_expected,
                "a cycle existed but only contention was reported"
            );
            let holders: BTreeSet<String> = e.details().unwrap()["holders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            prop_assert_eq!(holders, blockers);
        }
        Err(e) if e.code() == Code::DEADLOCK => {
            prop_assert!(cycle_expected, "DEADLOCK without a cycle");
            let cycle: Vec<String> = e.details().unwrap()["cycle"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            prop_assert_eq!(cycle.first().map(String::as_str), Some(agent));
            for i in 0..cycle.len() {
                let (from, to) = (&cycle[i], &cycle[(i + 1) % cycle.len()]);
                prop_assert!(
                    g.get(from).is_some_and(|s| s.contains(to)),
                    "edge {} -> {} absent",
                    from,
                    to
                );
            }
        }
        Err(e) => prop_assert!(false, "unexpected error {}", e),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn locks_respect_compatibility_and_deadlocks_are_real(ops in proptest::collection::vec(arb_op(), 1..60)) {
        let mut t = table();
        let mut ids = Ids(0);
        let res = |r: usize| format!("/r{r}");
        for op in ops {
            match op {
                Op::Acquire(a, r, i, s) => {
                    let tag = format!("{}-{s}", AGENTS[a]);
                    check_acquire(&mut t, &mut ids, AGENTS[a], &res(r), INTENTS[i], &tag)?;
                }
                Op::AcquireAll(a, r, i, s) => {
                    let tag = format!("{}-{s}", AGENTS[a]);
                    let (r1, r2) = (res(r), res((r + 1) % 3));
                    let before = t.len();
                    let reqs = [(r1.as_str(), INTENTS[i]), (r2.as_str(), Read)];
                    let free = reqs.iter().all(|(rr, ii)| blockers_of(&t, AGENTS[a], rr, *ii).is_empty());
                    match t.acquire_all(AGENTS[a], &reqs, &tag, || ids.next()) {
                        Ok(v) => { prop_assert!(free); prop_assert_eq!(t.len(), before + v.len()); }
                        Err(_) => { prop_assert!(!free); prop_assert_eq!(t.len(), before); }
                    }
                }
                Op::Release(k) => {
                    let id = format!("lock:{}", k + 1);
                    let held = t.get(&id).is_some();
                    prop_assert_eq!(t.release(&id).is_ok(), held);
                }
                Op::ReleaseTag(a, s) => { t.release_tag(&format!("{}-{s}", AGENTS[a])); }
                Op::ReleaseAgent(a) => {
                    let n = t.held_by(AGENTS[a]).len();
                    prop_assert_eq!(t.release_agent(AGENTS[a]), n);
                    prop_assert!(t.waits().all(|w| w.0 != AGENTS[a]));
                }
            }
            // Invariant: no two different agents hold incompatible locks on one resource.
            for r in 0..3 {
                let hs: Vec<&LockInfo> = t.holders(&res(r)).collect();
                for x in &hs {
                    for y in &hs {
                        if x.agent_did != y.agent_did {
                            prop_assert!(x.intent == Read && y.intent == Read,
                                "{} {:?} and {} {:?} share {}", x.agent_did, x.intent, y.agent_did, y.intent, res(r));
                        }
                    }
                }
            }
            prop_assert_eq!(t.wait_count, t.waits().count());
        }
    }
}
