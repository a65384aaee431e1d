using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary><c>verify.history</c></summary>
    public sealed class VerifyHistoryRequest : RequestBase
    {
        public string AgentDid { get; set; }
        public List<TransactionRecord> History { get; set; }
    }

    /// <summary><c>verify.drift</c></summary>
    public sealed class DriftRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public List<double> ClaimedEmbedding { get; set; }
        public List<double> ObservedEmbedding { get; set; }
        public string ActionId { get; set; }
        /// <summary>"cosine" (default) | "euclidean".</summary>
        public string Metric { get; set; }
    }

    /// <summary>Result of <c>verify.drift</c>.</summary>
    public sealed class DriftResult
    {
        public double DriftScore { get; set; }
        /// <summary>none | low | medium | high | critical.</summary>
        public string Severity { get; set; }
        public bool Passed { get; set; }
        /// <summary>none | demoted | slashed.</summary>
        public string ActionTaken { get; set; }
    }

    /// <summary><c>iatp.analyze</c></summary>
    public sealed class IatpAnalyzeRequest : RequestBase
    {
        public AgentManifest Manifest { get; set; }
    }

    /// <summary>Result of <c>iatp.analyze</c>.</summary>
    public sealed class ManifestAnalysis
    {
        public string AgentDid { get; set; }
        public string TrustLevel { get; set; }
        public double SigmaHint { get; set; }
        public int RingHint { get; set; }
        public List<ActionDescriptor> Actions { get; set; }
        public bool HasNonReversible { get; set; }
    }
}
