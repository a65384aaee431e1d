using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>Base of every request: each may carry a causal <c>trace_id</c> (<c>trace/span[/parent]</c>).</summary>
    public abstract class RequestBase
    {
        public string TraceId { get; set; }
    }

    /// <summary>A request without fields of its own (<c>{}</c> plus an optional trace id).</summary>
    public sealed class EmptyRequest : RequestBase { }

    /// <summary><c>{session_id}</c></summary>
    public sealed class SessionRequest : RequestBase
    {
        public SessionRequest() { }
        public SessionRequest(string sessionId) { SessionId = sessionId; }
        public string SessionId { get; set; }
    }

    /// <summary><c>{session_id, agent_did}</c></summary>
    public sealed class SessionAgentRequest : RequestBase
    {
        public SessionAgentRequest() { }
        public SessionAgentRequest(string sessionId, string agentDid) { SessionId = sessionId; AgentDid = agentDid; }
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
    }

    /// <summary><c>{saga_id}</c></summary>
    public sealed class SagaRequest : RequestBase
    {
        public SagaRequest() { }
        public SagaRequest(string sagaId) { SagaId = sagaId; }
        public string SagaId { get; set; }
    }

    /// <summary>Values of <c>reversibility</c>.</summary>
    public static class Reversibility
    {
        public const string Full = "full";
        public const string Partial = "partial";
        public const string None = "none";
    }

    /// <summary>An action an agent may perform (API.md 4.3).</summary>
    public sealed class ActionDescriptor
    {
        public string ActionId { get; set; }
        public string Name { get; set; }
        public string ExecuteApi { get; set; }
        public string UndoApi { get; set; }
        /// <summary>"full" | "partial" | "none" (default "none"), see <see cref="AgentHypervisor.Reversibility"/>.</summary>
        public string Reversibility { get; set; }
        public long? UndoWindowSeconds { get; set; }
        public string CompensationMethod { get; set; }
        public bool? IsReadOnly { get; set; }
        public bool? IsAdmin { get; set; }
    }

    /// <summary>A past transaction of an agent (for history verification).</summary>
    public sealed class TransactionRecord
    {
        public string SessionId { get; set; }
        public string SummaryHash { get; set; }
        public string Timestamp { get; set; }
        public int? ParticipantCount { get; set; }
    }

    /// <summary>Result of <c>verify.history</c>, also inside a join's <c>verification</c>.</summary>
    public sealed class HistoryVerification
    {
        /// <summary>"verified" | "probationary" | "suspicious".</summary>
        public string Status { get; set; }
        public long TransactionsChecked { get; set; }
        public List<object> Inconsistencies { get; set; }
    }

    /// <summary><c>{valid}</c></summary>
    public sealed class ValidResult
    {
        public bool Valid { get; set; }
    }
}
