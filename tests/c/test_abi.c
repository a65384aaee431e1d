/* C ABI test: compiled against include/agent_hypervisor.h and linked with the library only.
 * Run under valgrind by `make test` (zero errors, zero definite leaks). */
#include "agent_hypervisor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int32_t trust_provider(const char *agent_did, const char *context_json, void *user_data,
                              double *out_sigma) {
  int *calls = (int *)user_data;
  (*calls)++;
  (void)context_json;
  if (strcmp(agent_did, "did:test:trusted") == 0) {
    *out_sigma = 0.9;
    return 0;
  }
  return 1; /* unknown */
}

static void on_event(const char *event_json, void *user_data) {
  int *count = (int *)user_data;
  if (strstr(event_json, "\"event_type\":\"session.joined\"")) (*count)++;
}

static void test_errors(void) {
  HvHypervisor *hv = NULL;
  char *out = NULL;

  /* hv_create: bad config names the field; out_hv stays NULL. */
  CHECK(hv_create("{\"max_exposure\": 2}", &hv, &out) == HV_INVALID_ARGUMENT);
  CHECK(hv == NULL);
  CHECK(contains(out, "\"field\":\"max_exposure\""));
  CHECK(contains(out, "\"status\":\"INVALID_ARGUMENT\""));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_create("{\"bogus\": 1}", &hv, &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "UNKNOWN_FIELD") && contains(out, "bogus"));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_create(NULL, NULL, &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "NULL_POINTER"));
  hv_string_free(out);
  out = NULL;

  CHECK(hv_create("", &hv, NULL) == HV_OK);
  CHECK(hv != NULL);

  /* NULL handle, NULL method, NULL out_json are all handled. */
  CHECK(hv_call(NULL, "health", "{}", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "\"field\":\"hv\""));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_call(hv, NULL, "{}", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "\"field\":\"method\""));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_call(hv, "health", NULL, NULL) == HV_OK);

  /* Unknown method, malformed JSON, bad UTF-8, unknown field, bad id, bad range. */
  out = call(hv, "no.such.method", "{}", HV_NOT_FOUND);
  CHECK(contains(out, "UNKNOWN_METHOD"));
  hv_string_free(out);
  out = call(hv, "session.create", "{not json", HV_INVALID_ARGUMENT);
  CHECK(contains(out, "MALFORMED_JSON"));
  hv_string_free(out);
  out = call(hv, "session.create", "{\"creator_did\":\"\xff\xfe\"}", HV_INVALID_ARGUMENT);
  CHECK(contains(out, "INVALID_UTF8"));
  hv_string_free(out);
  out = call(hv, "session.create", "{\"creator_did\":\"a\",\"sigma_raw\":1}", HV_INVALID_ARGUMENT);
  CHECK(contains(out, "UNKNOWN_FIELD") && contains(out, "sigma_raw"));
  hv_string_free(out);
  out = call(hv, "session.create", "{\"creator_did\":\"bad id!\"}", HV_INVALID_ARGUMENT);
  CHECK(contains(out, "INVALID_ID") && contains(out, "creator_did"));
  hv_string_free(out);
  out = call(hv, "session.create",
             "{\"creator_did\":\"a\",\"config\":{\"max_participants\":0}}", HV_INVALID_ARGUMENT);
  CHECK(contains(out, "\"field\":\"config.max_participants\""));
  hv_string_free(out);
  out = call(hv, "session.get", "{\"session_id\":\"nope\"}", HV_NOT_FOUND);
  CHECK(contains(out, "SESSION_NOT_FOUND"));
  hv_string_free(out);

  hv_destroy(hv);
  hv_destroy(NULL);
  hv_string_free(NULL);
}

