/* C side of the Go binding's callbacks (definitions in trampolines.c).
 *
 * Go cannot hand a Go func to C, and cgo forbids definitions in a preamble that sits next to
 * //export directives, so the C functions the engine calls back live in trampolines.c: they
 * turn `void *user_data` into the `uintptr_t` of a runtime/cgo.Handle and forward to the
 * //export-ed Go functions of callbacks.go. Go code calls the hvgo_* wrappers below for every
 * callback-taking hv_* function (a uintptr_t crosses as an integer, never as a Go pointer). */
#ifndef HVGO_TRAMPOLINES_H
#define HVGO_TRAMPOLINES_H

#include <stdint.h>
#include <stdlib.h>
#include "agent_hypervisor.h"

/* handle == 0 clears the provider. */
HvStatus hvgo_set_trust_provider(HvHypervisor *hv, uintptr_t handle);
HvStatus hvgo_subscribe(HvHypervisor *hv, const char *filter_json, uintptr_t handle, uint64_t *out_sub);

/* Saga execution with a Go executor (the cgo.Handle of a stepRun in `handle`). */
HvStatus hvgo_saga_step(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);
HvStatus hvgo_saga_compensate(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);
HvStatus hvgo_saga_fan_out(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json);

#endif
