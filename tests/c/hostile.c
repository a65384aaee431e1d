/* Hostile C host: NULL for every pointer parameter of every export, bytes that are not UTF-8,
 * deeply nested JSON, huge numbers, 1 MB identifiers and requests, callbacks that re-enter or
 * unsubscribe themselves, and hv_destroy with live sessions, bonds, subscriptions and a trust
 * provider. Built against include/agent_hypervisor.h only; `make test` runs it under valgrind
 * (zero errors, zero definite leaks). Prints "N passed, N failed". */
#include "agent_hypervisor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *status_name(HvStatus st) {
  static const char *names[] = {"OK",          "INVALID_ARGUMENT", "NOT_FOUND", "INVALID_STATE",
                                "DENIED",      "RATE_LIMITED",     "CONFLICT",  "LIMIT_EXCEEDED",
                                "TIMEOUT",     "STEP_FAILED",      "IO",        "CORRUPT",
                                "INTERNAL"};
  return (st >= 0 && st <= HV_INTERNAL) ? names[st] : "?";
}

/* Calls `method`, expects `want` (and `code` when not NULL); on an error checks the error object
 * names the same status. Frees the response. */
static void expect(HvHypervisor *hv, const char *method, const char *req, HvStatus want,
                   const char *code) {
  char *out = NULL;
  HvStatus st = hv_call(hv, method, req, &out);
  int good = st == want && out != NULL;
  if (good && st != HV_OK) {
    char status[64];
    snprintf(status, sizeof status, "\"status\":\"%s\"", status_name(st));
    good = contains(out, "\"error\"") && contains(out, status);
  }
  if (good && code) {
    char c[96];
    snprintf(c, sizeof c, "\"code\":\"%s\"", code);
    good = contains(out, c);
  }
  if (!good) {
    fprintf(stderr, "  %.60s -> %d (want %d %s): %.300s\n", method ? method : "NULL", st, want,
            code ? code : "", out ? out : "(null)");
  }
  CHECK(good);
  CHECK(st != HV_INTERNAL);
  hv_string_free(out);
}

static void ok(HvHypervisor *hv, const char *method, const char *req) {
  expect(hv, method, req, HV_OK, NULL);
}

static HvHypervisor *engine(void) {
  HvHypervisor *hv = NULL;
  CHECK(hv_create("{\"clock\":\"manual\"}", &hv, NULL) == HV_OK);
  CHECK(hv != NULL);
  return hv;
}

static void seed(HvHypervisor *hv) {
  ok(hv, "session.create", "{\"creator_did\":\"did:c\",\"session_id\":\"s\"}");
  ok(hv, "session.join", "{\"session_id\":\"s\",\"agent_did\":\"a\",\"sigma_raw\":0.9}");
  ok(hv, "session.join", "{\"session_id\":\"s\",\"agent_did\":\"b\",\"sigma_raw\":0.7}");
  ok(hv, "session.activate", "{\"session_id\":\"s\"}");
}

static void on_event_count(const char *event_json, void *user_data) {
  (void)event_json;
  if (user_data) (*(int *)user_data)++;
}

static int32_t trust(const char *agent_did, const char *context_json, void *user_data,
                     double *out_sigma) {
  (void)agent_did;
  (void)context_json;
  (void)user_data;
  *out_sigma = 0.8;
  return 0;
}

