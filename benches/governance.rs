//! Criterion suite: every operation of the Python original's benchmark workload, on the
//! native Rust API and through the C ABI with JSON. Run short on shared machines:
//! `cargo bench --bench governance -- --warm-up-time 1 --measurement-time 2`.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

use common::{suite, Path, Runner};

fn governance(c: &mut Criterion) {
    for spec in suite() {
        let mut group = c.benchmark_group(spec.id);
        for (name, path) in [("native", Path::Native), ("abi", Path::Abi)] {
            if !spec.available(path) {
                eprintln!("{}/{name}: not available in this build, skipped", spec.id);
                continue;
            }
            let mut runner: Option<Runner> = None;
            group.bench_function(name, |b| {
                // Built lazily: criterion calls this closure once per sample, and not at all
                // when the benchmark is filtered out.
                let r = runner.get_or_insert_with(|| Runner::new((spec.build)(path)));
                b.iter_custom(|iters| r.timed(iters));
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = governance
}
criterion_main!(benches);
