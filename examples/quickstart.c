/* agent-hypervisor quickstart: the C host's view of a governed multi-agent session.
 * Built and run by `make demo` against include/agent_hypervisor.h and the shared library. */
#include "agent_hypervisor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls a method; prints and exits on an unexpected status. Returns the owned response. */
static char *call(HvHypervisor *hv, const char *method, const char *req, HvStatus expect) {
  char *out = NULL;
  HvStatus st = hv_call(hv, method, req, &out);
  if (st != expect) {
    fprintf(stderr, "%s failed (status %d): %s\n", method, (int)st, out ? out : "");
    hv_string_free(out);
    exit(1);
  }
  return out;
}

/* Copies the raw JSON value of "key" (first occurrence) into buf, for readable output. */
static const char *field(const char *json, const char *key, char *buf, size_t n) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = json ? strstr(json, pat) : NULL;
  if (!p) {
    snprintf(buf, n, "?");
    return buf;
  }
  p += strlen(pat);
  size_t i = 0;
  int depth = 0, in_str = 0;
  for (; p[i] && i + 1 < n; i++) {
    char c = p[i];
    if (in_str) {
      if (c == '\\') { i++; continue; }
      if (c == '"') in_str = 0;
    } else if (c == '"') in_str = 1;
    else if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') { if (depth == 0) break; depth--; }
    else if (c == ',' && depth == 0) break;
  }
  memcpy(buf, p, i);
  buf[i] = 0;
  return buf;
}

/* The host's trust service (Nexus-style): knows one agent. */
static int32_t trust(const char *agent, const char *ctx, void *ud, double *out_sigma) {
  (void)ctx;
  (void)ud;
  if (strcmp(agent, "did:demo:carol") == 0) {
    *out_sigma = 0.97;
    return 0;
  }
  return 1;
}

/* Saga executor: the shipping step's carrier API is down, every other step succeeds.
 * `ud` counts attempts. Runs with no engine lock held (it could call hv_call itself). */
static int32_t execute_step(HvStepContext *ctx, const char *step_json, void *ud) {
  char id[64], attempt[16];
  (*(int *)ud)++;
  field(step_json, "step_id", id, sizeof id);
  field(step_json, "attempts", attempt, sizeof attempt);
  if (strcmp(id, "\"ship\"") == 0) {
    hv_step_set_error(ctx, "carrier API unavailable");
    printf("    execute %-9s attempt %s -> fails (%lld ms were left)\n", id, attempt,
           (long long)hv_step_remaining_ms(ctx));
    return 1;
  }
  hv_step_set_result(ctx, "{\"ok\":true}");
  printf("    execute %-9s attempt %s -> ok\n", id, attempt);
  return 0;
}

/* Undo callback: the payment provider refuses the refund, every other undo succeeds. */
static int32_t undo_step(HvStepContext *ctx, const char *step_json, void *ud) {
  char id[64];
  (void)ud;
  field(step_json, "step_id", id, sizeof id);
  if (strcmp(id, "\"charge\"") == 0) {
    hv_step_set_error(ctx, "refund rejected by the payment provider");
    printf("    undo    %-9s -> FAILED\n", id);
    return 1;
  }
  printf("    undo    %-9s -> ok\n", id);
  return 0;
}

