//! Bytes per idle session with two participants (created, two agents joined, activated),
//! measured two ways over `HV_MEM_SESSIONS` sessions (default 100 000):
//!
//! * live heap bytes, from a counting global allocator (exact, what the engine holds);
//! * resident set size, from `/proc/self/statm` (what the OS sees, allocator overhead and
//!   fragmentation included).
//!
//! The engine-wide event log is bounded (`max_events`); a warm-up fills it first so that its
//! size does not change during the measurement and only per-session state is counted. The
//! session table's own growth (hash map buckets) is included: it is part of what a session
//! costs.

// The library installs mimalloc as the global allocator in optimized builds (feature
// `mimalloc`); this bench needs its own counting allocator, so `make bench-mem` builds it with
// `--no-default-features`. Built with the feature, it only says so.
#![cfg_attr(
    all(feature = "mimalloc", not(debug_assertions)),
    allow(dead_code, unused_imports)
)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use agent_hypervisor::engine::{CreateRequest, JoinRequest};
use agent_hypervisor::Hypervisor;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers every operation to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[cfg(not(all(feature = "mimalloc", not(debug_assertions))))]
#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Resident set size in bytes (`/proc/self/statm`, 4 KiB pages), or 0 when unavailable.
fn rss() -> isize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|t| t.split_whitespace().nth(1)?.parse::<isize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn join(hv: &Hypervisor, sid: &str, agent: &str) {
    hv.join_session(JoinRequest {
        session_id: sid.to_owned(),
        agent_did: agent.to_owned(),
        sigma_raw: Some(0.8),
        actions: None,
        manifest: None,
        history: None,
        parent_did: None,
        has_consensus: None,
        trace_id: None,
    })
    .expect("join");
}

fn create(hv: &Hypervisor, sid: &str) {
    hv.create_session(CreateRequest {
        config: None,
        creator_did: "did:mesh:admin".into(),
        session_id: Some(sid.to_owned()),
        trace_id: None,
    })
    .expect("create");
}

fn idle(hv: &Hypervisor, sid: &str) {
    create(hv, sid);
    join(hv, sid, "did:mesh:a");
    join(hv, sid, "did:mesh:b");
    hv.activate_session(sid, None).expect("activate");
}

fn engine(json: &str) -> Hypervisor {
    Hypervisor::new(agent_hypervisor::api::parse_config(json).expect("config"))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and friends: nothing to list.
    }
    if cfg!(all(feature = "mimalloc", not(debug_assertions))) {
        eprintln!(
            "memory bench: run `cargo bench --bench memory --no-default-features` (make bench-mem)"
        );
        return;
    }
    let n: usize = std::env::var("HV_MEM_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);

    // 1. Per-session state. The event log is engine-wide and bounded; it is kept at one event
    //    here so that only what a session holds is counted (its cost is measured below).
    let warm = 1_000;
    let hv = engine(&format!(
        r#"{{"limits":{{"max_sessions":{},"max_events":1}}}}"#,
        n + warm + 1
    ));
    for i in 0..warm {
        idle(&hv, &format!("warm-{i}"));
    }
    let ids: Vec<String> = (0..n).map(|i| format!("idle-{i}")).collect();
    let (h0, r0) = (live(), rss());
    for sid in &ids {
        create(&hv, sid);
    }
    let (h1, r1) = (live(), rss());
    for sid in &ids {
        join(&hv, sid, "did:mesh:a");
    }
    let (h2, r2) = (live(), rss());
    for sid in &ids {
        join(&hv, sid, "did:mesh:b");
    }
    let (h3, r3) = (live(), rss());
    for sid in &ids {
        hv.activate_session(sid, None).expect("activate");
    }
    let (h4, r4) = (live(), rss());
    let per = |a: isize, b: isize| (b - a) as f64 / n as f64;
    let heap = per(h0, h4);
    let rss_per = per(r0, r4);
    drop(hv);

    // 2. The event log at its cap (default max_events), engine-wide.
    let before = live();
    let hv = engine("{}");
    let max_events = hv.config().limits.max_events;
    let sessions = max_events / 6 + 1_000; // 6 events per idle session: more than fills it
    for i in 0..sessions {
        idle(&hv, &format!("ev-{i}"));
    }
    let log_bytes = (live() - before) as f64 - heap * sessions as f64;
    let per_event = log_bytes / hv.events().len() as f64;
    drop(hv);

    // 3. What one full pipeline leaves behind (an archived session with 4 deltas, a completed
    //    saga step, its commitment) and how many events it emits.
    let runs = 10_000u64;
    let hv = engine(&format!(
        r#"{{"limits":{{"max_sessions":{},"max_events":1}}}}"#,
        runs + 10
    ));
    let before = live();
    for i in 0..runs {
        common::native_pipeline(&hv, i, &format!("bench-{i}"), &format!("saga-{i}"));
    }
    let archived = (live() - before) as f64 / runs as f64;
    let events_per_pipeline = hv.events().stats().total as f64 / runs as f64;
    drop(hv);

    println!("idle sessions measured: {n} (created, 2 agents joined, activated)");
    println!(
        "size_of::<Session>() = {} bytes (the inline part, in an Arc<SessionCell>)",
        std::mem::size_of::<agent_hypervisor::engine::Session>()
    );
    println!(
        "heap bytes per session: create {:.0} + join {:.0} + join {:.0} + activate {:.0} = {heap:.0}",
        per(h0, h1),
        per(h1, h2),
        per(h2, h3),
        per(h3, h4)
    );
    println!(
        "RSS bytes per session:  create {:.0} + join {:.0} + join {:.0} + activate {:.0} = {rss_per:.0}",
        per(r0, r1),
        per(r1, r2),
        per(r2, r3),
        per(r3, r4)
    );
    println!(
        "event log at its cap ({max_events} events, engine-wide): {:.1} MiB, {per_event:.0} B per event",
        log_bytes / (1024.0 * 1024.0)
    );
    println!(
        "archived session left by one full pipeline: {archived:.0} heap bytes (kept until max_sessions evicts it); {events_per_pipeline:.1} events per pipeline"
    );
    println!(
        "mem\tidle session, 2 participants: heap / RSS per session\t{heap:.0} B / {rss_per:.0} B (target ≤ 4096 B)"
    );
    println!(
        "mem\tarchived session left by one full pipeline\t{archived:.0} B heap; {events_per_pipeline:.1} events emitted per pipeline"
    );
    println!(
        "mem\tevent log at its cap ({max_events} events, engine-wide)\t{:.1} MiB ({per_event:.0} B per event)",
        log_bytes / (1024.0 * 1024.0)
    );
}
