/* Shared by the C ABI test programs: a counting CHECK, a summary line in the form CI reads
 * ("N passed, N failed"), and call helpers that assert a status and free the response. */
#ifndef HV_TEST_CHECK_H
#define HV_TEST_CHECK_H

#include "agent_hypervisor.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      failures++;                                                            \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
    }                                                                        \
  } while (0)

static inline int contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

/* Calls a method, checks the status, returns the owned response (caller frees). */
static inline char *call(HvHypervisor *hv, const char *method, const char *req, HvStatus want) {
  char *out = NULL;
  HvStatus st = hv_call(hv, method, req, &out);
  if (st != want) {
    fprintf(stderr, "  %s(%s) -> %d, wanted %d: %s\n", method, req ? req : "NULL", st, want,
            out ? out : "(null)");
  }
  CHECK(st == want);
  CHECK(out != NULL);
  return out;
}

static inline void call_free(HvHypervisor *hv, const char *method, const char *req,
                             HvStatus want) {
  hv_string_free(call(hv, method, req, want));
}

/* Prints the closing line and returns the process exit code. */
static inline int check_summary(void) {
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

#endif
