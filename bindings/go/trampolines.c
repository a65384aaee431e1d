// C trampolines between the engine's callbacks and the Go binding (see trampolines.h).
#include "trampolines.h"
#include "_cgo_export.h"

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

HvStatus hvgo_set_trust_provider(HvHypervisor *hv, uintptr_t handle) {
    if (handle == 0) {
        return hv_set_trust_provider(hv, NULL, NULL);
    }
    return hv_set_trust_provider(hv, hvgo_trust_trampoline, (void *)handle);
}

HvStatus hvgo_subscribe(HvHypervisor *hv, const char *filter_json, uintptr_t handle, uint64_t *out_sub) {
    return hv_subscribe(hv, filter_json, hvgo_event_trampoline, (void *)handle, out_sub);
}

HvStatus hvgo_saga_step(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    return hv_saga_step(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}

HvStatus hvgo_saga_compensate(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    return hv_saga_compensate(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}

HvStatus hvgo_saga_fan_out(HvHypervisor *hv, const char *request_json, uintptr_t handle, char **out_json) {
    return hv_saga_fan_out(hv, request_json, hvgo_step_trampoline, (void *)handle, out_json);
}
