// C trampolines between the engine's callbacks and the Go binding (see trampolines.h).
#include "trampolines.h"
#include "_cgo_export.h"

// The saga-execution and offline-verification functions are referenced weakly so the binding
// still links against a library built before they existed; the wrappers then answer
// HVGO_UNSUPPORTED instead of failing at load time. Redeclaring them here is compatible with
// the header's declarations.
typedef int32_t (*HvStepFn)(HvStepContext *ctx, const char *step_json, void *user_data);
extern HvStatus hv_saga_step(HvHypervisor *, const char *, HvStepFn, void *, char **) __attribute__((weak));
extern HvStatus hv_saga_compensate(HvHypervisor *, const char *, HvStepFn, void *, char **) __attribute__((weak));
extern HvStatus hv_saga_fan_out(HvHypervisor *, const char *, HvStepFn, void *, char **) __attribute__((weak));
extern void hv_step_set_result(HvStepContext *, const char *) __attribute__((weak));
extern void hv_step_set_error(HvStepContext *, const char *) __attribute__((weak));
extern int64_t hv_step_remaining_ms(const HvStepContext *) __attribute__((weak));
extern HvStatus hv_verify_inclusion(const char *, char **) __attribute__((weak));
extern HvStatus hv_verify_consistency(const char *, char **) __attribute__((weak));

static int32_t hvgo_trust_trampoline(const char *agent_did, const char *context_json,
                                     void *user_data, double *out_sigma) {
    return hvgoTrust((char *)agent_did, (char *)context_json, (uintptr_t)user_data, out_sigma);
}

static void hvgo_event_trampoline(const char *event_json, void *user_data) {
    hvgoEvent((char *)event_json, (uintptr_t)user_data);
}

static int32_t hvgo_step_trampoline(HvStepContext *ctx, const char *step_json, void *user_data) {
    return hvgoStep(ctx, (char *)step_json, (uintptr_t)user_data);
}

int hvgo_set_trust_provider(HvHypervisor *hv, uintptr_t handle) {
    if (handle == 0) {
        return hv_set_trust_provider(hv, NULL, NULL);
    }
    return hv_set_trust_provider(hv, hvgo_trust_trampoline, (void *)handle);
}

int hvgo_subscribe(HvHypervisor *hv, const char *filter_json, uintptr_t handle, uint64_t *out_sub) {
    return hv_subscribe(hv, filter_json, hvgo_event_trampoline, (void *)handle, out_sub);
}

int hvgo_saga_step(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    if (!hv_saga_step) return HVGO_UNSUPPORTED;
    return hv_saga_step(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}

int hvgo_saga_compensate(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    if (!hv_saga_compensate) return HVGO_UNSUPPORTED;
    return hv_saga_compensate(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}

int hvgo_saga_fan_out(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    if (!hv_saga_fan_out) return HVGO_UNSUPPORTED;
    return hv_saga_fan_out(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}

void hvgo_step_set_result(HvStepContext *ctx, const char *result_json) {
    if (hv_step_set_result) hv_step_set_result(ctx, result_json);
}

void hvgo_step_set_error(HvStepContext *ctx, const char *message) {
    if (hv_step_set_error) hv_step_set_error(ctx, message);
}

int64_t hvgo_step_remaining_ms(HvStepContext *ctx) {
    return hv_step_remaining_ms ? hv_step_remaining_ms(ctx) : 0;
}

int hvgo_verify_inclusion(const char *proof_json, char **out_json) {
    if (!hv_verify_inclusion) return HVGO_UNSUPPORTED;
    return hv_verify_inclusion(proof_json, out_json);
}

int hvgo_verify_consistency(const char *proof_json, char **out_json) {
    if (!hv_verify_consistency) return HVGO_UNSUPPORTED;
    return hv_verify_consistency(proof_json, out_json);
}