int main(void) {
  char a[256], b[256], c[1024];
  HvHypervisor *hv = NULL;
  char *out = NULL;
  if (hv_create("{\"clock\":\"manual\",\"start_time\":\"2026-01-01T09:00:00Z\"}", &hv, &out) != HV_OK) {
    fprintf(stderr, "hv_create failed: %s\n", out ? out : "");
    return 1;
  }
  hv_string_free(out);
  printf("agent-hypervisor %s (C ABI v%u)\n\n", hv_version(), hv_abi_version());
  hv_set_trust_provider(hv, trust, NULL);

  /* 1. A session and three agents. */
  out = call(hv, "session.create",
             "{\"creator_did\":\"did:demo:alice\",\"session_id\":\"demo\"}", HV_OK);
  printf("session %s created, state %s\n", field(out, "session_id", a, sizeof a),
         field(out, "state", b, sizeof b));
  hv_string_free(out);

  const char *joins[3][2] = {
      {"did:demo:sandy", "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:sandy\",\"sigma_raw\":0.45}"},
      {"did:demo:bob", "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:bob\",\"sigma_raw\":0.78}"},
      {"did:demo:carol", "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:carol\",\"has_consensus\":true}"},
  };
  for (int i = 0; i < 3; i++) {
    out = call(hv, "session.join", joins[i][1], HV_OK);
    printf("  %-15s joined: sigma %-5s ring %s  (%s)\n", joins[i][0],
           field(out, "sigma_raw", a, sizeof a), field(out, "ring", b, sizeof b),
           i == 2 ? "sigma from the host trust provider" : "sigma given by the host");
    hv_string_free(out);
  }
  hv_string_free(call(hv, "session.activate", "{\"session_id\":\"demo\"}", HV_OK));
  printf("session activated\n\n");

  /* 2. Ring checks: a reversible write (ring 2) for each agent. */
  printf("ring.check of a reversible write (needs ring 2, sigma_eff >= 0.60):\n");
  for (int i = 0; i < 3; i++) {
    char req[512];
    snprintf(req, sizeof req,
             "{\"session_id\":\"demo\",\"agent_did\":\"%s\",\"action\":{\"action_id\":\"write\","
             "\"name\":\"write file\",\"execute_api\":\"/fs/write\",\"undo_api\":\"/fs/restore\","
             "\"reversibility\":\"full\"}}",
             joins[i][0]);
    out = call(hv, "ring.check", req, HV_OK);
    printf("  %-15s allowed=%-5s agent ring %s: %s\n", joins[i][0],
           field(out, "allowed", a, sizeof a), field(out, "agent_ring", b, sizeof b),
           field(out, "reason", c, sizeof c));
    hv_string_free(out);
  }

  /* 3. Time-bounded elevation (sudo with TTL) that expires on the engine clock. */
  hv_string_free(call(hv, "session.join",
                      "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:dave\",\"sigma_raw\":0.9}",
                      HV_OK));
  out = call(hv, "ring.elevate",
             "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:dave\",\"target_ring\":1,"
             "\"ttl_seconds\":60,\"attestation\":\"sre-ticket-42\",\"reason\":\"hotfix\"}",
             HV_OK);
  printf("\nelevation: did:demo:dave ring %s -> %s until %s\n", field(out, "original_ring", a, sizeof a),
         field(out, "elevated_ring", b, sizeof b), field(out, "expires_at", c, sizeof c));
  hv_string_free(out);
  hv_string_free(call(hv, "clock.advance", "{\"seconds\":61}", HV_OK));
  out = call(hv, "ring.elevations", "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:dave\"}", HV_OK);
  printf("  61 s later, active elevations: %s\n", field(out, "elevations", a, sizeof a));
  hv_string_free(out);

  /* 4. Breach detection: the sandboxed agent keeps probing a ring-1 action. */
  printf("\nbreach: did:demo:sandy (ring 3) probes an irreversible payment 5 times\n");
  for (int i = 0; i < 5; i++) {
    hv_string_free(call(hv, "ring.check",
                        "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:sandy\",\"action\":"
                        "{\"action_id\":\"pay\",\"name\":\"pay\",\"execute_api\":\"/pay\"}}",
                        HV_OK));
  }
  out = call(hv, "ring.breaker", "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:sandy\"}", HV_OK);
  printf("  breaker tripped=%s after %s calls in the window\n", field(out, "tripped", a, sizeof a),
         field(out, "window_calls", b, sizeof b));
  hv_string_free(out);
  out = call(hv, "ring.elevate",
             "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:sandy\",\"target_ring\":2}",
             HV_DENIED);
  printf("  sandy now: %s\n", field(out, "message", a, sizeof a));
  hv_string_free(out);

  /* 5. Joint liability: carol vouches for bob, bob vouches for dave; dave is slashed. */
  hv_string_free(call(hv, "liability.vouch",
                      "{\"session_id\":\"demo\",\"voucher_did\":\"did:demo:carol\",\"vouchee_did\":"
                      "\"did:demo:bob\",\"bond_pct\":0.2}",
                      HV_OK));
  out = call(hv, "liability.vouch",
             "{\"session_id\":\"demo\",\"voucher_did\":\"did:demo:bob\",\"vouchee_did\":"
             "\"did:demo:dave\",\"bond_pct\":0.25}",
             HV_OK);
  printf("\nvouch: bob bonds %s of his sigma for dave\n", field(out, "bonded_amount", a, sizeof a));
  hv_string_free(out);
  out = call(hv, "liability.sigma_eff",
             "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:dave\",\"risk_weight\":0.95}", HV_OK);
  printf("  dave's sigma_eff for an irreversible action: %s\n", field(out, "sigma_eff", a, sizeof a));
  hv_string_free(out);
  out = call(hv, "liability.slash",
             "{\"session_id\":\"demo\",\"agent_did\":\"did:demo:dave\",\"risk_weight\":0.95,"
             "\"reason\":\"deleted production data\"}",
             HV_OK);
  printf("slash dave (omega 0.95): sigma %s -> %s\n", field(out, "vouchee_sigma_before", a, sizeof a),
         field(out, "vouchee_sigma_after", b, sizeof b));
  printf("  voucher clips: %s\n", field(out, "voucher_clips", c, sizeof c));
  printf("  cascade (bob fell below 0.06 and has a voucher): %s\n", field(out, "cascade", c, sizeof c));
  hv_string_free(out);
  out = call(hv, "liability.ledger", "{\"agent_did\":\"did:demo:dave\"}", HV_OK);
  printf("  dave's ledger profile: %s\n", field(out, "profile", c, sizeof c));
  hv_string_free(out);

  /* 6. Shared files under read_committed: writes are audited, a stale write conflicts, and the
   *    Merkle root with an inclusion proof is verified offline (no engine needed). */
  {
    hv_string_free(call(hv, "session.create",
                        "{\"creator_did\":\"did:demo:alice\",\"session_id\":\"docs\","
                        "\"config\":{\"isolation_level\":\"read_committed\"}}", HV_OK));
    hv_string_free(call(hv, "session.join",
                        "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:erin\",\"sigma_raw\":0.8}",
                        HV_OK));
    hv_string_free(call(hv, "session.join",
                        "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:frank\",\"sigma_raw\":0.75}",
                        HV_OK));
    hv_string_free(call(hv, "session.activate", "{\"session_id\":\"docs\"}", HV_OK));
    printf("\nshared files (session docs, isolation read_committed):\n");
    out = call(hv, "vfs.write",
               "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:erin\",\"path\":\"plan.md\","
               "\"content\":\"# Plan\\n1. draft\"}", HV_OK);
    printf("  erin  writes /plan.md: %s, audit turn %s\n", field(out, "operation", a, sizeof a),
           field(out, "turn_id", b, sizeof b));
    hv_string_free(out);
    out = call(hv, "vfs.write",
               "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:frank\",\"path\":\"plan.md\","
               "\"content\":\"# Plan\\n1. ship\"}", HV_CONFLICT);
    printf("  frank writes /plan.md without reading it: %s\n", field(out, "code", a, sizeof a));
    hv_string_free(out);
    out = call(hv, "vfs.read",
               "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:frank\",\"path\":\"plan.md\"}", HV_OK);
    printf("  frank reads  /plan.md: clock %s\n", field(out, "clock", a, sizeof a));
    hv_string_free(out);
    out = call(hv, "vfs.write",
               "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:frank\",\"path\":\"plan.md\","
               "\"content\":\"# Plan\\n1. draft\\n2. ship\"}", HV_OK);
    printf("  frank writes /plan.md: %s, audit turn %s\n", field(out, "operation", a, sizeof a),
           field(out, "turn_id", b, sizeof b));
    hv_string_free(out);
    hv_string_free(call(hv, "vfs.write",
                        "{\"session_id\":\"docs\",\"agent_did\":\"did:demo:erin\","
                        "\"path\":\"notes/review.md\",\"content\":\"LGTM\"}", HV_OK));

    out = call(hv, "audit.root", "{\"session_id\":\"docs\"}", HV_OK);
    printf("  audit root %s over %s deltas\n", field(out, "merkle_root", a, sizeof a),
           field(out, "tree_size", b, sizeof b));
    hv_string_free(out);
    char *proof = call(hv, "audit.proof", "{\"session_id\":\"docs\",\"turn_id\":2}", HV_OK);
    char *verdict = NULL;
    HvStatus vs = hv_verify_inclusion(proof, &verdict); /* pure: no handle */
    printf("  inclusion proof of turn 2 (frank's write), verified offline: status %d %s\n", (int)vs,
           verdict ? verdict : "");
    hv_string_free(verdict);
    verdict = NULL;
    char *forged = malloc(strlen(proof) + 1);
    strcpy(forged, proof);
    char *leaf = strstr(forged, "\"leaf_hash\":\"");
    if (leaf) leaf[13] = (leaf[13] == '0') ? '1' : '0'; /* flip one hex digit */
    hv_verify_inclusion(forged, &verdict);
    printf("  the same proof with one leaf digit changed:                %s\n",
           verdict ? verdict : "");
    hv_string_free(verdict);
    free(forged);
    hv_string_free(proof);
    out = call(hv, "session.terminate", "{\"session_id\":\"docs\"}", HV_OK);
    printf("  session docs terminated: committed root %s\n", field(out, "merkle_root", a, sizeof a));
    hv_string_free(out);
  }

  /* 7. A governed saga: step 3 fails twice, then for good (max_retries 2); the committed steps
   *    are compensated in reverse order; one undo fails, so the saga escalates: fault
   *    attribution, and the agent whose undo failed is slashed (omega of its action). */
  hv_string_free(call(hv, "session.create",
                      "{\"creator_did\":\"did:demo:ivan\",\"session_id\":\"orders\"}", HV_OK));
  const char *crew[3] = {"did:demo:ivan", "did:demo:judy", "did:demo:ken"};
  for (int i = 0; i < 3; i++) {
    char req[256];
    snprintf(req, sizeof req, "{\"session_id\":\"orders\",\"agent_did\":\"%s\",\"sigma_raw\":0.8}",
             crew[i]);
    hv_string_free(call(hv, "session.join", req, HV_OK));
  }
  hv_string_free(call(hv, "session.activate", "{\"session_id\":\"orders\"}", HV_OK));
  hv_string_free(call(hv, "saga.create", "{\"session_id\":\"orders\",\"saga_id\":\"order-7\"}", HV_OK));
  const char *steps[3][3] = {
      {"reserve", "did:demo:ivan", "\"undo_api\":\"/stock/release\""},
      {"charge", "did:demo:judy", "\"undo_api\":\"/pay/refund\""},
      {"ship", "did:demo:ken", "\"undo_api\":\"/ship/cancel\",\"max_retries\":2"},
  };
  for (int i = 0; i < 3; i++) {
    char req[512];
    snprintf(req, sizeof req,
             "{\"saga_id\":\"order-7\",\"step_id\":\"%s\",\"action_id\":\"%s\",\"agent_did\":\"%s\","
             "\"execute_api\":\"/%s\",%s}",
             steps[i][0], steps[i][0], steps[i][1], steps[i][0], steps[i][2]);
    hv_string_free(call(hv, "saga.add_step", req, HV_OK));
  }
  printf("\nsaga order-7: reserve (ivan) -> charge (judy) -> ship (ken, max_retries 2)\n");
  for (int i = 0; i < 3; i++) {
    char req[128];
    int attempts = 0;
    snprintf(req, sizeof req, "{\"saga_id\":\"order-7\",\"step_id\":\"%s\"}", steps[i][0]);
    HvStatus st = hv_saga_step(hv, req, execute_step, &attempts, &out);
    if (st == HV_OK) {
      printf("  %-8s committed (%d attempt)\n", steps[i][0], attempts);
    } else {
      printf("  %-8s status %d (HV_STEP_FAILED) after %d attempts: %s\n", steps[i][0], (int)st,
             attempts, field(out, "message", c, sizeof c));
    }
    hv_string_free(out);
  }
  printf("compensation, newest first:\n");
  if (hv_saga_compensate(hv, "{\"saga_id\":\"order-7\"}", undo_step, NULL, &out) != HV_OK) {
    fprintf(stderr, "hv_saga_compensate failed: %s\n", out ? out : "");
    hv_string_free(out);
    return 1;
  }
  printf("  saga state %s; fault attribution root cause %s\n", field(out, "state", a, sizeof a),
         field(out, "root_cause_agent", b, sizeof b));
  printf("  slashed %s (its undo failed, omega 0.2): sigma %s -> %s\n",
         field(out, "vouchee_did", a, sizeof a), field(out, "vouchee_sigma_before", b, sizeof b),
         field(out, "vouchee_sigma_after", c, sizeof c));
  hv_string_free(out);
  out = call(hv, "liability.ledger", "{\"agent_did\":\"did:demo:judy\"}", HV_OK);
  printf("  judy's ledger profile: %s\n", field(out, "profile", c, sizeof c));
  hv_string_free(out);
  out = call(hv, "session.terminate", "{\"session_id\":\"orders\"}", HV_OK);
  printf("  session orders terminated: root %s over %s audited step commits\n",
         field(out, "merkle_root", a, sizeof a), field(out, "tree_size", b, sizeof b));
  hv_string_free(out);

  /* 8. Terminate and show what the engine recorded. */
  out = call(hv, "session.terminate", "{\"session_id\":\"demo\"}", HV_OK);
  printf("\nsession terminated: state %s, merkle root %s over %s deltas\n",
         field(out, "state", a, sizeof a), field(out, "merkle_root", b, sizeof b),
         field(out, "tree_size", c, sizeof c));
  hv_string_free(out);
  out = call(hv, "events.stats", "{}", HV_OK);
  printf("events emitted: %s\n", field(out, "total", a, sizeof a));
  hv_string_free(out);

  hv_destroy(hv);
  return 0;
}
