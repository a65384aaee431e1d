// P/Invoke declarations for the C ABI in include/agent_hypervisor.h (API.md section 2).
//
// Strings are marshalled by hand: every `const char *` parameter is a NUL-terminated UTF-8
// byte[] (see Utf8.Encode) and every returned `char *` is an IntPtr decoded with Utf8.Decode and
// released with hv_string_free. This works identically on Mono (mcs) and .NET (netstandard2.0),
// without relying on UnmanagedType.LPUTF8Str, which older Mono profiles lack.
using System;
using System.Runtime.InteropServices;

namespace AgentHypervisor.Native
{
    /// <summary>HvStepFn: <c>int32_t (*)(HvStepContext *ctx, const char *step_json, void *user_data)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int HvStepFn(IntPtr ctx, IntPtr stepJson, IntPtr userData);

    /// <summary>HvEventFn: <c>void (*)(const char *event_json, void *user_data)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void HvEventFn(IntPtr eventJson, IntPtr userData);

    /// <summary>HvTrustFn: <c>int32_t (*)(const char *agent_did, const char *context_json, void *user_data, double *out_sigma)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int HvTrustFn(IntPtr agentDid, IntPtr contextJson, IntPtr userData, IntPtr outSigma);

    internal static class NativeMethods
    {
        /// <summary>Library name: libagent_hypervisor.so / agent_hypervisor.dll / libagent_hypervisor.dylib.</summary>
        internal const string Lib = "agent_hypervisor";

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr hv_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint hv_abi_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_create(byte[] configJson, out HypervisorHandle outHv, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void hv_destroy(IntPtr hv);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void hv_string_free(IntPtr s);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_call(HypervisorHandle hv, byte[] method, byte[] requestJson, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_saga_step(HypervisorHandle hv, byte[] requestJson, HvStepFn execute, IntPtr userData, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_saga_compensate(HypervisorHandle hv, byte[] requestJson, HvStepFn undo, IntPtr userData, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_saga_fan_out(HypervisorHandle hv, byte[] requestJson, HvStepFn execute, IntPtr userData, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void hv_step_set_result(IntPtr ctx, byte[] resultJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void hv_step_set_error(IntPtr ctx, byte[] message);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern long hv_step_remaining_ms(IntPtr ctx);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_subscribe(HypervisorHandle hv, byte[] filterJson, HvEventFn onEvent, IntPtr userData, out ulong outSubscription);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_unsubscribe(HypervisorHandle hv, ulong subscription);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_set_trust_provider(HypervisorHandle hv, HvTrustFn provider, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_verify_inclusion(byte[] proofJson, out IntPtr outJson);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hv_verify_consistency(byte[] proofJson, out IntPtr outJson);
    }
}