/* ------------------------------------------------------------------ NULL everywhere */
static void test_null_pointers(void) {
  HvHypervisor *hv = NULL;
  char *out = NULL;

  /* hv_create: NULL config means defaults; NULL out_hv is an error; NULL out_json is allowed. */
  CHECK(hv_create(NULL, NULL, NULL) == HV_INVALID_ARGUMENT);
  CHECK(hv_create(NULL, NULL, &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "NULL_POINTER") && contains(out, "out_hv"));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_create(NULL, &hv, NULL) == HV_OK && hv != NULL);
  hv_destroy(hv);
  hv = NULL;

  hv_destroy(NULL);
  hv_string_free(NULL);
  CHECK(hv_version() != NULL && hv_abi_version() >= 1);

  hv = engine();
  /* hv_call: each pointer NULL in turn, then all of them. */
  CHECK(hv_call(NULL, "health", "{}", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "\"field\":\"hv\""));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_call(hv, NULL, "{}", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "\"field\":\"method\""));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_call(hv, "health", NULL, &out) == HV_OK); /* NULL request = {} */
  hv_string_free(out);
  out = NULL;
  CHECK(hv_call(hv, "health", "{}", NULL) == HV_OK);
  CHECK(hv_call(hv, "session.get", "{}", NULL) == HV_INVALID_ARGUMENT);
  CHECK(hv_call(NULL, NULL, NULL, NULL) == HV_INVALID_ARGUMENT);

  /* The named shortcuts. */
  HvStatus (*shortcuts[])(HvHypervisor *, const char *, char **) = {
      hv_create_session, hv_join_session, hv_activate_session, hv_terminate};
  for (size_t i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++) {
    CHECK(shortcuts[i](NULL, "{}", &out) == HV_INVALID_ARGUMENT);
    CHECK(contains(out, "NULL_POINTER"));
    hv_string_free(out);
    out = NULL;
    CHECK(shortcuts[i](hv, NULL, &out) == HV_INVALID_ARGUMENT); /* {}: a missing field */
    CHECK(contains(out, "MISSING_FIELD"));
    hv_string_free(out);
    out = NULL;
    CHECK(shortcuts[i](hv, NULL, NULL) == HV_INVALID_ARGUMENT);
    CHECK(shortcuts[i](NULL, NULL, NULL) == HV_INVALID_ARGUMENT);
  }

  /* Trust provider: NULL handle is an error; NULL provider clears; NULL user_data is fine. */
  CHECK(hv_set_trust_provider(NULL, trust, NULL) == HV_INVALID_ARGUMENT);
  CHECK(hv_set_trust_provider(hv, trust, NULL) == HV_OK);
  CHECK(hv_set_trust_provider(hv, NULL, NULL) == HV_OK);
  CHECK(hv_set_trust_provider(hv, NULL, (void *)&out) == HV_OK);

  /* Subscriptions. */
  uint64_t sub = 0;
  CHECK(hv_subscribe(NULL, NULL, on_event_count, NULL, &sub) == HV_INVALID_ARGUMENT);
  CHECK(hv_subscribe(hv, NULL, NULL, NULL, &sub) == HV_INVALID_ARGUMENT);
  CHECK(hv_subscribe(hv, NULL, on_event_count, NULL, NULL) == HV_INVALID_ARGUMENT);
  CHECK(hv_subscribe(NULL, NULL, NULL, NULL, NULL) == HV_INVALID_ARGUMENT);
  CHECK(hv_subscribe(hv, NULL, on_event_count, NULL, &sub) == HV_OK); /* NULL filter = all */
  CHECK(hv_unsubscribe(NULL, sub) == HV_INVALID_ARGUMENT);
  CHECK(hv_unsubscribe(hv, sub) == HV_OK);
  CHECK(hv_unsubscribe(hv, sub) == HV_NOT_FOUND);
  CHECK(hv_unsubscribe(hv, 0) == HV_NOT_FOUND);
  CHECK(hv_unsubscribe(hv, UINT64_MAX) == HV_NOT_FOUND);
  hv_destroy(hv);
}

/* ------------------------------------------------------------------ bytes that are not UTF-8 */
static void test_non_utf8(void) {
  HvHypervisor *hv = NULL;
  char *out = NULL;
  CHECK(hv_create("{\"clock\":\"\xff\xfe\"}", &hv, &out) == HV_INVALID_ARGUMENT);
  CHECK(hv == NULL && contains(out, "INVALID_UTF8") && contains(out, "config_json"));
  hv_string_free(out);
  out = NULL;

  hv = engine();
  expect(hv, "session.\xc3\x28", "{}", HV_INVALID_ARGUMENT, "INVALID_UTF8");
  expect(hv, "session.create", "{\"creator_did\":\"\xed\xa0\x80\"}", HV_INVALID_ARGUMENT,
         "INVALID_UTF8"); /* an encoded surrogate */
  expect(hv, "session.create", "{\"creator_did\":\"\xc0\xaf\"}", HV_INVALID_ARGUMENT,
         "INVALID_UTF8"); /* an overlong '/' */
  CHECK(hv_create_session(hv, "\x80", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "request_json"));
  hv_string_free(out);
  out = NULL;
  uint64_t sub = 0;
  CHECK(hv_subscribe(hv, "{\"session_id\":\"\xff\"}", on_event_count, NULL, &sub) ==
        HV_INVALID_ARGUMENT);
  /* JSON escapes of lone surrogates are not valid strings either. */
  expect(hv, "session.create", "{\"creator_did\":\"\\ud800\"}", HV_INVALID_ARGUMENT, NULL);
  /* Nothing was created. */
  char *stats = NULL;
  CHECK(hv_call(hv, "stats", NULL, &stats) == HV_OK);
  CHECK(contains(stats, "\"sessions\":0"));
  hv_string_free(stats);
  hv_destroy(hv);
}

