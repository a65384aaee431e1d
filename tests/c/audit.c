/* C ABI test of the session VFS and the audit trail: governed writes, a causal conflict under
 * read_committed, the Merkle root, inclusion and consistency proofs verified offline by
 * hv_verify_inclusion / hv_verify_consistency (and tampered proofs rejected), the commitment
 * recorded at terminate. Built against include/agent_hypervisor.h only; run under valgrind by
 * `make test` (zero errors, zero definite leaks). */
#include "agent_hypervisor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Copies the string value of "key" in a flat JSON object into buf (no escapes expected). */
static int json_str(const char *json, const char *key, char *buf, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  const char *end = strchr(p, '"');
  if (!end || (size_t)(end - p) >= cap) return 0;
  memcpy(buf, p, (size_t)(end - p));
  buf[end - p] = '\0';
  return 1;
}

/* Returns a copy of json with the first hex digit of the value of "key" flipped. */
static char *tamper(const char *json, const char *key) {
  char *copy = malloc(strlen(json) + 1);
  strcpy(copy, json);
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  char *p = strstr(copy, pat);
  if (p) {
    p = strchr(p + strlen(pat), '"');
    if (p) p[1] = (p[1] == '0') ? '1' : '0';
  }
  return copy;
}

/* hv_verify_* on input; returns 1 for {"valid":true}, 0 for {"valid":false}, -1 on error. */
static int verify(HvStatus (*fn)(const char *, char **), const char *input) {
  char *out = NULL;
  HvStatus st = fn(input, &out);
  int r = -1;
  if (st == HV_OK && contains(out, "\"valid\":true")) r = 1;
  if (st == HV_OK && contains(out, "\"valid\":false")) r = 0;
  if (r < 0) fprintf(stderr, "  verify -> %d: %s\n", st, out ? out : "(null)");
  hv_string_free(out);
  return r;
}

