/*
 * bench_pipeline.c — what a C host pays for the full governance pipeline, through the header
 * and the shared library only (no Rust in sight).
 *
 *   bench_pipeline [N]        N timed iterations per run (default 20000)
 *
 * One pipeline iteration (mirrors the Python original's full_governance_pipeline):
 *   hv_create_session → hv_join_session (σ 0.8) → hv_activate_session →
 *   3 × audit.capture → saga.create → saga.add_step → hv_saga_step (no-op executor) →
 *   hv_terminate (commits the Merkle root of the 3 deltas).
 * Every call's response string is released with hv_string_free, as a host must.
 *
 * Then throughput scaling:
 *   - the pipeline on 1 and on 2 threads, each thread on its own sessions (disjoint);
 *   - the in-session part of the pipeline (3 captures + saga + step) on 1 and 2 threads all
 *     working in ONE shared session (contention on that session's lock).
 *
 * Prints p50/p95/p99 in µs and ops/s, and machine-readable "row\t..." lines (ns) that
 * `make bench` folds into its table.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_hypervisor.h"

/* The defaults, except rate limits high enough that the shared-session run (thousands of
   steps by one agent) is never throttled. */
static const char *CONFIG =
    "{\"rate_limits\":{\"0\":[1e9,1e9],\"1\":[1e9,1e9],\"2\":[1e9,1e9],\"3\":[1e9,1e9]}}";

/* A long-running engine lives with a full event log (limits.max_events, 100 000 by default),
   where every new event evicts the oldest; one pipeline emits 14 events. Every engine is
   brought to that state, untimed, before it is measured. */
#define FILL_PIPELINES (100000 / 14 + 500)

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Releases the response; aborts the benchmark on any failure (a bench must not silently
   measure an error path). */
static void check(HvStatus st, char *out, const char *what) {
  if (st != HV_OK) {
    fprintf(stderr, "%s failed with status %d: %s\n", what, (int)st, out ? out : "(null)");
    hv_string_free(out);
    exit(1);
  }
  hv_string_free(out);
}

static int32_t noop_step(HvStepContext *ctx, const char *step_json, void *user_data) {
  (void)ctx;
  (void)step_json;
  (void)user_data;
  return 0;
}

/* 3 audit deltas, a saga with one step, the step run through hv_saga_step. */
static void in_session(HvHypervisor *hv, const char *sid, const char *agent, const char *tag,
                       unsigned long long n) {
  char req[512];
  char *out;
  for (int i = 0; i < 3; i++) {
    snprintf(req, sizeof req,
             "{\"session_id\":\"%s\",\"agent_did\":\"%s\",\"changes\":"
             "[{\"path\":\"/f%d\",\"operation\":\"add\",\"content_hash\":\"h%d\"}]}",
             sid, agent, i, i);
    out = NULL;
    check(hv_call(hv, "audit.capture", req, &out), out, "audit.capture");
  }
  snprintf(req, sizeof req, "{\"session_id\":\"%s\",\"saga_id\":\"saga-%s-%llu\"}", sid, tag, n);
  out = NULL;
  check(hv_call(hv, "saga.create", req, &out), out, "saga.create");
  snprintf(req, sizeof req,
           "{\"saga_id\":\"saga-%s-%llu\",\"step_id\":\"step-1\",\"action_id\":\"action\","
           "\"agent_did\":\"%s\",\"execute_api\":\"/api/action\",\"undo_api\":\"/api/undo\"}",
           tag, n, agent);
  out = NULL;
  check(hv_call(hv, "saga.add_step", req, &out), out, "saga.add_step");
  snprintf(req, sizeof req, "{\"saga_id\":\"saga-%s-%llu\",\"step_id\":\"step-1\"}", tag, n);
  out = NULL;
  check(hv_saga_step(hv, req, noop_step, NULL, &out), out, "hv_saga_step");
}

/* One full pipeline iteration on session "c-<tag>-<n>". Returns 1 when the terminate
   response carried a Merkle root (checked by the caller once). */
