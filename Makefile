# agent-hypervisor — build, demo, test, bench.
# Two commands matter on a fresh machine: `make demo` and `make test`.

CARGO    ?= cargo
CC       ?= gcc
CFLAGS   ?= -std=c11 -Wall -Wextra -Werror -O1 -g
INCLUDE  := -Iinclude
DEBUG_LIB   := target/debug
RELEASE_LIB := target/release
VALGRIND := valgrind --quiet --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite

.PHONY: all build release header demo test bootstrap fmt-check clippy cargo-test c-test release-smoke \
        go-test csharp-test cpp-test bench bench-c clean fuzz fuzz-smoke fuzz-build

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Regenerates include/agent_hypervisor.h from src/ffi (tests fail when it is stale).
header:
	HV_WRITE_HEADER=1 $(CARGO) build

# ---------------------------------------------------------------- demo
demo: release
	@mkdir -p target/c
	$(CC) $(CFLAGS) $(INCLUDE) examples/quickstart.c -o target/c/quickstart \
	    -L$(RELEASE_LIB) -lagent_hypervisor -Wl,-rpath,$(CURDIR)/$(RELEASE_LIB) -lpthread
	./target/c/quickstart

# ---------------------------------------------------------------- test
test: bootstrap fmt-check clippy cargo-test c-test release-smoke fuzz-smoke go-test csharp-test cpp-test
	@echo "make test: all suites passed"

bootstrap:
	@bash scripts/bootstrap

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

cargo-test:
	$(CARGO) test

