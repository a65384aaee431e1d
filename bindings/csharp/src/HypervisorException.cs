using System;

namespace AgentHypervisor
{
    /// <summary>
    /// A call failed: carries the engine's error object
    /// <c>{"error":{"code","status","message","details"}}</c>. <see cref="Code"/> is the stable
    /// SCREAMING_SNAKE identifier (e.g. <c>AGENT_ALREADY_JOINED</c>), <see cref="Status"/> the
    /// <c>HvStatus</c> returned by the C function.
    /// </summary>
    [Serializable]
    public class HypervisorException : Exception
    {
        public HypervisorException(HvStatus status, string code, string message, JsonObject details, string errorJson)
            : base(message)
        {
            Status = status;
            Code = code;
            Details = details;
            ErrorJson = errorJson;
        }

        /// <summary>The status the C function returned.</summary>
        public HvStatus Status { get; private set; }

        /// <summary>Stable error code, e.g. <c>SESSION_NOT_FOUND</c>. Validation errors name the field in <c>Details["field"]</c>.</summary>
        public string Code { get; private set; }

        /// <summary>The parsed <c>details</c> object, or null when the error has none.</summary>
        public JsonObject Details { get; private set; }

        /// <summary>The raw <c>details</c> JSON (<c>"null"</c> when absent).</summary>
        public string DetailsJson { get { return Json.Serialize(Details); } }

        /// <summary>The complete error document as returned by the engine.</summary>
        public string ErrorJson { get; private set; }

        /// <summary>Typed view of <see cref="Details"/>.</summary>
        public T DetailsAs<T>() { return Json.Convert<T>(Details); }

        /// <summary>For <see cref="HvStatus.StepFailed"/>: the final Step (<c>details.step</c>); otherwise null.</summary>
        public SagaStep FailedStep
        {
            get
            {
                if (Details == null) return null;
                var step = Details.Get("step") as JsonObject;
                if (step != null) return Json.Convert<SagaStep>(step);
                return Details.ContainsKey("step_id") ? Json.Convert<SagaStep>(Details) : null;
            }
        }

        public override string ToString()
        {
            return "HypervisorException(" + Status.ToWireName() + "/" + Code + "): " + Message
                + (Details != null ? " " + DetailsJson : "");
        }

        /// <summary>Builds the exception from a status and the engine's error JSON (robust to junk).</summary>
        internal static HypervisorException FromNative(HvStatus status, string errorJson)
        {
            string code = status.ToWireName();
            string message = "agent_hypervisor call failed with " + status.ToWireName();
            JsonObject details = null;
            if (!string.IsNullOrEmpty(errorJson))
            {
                try
                {
                    var root = Json.Parse(errorJson) as JsonObject;
                    var err = root != null ? root.Get("error") as JsonObject : null;
                    if (err != null)
                    {
                        code = err.Get("code") as string ?? code;
                        message = err.Get("message") as string ?? message;
                        details = err.Get("details") as JsonObject;
                    }
                }
                catch (FormatException)
                {
                    message += ": " + errorJson;
                }
            }
            return new HypervisorException(status, code, message, details, errorJson);
        }
    }
}
