namespace AgentHypervisor
{
    /// <summary>verify.* and iatp.* (API.md 4.8).</summary>
    public sealed class VerificationClient
    {
        private readonly Hypervisor _hv;
        internal VerificationClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>verify.history</c>.</summary>
        public HistoryVerification History(VerifyHistoryRequest request) { return _hv.Call<HistoryVerification>("verify.history", request); }

        /// <summary><c>verify.drift</c>.</summary>
        public DriftResult Drift(DriftRequest request) { return _hv.Call<DriftResult>("verify.drift", request); }

        /// <summary><c>iatp.analyze</c>.</summary>
        public ManifestAnalysis AnalyzeManifest(AgentManifest manifest) { return AnalyzeManifest(new IatpAnalyzeRequest { Manifest = manifest }); }
        public ManifestAnalysis AnalyzeManifest(IatpAnalyzeRequest request) { return _hv.Call<ManifestAnalysis>("iatp.analyze", request); }
    }
}
