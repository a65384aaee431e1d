using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using AgentHypervisor.Native;

namespace AgentHypervisor
{
    /// <summary>
    /// saga.* (API.md 4.5): sagas, governed steps, compensation, fan-out, checkpoints. Three ways to
    /// run a step: <see cref="Step(StepBeginRequest, StepExecutor)"/> (the engine drives begin -&gt; executor -&gt; end with retries,
    /// calling a <see cref="StepExecutor"/> on this thread), <c>RunStepAsync</c> (Task-based,
    /// over begin/end), or <see cref="BeginStep"/>/<see cref="EndStep"/> by hand.
    /// </summary>
    public sealed class SagasClient
    {
        private delegate int NativeStepCall(HypervisorHandle hv, byte[] requestJson, HvStepFn fn, IntPtr userData, out IntPtr outJson);

        private readonly Hypervisor _hv;
        internal SagasClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>saga.create</c>.</summary>
        public Saga Create(CreateSagaRequest request) { return _hv.Call<Saga>("saga.create", request); }

        public Saga Create(string sessionId, string sagaId = null)
        {
            return Create(new CreateSagaRequest { SessionId = sessionId, SagaId = sagaId });
        }

        /// <summary><c>saga.add_step</c>.</summary>
        public SagaStep AddStep(AddStepRequest request) { return _hv.Call<SagaStep>("saga.add_step", request); }

        /// <summary><c>saga.define</c>: a saga from a declarative definition.</summary>
        public Saga Define(SagaDefinition definition) { return Define(new SagaDefinitionRequest { Definition = definition }); }
        public Saga Define(SagaDefinitionRequest request) { return _hv.Call<Saga>("saga.define", request); }

        /// <summary><c>saga.validate</c>: the definition's errors (empty when valid).</summary>
        public ValidationResult Validate(SagaDefinition definition) { return Validate(new SagaDefinitionRequest { Definition = definition }); }
        public ValidationResult Validate(SagaDefinitionRequest request) { return _hv.Call<ValidationResult>("saga.validate", request); }

        /// <summary><c>saga.get</c>.</summary>
        public Saga Get(string sagaId) { return Get(new SagaRequest(sagaId)); }
        public Saga Get(SagaRequest request) { return _hv.Call<Saga>("saga.get", request); }

        /// <summary><c>saga.list</c>.</summary>
        public SagaList List(string sessionId) { return List(new SessionRequest(sessionId)); }
        public SagaList List(SessionRequest request) { return _hv.Call<SagaList>("saga.list", request); }

        /// <summary><c>saga.step.begin</c>: governance checks; throws DENIED/RING_DENIED, CONFLICT/LOCK_CONTENTION, ...</summary>
        public StepBeginResult BeginStep(StepBeginRequest request) { return _hv.Call<StepBeginResult>("saga.step.begin", request); }

        /// <summary><c>saga.step.end</c>: past the deadline it counts as a timeout failure.</summary>
        public StepEndResult EndStep(StepEndRequest request) { return _hv.Call<StepEndResult>("saga.step.end", request); }

        /// <summary><c>saga.compensate.begin</c>.</summary>
        public CompensationPlan BeginCompensation(string sagaId) { return BeginCompensation(new SagaRequest(sagaId)); }
        public CompensationPlan BeginCompensation(SagaRequest request) { return _hv.Call<CompensationPlan>("saga.compensate.begin", request); }

        /// <summary><c>saga.compensate.end</c>.</summary>
        public CompensationEndResult EndCompensation(CompensateEndRequest request) { return _hv.Call<CompensationEndResult>("saga.compensate.end", request); }

        /// <summary><c>saga.complete</c>.</summary>
        public Saga Complete(string sagaId) { return Complete(new SagaRequest(sagaId)); }
        public Saga Complete(SagaRequest request) { return _hv.Call<Saga>("saga.complete", request); }

        /// <summary><c>saga.fan_out.create</c>.</summary>
        public FanOutGroup CreateFanOut(FanOutCreateRequest request) { return _hv.Call<FanOutGroup>("saga.fan_out.create", request); }

        /// <summary><c>saga.fan_out.resolve</c>: evaluates the policy after begin/end-driven branches.</summary>
        public FanOutResult ResolveFanOut(string groupId) { return ResolveFanOut(new FanOutResolveRequest { GroupId = groupId }); }
        public FanOutResult ResolveFanOut(FanOutResolveRequest request) { return _hv.Call<FanOutResult>("saga.fan_out.resolve", request); }

        /// <summary><c>saga.checkpoint.save</c>.</summary>
        public CheckpointResult SaveCheckpoint(CheckpointSaveRequest request) { return _hv.Call<CheckpointResult>("saga.checkpoint.save", request); }

        /// <summary><c>saga.checkpoint.invalidate</c>.</summary>
        public Checkpoint InvalidateCheckpoint(CheckpointInvalidateRequest request) { return _hv.Call<Checkpoint>("saga.checkpoint.invalidate", request); }

        /// <summary><c>saga.replay_plan</c>.</summary>
        public ReplayPlan ReplayPlan(string sagaId) { return ReplayPlan(new SagaRequest(sagaId)); }
        public ReplayPlan ReplayPlan(SagaRequest request) { return _hv.Call<ReplayPlan>("saga.replay_plan", request); }

        // ------------------------------------------------------------ native executors

        /// <summary>
        /// <c>hv_saga_step</c>: runs begin -&gt; <paramref name="execute"/> -&gt; end with retries on this
        /// thread and returns the final step. A final failure throws STEP_FAILED (the step in
        /// <see cref="HypervisorException.FailedStep"/>); a governance denial throws its own status
        /// without calling the executor.
        /// </summary>
        public SagaStep Step(StepBeginRequest request, StepExecutor execute)
        {
            return Json.Deserialize<SagaStep>(InvokeWithExecutor(NativeMethods.hv_saga_step, request, execute));
        }

