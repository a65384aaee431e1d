// Host callbacks. The engine receives three static trampolines whose delegates live in static
// readonly fields, so their function pointers stay valid for the life of the process and can
// never be collected while native code holds them. Each registration (a step call, a
// subscription, a trust provider) is an entry in a table keyed by a number that travels as the
// native `user_data`; removing the entry makes late or concurrent invocations a no-op instead of
// a call through a dangling pointer. No exception ever crosses into native code: every
// trampoline catches everything and reports failure in the C contract's terms.
using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;

namespace AgentHypervisor.Native
{
    internal static class Callbacks
    {
        private static long _nextKey;
        private static readonly ConcurrentDictionary<long, object> Entries = new ConcurrentDictionary<long, object>();

        internal static readonly HvStepFn StepFn = OnStep;
        internal static readonly HvEventFn EventFn = OnEvent;
        internal static readonly HvTrustFn TrustFn = OnTrust;

        internal static IntPtr Register(object entry)
        {
            long key = Interlocked.Increment(ref _nextKey);
            Entries[key] = entry;
            return new IntPtr(key);
        }

        internal static void Unregister(IntPtr key)
        {
            object ignored;
            Entries.TryRemove(key.ToInt64(), out ignored);
        }

        private static T Lookup<T>(IntPtr key) where T : class
        {
            object e;
            return Entries.TryGetValue(key.ToInt64(), out e) ? e as T : null;
        }

        internal sealed class StepEntry
        {
            internal Hypervisor Owner;
            internal StepExecutor Executor;
        }

        internal sealed class EventEntry
        {
            internal Hypervisor Owner;
            internal Action<HypervisorEvent> Handler;
        }

        internal sealed class TrustEntry
        {
            internal Hypervisor Owner;
            internal TrustProvider Provider;
        }

        private static int OnStep(IntPtr ctx, IntPtr stepJson, IntPtr userData)
        {
            StepContext context = null;
            try
            {
                var entry = Lookup<StepEntry>(userData);
                if (entry == null)
                {
                    SetError(ctx, "step executor is no longer registered");
                    return 1;
                }
                context = new StepContext(ctx, Utf8.Decode(stepJson));
                try
                {
                    object result = entry.Executor(context);
                    if (result is System.Threading.Tasks.Task)
                        throw new InvalidOperationException("a StepExecutor must return the step result, not a Task; use SagasClient.RunStepAsync for asynchronous work");
                    if (result != null)
                        NativeMethods.hv_step_set_result(ctx, Utf8.Encode(Json.Serialize(result)));
                    return 0;
                }
                catch (Exception e)
                {
                    SetError(ctx, DescribeFailure(e));
                    entry.Owner.ReportCallbackError("step executor", e);
                    return 1;
                }
            }
            catch (Exception e)
            {
                // Decoding or reporting itself failed; still never unwind into native code.
                try { SetError(ctx, DescribeFailure(e)); } catch (Exception) { }
                return 1;
            }
            finally
            {
                if (context != null) context.Invalidate();
            }
        }

        private static string DescribeFailure(Exception e)
        {
            return string.IsNullOrEmpty(e.Message) ? e.GetType().Name : e.Message;
        }

        private static void SetError(IntPtr ctx, string message)
        {
            try { NativeMethods.hv_step_set_error(ctx, Utf8.Encode(message.Replace('\0', ' '))); }
            catch (Exception) { }
        }

        private static void OnEvent(IntPtr eventJson, IntPtr userData)
        {
            EventEntry entry = null;
            try
            {
                entry = Lookup<EventEntry>(userData);
                if (entry == null) return;
                var ev = Json.Deserialize<HypervisorEvent>(Utf8.Decode(eventJson));
                entry.Handler(ev);
            }
            catch (Exception e)
            {
                try { if (entry != null) entry.Owner.ReportCallbackError("event subscriber", e); }
                catch (Exception) { }
            }
        }

        private static int OnTrust(IntPtr agentDid, IntPtr contextJson, IntPtr userData, IntPtr outSigma)
        {
            TrustEntry entry = null;
            try
            {
                entry = Lookup<TrustEntry>(userData);
                if (entry == null || outSigma == IntPtr.Zero) return 1;
                string did = Utf8.Decode(agentDid);
                string ctxJson = Utf8.Decode(contextJson);
                var context = string.IsNullOrEmpty(ctxJson) ? new TrustContext() : Json.Deserialize<TrustContext>(ctxJson);
                double? sigma = entry.Provider(did, context);
                if (!sigma.HasValue) return 1;
                Marshal.Copy(new[] { sigma.Value }, 0, outSigma, 1);
                return 0;
            }
            catch (Exception e)
            {
                try { if (entry != null) entry.Owner.ReportCallbackError("trust provider", e); }
                catch (Exception) { }
                return 1;
            }
        }
    }
}
