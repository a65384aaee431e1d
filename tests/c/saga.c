/* Saga execution through the C ABI: hv_saga_step / hv_saga_compensate / hv_saga_fan_out with
 * C callbacks, HvStepContext accessors, re-entrant calls from inside an executor.
 * Compiled against include/agent_hypervisor.h only; run under valgrind by `make test`. */
#include "agent_hypervisor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* True when `needle` occurs after `anchor` and before the next `"agent_did"` key. */
static int field_after(const char *haystack, const char *anchor, const char *needle) {
  const char *a = haystack ? strstr(haystack, anchor) : NULL;
  if (!a) return 0;
  a += strlen(anchor);
  const char *end = strstr(a, "\"agent_did\"");
  const char *n = strstr(a, needle);
  return n && (!end || n < end);
}

static void call_ok(HvHypervisor *hv, const char *method, const char *req) {
  char *out = NULL;
  HvStatus st = hv_call(hv, method, req, &out);
  if (st != HV_OK) fprintf(stderr, "  %s(%s) -> %d: %s\n", method, req, st, out ? out : "");
  CHECK(st == HV_OK);
  hv_string_free(out);
}

static HvHypervisor *setup(void) {
  HvHypervisor *hv = NULL;
  CHECK(hv_create("{\"clock\":\"manual\"}", &hv, NULL) == HV_OK);
  call_ok(hv, "session.create", "{\"creator_did\":\"did:ex:a\",\"session_id\":\"s1\"}");
  const char *agents[] = {"did:ex:a", "did:ex:b", "did:ex:c"};
  for (int i = 0; i < 3; i++) {
    char req[256];
    snprintf(req, sizeof req,
             "{\"session_id\":\"s1\",\"agent_did\":\"%s\",\"sigma_raw\":0.8}", agents[i]);
    call_ok(hv, "session.join", req);
  }
  call_ok(hv, "session.activate", "{\"session_id\":\"s1\"}");
  return hv;
}

/* Adds a step; `extra` is spliced into the request (starts with a comma or is empty). */
static void add_step(HvHypervisor *hv, const char *saga, const char *id, const char *agent,
                     const char *extra) {
  char req[512];
  snprintf(req, sizeof req,
           "{\"saga_id\":\"%s\",\"step_id\":\"%s\",\"action_id\":\"act-%s\","
           "\"agent_did\":\"%s\",\"execute_api\":\"/do/%s\"%s}",
           saga, id, id, agent, id, extra);
  call_ok(hv, "saga.add_step", req);
}

typedef struct {
  HvHypervisor *hv;
  pthread_mutex_t mu;
  int calls;
  int fail_first;         /* fail this many calls, then succeed */
  const char *fail_step;  /* always fail this step id (NULL: none) */
  const char *result;     /* passed to hv_step_set_result when not NULL */
  int reenter;            /* call back into the handle and pass the deadline */
  int64_t remaining_first;
  int64_t remaining_after;
  char order[128];
} Exec;

static void exec_init(Exec *e, HvHypervisor *hv) {
  memset(e, 0, sizeof *e);
  e->hv = hv;
  pthread_mutex_init(&e->mu, NULL);
}

static int step_is(const char *step_json, const char *id) {
  char key[64];
  snprintf(key, sizeof key, "\"step_id\":\"%s\"", id);
  return contains(step_json, key);
}

static int32_t executor(HvStepContext *ctx, const char *step_json, void *user_data) {
  Exec *e = (Exec *)user_data;
  pthread_mutex_lock(&e->mu);
  int n = ++e->calls;
  /* Record the step id (between "step_id":" and the next quote). */
  const char *p = strstr(step_json, "\"step_id\":\"");
  if (p) {
    p += 11;
    size_t len = strcspn(p, "\"");
    size_t used = strlen(e->order);
    if (used + len + 2 < sizeof e->order) {
      memcpy(e->order + used, p, len);
      e->order[used + len] = ',';
      e->order[used + len + 1] = '\0';
    }
  }
  pthread_mutex_unlock(&e->mu);
  if (n == 1) e->remaining_first = hv_step_remaining_ms(ctx);
  if (e->reenter) {
    char *out = NULL;
    CHECK(hv_call(e->hv, "session.get", "{\"session_id\":\"s1\"}", &out) == HV_OK);
    hv_string_free(out);
    CHECK(hv_call(e->hv, "clock.advance", "{\"seconds\":400}", NULL) == HV_OK);
    e->remaining_after = hv_step_remaining_ms(ctx);
  }
  if (e->fail_step && step_is(step_json, e->fail_step)) {
    hv_step_set_error(ctx, "branch down");
    return 1;
  }
  if (n <= e->fail_first) {
    hv_step_set_error(ctx, "disk full");
    return 7;
  }
  if (e->result) hv_step_set_result(ctx, e->result);
  return 0;
}