        public SagaStep Step(string sagaId, string stepId, StepExecutor execute)
        {
            return Step(new StepBeginRequest { SagaId = sagaId, StepId = stepId }, execute);
        }

        /// <summary>
        /// <c>hv_saga_compensate</c>: begins compensation and calls <paramref name="undo"/> for each
        /// committed step (reverse order); returns the final saga (completed or escalated).
        /// </summary>
        public Saga Compensate(string sagaId, StepExecutor undo) { return Compensate(new SagaRequest(sagaId), undo); }

        public Saga Compensate(SagaRequest request, StepExecutor undo)
        {
            return Json.Deserialize<Saga>(InvokeWithExecutor(NativeMethods.hv_saga_compensate, request, undo));
        }

        /// <summary>
        /// <c>hv_saga_fan_out</c>: runs every branch of the group as a governed step, concurrently on
        /// engine worker threads (<paramref name="execute"/> must be thread-safe). Returns normally
        /// whether or not the policy held.
        /// </summary>
        public FanOutResult FanOut(string sagaId, string groupId, StepExecutor execute)
        {
            return FanOut(new FanOutRunRequest { SagaId = sagaId, GroupId = groupId }, execute);
        }

        public FanOutResult FanOut(FanOutRunRequest request, StepExecutor execute)
        {
            return Json.Deserialize<FanOutResult>(InvokeWithExecutor(NativeMethods.hv_saga_fan_out, request, execute));
        }

        private string InvokeWithExecutor(NativeStepCall call, object request, StepExecutor executor)
        {
            if (executor == null) throw new ArgumentNullException("executor");
            byte[] req = Utf8.Encode(Json.Serialize(request));
            // The native side gets the static trampoline (alive for the process) and a key that
            // stays registered, keeping the executor reachable, until the call has returned.
            IntPtr key = Callbacks.Register(new Callbacks.StepEntry { Owner = _hv, Executor = executor });
            try
            {
                IntPtr outJson;
                var status = (HvStatus)call(_hv.Handle, req, Callbacks.StepFn, key, out outJson);
                return Hypervisor.Check(status, Utf8.TakeOwned(outJson));
            }
            finally
            {
                Callbacks.Unregister(key);
                GC.KeepAlive(executor);
            }
        }

        // ------------------------------------------------------------ Task-based steps

        /// <summary>
        /// A governed step over <c>saga.step.begin</c>/<c>saga.step.end</c>: begins the step (denials
        /// throw <see cref="HypervisorException"/> before <paramref name="work"/> runs), awaits
        /// <paramref name="work"/>, and reports its outcome. The token given to the work is cancelled
        /// when <paramref name="cancellationToken"/> is, or after the step's <c>timeout_ms</c> (wall
        /// time; the engine itself judges the deadline on its own clock). On success returns the end
        /// result (committed, or failed if the deadline had passed). If the work throws, the failure is
        /// reported to the engine and a <see cref="StepExecutionException"/> carrying the end result
        /// is thrown; cancellation through <paramref name="cancellationToken"/> is reported the same
        /// way and rethrown as the original <see cref="OperationCanceledException"/>.
        /// </summary>
        public async Task<StepEndResult> RunStepAsync(StepBeginRequest request,
            Func<StepBeginResult, CancellationToken, Task<object>> work,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            if (work == null) throw new ArgumentNullException("work");
            cancellationToken.ThrowIfCancellationRequested();
            StepBeginResult started = BeginStep(request);
            object result = null;
            Exception failure = null;
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (started.TimeoutMs > 0 && started.TimeoutMs <= int.MaxValue)
                    cts.CancelAfter(TimeSpan.FromMilliseconds(started.TimeoutMs));
                try
                {
                    Task<object> task = work(started, cts.Token);
                    if (task == null) throw new InvalidOperationException("step work returned a null Task");
                    result = await task.ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }
            StepEndResult ended = EndStep(new StepEndRequest
            {
                SagaId = request.SagaId,
                StepId = request.StepId,
                Ok = failure == null,
                Result = failure == null ? result : null,
                Error = failure == null ? null : (string.IsNullOrEmpty(failure.Message) ? failure.GetType().Name : failure.Message),
                TraceId = request.TraceId,
            });
            if (failure == null) return ended;
            if (failure is OperationCanceledException && cancellationToken.IsCancellationRequested)
                ExceptionDispatchInfo.Capture(failure).Throw();
            throw new StepExecutionException(ended, failure);
        }

        /// <summary><see cref="RunStepAsync(StepBeginRequest, Func{StepBeginResult, CancellationToken, Task{object}}, CancellationToken)"/> by ids.</summary>
        public Task<StepEndResult> RunStepAsync(string sagaId, string stepId,
            Func<StepBeginResult, CancellationToken, Task<object>> work,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunStepAsync(new StepBeginRequest { SagaId = sagaId, StepId = stepId }, work, cancellationToken);
        }
    }

    /// <summary>The work of a <see cref="SagasClient.RunStepAsync(StepBeginRequest, Func{StepBeginResult, CancellationToken, Task{object}}, CancellationToken)"/>
    /// step failed; the failure was reported to the engine (see <see cref="EndResult"/>).</summary>
    public sealed class StepExecutionException : Exception
    {
        public StepExecutionException(StepEndResult endResult, Exception inner)
            : base("step '" + (endResult != null ? endResult.StepId : "?") + "' failed: " + inner.Message, inner)
        {
            EndResult = endResult;
        }

        /// <summary>The engine's answer to the failure: state pending (retry due after RetryAfterMs) or failed.</summary>
        public StepEndResult EndResult { get; private set; }
    }
}