static void test_flow(void) {
  HvHypervisor *hv = NULL;
  char *out = NULL;
  CHECK(hv_create("{\"clock\":\"manual\",\"start_time\":\"2026-01-01T00:00:00Z\"}", &hv, &out) ==
        HV_OK);
  CHECK(contains(out, "\"abi_version\":1"));
  hv_string_free(out);

  int provider_calls = 0;
  CHECK(hv_set_trust_provider(hv, trust_provider, &provider_calls) == HV_OK);
  int joined = 0;
  uint64_t sub = 0;
  CHECK(hv_subscribe(hv, "{\"event_types\":[\"session.joined\"]}", on_event, &joined, &sub) ==
        HV_OK);
  CHECK(hv_subscribe(hv, "{\"event_types\":[\"nope\"]}", on_event, &joined, &sub) ==
        HV_INVALID_ARGUMENT);

  out = NULL;
  CHECK(hv_create_session(hv, "{\"creator_did\":\"did:test:alice\",\"session_id\":\"s1\"}",
                          &out) == HV_OK);
  CHECK(contains(out, "\"state\":\"handshaking\""));
  hv_string_free(out);
  call_free(hv, "session.create", "{\"creator_did\":\"a\",\"session_id\":\"s1\"}", HV_CONFLICT);

  CHECK(hv_join_session(hv, "{\"session_id\":\"s1\",\"agent_did\":\"did:test:sandbox\","
                            "\"sigma_raw\":0.60}",
                        &out) == HV_OK);
  CHECK(contains(out, "\"ring\":3"));
  hv_string_free(out);
  CHECK(hv_join_session(hv, "{\"session_id\":\"s1\",\"agent_did\":\"did:test:std\","
                            "\"sigma_raw\":0.61}",
                        &out) == HV_OK);
  CHECK(contains(out, "\"ring\":2"));
  hv_string_free(out);
  /* The provider answers 0.9 and no sigma_raw is given. */
  CHECK(hv_join_session(hv, "{\"session_id\":\"s1\",\"agent_did\":\"did:test:trusted\"}", &out) ==
        HV_OK);
  CHECK(contains(out, "\"sigma_raw\":0.9"));
  hv_string_free(out);
  CHECK(provider_calls == 3);
  CHECK(joined == 3);
  CHECK(hv_join_session(hv, "{\"session_id\":\"s1\",\"agent_did\":\"did:test:std\","
                            "\"sigma_raw\":0.7}",
                        &out) == HV_CONFLICT);
  CHECK(contains(out, "AGENT_ALREADY_JOINED"));
  hv_string_free(out);

  CHECK(hv_activate_session(hv, "{\"session_id\":\"s1\"}", &out) == HV_OK);
  CHECK(contains(out, "\"state\":\"active\""));
  hv_string_free(out);

  out = call(hv, "ring.check",
             "{\"session_id\":\"s1\",\"agent_did\":\"did:test:std\",\"action\":{\"action_id\":"
             "\"read\",\"name\":\"read\",\"execute_api\":\"/r\",\"is_read_only\":true}}",
             HV_OK);
  CHECK(contains(out, "\"allowed\":true"));
  hv_string_free(out);
  out = call(hv, "ring.check",
             "{\"session_id\":\"s1\",\"agent_did\":\"did:test:sandbox\",\"action\":{\"action_id\":"
             "\"w\",\"name\":\"w\",\"execute_api\":\"/w\",\"reversibility\":\"full\"}}",
             HV_OK);
  CHECK(contains(out, "\"allowed\":false"));
  hv_string_free(out);

  CHECK(hv_unsubscribe(hv, sub) == HV_OK);
  CHECK(hv_unsubscribe(hv, sub) == HV_NOT_FOUND);
  CHECK(hv_terminate(hv, "{\"session_id\":\"s1\"}", &out) == HV_OK);
  CHECK(contains(out, "\"state\":\"archived\""));
  hv_string_free(out);
  call_free(hv, "session.terminate", "{\"session_id\":\"s1\"}", HV_INVALID_STATE);

  /* A live session left behind: hv_destroy must free it (valgrind checks). */
  call_free(hv, "session.create", "{\"creator_did\":\"a\",\"session_id\":\"left-open\"}", HV_OK);
  call_free(hv, "session.join",
            "{\"session_id\":\"left-open\",\"agent_did\":\"b\",\"sigma_raw\":0.8}", HV_OK);
  CHECK(hv_set_trust_provider(hv, NULL, NULL) == HV_OK);
  hv_destroy(hv);
}

struct worker {
  HvHypervisor *hv;
  int id;
  int ok;
};

static void *worker_main(void *arg) {
  struct worker *w = (struct worker *)arg;
  char req[256];
  for (int i = 0; i < 50; i++) {
    char *out = NULL;
    snprintf(req, sizeof req, "{\"creator_did\":\"c\",\"session_id\":\"t%d-s%d\"}", w->id, i);
    if (hv_call(w->hv, "session.create", req, &out) == HV_OK) w->ok++;
    hv_string_free(out);
    snprintf(req, sizeof req,
             "{\"session_id\":\"t%d-s%d\",\"agent_did\":\"did:x:%d\",\"sigma_raw\":0.8}", w->id,
             i, i);
    if (hv_call(w->hv, "session.join", req, &out) == HV_OK) w->ok++;
    hv_string_free(out);
    /* Everyone also hammers one shared session. */
    snprintf(req, sizeof req,
             "{\"session_id\":\"shared\",\"agent_did\":\"did:w%d:%d\",\"sigma_raw\":0.7}", w->id,
             i);
    if (hv_call(w->hv, "session.join", req, &out) == HV_OK) w->ok++;
    hv_string_free(out);
  }
  return NULL;
}

static void test_threads(void) {
  HvHypervisor *hv = NULL;
  CHECK(hv_create("{}", &hv, NULL) == HV_OK);
  call_free(hv, "session.create",
            "{\"creator_did\":\"c\",\"session_id\":\"shared\",\"config\":{\"max_participants\":"
            "1000}}",
            HV_OK);
  pthread_t t[2];
  struct worker w[2] = {{hv, 0, 0}, {hv, 1, 0}};
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker_main, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECK(w[0].ok == 150);
  CHECK(w[1].ok == 150);
  char *out = call(hv, "stats", "{}", HV_OK);
  CHECK(contains(out, "\"sessions\":101"));
  CHECK(contains(out, "\"participants\":200"));
  hv_string_free(out);
  hv_destroy(hv);
}

int main(void) {
  CHECK(strlen(hv_version()) > 0);
  CHECK(hv_abi_version() == 1);
  test_errors();
  test_flow();
  test_threads();
  return check_summary();
}