/* ------------------------------------------------------------------ nesting, numbers, sizes */
static char *repeat(const char *unit, size_t times, const char *prefix, const char *suffix) {
  size_t u = strlen(unit), p = strlen(prefix), s = strlen(suffix);
  char *buf = malloc(p + u * times + s + 1);
  if (!buf) abort();
  memcpy(buf, prefix, p);
  for (size_t i = 0; i < times; i++) memcpy(buf + p + i * u, unit, u);
  memcpy(buf + p + u * times, suffix, s + 1);
  return buf;
}

static void test_shapes_and_sizes(void) {
  HvHypervisor *hv = engine();
  seed(hv);

  /* Deep nesting: refused by the parser's recursion limit, never a stack overflow. */
  char *deep = repeat("[", 200000, "", "");
  expect(hv, "session.get", deep, HV_INVALID_ARGUMENT, NULL);
  free(deep);
  deep = repeat("{\"a\":", 100000, "{\"session_id\":\"s\",\"agent_did\":\"b\",\"reason\":\"manual\","
                                    "\"details\":",
                "");
  expect(hv, "liability.quarantine", deep, HV_INVALID_ARGUMENT, "MALFORMED_JSON");
  free(deep);

  /* Huge and odd numbers. */
  expect(hv, "ring.compute", "{\"sigma_eff\":1e400}", HV_INVALID_ARGUMENT, NULL);
  expect(hv, "ring.compute", "{\"sigma_eff\":-1e400}", HV_INVALID_ARGUMENT, NULL);
  expect(hv, "ring.compute", "{\"sigma_eff\":1e-400}", HV_OK, NULL); /* underflows to 0 */
  expect(hv, "ring.compute", "{\"sigma_eff\":-0.0}", HV_OK, NULL);
  expect(hv, "ring.compute", "{\"sigma_eff\":NaN}", HV_INVALID_ARGUMENT, "MALFORMED_JSON");
  expect(hv, "ring.compute", "{\"sigma_eff\":Infinity}", HV_INVALID_ARGUMENT, "MALFORMED_JSON");
  char *digits = repeat("9", 100000, "{\"sigma_eff\":", "}");
  expect(hv, "ring.compute", digits, HV_INVALID_ARGUMENT, NULL);
  free(digits);
  expect(hv, "clock.advance", "{\"ms\":18446744073709551616}", HV_INVALID_ARGUMENT, NULL);
  expect(hv, "clock.advance", "{\"seconds\":-1}", HV_INVALID_ARGUMENT, "OUT_OF_RANGE");
  expect(hv, "liability.quarantine",
         "{\"session_id\":\"s\",\"agent_did\":\"b\",\"reason\":\"manual\","
         "\"duration_seconds\":-300}",
         HV_INVALID_ARGUMENT, NULL);

  /* 1 MB identifiers and method names, a 5 MB request. */
  char *id = repeat("x", 1 << 20, "{\"session_id\":\"s\",\"agent_did\":\"", "\",\"sigma_raw\":0.7}");
  expect(hv, "session.join", id, HV_INVALID_ARGUMENT, "INVALID_ID");
  free(id);
  char *method = repeat("m", 1 << 20, "", "");
  expect(hv, method, "{}", HV_NOT_FOUND, "UNKNOWN_METHOD");
  free(method);
  char *big = repeat(" ", 5 << 20, "{\"session_id\":\"s\"", "}");
  expect(hv, "session.get", big, HV_LIMIT_EXCEEDED, "REQUEST_TOO_LARGE");
  free(big);

  /* Unknown enum strings, traversal-looking ids, wrong types. */
  expect(hv, "session.create", "{\"creator_did\":\"c\",\"config\":{\"isolation_level\":\"x\"}}",
         HV_INVALID_ARGUMENT, "INVALID_TYPE");
  expect(hv, "session.get", "{\"session_id\":\"../../etc/passwd\"}", HV_INVALID_ARGUMENT,
         "INVALID_ID");
  expect(hv, "session.get", "{\"session_id\":[\"s\"]}", HV_INVALID_ARGUMENT, "INVALID_TYPE");
  expect(hv, "session.get", "", HV_INVALID_ARGUMENT, "MISSING_FIELD");
  expect(hv, "session.get", "   ", HV_INVALID_ARGUMENT, "MISSING_FIELD");
  expect(hv, "session.get", "{\"session_id\":\"s\"}\n{}", HV_INVALID_ARGUMENT, "MALFORMED_JSON");

  /* The engine is untouched by all of the above. */
  char *stats = NULL;
  CHECK(hv_call(hv, "stats", NULL, &stats) == HV_OK);
  CHECK(contains(stats, "\"sessions\":1") && contains(stats, "\"participants\":2"));
  hv_string_free(stats);
  hv_destroy(hv);
}

