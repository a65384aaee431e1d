using System;

namespace AgentHypervisor.Tests
{
    internal static class Support
    {
        internal const string Alice = "did:example:alice";
        internal const string Bob = "did:example:bob";
        internal const string Carol = "did:example:carol";

        /// <summary>A fresh engine on the manual clock (deterministic time).</summary>
        internal static Hypervisor Manual()
        {
            return new Hypervisor(new HypervisorConfig { Clock = "manual", StartTime = "2026-01-01T00:00:00Z" });
        }

        /// <summary>A session with alice (σ 0.8, ring 2) and bob (σ 0.7, ring 2), activated.</summary>
        internal static string ActiveSession(Hypervisor hv)
        {
            var s = hv.Sessions.Create(Alice);
            hv.Sessions.Join(s.SessionId, Alice, 0.8);
            hv.Sessions.Join(s.SessionId, Bob, 0.7);
            hv.Sessions.Activate(s.SessionId);
            return s.SessionId;
        }

        /// <summary>Skips the calling test when the engine does not yet serve <paramref name="method"/>.</summary>
        internal static void RequireMethod(Hypervisor hv, string method)
        {
            try
            {
                hv.Call(method, "{}");
            }
            catch (HypervisorException e)
            {
                if (e.Code == "UNKNOWN_METHOD") throw new SkipException("engine does not serve " + method + " yet");
            }
        }

        /// <summary>Runs <paramref name="a"/>, turning a missing native export into a skip.</summary>
        internal static void RequireExport(string export, Action a)
        {
            try
            {
                a();
            }
            catch (EntryPointNotFoundException)
            {
                throw new SkipException("library does not export " + export + " yet");
            }
        }
    }
}
