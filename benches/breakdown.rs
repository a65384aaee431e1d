//! Where the full pipeline's time goes, call by call: each engine call of the pipeline is
//! timed separately (native Rust API and C ABI with JSON), p50 per call and its share of the
//! pipeline. `cargo bench --bench breakdown` (env `HV_BREAKDOWN_RUNS`, default 20 000).

mod common;

use std::time::Instant;

use agent_hypervisor::ffi;
use common::*;

const STAGES: [&str; 10] = [
    "session.create",
    "session.join",
    "session.activate",
    "audit.capture #1",
    "audit.capture #2",
    "audit.capture #3",
    "saga.create",
    "saga.add_step",
    "hv_saga_step (no-op executor)",
    "session.terminate (+ Merkle root)",
];

/// Times `f` into `slot` (ns).
fn timed(slot: &mut f64, f: impl FnOnce()) {
    let t = Instant::now();
    f();
    *slot = t.elapsed().as_nanos() as f64;
}

fn native(hv: &agent_hypervisor::Hypervisor, n: u64, t: &mut [f64; 10]) {
    let sid = format!("bench-{n}");
    let saga = format!("saga-{n}");
    let (sid, saga) = (sid.as_str(), saga.as_str());
    timed(&mut t[0], || {
        hv.create_session(agent_hypervisor::engine::CreateRequest {
            config: None,
            creator_did: "did:mesh:admin".into(),
            session_id: Some(sid.to_owned()),
            trace_id: None,
        })
        .expect("create");
    });
    timed(&mut t[1], || {
        hv.join_session(join_req(sid, "did:mesh:a")).expect("join");
    });
    timed(&mut t[2], || {
        hv.activate_session(sid, None).expect("activate");
    });
    for (i, (path, hash)) in [("/f0", "h0"), ("/f1", "h1"), ("/f2", "h2")]
        .iter()
        .enumerate()
    {
        timed(&mut t[3 + i], || {
            native_capture(hv, sid, "did:mesh:a", path, hash)
        });
    }
    timed(&mut t[6], || native_saga_create(hv, sid, saga));
    timed(&mut t[7], || {
        native_saga_add(hv, saga, "step-1", "did:mesh:a")
    });
    timed(&mut t[8], || native_step(hv, saga, "step-1"));
    timed(&mut t[9], || {
        hv.terminate_session(sid, None).expect("terminate");
    });
}

fn abi(abi: &mut Abi, n: u64, t: &mut [f64; 10]) {
    let sid = format!("bench-{n}");
    let saga = format!("saga-{n}");
    let (sid, saga) = (sid.as_str(), saga.as_str());
    timed(&mut t[0], || {
        abi.export(
            ffi::hv_create_session,
            "hv_create_session",
            format_args!(r#"{{"creator_did":"did:mesh:admin","session_id":"{sid}"}}"#),
        )
    });
    timed(&mut t[1], || {
        abi.export(
            ffi::hv_join_session,
            "hv_join_session",
            format_args!(r#"{{"session_id":"{sid}","agent_did":"did:mesh:a","sigma_raw":0.8}}"#),
        )
    });
    timed(&mut t[2], || {
        abi.export(
            ffi::hv_activate_session,
            "hv_activate_session",
            format_args!(r#"{{"session_id":"{sid}"}}"#),
        )
    });
    for (i, (path, hash)) in [("/f0", "h0"), ("/f1", "h1"), ("/f2", "h2")]
        .iter()
        .enumerate()
    {
        timed(&mut t[3 + i], || {
            abi_capture(abi, sid, "did:mesh:a", path, hash)
        });
    }
    timed(&mut t[6], || abi_saga_create(abi, sid, saga));
    timed(&mut t[7], || {
        abi_saga_add(abi, saga, "step-1", "did:mesh:a")
    });
    timed(&mut t[8], || abi_step(abi, saga, "step-1"));
    timed(&mut t[9], || {
        abi.export(
            ffi::hv_terminate,
            "hv_terminate",
            format_args!(r#"{{"session_id":"{sid}"}}"#),
        )
    });
}

fn p50(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runs: usize = std::env::var("HV_BREAKDOWN_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut cols: Vec<Vec<Vec<f64>>> = Vec::new();
    for path in [Path::Native, Path::Abi] {
        let mut samples = vec![Vec::with_capacity(runs); STAGES.len()];
        // One engine per path, event log full first (as in the table); rotated below
        // limits.max_sessions.
        let fresh = || {
            let hv = native_engine();
            let mut c = Abi::new();
            match path {
                Path::Native => fill_native(&hv),
                Path::Abi => fill_abi(&mut c),
            }
            (hv, c)
        };
        let (mut hv, mut c) = fresh();
        let mut t = [0.0; 10];
        for i in 0..(runs + runs / 10) {
            if i % 50_000 == 49_999 {
                (hv, c) = fresh();
            }
            let n = next_id();
            match path {
                Path::Native => native(&hv, n, &mut t),
                Path::Abi => abi(&mut c, n, &mut t),
            }
            if i >= runs / 10 {
                for (s, v) in samples.iter_mut().zip(t) {
                    s.push(v);
                }
            }
        }
        cols.push(samples);
    }
    println!(
        "{:<36} │ {:>9} {:>6} │ {:>9} {:>6}",
        "pipeline call (p50)", "native", "share", "C ABI", "share"
    );
    let meds: Vec<Vec<f64>> = cols
        .iter_mut()
        .map(|c| c.iter_mut().map(|v| p50(v)).collect())
        .collect();
    let totals: Vec<f64> = meds.iter().map(|m| m.iter().sum()).collect();
    for (i, name) in STAGES.iter().enumerate() {
        println!(
            "{name:<36} │ {:>6.2} µs {:>5.1}% │ {:>6.2} µs {:>5.1}%",
            meds[0][i] / 1e3,
            100.0 * meds[0][i] / totals[0],
            meds[1][i] / 1e3,
            100.0 * meds[1][i] / totals[1]
        );
    }
    println!(
        "{:<36} │ {:>6.2} µs        │ {:>6.2} µs",
        "sum of the p50s",
        totals[0] / 1e3,
        totals[1] / 1e3
    );
}