int main(void) {
  HvHypervisor *hv = NULL;
  CHECK(hv_create("{\"clock\":\"manual\"}", &hv, NULL) == HV_OK);

  call_free(hv, "session.create",
            "{\"creator_did\":\"did:c\",\"session_id\":\"s\","
            "\"config\":{\"isolation_level\":\"read_committed\"}}",
            HV_OK);
  call_free(hv, "session.join", "{\"session_id\":\"s\",\"agent_did\":\"did:a\",\"sigma_raw\":0.8}",
            HV_OK);
  call_free(hv, "session.join", "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"sigma_raw\":0.8}",
            HV_OK);
  call_free(hv, "session.join",
            "{\"session_id\":\"s\",\"agent_did\":\"did:low\",\"sigma_raw\":0.3}", HV_OK);
  call_free(hv, "session.activate", "{\"session_id\":\"s\"}", HV_OK);

  /* Writes: each one is audited automatically. */
  char *w = call(hv, "vfs.write",
                 "{\"session_id\":\"s\",\"agent_did\":\"did:a\",\"path\":\"plan.md\","
                 "\"content\":\"v1\"}",
                 HV_OK);
  CHECK(contains(w, "\"operation\":\"create\""));
  CHECK(contains(w, "\"path\":\"/plan.md\""));
  CHECK(contains(w, "\"delta\":{\"turn_id\":1,"));
  hv_string_free(w);
  w = call(hv, "vfs.write",
           "{\"session_id\":\"s\",\"agent_did\":\"did:a\",\"path\":\"/plan.md\",\"content\":\"v2\"}",
           HV_OK);
  CHECK(contains(w, "\"operation\":\"update\""));
  CHECK(contains(w, "\"previous_hash\":"));
  hv_string_free(w);

  /* Traversal and ring 3 are refused. */
  w = call(hv, "vfs.write",
           "{\"session_id\":\"s\",\"agent_did\":\"did:a\",\"path\":\"../etc/passwd\","
           "\"content\":\"x\"}",
           HV_INVALID_ARGUMENT);
  CHECK(contains(w, "INVALID_PATH") && contains(w, "\"field\":\"path\""));
  hv_string_free(w);
  w = call(hv, "vfs.write",
           "{\"session_id\":\"s\",\"agent_did\":\"did:low\",\"path\":\"x\",\"content\":\"x\"}",
           HV_DENIED);
  CHECK(contains(w, "RING_READ_ONLY"));
  hv_string_free(w);

  /* A conflict: b never read a's version of plan.md. */
  w = call(hv, "vfs.write",
           "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"path\":\"plan.md\",\"content\":\"b\"}",
           HV_CONFLICT);
  CHECK(contains(w, "CAUSAL_VIOLATION"));
  hv_string_free(w);
  char *ev = call(hv, "events.query", "{\"event_type\":\"vfs.conflict\"}", HV_OK);
  CHECK(contains(ev, "\"agent_did\":\"did:b\"") && contains(ev, "\"session_id\":\"s\""));
  hv_string_free(ev);
  /* After reading, b's write goes through. */
  char *r = call(hv, "vfs.read", "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"path\":\"plan.md\"}",
                 HV_OK);
  CHECK(contains(r, "\"content\":\"v2\""));
  hv_string_free(r);
  call_free(hv, "vfs.write",
            "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"path\":\"plan.md\",\"content\":\"b\"}",
            HV_OK);
  call_free(hv, "vfs.write",
            "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"path\":\"notes.md\",\"content\":\"n\"}",
            HV_OK);

  /* The root covers the 4 writes; the log verifies. */
  char *root = call(hv, "audit.root", "{\"session_id\":\"s\"}", HV_OK);
  CHECK(contains(root, "\"tree_size\":4"));
  char root_hex[65] = {0};
  CHECK(json_str(root, "merkle_root", root_hex, sizeof root_hex));
  CHECK(strlen(root_hex) == 64);
  hv_string_free(root);
  char *v = call(hv, "audit.verify", "{\"session_id\":\"s\"}", HV_OK);
  CHECK(contains(v, "\"valid\":true") && contains(v, "\"delta_count\":4"));
  hv_string_free(v);

  /* Inclusion proof of turn 3, verified offline with no engine; tampering is detected. */
  char *proof = call(hv, "audit.proof", "{\"session_id\":\"s\",\"turn_id\":3}", HV_OK);
  CHECK(contains(proof, root_hex));
  CHECK(verify(hv_verify_inclusion, proof) == 1);
  char *bad = tamper(proof, "leaf_hash");
  CHECK(verify(hv_verify_inclusion, bad) == 0);
  free(bad);
  bad = tamper(proof, "audit_path");
  CHECK(verify(hv_verify_inclusion, bad) == 0);
  free(bad);
  hv_string_free(proof);
  char *out = NULL;
  CHECK(hv_verify_inclusion("{\"leaf_index\":0}", &out) == HV_INVALID_ARGUMENT);
  CHECK(contains(out, "MISSING_FIELD"));
  hv_string_free(out);
  out = NULL;
  CHECK(hv_verify_inclusion(NULL, &out) == HV_INVALID_ARGUMENT);
  hv_string_free(out);

  /* Consistency between the trees of 2 and 4 deltas. */
  char *cons = call(hv, "audit.consistency",
                    "{\"session_id\":\"s\",\"first_size\":2,\"second_size\":4}", HV_OK);
  CHECK(verify(hv_verify_consistency, cons) == 1);
  bad = tamper(cons, "first_root");
  CHECK(verify(hv_verify_consistency, bad) == 0);
  free(bad);
  hv_string_free(cons);

  /* Snapshot and restore. */
  char *snap = call(hv, "session.snapshot", "{\"session_id\":\"s\"}", HV_OK);
  char snap_id[128] = {0};
  CHECK(json_str(snap, "snapshot_id", snap_id, sizeof snap_id));
  CHECK(strncmp(snap_id, "snap:", 5) == 0);
  hv_string_free(snap);
  call_free(hv, "vfs.delete", "{\"session_id\":\"s\",\"agent_did\":\"did:b\",\"path\":\"notes.md\"}",
            HV_OK);
  char req[512];
  snprintf(req, sizeof req,
           "{\"session_id\":\"s\",\"snapshot_id\":\"%s\",\"agent_did\":\"did:b\"}", snap_id);
  char *rs = call(hv, "session.restore", req, HV_OK);
  CHECK(contains(rs, "\"files_created\":1"));
  hv_string_free(rs);
  char *list = call(hv, "vfs.list", "{\"session_id\":\"s\"}", HV_OK);
  CHECK(contains(list, "/notes.md") && contains(list, "/plan.md"));
  hv_string_free(list);

  /* Terminate commits the root; the commitment verifies. */
  char *t = call(hv, "session.terminate", "{\"session_id\":\"s\"}", HV_OK);
  CHECK(contains(t, "\"tree_size\":6"));
  char committed[65] = {0};
  CHECK(json_str(t, "merkle_root", committed, sizeof committed));
  hv_string_free(t);
  snprintf(req, sizeof req, "{\"session_id\":\"s\",\"merkle_root\":\"%s\"}", committed);
  char *vc = call(hv, "audit.verify_commitment", req, HV_OK);
  CHECK(contains(vc, "\"valid\":true"));
  hv_string_free(vc);
  char *c = call(hv, "audit.commitment", "{\"session_id\":\"s\"}", HV_OK);
  CHECK(contains(c, "\"committed\":true") && contains(c, committed));
  hv_string_free(c);

  hv_destroy(hv);
  return check_summary();
}