/* ------------------------------------------------------------------ callbacks */
struct selfish {
  HvHypervisor *hv;
  uint64_t id;
  int calls;
  HvStatus unsubscribed;
};

/* Re-enters the handle and unsubscribes itself from inside its own callback. */
static void on_event_unsubscribe(const char *event_json, void *user_data) {
  struct selfish *s = user_data;
  (void)event_json;
  s->calls++;
  char *out = NULL;
  CHECK(hv_call(s->hv, "stats", NULL, &out) == HV_OK);
  hv_string_free(out);
  s->unsubscribed = hv_unsubscribe(s->hv, s->id);
}

/* Creates a session from inside a callback (emits an event while one is being delivered). */
struct reenter {
  HvHypervisor *hv;
  int depth;
};

static void on_event_reenter(const char *event_json, void *user_data) {
  struct reenter *r = user_data;
  if (!contains(event_json, "\"session.created\"") || r->depth > 0) return;
  r->depth++;
  char *out = NULL;
  CHECK(hv_call(r->hv, "session.create", "{\"creator_did\":\"did:c\",\"session_id\":\"inner\"}",
                &out) == HV_OK);
  hv_string_free(out);
}

static void test_callbacks(void) {
  HvHypervisor *hv = engine();
  struct selfish s = {hv, 0, 0, HV_INTERNAL};
  CHECK(hv_subscribe(hv, NULL, on_event_unsubscribe, &s, &s.id) == HV_OK);
  struct reenter r = {hv, 0};
  uint64_t other = 0;
  CHECK(hv_subscribe(hv, "{\"event_types\":[\"session.created\"]}", on_event_reenter, &r,
                     &other) == HV_OK);
  seed(hv);
  CHECK(s.calls == 1); /* unsubscribed after the first event */
  CHECK(s.unsubscribed == HV_OK);
  CHECK(r.depth == 1);
  ok(hv, "session.get", "{\"session_id\":\"inner\"}");
  /* A provider that answers for everyone; joins consult it outside every engine lock. */
  CHECK(hv_set_trust_provider(hv, trust, NULL) == HV_OK);
  ok(hv, "session.join", "{\"session_id\":\"s\",\"agent_did\":\"t\"}");
  CHECK(hv_unsubscribe(hv, other) == HV_OK);
  hv_destroy(hv);
}

