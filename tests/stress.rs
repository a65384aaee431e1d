//! Concurrency stress through the C ABI: 8 threads issue random valid and invalid operations
//! on one shared session and on a session of their own, for a bounded time and op count,
//! while event subscribers re-enter the handle from inside their callbacks (one of them
//! mutates: it releases bonds as they are created). Afterwards the engine's invariants hold:
//! audit chains verify, no negative bonds, exposure within caps, participant and bond counts
//! match `stats`, the event log is gap-free except for counted drops, and every subscriber saw
//! every event exactly once.

use std::collections::HashSet;
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use agent_hypervisor::ffi::{
    hv_call, hv_create, hv_destroy, hv_string_free, hv_subscribe, hv_unsubscribe, HvHypervisor,
    HvStatus,
};
use serde_json::{json, Value};

const THREADS: usize = 8;
const MAX_OPS_PER_THREAD: usize = 2500;
const RUN_FOR: Duration = Duration::from_millis(2500);
const AGENTS_PER_SESSION: usize = 6;

/// The handle shared by every thread (the contract makes it thread-safe).
#[derive(Clone, Copy)]
struct Handle(*mut HvHypervisor);
// SAFETY: `HvHypervisor` is documented thread-safe; the pointer outlives every thread.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

/// Calls through the C ABI; panics on `HV_INTERNAL` or a response that is not JSON.
fn call(hv: Handle, method: &str, body: &str) -> (HvStatus, Value) {
    let m = CString::new(method).unwrap();
    let b = CString::new(body).unwrap();
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: live handle, NUL-terminated strings, valid out-pointer.
    let st = unsafe { hv_call(hv.0, m.as_ptr(), b.as_ptr(), &mut out) };
    // SAFETY: written by the library; freed once below.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: as above.
    unsafe { hv_string_free(out) };
    assert_ne!(st, HvStatus::HV_INTERNAL, "{method} {body}: {text}");
    (st, serde_json::from_str(&text).expect("JSON response"))
}

fn ok(hv: Handle, method: &str, body: Value) -> Value {
    let (st, v) = call(hv, method, &body.to_string());
    assert_eq!(st, HvStatus::HV_OK, "{method} {body}: {v}");
    v
}

/// xorshift64*: deterministic per thread, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn has(method: &str) -> bool {
    agent_hypervisor::api::table().contains_key(method)
}

/// What a subscriber records; `user_data` of its callback.
struct Sub {
    hv: Handle,
    seqs: Mutex<Vec<u64>>,
    reentrant_calls: AtomicU64,
    mutate: bool,
}

/// Re-enters the handle from inside the callback: a read for every event and, for the
/// mutating subscriber, the release of every third bond as soon as it is created.
unsafe extern "C" fn on_event(event_json: *const c_char, user_data: *mut c_void) {
    // SAFETY: user_data is the `Sub` registered below; it outlives the subscription.
    let sub = unsafe { &*(user_data as *const Sub) };
    // SAFETY: the event string is valid for the duration of the call.
    let text = unsafe { CStr::from_ptr(event_json) }.to_str().unwrap();
    let e: Value = serde_json::from_str(text).unwrap();
    let seq = e["seq"].as_u64().unwrap();
    sub.seqs.lock().unwrap().push(seq);
    if let Some(sid) = e["session_id"].as_str() {
        call(
            sub.hv,
            "session.get",
            &json!({ "session_id": sid }).to_string(),
        );
    } else {
        call(sub.hv, "stats", "{}");
    }
    if sub.mutate && e["event_type"] == "liability.vouch_created" && seq.is_multiple_of(3) {
        let id = e["payload"]["vouch_id"].as_str().unwrap();
        call(
            sub.hv,
            "liability.release",
            &json!({ "vouch_id": id }).to_string(),
        );
    }
    sub.reentrant_calls.fetch_add(1, Ordering::Relaxed);
}

fn subscribe(hv: Handle, filter: &str, sub: &Sub) -> u64 {
    let f = CString::new(filter).unwrap();
    let mut id = 0u64;
    // SAFETY: live handle, valid filter string, callback and out-pointer; `sub` outlives the
    // subscription (unsubscribed before it is dropped).
    let st = unsafe {
        hv_subscribe(
            hv.0,
            f.as_ptr(),
            Some(on_event),
            sub as *const Sub as *mut c_void,
            &mut id,
        )
    };
    assert_eq!(st, HvStatus::HV_OK);
    id
}

fn agent(s: &str, i: usize) -> String {
    format!("did:{s}:a{i}")
}