static int pipeline(HvHypervisor *hv, const char *tag, unsigned long long n) {
  char sid[96];
  char req[512];
  char *out;
  snprintf(sid, sizeof sid, "c-%s-%llu", tag, n);

  snprintf(req, sizeof req, "{\"creator_did\":\"did:mesh:admin\",\"session_id\":\"%s\"}", sid);
  out = NULL;
  check(hv_create_session(hv, req, &out), out, "hv_create_session");
  snprintf(req, sizeof req,
           "{\"session_id\":\"%s\",\"agent_did\":\"did:mesh:a\",\"sigma_raw\":0.8}", sid);
  out = NULL;
  check(hv_join_session(hv, req, &out), out, "hv_join_session");
  snprintf(req, sizeof req, "{\"session_id\":\"%s\"}", sid);
  out = NULL;
  check(hv_activate_session(hv, req, &out), out, "hv_activate_session");

  in_session(hv, sid, "did:mesh:a", sid, n);

  snprintf(req, sizeof req, "{\"session_id\":\"%s\"}", sid);
  out = NULL;
  HvStatus st = hv_terminate(hv, req, &out);
  int has_root = st == HV_OK && out && strstr(out, "\"merkle_root\":\"") != NULL;
  check(st, out, "hv_terminate");
  return has_root;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(const double *sorted, size_t n, double p) {
  size_t i = (size_t)((double)n * p);
  return sorted[i < n ? i : n - 1];
}

/* ---------------------------------------------------------------- threads */

typedef struct {
  HvHypervisor *hv;
  pthread_barrier_t *start;
  int id;
  int threads;          /* workers in this run */
  int shared;           /* 1: in-session work in one shared session */
  const char *sid;      /* shared session id */
  unsigned long long iters;
  unsigned long long base;
  double *samples;      /* per-iteration ns */
} Worker;

static void *worker(void *arg) {
  Worker *w = arg;
  char tag[64];
  char agent[32];
  snprintf(agent, sizeof agent, "did:mesh:t%d", w->id);
  /* The workers fill the event log themselves (untimed), so that what they later evict was
     allocated by the measured threads, as in a host whose calls all come from its workers. */
  snprintf(tag, sizeof tag, "fill-t%d", w->id);
  unsigned long long fill = FILL_PIPELINES / (unsigned long long)w->threads;
  for (unsigned long long i = 0; i < fill; i++) pipeline(w->hv, tag, i);
  pthread_barrier_wait(w->start);
  for (unsigned long long i = 0; i < w->iters; i++) {
    double t0 = now_ns();
    if (w->shared) {
      snprintf(tag, sizeof tag, "%s-t%d", w->sid, w->id);
      in_session(w->hv, w->sid, agent, tag, w->base + i);
    } else {
      snprintf(tag, sizeof tag, "t%d", w->id);
      pipeline(w->hv, tag, w->base + i);
    }
    w->samples[i] = now_ns() - t0;
  }
  return NULL;
}

typedef struct {
  double ops, p50, p95, p99;
} Result;

/* Runs `threads` workers for `iters` iterations each; wall-clock ops/s over all of them. */
static Result run_threads(int threads, int shared, unsigned long long iters, int round) {
  HvHypervisor *hv = NULL;
  char *out = NULL;
  check(hv_create(CONFIG, &hv, &out), out, "hv_create");
  char sid[64];
  snprintf(sid, sizeof sid, "shared-%d-%d", threads, round);
  if (shared) {
    char req[256];
    snprintf(req, sizeof req, "{\"creator_did\":\"did:mesh:admin\",\"session_id\":\"%s\"}", sid);
    out = NULL;
    check(hv_create_session(hv, req, &out), out, "hv_create_session");
    for (int t = 0; t < threads; t++) {
      snprintf(req, sizeof req,
               "{\"session_id\":\"%s\",\"agent_did\":\"did:mesh:t%d\",\"sigma_raw\":0.8}", sid, t);
      out = NULL;
      check(hv_join_session(hv, req, &out), out, "hv_join_session");
    }
    snprintf(req, sizeof req, "{\"session_id\":\"%s\"}", sid);
    out = NULL;
    check(hv_activate_session(hv, req, &out), out, "hv_activate_session");
  }
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  Worker w[8];
  pthread_t th[8];
  double *all = malloc(sizeof(double) * iters * (size_t)threads);
  for (int t = 0; t < threads; t++) {
    w[t] = (Worker){hv, &start, t, threads, shared, sid, iters, 0, all + (size_t)t * iters};
    pthread_create(&th[t], NULL, worker, &w[t]);
  }
  pthread_barrier_wait(&start);
  double t0 = now_ns();
  for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
  double wall = now_ns() - t0;
  pthread_barrier_destroy(&start);
  size_t n = iters * (size_t)threads;
  qsort(all, n, sizeof(double), cmp_double);
  Result r = {(double)n / (wall / 1e9), pct(all, n, 0.50), pct(all, n, 0.95), pct(all, n, 0.99)};
  free(all);
  hv_destroy(hv);
  return r;
}

/* 1 vs 2 threads, `rounds` interleaved rounds (1, 2, 1, 2, ...), best round (highest ops/s)
   of each kept: on a shared machine the best round is the least disturbed one, and
   interleaving keeps a slow phase of the machine from landing on one side only. */
static void best_pair(int rounds, int shared, unsigned long long iters, Result *one,
                      Result *two) {
  *one = (Result){0, 0, 0, 0};
  *two = (Result){0, 0, 0, 0};
  for (int r = 0; r < rounds; r++) {
    Result x = run_threads(1, shared, iters, r);
    if (x.ops > one->ops) *one = x;
    x = run_threads(2, shared, iters, r);
    if (x.ops > two->ops) *two = x;
  }
}

static void print_result(const char *label, Result r) {
  printf("%-48s p50 %7.2f µs  p95 %7.2f µs  p99 %7.2f µs  %10.0f ops/s\n", label, r.p50 / 1e3,
         r.p95 / 1e3, r.p99 / 1e3, r.ops);
}

int main(int argc, char **argv) {
  unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
  if (n < 100) n = 100;
  printf("bench_pipeline: agent-hypervisor %s (ABI %u), %llu iterations per run\n", hv_version(),
         (unsigned)hv_abi_version(), n);

  /* ---- latency: one thread, full pipeline */
  HvHypervisor *hv = NULL;
  char *out = NULL;
  check(hv_create(CONFIG, &hv, &out), out, "hv_create");
  unsigned long long warm = n / 10 < FILL_PIPELINES ? FILL_PIPELINES : n / 10;
  if (!pipeline(hv, "warm", 0)) {
    fprintf(stderr, "hv_terminate returned no merkle_root: audit deltas were not captured\n");
    return 1;
  }
  for (unsigned long long i = 1; i < warm; i++) pipeline(hv, "warm", i);
  double *s = malloc(sizeof(double) * n);
  double total = 0;
  for (unsigned long long i = 0; i < n; i++) {
    double t0 = now_ns();
    pipeline(hv, "lat", i);
    s[i] = now_ns() - t0;
    total += s[i];
  }
  hv_destroy(hv);
  qsort(s, n, sizeof(double), cmp_double);
  Result lat = {(double)n / (total / 1e9), pct(s, n, 0.50), pct(s, n, 0.95), pct(s, n, 0.99)};
  free(s);
  print_result("full pipeline (C host, 1 thread)", lat);

  /* ---- throughput scaling */
  unsigned long long tn = n / 2 < 2000 ? 2000 : n / 2;
  Result d1, d2;
  /* 5 interleaved rounds: on a shared 2-vCPU machine a single disturbed round is common. */
  best_pair(5, 0, tn, &d1, &d2);
  print_result("pipeline, 1 thread", d1);
  print_result("pipeline, 2 threads, disjoint sessions", d2);
  printf("  scaling 2 threads / 1 thread (disjoint): %.2fx\n", d2.ops / d1.ops);
  /* One session holds at most 10 000 sagas (limits.max_sagas_per_session): 4000 per thread. */
  unsigned long long sn = tn < 4000 ? tn : 4000;
  Result s1, s2;
  best_pair(5, 1, sn, &s1, &s2);
  print_result("in-session work, 1 thread, one session", s1);
  print_result("in-session work, 2 threads, one shared session", s2);
  printf("  scaling 2 threads / 1 thread (shared session): %.2fx\n", s2.ops / s1.ops);

  /* ---- rows for `make bench` (ns; native columns empty) */
  printf("row\tfull pipeline from C (header only), p99 %.2f µs\t-\t-\t-\t%.0f\t%.0f\t%.0f\n",
         lat.p99 / 1e3, lat.p50, lat.p95, lat.ops);
  printf("row\tC pipeline, 1 thread\t-\t-\t-\t%.0f\t%.0f\t%.0f\n", d1.p50, d1.p95, d1.ops);
  printf("row\tC pipeline, 2 threads, disjoint sessions (%.2fx)\t-\t-\t-\t%.0f\t%.0f\t%.0f\n",
         d2.ops / d1.ops, d2.p50, d2.p95, d2.ops);
  printf("row\tC in-session work, 1 thread, one session\t-\t-\t-\t%.0f\t%.0f\t%.0f\n", s1.p50,
         s1.p95, s1.ops);
  printf("row\tC in-session work, 2 threads, shared session (%.2fx)\t-\t-\t-\t%.0f\t%.0f\t%.0f\n",
         s2.ops / s1.ops, s2.p50, s2.p95, s2.ops);
  return 0;
}
