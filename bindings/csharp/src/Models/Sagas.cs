using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>Saga states.</summary>
    public static class SagaStates
    {
        public const string Running = "running";
        public const string Compensating = "compensating";
        public const string Completed = "completed";
        public const string Failed = "failed";
        public const string Escalated = "escalated";
    }

    /// <summary>Step states.</summary>
    public static class StepStates
    {
        public const string Pending = "pending";
        public const string Executing = "executing";
        public const string Committed = "committed";
        public const string Failed = "failed";
        public const string Compensating = "compensating";
        public const string Compensated = "compensated";
        public const string CompensationFailed = "compensation_failed";
    }

    /// <summary>Fan-out policies.</summary>
    public static class FanOutPolicies
    {
        public const string AllMustSucceed = "all_must_succeed";
        public const string MajorityMustSucceed = "majority_must_succeed";
        public const string AnyMustSucceed = "any_must_succeed";
    }

    /// <summary><c>saga.create</c></summary>
    public sealed class CreateSagaRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string SagaId { get; set; }
        public string IsolationLevel { get; set; }
    }

    /// <summary>A saga.</summary>
    public sealed class Saga
    {
        public string SagaId { get; set; }
        public string SessionId { get; set; }
        /// <summary>See <see cref="SagaStates"/>.</summary>
        public string State { get; set; }
        public string IsolationLevel { get; set; }
        public List<SagaStep> Steps { get; set; }
        public string Error { get; set; }
        public string CreatedAt { get; set; }
        public string CompletedAt { get; set; }
        /// <summary>True when a killed agent's in-flight step left the saga needing compensation.</summary>
        public bool CompensationRequired { get; set; }
        /// <summary>The definition's name (<c>saga.define</c> results).</summary>
        public string Name { get; set; }
        /// <summary>The fan-out groups created from the definition (<c>saga.define</c> results).</summary>
        public List<FanOutGroup> FanOutGroups { get; set; }
    }

    /// <summary>A resource a step declares (intent locks under serializable isolation).</summary>
    public sealed class StepResource
    {
        public string Path { get; set; }
        /// <summary>"read" | "write" | "exclusive".</summary>
        public string Intent { get; set; }
    }

    /// <summary><c>saga.add_step</c></summary>
    public sealed class AddStepRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string ActionId { get; set; }
        public string AgentDid { get; set; }
        public string ExecuteApi { get; set; }
        public string UndoApi { get; set; }
        /// <summary>Default 300.</summary>
        public int? TimeoutSeconds { get; set; }
        /// <summary>Default 0: a step gets 1 + max_retries attempts.</summary>
        public int? MaxRetries { get; set; }
        public List<StepResource> Resources { get; set; }
        public string CheckpointGoal { get; set; }
        public string StepId { get; set; }
    }

    /// <summary>A saga step (the Step object of API.md 4.5).</summary>
    public class SagaStep
    {
        public string StepId { get; set; }
        public string SagaId { get; set; }
        public string ActionId { get; set; }
        public string AgentDid { get; set; }
        public string ExecuteApi { get; set; }
        public string UndoApi { get; set; }
        public int TimeoutSeconds { get; set; }
        public int MaxRetries { get; set; }
        /// <summary>See <see cref="StepStates"/>.</summary>
        public string State { get; set; }
        public int Attempts { get; set; }
        public int RetryCount { get; set; }
        public string Error { get; set; }
        /// <summary>The executor's result (any JSON).</summary>
        public object Result { get; set; }
        public string StartedAt { get; set; }
        public string CompletedAt { get; set; }
        public string Deadline { get; set; }
        public string FailedAt { get; set; }
        /// <summary>When a pending retry becomes due.</summary>
        public string RetryDueAt { get; set; }
        public List<StepResource> Resources { get; set; }
        public string CheckpointGoal { get; set; }
    }

    /// <summary>A step of a saga definition (DSL).</summary>
    public sealed class SagaDefinitionStep
    {
        public string Id { get; set; }
        public string ActionId { get; set; }
        public string Agent { get; set; }
        public string ExecuteApi { get; set; }
        public string UndoApi { get; set; }
        public int? Timeout { get; set; }
        public int? Retries { get; set; }
        public string CheckpointGoal { get; set; }
    }

    /// <summary>A fan-out group of a saga definition.</summary>
    public sealed class FanOutDefinition
    {
        /// <summary>See <see cref="FanOutPolicies"/>.</summary>
        public string Policy { get; set; }
        public List<string> Branches { get; set; }
    }

    /// <summary>A declarative saga (DSL).</summary>
    public sealed class SagaDefinition
    {
        public string Name { get; set; }
        public string SessionId { get; set; }
        public string SagaId { get; set; }
        public List<SagaDefinitionStep> Steps { get; set; }
        public List<FanOutDefinition> FanOut { get; set; }
        public object Metadata { get; set; }
    }

    /// <summary><c>saga.define</c> and <c>saga.validate</c>.</summary>
    public sealed class SagaDefinitionRequest : RequestBase
    {
        public SagaDefinition Definition { get; set; }
    }

    /// <summary>Result of <c>saga.validate</c> (never throws for a bad definition).</summary>
    public sealed class ValidationResult
    {
        public List<string> Errors { get; set; }
    }

    /// <summary>Result of <c>saga.list</c>.</summary>
    public sealed class SagaList
    {
        public List<Saga> Sagas { get; set; }
    }

    /// <summary><c>saga.step.begin</c> and <c>hv_saga_step</c>.</summary>
    public sealed class StepBeginRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public bool? HasConsensus { get; set; }
        public bool? HasSreWitness { get; set; }
    }

    /// <summary>Result of <c>saga.step.begin</c>: the step is executing until <see cref="Deadline"/>.</summary>
    public sealed class StepBeginResult
    {
        public string StepId { get; set; }
        public int Attempt { get; set; }
        public string Deadline { get; set; }
        public long TimeoutMs { get; set; }
    }

    /// <summary><c>saga.step.end</c></summary>
    public sealed class StepEndRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public bool Ok { get; set; }
        public object Result { get; set; }
        public string Error { get; set; }
    }

    /// <summary>Result of <c>saga.step.end</c>.</summary>
    public sealed class StepEndResult
    {
        public string StepId { get; set; }
        /// <summary>committed, pending (a retry is due after <see cref="RetryAfterMs"/>) or failed.</summary>
        public string State { get; set; }
        public int Attempt { get; set; }
        public long? RetryAfterMs { get; set; }
        public object Result { get; set; }
        public string Error { get; set; }
        /// <summary>The result came after the deadline and counted as a timeout.</summary>
        public bool TimedOut { get; set; }
        /// <summary>No attempts are left: the step is failed.</summary>
        public bool FinalFailure { get; set; }
    }

    /// <summary>What an escalated saga led to: fault attribution and slashes.</summary>
    public sealed class Escalation
    {
        public AttributionResult Attribution { get; set; }
        public List<SlashResult> Slashes { get; set; }
        public List<string> Errors { get; set; }
    }

    /// <summary>Result of <c>saga.compensate.begin</c>: committed steps to undo, in reverse order.</summary>
    public sealed class CompensationPlan
    {
        public string SagaId { get; set; }
        /// <summary>compensating, or completed / escalated when nothing was left to undo.</summary>
        public string State { get; set; }
        public List<SagaStep> Steps { get; set; }
        /// <summary>Committed steps without undo_api, now compensation_failed.</summary>
        public List<string> Unavailable { get; set; }
        /// <summary>Executing steps past their deadline, failed as timeouts.</summary>
        public List<string> TimedOut { get; set; }
        public Escalation Escalation { get; set; }
    }

    /// <summary>Result of <c>saga.compensate.end</c>: the step plus the saga's progress.</summary>
    public sealed class CompensationEndResult : SagaStep
    {
        /// <summary>Compensations still to report.</summary>
        public long Remaining { get; set; }
        public string SagaState { get; set; }
        public Escalation Escalation { get; set; }
    }

    /// <summary><c>saga.compensate.end</c></summary>
    public sealed class CompensateEndRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public bool Ok { get; set; }
        public string Error { get; set; }
    }

    /// <summary><c>saga.fan_out.create</c></summary>
    public sealed class FanOutCreateRequest : RequestBase
    {
        public string SagaId { get; set; }
        /// <summary>See <see cref="FanOutPolicies"/>.</summary>
        public string Policy { get; set; }
        public List<string> StepIds { get; set; }
    }

    /// <summary>A fan-out group (<c>saga.fan_out.create</c>).</summary>
    public sealed class FanOutGroup
    {
        public string GroupId { get; set; }
        public string SagaId { get; set; }
        public string Policy { get; set; }
        public List<string> StepIds { get; set; }
    }

    /// <summary><c>hv_saga_fan_out</c>: <c>{saga_id, group_id}</c>.</summary>
    public sealed class FanOutRunRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string GroupId { get; set; }
    }

    /// <summary><c>saga.fan_out.resolve</c></summary>
    public sealed class FanOutResolveRequest : RequestBase
    {
        public string GroupId { get; set; }
    }

    /// <summary>Result of <c>hv_saga_fan_out</c> and <c>saga.fan_out.resolve</c>.</summary>
    public sealed class FanOutResult
    {
        public string GroupId { get; set; }
        public string Policy { get; set; }
        public bool PolicySatisfied { get; set; }
        public int SuccessCount { get; set; }
        public int FailureCount { get; set; }
        public int PendingCount { get; set; }
        /// <summary>Every branch has finished.</summary>
        public bool Settled { get; set; }
        public List<string> CompensationNeeded { get; set; }
    }

    /// <summary><c>saga.checkpoint.save</c></summary>
    public sealed class CheckpointSaveRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public string Goal { get; set; }
        public object State { get; set; }
    }

    /// <summary>Result of <c>saga.checkpoint.save</c>.</summary>
    public sealed class CheckpointResult
    {
        public string CheckpointId { get; set; }
        public string GoalHash { get; set; }
    }

    /// <summary>A saved checkpoint (result of <c>saga.checkpoint.invalidate</c>).</summary>
    public sealed class Checkpoint
    {
        public string CheckpointId { get; set; }
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public string Goal { get; set; }
        public string GoalHash { get; set; }
        public object State { get; set; }
        public string SavedAt { get; set; }
        public bool IsValid { get; set; }
        public string InvalidatedReason { get; set; }
    }

    /// <summary><c>saga.checkpoint.invalidate</c></summary>
    public sealed class CheckpointInvalidateRequest : RequestBase
    {
        public string SagaId { get; set; }
        public string StepId { get; set; }
        public string Reason { get; set; }
    }

    /// <summary>Result of <c>saga.replay_plan</c>: steps without a valid checkpoint, in order.</summary>
    public sealed class ReplayPlan
    {
        public string SagaId { get; set; }
        public List<string> StepIds { get; set; }
    }
}