fn create_session(hv: Handle, sid: &str) {
    ok(
        hv,
        "session.create",
        json!({"creator_did": "did:host", "session_id": sid,
               "config": {"max_participants": 50}}),
    );
    for i in 0..AGENTS_PER_SESSION {
        ok(
            hv,
            "session.join",
            json!({"session_id": sid, "agent_did": agent(sid, i),
                   "sigma_raw": 0.55 + 0.08 * i as f64,
                   "actions": [{"action_id": "w", "name": "write", "execute_api": "/w",
                                "undo_api": "/u", "reversibility": "full"}]}),
        );
    }
    ok(hv, "session.activate", json!({ "session_id": sid }));
}

/// What one thread remembers about one session: its bonds, sagas and begun steps.
#[derive(Default)]
struct Local {
    vouches: Vec<String>,
    sagas: Vec<String>,
    begun: Vec<(String, String)>,
}

/// Saga operations (when the engine has them): create with steps, begin, end, compensate.
fn saga_op(hv: Handle, rng: &mut Rng, sid: &str, local: &mut Local, fresh: &mut u64) {
    let a = agent(sid, rng.below(AGENTS_PER_SESSION));
    match rng.below(12) {
        0 | 1 => {
            *fresh += 1;
            let id = format!("g{fresh}");
            let (st, _) = call(
                hv,
                "saga.create",
                &json!({"session_id": sid, "saga_id": id}).to_string(),
            );
            if st == HvStatus::HV_OK {
                for p in 0..3 {
                    call(
                        hv,
                        "saga.add_step",
                        &json!({"saga_id": id, "step_id": format!("p{p}"), "action_id": "w",
                                "agent_did": a, "execute_api": "/w", "undo_api": "/u",
                                "max_retries": 1})
                        .to_string(),
                    );
                }
                local.sagas.push(id);
            }
        }
        2..=6 if !local.sagas.is_empty() => {
            let g = local.sagas[rng.below(local.sagas.len())].clone();
            let p = format!("p{}", rng.below(3));
            let (st, _) = call(
                hv,
                "saga.step.begin",
                &json!({"saga_id": g, "step_id": p}).to_string(),
            );
            if st == HvStatus::HV_OK {
                local.begun.push((g, p));
            }
        }
        7..=10 if !local.begun.is_empty() => {
            let (g, p) = local.begun.swap_remove(rng.below(local.begun.len()));
            call(
                hv,
                "saga.step.end",
                &json!({"saga_id": g, "step_id": p, "ok": rng.below(3) > 0,
                        "result": {"n": rng.below(100)}})
                .to_string(),
            );
        }
        11 if !local.sagas.is_empty() => {
            let g = local.sagas[rng.below(local.sagas.len())].clone();
            call(
                hv,
                "saga.compensate.begin",
                &json!({ "saga_id": g }).to_string(),
            );
        }
        _ => {}
    }
}

