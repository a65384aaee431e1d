namespace AgentHypervisor
{
    /// <summary>events.*, trace.*, clock.*, stats, health (API.md 4.9).</summary>
    public sealed class ObservabilityClient
    {
        private readonly Hypervisor _hv;
        internal ObservabilityClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>events.query</c>.</summary>
        public EventPage QueryEvents(EventsQueryRequest request) { return _hv.Call<EventPage>("events.query", request ?? new EventsQueryRequest()); }

        /// <summary><c>events.stats</c>.</summary>
        public EventStats EventStats() { return _hv.Call<EventStats>("events.stats", new EmptyRequest()); }

        /// <summary><c>trace.new</c>: a fresh causal trace id.</summary>
        public string NewTrace() { return _hv.Call<TraceResult>("trace.new", new EmptyRequest()).TraceId; }

        /// <summary><c>trace.child</c>: a child span of <paramref name="traceId"/>.</summary>
        public string ChildTrace(string traceId) { return _hv.Call<TraceResult>("trace.child", new EmptyRequest { TraceId = traceId }).TraceId; }

        /// <summary><c>clock.now</c> (RFC 3339 UTC).</summary>
        public string Now() { return _hv.Call<ClockTime>("clock.now", new EmptyRequest()).Now; }

        /// <summary><c>clock.advance</c>: manual clock only, else INVALID_STATE/CLOCK_NOT_MANUAL.</summary>
        public string AdvanceClock(double seconds) { return AdvanceClock(new ClockAdvanceRequest { Seconds = seconds }); }
        public string AdvanceClock(ClockAdvanceRequest request) { return _hv.Call<ClockTime>("clock.advance", request).Now; }

        /// <summary><c>stats</c>.</summary>
        public EngineStats Stats() { return _hv.Call<EngineStats>("stats", new EmptyRequest()); }

        /// <summary><c>health</c>.</summary>
        public Health Health() { return _hv.Call<Health>("health", new EmptyRequest()); }
    }
}