/* ------------------------------------------------------------------ destroy with live state */
static void test_destroy_with_live_state(void) {
  for (int round = 0; round < 3; round++) {
    HvHypervisor *hv = engine();
    seed(hv);
    ok(hv, "session.create", "{\"creator_did\":\"did:c\",\"session_id\":\"h\"}");
    ok(hv, "session.join", "{\"session_id\":\"h\",\"agent_did\":\"a\",\"sigma_raw\":0.8}");
    ok(hv, "liability.vouch", "{\"session_id\":\"s\",\"voucher_did\":\"a\",\"vouchee_did\":\"b\"}");
    ok(hv, "ring.elevate",
       "{\"session_id\":\"s\",\"agent_did\":\"a\",\"target_ring\":1,\"attestation\":\"sre\"}");
    ok(hv, "liability.quarantine", "{\"session_id\":\"s\",\"agent_did\":\"b\",\"reason\":\"manual\"}");
    int count = 0;
    uint64_t sub = 0;
    CHECK(hv_subscribe(hv, NULL, on_event_count, &count, &sub) == HV_OK);
    CHECK(hv_set_trust_provider(hv, trust, NULL) == HV_OK);
    ok(hv, "security.rate_check", "{\"session_id\":\"s\",\"agent_did\":\"a\"}");
    ok(hv, "liability.slash",
       "{\"session_id\":\"s\",\"agent_did\":\"b\",\"risk_weight\":0.5,\"reason\":\"r\"}");
    CHECK(count > 0);
    if (round == 2) ok(hv, "session.terminate", "{\"session_id\":\"s\"}");
    hv_destroy(hv); /* sessions, bonds, subscription and provider still live */
  }
}

/* ------------------------------------------------------------------ saga and verify exports */
struct exec_state {
  HvHypervisor *hv;
  int mode; /* 0: invalid result then 0; 1: hostile error text then 1; 2: re-enter and succeed */
  int calls;
};

static int32_t executor(HvStepContext *ctx, const char *step_json, void *user_data) {
  struct exec_state *e = user_data;
  e->calls++;
  CHECK(contains(step_json, "\"step_id\""));
  CHECK(hv_step_remaining_ms(ctx) > 0);
  if (e->mode == 0) {
    hv_step_set_result(ctx, "{\"ok\":");   /* not JSON: the attempt fails whatever we return */
    return 0;
  }
  if (e->mode == 1) {
    char *msg = repeat("\xff", 1 << 20, "bad: ", "");
    hv_step_set_error(ctx, msg); /* non-UTF-8, 1 MB: replaced and truncated */
    free(msg);
    hv_step_set_error(ctx, NULL); /* cleared */
    hv_step_set_error(ctx, "\xc3\x28 failed");
    return 1;
  }
  char *out = NULL; /* re-enter the handle from the executor */
  CHECK(hv_call(e->hv, "session.get", "{\"session_id\":\"s\"}", &out) == HV_OK);
  hv_string_free(out);
  hv_step_set_result(ctx, "\"\xff\""); /* invalid UTF-8 ... */
  hv_step_set_result(ctx, NULL);       /* ... cleared */
  hv_step_set_result(ctx, "{\"done\":true}");
  return 0;
}

