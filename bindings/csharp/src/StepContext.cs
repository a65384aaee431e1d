using System;
using AgentHypervisor.Native;

namespace AgentHypervisor
{
    /// <summary>
    /// A saga step executor (or compensation callback) for <c>hv_saga_step</c>,
    /// <c>hv_saga_compensate</c> and <c>hv_saga_fan_out</c>. Return the step's result (any
    /// serializable value, a <see cref="RawJson"/>, or null for none) to succeed; throw to fail: the
    /// exception's message becomes the step error and nothing propagates into native code. Fan-out
    /// runs executors concurrently on engine worker threads, so an executor must be thread-safe.
    /// </summary>
    public delegate object StepExecutor(StepContext context);

    /// <summary>The step being executed; valid only during the executor call.</summary>
    public sealed class StepContext
    {
        private IntPtr _ctx;
        private SagaStep _step;

        internal StepContext(IntPtr ctx, string stepJson)
        {
            _ctx = ctx;
            StepJson = stepJson;
        }

        /// <summary>The Step object (API.md 4.5) exactly as the engine sent it.</summary>
        public string StepJson { get; private set; }

        /// <summary>The Step, typed.</summary>
        public SagaStep Step
        {
            get
            {
                if (_step == null) _step = Json.Deserialize<SagaStep>(StepJson);
                return _step;
            }
        }

        /// <summary>Milliseconds left before the step's deadline (&lt;= 0 once past it), on the engine clock.</summary>
        public long RemainingMs
        {
            get
            {
                if (_ctx == IntPtr.Zero) throw new InvalidOperationException("the step context is only valid during the executor call");
                return NativeMethods.hv_step_remaining_ms(_ctx);
            }
        }

        internal void Invalidate() { _ctx = IntPtr.Zero; }
    }
}