static void test_step(void) {
  HvHypervisor *hv = setup();
  call_ok(hv, "saga.create", "{\"session_id\":\"s1\",\"saga_id\":\"g\"}");
  add_step(hv, "g", "ok", "did:ex:a", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "retry", "did:ex:a", ",\"undo_api\":\"/undo\",\"max_retries\":2");
  add_step(hv, "g", "fail", "did:ex:b", ",\"undo_api\":\"/undo\",\"max_retries\":1");
  add_step(hv, "g", "irrev", "did:ex:b", "");
  add_step(hv, "g", "badjson", "did:ex:c", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "late", "did:ex:c", ",\"undo_api\":\"/undo\"");
  Exec e;
  char *out = NULL;

  /* Success with a result; remaining_ms reads the manual clock. */
  exec_init(&e, hv);
  e.result = "{\"rows\": 3}";
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"ok\"}", executor, &e, &out) == HV_OK);
  CHECK(contains(out, "\"state\":\"committed\""));
  CHECK(contains(out, "\"result\":{\"rows\":3}"));
  CHECK(e.calls == 1);
  CHECK(e.remaining_first == 300000);
  hv_string_free(out);
  out = NULL;

  /* Fails twice, then succeeds: three attempts, no sleeping under the manual clock. */
  exec_init(&e, hv);
  e.fail_first = 2;
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"retry\"}", executor, &e, &out) ==
        HV_OK);
  CHECK(e.calls == 3);
  CHECK(contains(out, "\"attempts\":3"));
  CHECK(contains(out, "\"retry_count\":2"));
  hv_string_free(out);
  out = NULL;

  /* Fails for good: HV_STEP_FAILED with the Step in details.step. */
  exec_init(&e, hv);
  e.fail_first = 100;
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"fail\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(e.calls == 2);
  CHECK(contains(out, "\"code\":\"STEP_FAILED\""));
  CHECK(contains(out, "\"step\":{"));
  CHECK(contains(out, "disk full"));
  hv_string_free(out);
  out = NULL;

  /* Ring denial (no undo_api → irreversible → ring 1): the executor is never called. */
  exec_init(&e, hv);
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"irrev\"}", executor, &e, &out) ==
        HV_DENIED);
  CHECK(e.calls == 0);
  CHECK(contains(out, "RING_DENIED"));
  hv_string_free(out);
  out = NULL;

  /* An invalid result fails the attempt even though the executor returned 0. */
  exec_init(&e, hv);
  e.result = "{bad json";
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"badjson\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(contains(out, "invalid JSON"));
  hv_string_free(out);
  out = NULL;

  /* Re-entrant executor that moves the clock past the deadline: timeout, result discarded. */
  exec_init(&e, hv);
  e.reenter = 1;
  e.result = "{\"late\":true}";
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"late\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(contains(out, "timeout"));
  CHECK(!contains(out, "\"late\":true"));
  CHECK(e.remaining_after < 0);
  hv_string_free(out);
  out = NULL;

  /* NULL executor and NULL context accessors. */
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"late\"}", NULL, NULL, &out) ==
        HV_INVALID_ARGUMENT);
  CHECK(contains(out, "NULL_POINTER"));
  hv_string_free(out);
  out = NULL;
  hv_step_set_result(NULL, "{}");
  hv_step_set_error(NULL, "x");
  CHECK(hv_step_remaining_ms(NULL) == 0);
  hv_destroy(hv);
}

static int32_t undo(HvStepContext *ctx, const char *step_json, void *user_data) {
  Exec *e = (Exec *)user_data;
  executor(ctx, step_json, e); /* records the order */
  if (step_is(step_json, "b1")) {
    hv_step_set_error(ctx, "undo refused");
    return 1;
  }
  return 0;
}