static void test_saga_and_verify_exports(void) {
  HvHypervisor *hv = engine();
  seed(hv);
  ok(hv, "saga.create", "{\"session_id\":\"s\",\"saga_id\":\"g\"}");
  const char *steps[] = {"p0", "p1", "p2"};
  for (int i = 0; i < 3; i++) {
    char req[256];
    snprintf(req, sizeof req,
             "{\"saga_id\":\"g\",\"step_id\":\"%s\",\"action_id\":\"w\",\"agent_did\":\"b\","
             "\"execute_api\":\"/w\",\"undo_api\":\"/u\"}",
             steps[i]);
    ok(hv, "saga.add_step", req);
  }
  struct exec_state e = {hv, 0, 0};
  char *out = NULL;
  /* NULL for every pointer of the executor exports. */
  HvStatus (*runners[])(HvHypervisor *, const char *, HvStepFn, void *, char **) = {
      hv_saga_step, hv_saga_compensate, hv_saga_fan_out};
  const char *requests[] = {"{\"saga_id\":\"g\",\"step_id\":\"p0\"}", "{\"saga_id\":\"g\"}",
                            "{\"saga_id\":\"g\",\"group_id\":\"x\"}"};
  for (size_t i = 0; i < 3; i++) {
    CHECK(runners[i](NULL, requests[i], executor, &e, &out) == HV_INVALID_ARGUMENT);
    CHECK(contains(out, "NULL_POINTER"));
    hv_string_free(out);
    out = NULL;
    CHECK(runners[i](hv, NULL, executor, &e, &out) == HV_INVALID_ARGUMENT);
    CHECK(contains(out, "MISSING_FIELD"));
    hv_string_free(out);
    out = NULL;
    CHECK(runners[i](hv, requests[i], NULL, &e, &out) == HV_INVALID_ARGUMENT);
    CHECK(contains(out, "NULL_POINTER"));
    hv_string_free(out);
    out = NULL;
    CHECK(runners[i](hv, "\xff", executor, &e, NULL) == HV_INVALID_ARGUMENT);
    CHECK(runners[i](NULL, NULL, NULL, NULL, NULL) == HV_INVALID_ARGUMENT);
  }
  CHECK(e.calls == 0);
  hv_step_set_result(NULL, "{}");
  hv_step_set_error(NULL, "x");
  CHECK(hv_step_remaining_ms(NULL) == 0);

  /* Hostile executors: an invalid result fails the step; hostile error text is sanitised. */
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"p0\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(contains(out, "\"failed\""));
  hv_string_free(out);
  out = NULL;
  e.mode = 1;
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"p1\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(out != NULL && strlen(out) < 64 * 1024);
  hv_string_free(out);
  out = NULL;
  e.mode = 2;
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"p2\"}", executor, &e, &out) == HV_OK);
  CHECK(contains(out, "\"done\":true"));
  hv_string_free(out);
  out = NULL;
  CHECK(e.calls == 3);

  /* Offline verifiers: NULL, non-UTF-8, garbage, deep nesting, huge numbers and strings. */
  HvStatus (*verifiers[])(const char *, char **) = {hv_verify_inclusion, hv_verify_consistency};
  char *deep = repeat("[", 100000, "", "");
  char *huge = repeat("a", 1 << 20,
                      "{\"leaf_index\":0,\"tree_size\":1,\"root\":\"00\",\"audit_path\":[\"", "\"]}");
  const char *bad[] = {"", "{", "[]", "null", "{\"leaf_index\":1e400}", "{\"first_size\":-1}",
                       "\xff\xfe", deep, huge};
  for (size_t v = 0; v < 2; v++) {
    CHECK(verifiers[v](NULL, &out) == HV_INVALID_ARGUMENT);
    CHECK(contains(out, "NULL_POINTER"));
    hv_string_free(out);
    out = NULL;
    CHECK(verifiers[v](NULL, NULL) == HV_INVALID_ARGUMENT);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      HvStatus st = verifiers[v](bad[i], &out);
      CHECK(st == HV_INVALID_ARGUMENT);
      CHECK(contains(out, "\"status\":\"INVALID_ARGUMENT\""));
      hv_string_free(out);
      out = NULL;
    }
  }
  free(deep);
  free(huge);
  /* A real proof from the engine verifies offline; a tampered one does not. */
  ok(hv, "vfs.write", "{\"session_id\":\"s\",\"agent_did\":\"a\",\"path\":\"/x\",\"content\":\"1\"}");
  CHECK(hv_call(hv, "audit.proof", "{\"session_id\":\"s\",\"turn_id\":1}", &out) == HV_OK);
  char *proof = out;
  out = NULL;
  CHECK(hv_verify_inclusion(proof, &out) == HV_OK && contains(out, "\"valid\":true"));
  hv_string_free(out);
  out = NULL;
  char *root = strstr(proof, "\"root\":\"");
  if (root) {
    root += 8;
    *root = *root == '0' ? '1' : '0';
  }
  CHECK(hv_verify_inclusion(proof, &out) == HV_OK && contains(out, "\"valid\":false"));
  hv_string_free(out);
  hv_string_free(proof);
  hv_destroy(hv); /* with a saga and audit deltas still live */
}

int main(void) {
  test_null_pointers();
  test_non_utf8();
  test_shapes_and_sizes();
  test_callbacks();
  test_destroy_with_live_state();
  test_saga_and_verify_exports();
  return check_summary();
}