# The C test program is built against the header and the shared library only, and runs
# under valgrind (zero errors, zero definite leaks).
c-test: build
	@mkdir -p target/c
	@set -e; for src in tests/c/*.c; do \
	  bin=target/c/$$(basename $$src .c); \
	  echo "== $$src"; \
	  $(CC) $(CFLAGS) $(INCLUDE) $$src -o $$bin -L$(DEBUG_LIB) -lagent_hypervisor \
	      -Wl,-rpath,$(CURDIR)/$(DEBUG_LIB) -lpthread; \
	  $(VALGRIND) ./$$bin; \
	done
	$(CC) $(CFLAGS) $(INCLUDE) examples/quickstart.c -o target/c/quickstart_debug \
	    -L$(DEBUG_LIB) -lagent_hypervisor -Wl,-rpath,$(CURDIR)/$(DEBUG_LIB) -lpthread
	$(VALGRIND) ./target/c/quickstart_debug > /dev/null

# The shipped configuration: the release library (optimized, mimalloc as its allocator) runs
# the C ABI test programs and the quickstart (no valgrind: it cannot see mimalloc's heap).
release-smoke: release
	@mkdir -p target/c-release
	@set -e; for src in tests/c/*.c examples/quickstart.c; do \
	  bin=target/c-release/$$(basename $$src .c); \
	  $(CC) $(CFLAGS) $(INCLUDE) $$src -o $$bin -L$(RELEASE_LIB) -lagent_hypervisor \
	      -Wl,-rpath,$(CURDIR)/$(RELEASE_LIB) -lpthread; \
	  echo "== release $$src"; ./$$bin > target/c-release/$$(basename $$src .c).log \
	      || { tail -n 40 target/c-release/$$(basename $$src .c).log; exit 1; }; \
	done

go-test: build
	@if [ -d bindings/go ]; then $(MAKE) -C bindings/go test; else echo "go-test: no bindings/go yet"; fi

csharp-test: build
	@if [ -d bindings/csharp ]; then $(MAKE) -C bindings/csharp test; else echo "csharp-test: no bindings/csharp yet"; fi

cpp-test: build
	@if [ -d bindings/cpp ]; then $(MAKE) -C bindings/cpp test; else echo "cpp-test: no bindings/cpp yet"; fi

# ---------------------------------------------------------------- fuzz
# cargo-fuzz (libFuzzer, nightly) targets in fuzz/, sharing the target dir fuzz/target.
# `make fuzz` runs each for FUZZ_SECONDS, keeping its grown corpus in fuzz/target/corpus;
# `make fuzz-smoke` (part of `make test`) runs each for FUZZ_SMOKE_SECONDS from the checked-in
# seed corpus only. A crash, leak, timeout (hang) or OOM fails the target; the reproducer is
# written to fuzz/artifacts/<target>/.
FUZZ_TARGETS       := hv_call verify_proofs saga_define
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 12
FUZZ_BUILD_FLAGS   := --codegen-units 16
FUZZ_RUN_FLAGS     := -dict=dicts/hv.dict -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz-build:
	cd fuzz && $(CARGO) +nightly fuzz build $(FUZZ_BUILD_FLAGS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/target/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  (cd fuzz && $(CARGO) +nightly fuzz run $(FUZZ_BUILD_FLAGS) $$t target/corpus/$$t corpus/$$t \
	      -- $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS)); \
	done

fuzz-smoke: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  rm -rf fuzz/target/smoke/$$t; mkdir -p fuzz/target/smoke/$$t; \
	  echo "== fuzz-smoke $$t ($(FUZZ_SMOKE_SECONDS) s)"; \
	  if ! (cd fuzz && $(CARGO) +nightly fuzz run $(FUZZ_BUILD_FLAGS) $$t target/smoke/$$t corpus/$$t \
	      -- $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) > target/smoke/$$t.log 2>&1); then \
	    tail -n 60 fuzz/target/smoke/$$t.log; echo "fuzz-smoke: $$t FAILED (see fuzz/artifacts/$$t)"; exit 1; \
	  fi; \
	  grep -E '^Done|peak_rss' fuzz/target/smoke/$$t.log; \
	done

# ---------------------------------------------------------------- bench
# docs/PERFORMANCE.md. `make bench` prints ONE table: every operation on the native Rust API
# next to the C ABI with JSON (p50, p95, ops/s), the C host pipeline with thread scaling, and
# bytes per idle session. The parts' full output lands in target/bench/. Runs are short (the
# machine is shared); criterion's own reports: `make bench-criterion`.
BENCH_N   ?= 20000
BENCH_DIR := target/bench
.PHONY: bench-mem bench-criterion

bench:
	@mkdir -p $(BENCH_DIR)
	@rm -f $(BENCH_DIR)/c.txt $(BENCH_DIR)/mem.txt
	@$(MAKE) --no-print-directory bench-c > $(BENCH_DIR)/bench-c.log 2>&1 || \
	    { tail -20 $(BENCH_DIR)/bench-c.log; exit 1; }
	@$(MAKE) --no-print-directory bench-mem > $(BENCH_DIR)/bench-mem.log 2>&1 || \
	    { tail -20 $(BENCH_DIR)/bench-mem.log; exit 1; }
	@$(CARGO) bench --bench table 2> $(BENCH_DIR)/table.log || { tail -20 $(BENCH_DIR)/table.log; exit 1; }

# The full pipeline through the header only, against the RELEASE library: p50/p95/p99, then
# 1 vs 2 threads on disjoint sessions and on one shared session. BENCH_N iterations.
bench-c: release
	@mkdir -p target/c $(BENCH_DIR)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 $(INCLUDE) examples/bench_pipeline.c \
	    -o target/c/bench_pipeline -L$(RELEASE_LIB) -lagent_hypervisor \
	    -Wl,-rpath,$(CURDIR)/$(RELEASE_LIB) -lpthread
	./target/c/bench_pipeline $(BENCH_N) | tee $(BENCH_DIR)/c.txt

# Bytes per idle session with two participants (counting allocator and RSS).
bench-mem:
	@mkdir -p $(BENCH_DIR)
	$(CARGO) bench --bench memory --no-default-features | tee $(BENCH_DIR)/mem.txt

# Criterion's statistics for the same operations (short settings for a shared machine).
bench-criterion:
	$(CARGO) bench --bench governance -- --warm-up-time 1 --measurement-time 2

clean:
	$(CARGO) clean
