namespace AgentHypervisor
{
    /// <summary>Mirrors the C enum <c>HvStatus</c> (API.md section 2); the values are the C values.</summary>
    public enum HvStatus
    {
        Ok = 0,
        /// <summary>NULL pointer, bad UTF-8, malformed JSON, failed validation.</summary>
        InvalidArgument = 1,
        /// <summary>Unknown session, agent, saga, step, vouch, snapshot, method...</summary>
        NotFound = 2,
        /// <summary>Lifecycle or state-machine violation.</summary>
        InvalidState = 3,
        /// <summary>Governance denial: ring, quarantine, killed, permission, breaker, admission.</summary>
        Denied = 4,
        RateLimited = 5,
        /// <summary>Duplicate id, lock contention, deadlock, causal violation, circular vouch.</summary>
        Conflict = 6,
        /// <summary>Capacity, exposure cap, size limits, table caps.</summary>
        LimitExceeded = 7,
        Timeout = 8,
        /// <summary>A saga step failed after its retries.</summary>
        StepFailed = 9,
        /// <summary>Storage errors (durable mode).</summary>
        Io = 10,
        /// <summary>Integrity failure in stored or supplied audit data.</summary>
        Corrupt = 11,
        /// <summary>Bug or caught panic.</summary>
        Internal = 12,
    }

    /// <summary>Conversions between <see cref="HvStatus"/> and its wire name ("NOT_FOUND").</summary>
    public static class HvStatusNames
    {
        private static readonly string[] Names =
        {
            "OK", "INVALID_ARGUMENT", "NOT_FOUND", "INVALID_STATE", "DENIED", "RATE_LIMITED", "CONFLICT",
            "LIMIT_EXCEEDED", "TIMEOUT", "STEP_FAILED", "IO", "CORRUPT", "INTERNAL",
        };

        /// <summary>The name without the HV_ prefix, as in an error's <c>status</c> field.</summary>
        public static string ToWireName(this HvStatus status)
        {
            int i = (int)status;
            return i >= 0 && i < Names.Length ? Names[i] : "UNKNOWN_" + i;
        }

        /// <summary>Parses a wire name; unknown names give <see cref="HvStatus.Internal"/>.</summary>
        public static HvStatus FromWireName(string name)
        {
            for (int i = 0; i < Names.Length; i++)
                if (Names[i] == name) return (HvStatus)i;
            return HvStatus.Internal;
        }
    }
}
