/* C side of the Go binding's callbacks (definitions in trampolines.c).
 *
 * Go cannot hand a Go func to C, and cgo forbids definitions in a preamble that sits next to
 * //export directives, so the C functions the engine calls back live in trampolines.c: they
 * turn `void *user_data` into the `uintptr_t` of a runtime/cgo.Handle and forward to the
 * //export-ed Go functions of callbacks.go. Go code calls the hvgo_* wrappers below, never
 * the callback-taking hv_* functions directly. */
#ifndef HVGO_TRAMPOLINES_H
#define HVGO_TRAMPOLINES_H

#include <stdint.h>
#include <stdlib.h>
#include "agent_hypervisor.h"

/* Returned by a wrapper when the linked library lacks the C function (an older build). */
#define HVGO_UNSUPPORTED (-1)

/* handle == 0 clears the provider. */
int hvgo_set_trust_provider(HvHypervisor *hv, uintptr_t handle);
int hvgo_subscribe(HvHypervisor *hv, const char *filter_json, uintptr_t handle, uint64_t *out_sub);

/* Saga execution with a Go executor (cgo.Handle in `handle`). */
typedef struct HvStepContext HvStepContext;
int hvgo_saga_step(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);
int hvgo_saga_compensate(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);
int hvgo_saga_fan_out(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);
void hvgo_step_set_result(HvStepContext *ctx, const char *result_json);
void hvgo_step_set_error(HvStepContext *ctx, const char *message);
int64_t hvgo_step_remaining_ms(HvStepContext *ctx);

/* Offline proof verification. */
int hvgo_verify_inclusion(const char *proof_json, char **out_json);
int hvgo_verify_consistency(const char *proof_json, char **out_json);

#endif