static void test_compensate(void) {
  HvHypervisor *hv = setup();
  call_ok(hv, "saga.create", "{\"session_id\":\"s1\",\"saga_id\":\"g\"}");
  add_step(hv, "g", "a1", "did:ex:a", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "b1", "did:ex:b", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "c1", "did:ex:c", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "c2", "did:ex:c", ",\"undo_api\":\"/undo\",\"max_retries\":2");
  Exec e;
  exec_init(&e, hv);
  char *out = NULL;
  const char *ids[] = {"a1", "b1", "c1"};
  for (int i = 0; i < 3; i++) {
    char req[128];
    snprintf(req, sizeof req, "{\"saga_id\":\"g\",\"step_id\":\"%s\"}", ids[i]);
    CHECK(hv_saga_step(hv, req, executor, &e, &out) == HV_OK);
    hv_string_free(out);
    out = NULL;
  }
  exec_init(&e, hv);
  e.fail_first = 100;
  CHECK(hv_saga_step(hv, "{\"saga_id\":\"g\",\"step_id\":\"c2\"}", executor, &e, &out) ==
        HV_STEP_FAILED);
  CHECK(e.calls == 3);
  hv_string_free(out);
  out = NULL;

  exec_init(&e, hv);
  CHECK(hv_saga_compensate(hv, "{\"saga_id\":\"g\"}", undo, &e, &out) == HV_OK);
  CHECK(strcmp(e.order, "c1,b1,a1,") == 0);
  CHECK(contains(out, "\"state\":\"escalated\""));
  CHECK(contains(out, "\"state\":\"compensation_failed\""));
  CHECK(contains(out, "undo refused"));
  CHECK(contains(out, "\"escalation\":{"));
  CHECK(contains(out, "\"vouchee_did\":\"did:ex:b\""));
  hv_string_free(out);
  out = NULL;

  /* The slash is visible: b's σ is 0 and it is quarantined. */
  CHECK(hv_call(hv, "session.get", "{\"session_id\":\"s1\"}", &out) == HV_OK);
  CHECK(field_after(out, "\"agent_did\":\"did:ex:b\"", "\"sigma\":0.0"));
  CHECK(field_after(out, "\"agent_did\":\"did:ex:b\"", "\"quarantined\":true"));
  CHECK(field_after(out, "\"agent_did\":\"did:ex:a\"", "\"sigma\":0.8"));
  hv_string_free(out);
  out = NULL;

  /* A resolved saga cannot be compensated again. */
  CHECK(hv_saga_compensate(hv, "{\"saga_id\":\"g\"}", undo, &e, &out) == HV_INVALID_STATE);
  hv_string_free(out);
  hv_destroy(hv);
}

static void test_fan_out(void) {
  HvHypervisor *hv = setup();
  call_ok(hv, "saga.create", "{\"session_id\":\"s1\",\"saga_id\":\"g\"}");
  add_step(hv, "g", "b0", "did:ex:a", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "b1", "did:ex:b", ",\"undo_api\":\"/undo\"");
  add_step(hv, "g", "b2", "did:ex:c", ",\"undo_api\":\"/undo\"");
  char *out = NULL;
  CHECK(hv_call(hv, "saga.fan_out.create",
                "{\"saga_id\":\"g\",\"policy\":\"majority_must_succeed\","
                "\"step_ids\":[\"b0\",\"b1\",\"b2\"]}",
                &out) == HV_OK);
  char group[96] = {0};
  const char *p = strstr(out, "\"group_id\":\"");
  CHECK(p != NULL);
  if (p) {
    p += 12;
    size_t len = strcspn(p, "\"");
    if (len < sizeof group) memcpy(group, p, len);
  }
  hv_string_free(out);
  out = NULL;

  Exec e;
  exec_init(&e, hv);
  e.fail_step = "b2";
  char req[256];
  snprintf(req, sizeof req, "{\"saga_id\":\"g\",\"group_id\":\"%s\"}", group);
  CHECK(hv_saga_fan_out(hv, req, executor, &e, &out) == HV_OK);
  CHECK(e.calls == 3);
  CHECK(contains(out, "\"policy_satisfied\":true"));
  CHECK(contains(out, "\"success_count\":2"));
  CHECK(contains(out, "\"failure_count\":1"));
  CHECK(contains(out, "\"compensation_needed\":[]"));
  hv_string_free(out);
  pthread_mutex_destroy(&e.mu);
  hv_destroy(hv);
}

int main(void) {
  test_step();
  test_compensate();
  test_fan_out();
  return check_summary();
}
