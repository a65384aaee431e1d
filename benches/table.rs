//! `make bench`'s table: every operation of the suite timed call by call (like the Python
//! original's `perf_counter_ns` loop), p50 / p95 / ops/s, native Rust API next to the C ABI
//! with JSON. Rows produced by the C pipeline bench and the memory bench (files
//! `target/bench/c.txt`, `target/bench/mem.txt`, lines starting with `row` / `mem`) are
//! appended when present, so one table shows everything.
//!
//! Environment: `HV_BENCH_SECONDS` (measurement time per cell, default 0.5),
//! `HV_BENCH_FILTER` (substring of the criterion id to run only some rows), `HV_BENCH_PATH`
//! (`native` or `abi` to run one column only, e.g. under callgrind), `HV_BENCH_CONFIG` (engine
//! configuration JSON replacing the default bench configuration, for experiments).

mod common;

use std::time::{Duration, Instant};

use common::{suite, Path, Runner};

/// p50, p95 (ns) and ops/s of one cell.
#[derive(Clone, Copy)]
struct Cell {
    p50: f64,
    p95: f64,
    ops: f64,
}

fn measure(mut r: Runner, secs: f64) -> Cell {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_secs_f64((secs * 0.3).min(0.3)) {
        r.sample_ns();
    }
    let mut samples = Vec::with_capacity(1 << 16);
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut timed_ns = 0.0;
    let mut ops = 0u64;
    while start.elapsed() < budget && samples.len() < 2_000_000 {
        let per_op = r.sample_ns();
        samples.push(per_op);
        timed_ns += per_op * f64::from(r.batch());
        ops += u64::from(r.batch());
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    Cell {
        p50: pct(0.50),
        p95: pct(0.95),
        ops: ops as f64 / (timed_ns / 1e9),
    }
}

fn fmt_time(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn fmt_ops(ops: f64) -> String {
    let n = ops.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cells(c: Option<Cell>) -> [String; 3] {
    match c {
        Some(c) => [fmt_time(c.p50), fmt_time(c.p95), fmt_ops(c.ops)],
        None => ["—".into(), "—".into(), "—".into()],
    }
}

fn print_row(label: &str, native: Option<Cell>, abi: Option<Cell>) {
    let [a, b, c] = cells(native);
    let [d, e, f] = cells(abi);
    println!("{label:<54} │ {a:>9} {b:>9} {c:>12} │ {d:>9} {e:>9} {f:>12}");
}

fn parse_cell(v: &[&str]) -> Option<Cell> {
    let n = |s: &str| s.trim().parse::<f64>().ok();
    Some(Cell {
        p50: n(v[0])?,
        p95: n(v[1])?,
        ops: n(v[2])?,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let n = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{n} CPUs ({cpu})")
}

fn main() {
    let secs: f64 = std::env::var("HV_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5);
    let filter = std::env::var("HV_BENCH_FILTER").unwrap_or_default();
    let only = std::env::var("HV_BENCH_PATH").unwrap_or_default();
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());

    println!(
        "agent-hypervisor {} — {} — {secs} s per cell, timed call by call",
        env!("CARGO_PKG_VERSION"),
        machine()
    );
    let rule = "─".repeat(55) + "┼" + &"─".repeat(33) + "┼" + &"─".repeat(33);
    println!(
        "{:<54} │ {:^31} │ {:^31}",
        "", "native Rust API", "C ABI + JSON"
    );
    println!(
        "{:<54} │ {:>9} {:>9} {:>12} │ {:>9} {:>9} {:>12}",
        "operation", "p50", "p95", "ops/s", "p50", "p95", "ops/s"
    );
    println!("{rule}");
    for spec in suite() {
        if !spec.id.contains(filter.as_str()) {
            continue;
        }
        let run = |p: Path| {
            let wanted = match p {
                Path::Native => only != "abi",
                Path::Abi => only != "native",
            };
            (wanted && spec.available(p)).then(|| measure(Runner::new((spec.build)(p)), secs))
        };
        let native = run(Path::Native);
        let abi = run(Path::Abi);
        print_row(spec.label, native, abi);
    }

    let mut footer = Vec::new();
    for file in ["c.txt", "mem.txt"] {
        let Ok(text) = std::fs::read_to_string(format!("{target}/bench/{file}")) else {
            continue;
        };
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.first() {
                Some(&"row") if f.len() == 8 => {
                    print_row(f[1], parse_cell(&f[2..5]), parse_cell(&f[5..8]));
                }
                Some(&"mem") if f.len() == 3 => footer.push(format!("{:<54} │ {}", f[1], f[2])),
                _ => {}
            }
        }
    }
    if !footer.is_empty() {
        println!("{rule}");
        for l in footer {
            println!("{l}");
        }
    }
    println!("{rule}");
    println!(
        "p50/p95: per call (ring computation native: per call over batches of 256). ops/s: calls \
         per second of timed work, one thread unless stated. Shared 2-core machine: expect noise."
    );
}
