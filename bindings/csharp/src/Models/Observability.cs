using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>One engine event (API.md 4.9/5), as delivered to subscribers and by <c>events.query</c>.</summary>
    public sealed class HypervisorEvent
    {
        public long Seq { get; set; }
        public string EventId { get; set; }
        /// <summary>e.g. <c>session.joined</c> (API.md section 5).</summary>
        public string EventType { get; set; }
        public string Timestamp { get; set; }
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string CausalTraceId { get; set; }
        /// <summary>Event-specific data (any JSON; usually a <see cref="JsonObject"/>).</summary>
        public object Payload { get; set; }
    }

    /// <summary>Filter of <see cref="Hypervisor.Subscribe"/>; unset fields match everything.</summary>
    public sealed class EventFilter
    {
        public List<string> EventTypes { get; set; }
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
    }

    /// <summary><c>events.query</c></summary>
    public sealed class EventsQueryRequest : RequestBase
    {
        public long? AfterSeq { get; set; }
        public string EventType { get; set; }
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        /// <summary>1..=10000.</summary>
        public int? Limit { get; set; }
    }

    /// <summary>Result of <c>events.query</c>.</summary>
    public sealed class EventPage
    {
        public List<HypervisorEvent> Events { get; set; }
        public long NextSeq { get; set; }
        /// <summary>Events dropped from the bounded log so far.</summary>
        public long Dropped { get; set; }
    }

    /// <summary>Result of <c>events.stats</c>.</summary>
    public sealed class EventStats
    {
        public long Total { get; set; }
        public Dictionary<string, long> TypeCounts { get; set; }
    }

    /// <summary><c>{trace_id}</c></summary>
    public sealed class TraceResult
    {
        public string TraceId { get; set; }
    }

    /// <summary><c>{now}</c>: result of <c>clock.now</c> and <c>clock.advance</c>.</summary>
    public sealed class ClockTime
    {
        public string Now { get; set; }
    }

    /// <summary><c>clock.advance</c> (manual clock only).</summary>
    public sealed class ClockAdvanceRequest : RequestBase
    {
        public double? Seconds { get; set; }
        public long? Ms { get; set; }
    }

    /// <summary>Result of <c>stats</c>.</summary>
    public sealed class EngineStats
    {
        /// <summary>All sessions, archived included.</summary>
        public long Sessions { get; set; }
        public long ActiveSessions { get; set; }
        public long Participants { get; set; }
        public long ActiveSagas { get; set; }
        public long ActiveVouches { get; set; }
        public long Events { get; set; }
    }

    /// <summary>Result of <c>health</c>.</summary>
    public sealed class Health
    {
        public string Status { get; set; }
        public string Version { get; set; }
        public uint AbiVersion { get; set; }
    }
}