/// One random operation, valid or not, on `sid`.
fn random_op(hv: Handle, rng: &mut Rng, sid: &str, local: &mut Local, fresh: &mut u64) {
    let vouches = &mut local.vouches;
    let a = agent(sid, rng.below(AGENTS_PER_SESSION));
    let b = agent(sid, rng.below(AGENTS_PER_SESSION));
    let (method, body): (&str, Value) = match rng.below(23) {
        0 | 1 => (
            "ring.check",
            json!({"session_id": sid, "agent_did": a,
                   "action_id": if rng.below(4) == 0 { "nope" } else { "w" }}),
        ),
        2..=4 => (
            "liability.vouch",
            json!({"session_id": sid, "voucher_did": a, "vouchee_did": b,
                   "bond_pct": rng.unit() * 0.5}),
        ),
        5 | 6 => match vouches.is_empty() {
            true => ("liability.release", json!({"vouch_id": "vouch:none"})),
            false => {
                let id = vouches.swap_remove(rng.below(vouches.len()));
                ("liability.release", json!({ "vouch_id": id }))
            }
        },
        7 if rng.below(4) == 0 => (
            "liability.slash",
            json!({"session_id": sid, "agent_did": a, "risk_weight": rng.unit(),
                   "reason": "stress"}),
        ),
        7 => (
            "liability.sigma_eff",
            json!({"session_id": sid, "agent_did": a, "risk_weight": rng.unit()}),
        ),
        8 if rng.below(3) == 0 => (
            "liability.quarantine",
            json!({"session_id": sid, "agent_did": a, "reason": "manual", "duration_seconds": 2}),
        ),
        8 | 9 => (
            "liability.release_quarantine",
            json!({"session_id": sid, "agent_did": a}),
        ),
        10 => (
            "security.rate_check",
            json!({"session_id": sid, "agent_did": a}),
        ),
        11 => (
            "ring.elevate",
            json!({"session_id": sid, "agent_did": a, "target_ring": 2, "ttl_seconds": 1}),
        ),
        12 => {
            *fresh += 1;
            let did = format!("did:{sid}:fresh{fresh}");
            ok(
                hv,
                "session.join",
                json!({"session_id": sid, "agent_did": did, "sigma_raw": 0.7}),
            );
            (
                "session.leave",
                json!({"session_id": sid, "agent_did": did}),
            )
        }
        13 => ("clock.advance", json!({"ms": rng.below(1500)})),
        14 => ("session.get", json!({ "session_id": sid })),
        15 => ("events.query", json!({"limit": 5, "session_id": sid})),
        16 => (
            "verify.drift",
            json!({"session_id": sid, "agent_did": a, "claimed_embedding": [1.0, 0.5],
                   "observed_embedding": [1.0, 0.5 + rng.unit() * rng.unit()]}),
        ),
        17 if has("vfs.write") => (
            "vfs.write",
            json!({"session_id": sid, "agent_did": a, "path": format!("/f{}", rng.below(8)),
                   "content": "x".repeat(rng.below(64))}),
        ),
        19..=21 if has("saga.step.begin") => {
            saga_op(hv, rng, sid, local, fresh);
            return;
        }
        18 if has("audit.capture") => (
            "audit.capture",
            json!({"session_id": sid, "agent_did": a,
                   "changes": [{"path": "/x", "operation": "modify"}]}),
        ),
        // Invalid on purpose: unknown fields, bad JSON, unknown methods and sessions.
        _ => match rng.below(4) {
            0 => (
                "liability.vouch",
                json!({"session_id": sid, "voucher_did": a, "vouchee_dix": b}),
            ),
            1 => ("session.get", json!({"session_id": "no-such-session"})),
            2 => ("session.explode", json!({})),
            _ => {
                call(hv, "session.get", "{\"session_id\":");
                return;
            }
        },
    };
    let (st, v) = call(hv, method, &body.to_string());
    if st == HvStatus::HV_OK && method == "liability.vouch" {
        local
            .vouches
            .push(v["vouch_id"].as_str().unwrap().to_owned());
    }
}

