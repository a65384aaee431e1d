using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary>Engine configuration for <c>hv_create</c> (API.md section 3); unset fields keep the defaults.</summary>
    public sealed class HypervisorConfig
    {
        /// <summary>"system" (default) | "manual" (time moves only with clock.advance).</summary>
        public string Clock { get; set; }
        /// <summary>Manual clock only: its initial time (RFC 3339 UTC).</summary>
        public string StartTime { get; set; }
        public double? MaxExposure { get; set; }
        public long? RetryBaseDelayMs { get; set; }
        /// <summary>ring ("0".."3") -&gt; [rate per second, burst].</summary>
        public Dictionary<string, double[]> RateLimits { get; set; }
        public DriftThresholds DriftThresholds { get; set; }
        public bool? AutoQuarantine { get; set; }
        public long? QuarantineSeconds { get; set; }
        public long? RetentionDays { get; set; }
        public EngineLimits Limits { get; set; }
        /// <summary>Durable mode directory; null = in memory.</summary>
        public string DataDir { get; set; }

        /// <summary>A manual-clock configuration (deterministic tests).</summary>
        public static HypervisorConfig Manual(string startTime = null)
        {
            return new HypervisorConfig { Clock = "manual", StartTime = startTime };
        }
    }

    /// <summary>Drift severity thresholds.</summary>
    public sealed class DriftThresholds
    {
        public double? Low { get; set; }
        public double? Medium { get; set; }
        public double? High { get; set; }
        public double? Critical { get; set; }
    }

    /// <summary>Table caps and size limits.</summary>
    public sealed class EngineLimits
    {
        public long? MaxSessions { get; set; }
        public long? MaxParticipants { get; set; }
        public long? MaxRequestBytes { get; set; }
        public long? MaxEvents { get; set; }
        public long? MaxRateBuckets { get; set; }
        public long? MaxVfsBytesPerSession { get; set; }
    }
}
