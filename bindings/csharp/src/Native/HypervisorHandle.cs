using System;
using System.Runtime.InteropServices;

namespace AgentHypervisor.Native
{
    /// <summary>
    /// Owns one <c>HvHypervisor *</c>. <see cref="ReleaseHandle"/> calls <c>hv_destroy</c> exactly
    /// once, after the last in-flight P/Invoke that borrowed the handle has returned (the
    /// marshaller AddRefs a SafeHandle argument for the duration of each call), so disposing on
    /// one thread while another thread is inside a call is safe.
    /// </summary>
    internal sealed class HypervisorHandle : SafeHandle
    {
        // Used by the marshaller for `out HypervisorHandle`.
        private HypervisorHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.hv_destroy(handle);
            return true;
        }
    }
}