#[test]
fn eight_threads_with_reentrant_subscribers_keep_every_invariant() {
    let cfg = CString::new(
        r#"{"clock":"manual","quarantine_seconds":1,
            "rate_limits":{"1":[1000,100000],"2":[1000,100000],"3":[1000,100000]},
            "limits":{"max_events":2048,"max_members_per_session":100000}}"#,
    )
    .unwrap();
    let mut raw: *mut HvHypervisor = ptr::null_mut();
    // SAFETY: valid config and out-pointers.
    let st = unsafe { hv_create(cfg.as_ptr(), &mut raw, ptr::null_mut()) };
    assert_eq!(st, HvStatus::HV_OK);
    let hv = Handle(raw);

    create_session(hv, "shared");
    for t in 0..THREADS {
        create_session(hv, &format!("own{t}"));
    }
    let reader = Sub {
        hv,
        seqs: Mutex::new(Vec::new()),
        reentrant_calls: AtomicU64::new(0),
        mutate: false,
    };
    let releaser = Sub {
        hv,
        seqs: Mutex::new(Vec::new()),
        reentrant_calls: AtomicU64::new(0),
        mutate: true,
    };
    let total_before = ok(hv, "events.stats", json!({}))["total"].as_u64().unwrap();
    let sub_all = subscribe(hv, "", &reader);
    let sub_vouch = subscribe(
        hv,
        r#"{"event_types":["liability.vouch_created"]}"#,
        &releaser,
    );

    let deadline = Instant::now() + RUN_FOR;
    let ops: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1234_5678));
                    let own = format!("own{t}");
                    let (mut vs, mut vo) = (Local::default(), Local::default());
                    let mut fresh = t as u64 * 1_000_000;
                    let mut n = 0u64;
                    while n < MAX_OPS_PER_THREAD as u64 && Instant::now() < deadline {
                        if rng.below(2) == 0 {
                            random_op(hv, &mut rng, "shared", &mut vs, &mut fresh);
                        } else {
                            random_op(hv, &mut rng, &own, &mut vo, &mut fresh);
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    // SAFETY: live handle; ids from hv_subscribe.
    unsafe {
        assert_eq!(hv_unsubscribe(hv.0, sub_all), HvStatus::HV_OK);
        assert_eq!(hv_unsubscribe(hv.0, sub_vouch), HvStatus::HV_OK);
    }
    assert!(ops > 0);
    // Read before any further call: housekeeping in later calls may publish expiries.
    let total_subscribed = ok(hv, "events.stats", json!({}))["total"].as_u64().unwrap();

    // ---- invariants
    let stats = ok(hv, "stats", json!({}));
    let sessions = ok(hv, "session.list", json!({}))["sessions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(stats["sessions"].as_u64(), Some(sessions.len() as u64));
    let mut participants = 0;
    let mut active_vouches = 0;
    let mut active_sagas = 0;
    for s in &sessions {
        let sid = s["session_id"].as_str().unwrap();
        let members = s["participants"].as_array().unwrap();
        participants += members.iter().filter(|p| p["is_active"] == true).count();
        for p in members {
            for k in ["sigma", "sigma_eff"] {
                let v = p[k].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&v), "{k} {v} out of range: {p}");
            }
            let exp = ok(
                hv,
                "liability.exposure",
                json!({"session_id": sid, "agent_did": p["agent_did"]}),
            );
            let bonded = exp["bonded_total"].as_f64().unwrap();
            assert!(bonded >= -1e-12, "negative bond total: {exp}");
            // Caps hold at vouch time against the σ the agent had; σ only ever decreases.
            let cap = p["sigma_raw"].as_f64().unwrap() * 0.8;
            assert!(bonded <= cap + 1e-9, "exposure above cap: {exp} for {p}");
        }
        let m = ok(hv, "liability.matrix", json!({ "session_id": sid }));
        for e in m["edges"].as_array().unwrap() {
            assert!(e["bonded_amount"].as_f64().unwrap() >= 0.0, "{e}");
        }
        active_vouches += m["edges"].as_array().unwrap().len();
        if has("saga.list") {
            let l = ok(hv, "saga.list", json!({ "session_id": sid }));
            active_sagas += l["sagas"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["state"] == "running" || g["state"] == "compensating")
                .count();
        }
        if has("audit.verify") {
            let v = ok(hv, "audit.verify", json!({ "session_id": sid }));
            assert_eq!(v["valid"], true, "audit chain of {sid}: {v}");
        }
    }
    assert_eq!(stats["participants"].as_u64(), Some(participants as u64));
    assert_eq!(
        stats["active_vouches"].as_u64(),
        Some(active_vouches as u64)
    );
    if has("saga.list") {
        assert_eq!(stats["active_sagas"].as_u64(), Some(active_sagas as u64));
    }

    // The log: strictly increasing, gap-free except for counted drops, at its cap.
    let page = ok(hv, "events.query", json!({"limit": 10000}));
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let dropped = page["dropped"].as_u64().unwrap();
    let total = ok(hv, "events.stats", json!({}))["total"].as_u64().unwrap();
    assert_eq!(dropped + seqs.len() as u64, total);
    for (i, s) in seqs.iter().enumerate() {
        assert_eq!(*s, dropped + 1 + i as u64, "gap in the event log");
    }
    assert!(seqs.len() <= 2048);

    // The all-events subscriber saw every event published while subscribed, exactly once.
    let got = reader.seqs.lock().unwrap();
    let unique: HashSet<u64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "an event was delivered twice");
    let want: HashSet<u64> = (total_before + 1..=total_subscribed).collect();
    let missed: Vec<u64> = want.difference(&unique).copied().take(20).collect();
    let extra: Vec<u64> = unique.difference(&want).copied().take(20).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "subscriber missed {missed:?} / got unexpected {extra:?}"
    );
    assert_eq!(
        reader.reentrant_calls.load(Ordering::Relaxed),
        got.len() as u64
    );
    let vouch_events = releaser.seqs.lock().unwrap().len() as u64;
    // No vouch is created after the threads stop, so the type count is exact.
    let created = ok(hv, "events.stats", json!({}))["type_counts"]["liability.vouch_created"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(vouch_events, created, "filtered subscriber missed vouches");
    eprintln!(
        "stress: {ops} ops, {total} events ({dropped} dropped), {} re-entrant callbacks; {}",
        got.len() as u64 + vouch_events,
        ok(hv, "events.stats", json!({}))["type_counts"]
    );
    drop(got);
    // SAFETY: no call is in flight; destroyed once.
    unsafe { hv_destroy(hv.0) };
}
