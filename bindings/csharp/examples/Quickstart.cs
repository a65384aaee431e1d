// A governed multi-agent session from C#: trust provider, event subscription, ring checks, a
// denial surfaced as an exception, saga steps run by native executors (one fails, the saga is
// compensated), and an audited file whose inclusion proof is verified offline.
//   make -C bindings/csharp example
using System;
using System.Collections.Generic;
using AgentHypervisor;

public static class Quickstart
{
    public static int Main()
    {
        Console.WriteLine("agent_hypervisor " + Hypervisor.Version + " (ABI " + Hypervisor.AbiVersion + ")");
        using (var hv = new Hypervisor(new HypervisorConfig { Clock = "manual", StartTime = "2026-01-01T00:00:00Z" }))
        {
            // Events arrive on the thread that caused them, after the engine released its locks.
            hv.Subscribe(new EventFilter { EventTypes = new List<string> { "session.joined", "saga.step_committed", "saga.completed" } },
                ev => Console.WriteLine("  event " + ev.EventType + " " + (ev.AgentDid ?? "")));

            // A Nexus-style trust provider: the engine asks it on every join.
            var scores = new Dictionary<string, double> { { "did:example:planner", 0.92 }, { "did:example:coder", 0.75 } };
            hv.SetTrustProvider((did, ctx) => scores.ContainsKey(did) ? scores[did] : (double?)null);

            var session = hv.Sessions.Create("did:example:planner");
            foreach (var did in new[] { "did:example:planner", "did:example:coder" })
            {
                var j = hv.Sessions.Join(new JoinSessionRequest { SessionId = session.SessionId, AgentDid = did });
                Console.WriteLine("joined " + did + ": sigma " + j.SigmaEff + ", ring " + j.Ring);
            }
            hv.Sessions.Activate(session.SessionId);

            // A denial by ring.check is a normal answer...
            var wipe = new ActionDescriptor { ActionId = "wipe-db", Name = "wipe", ExecuteApi = "/db/wipe", IsAdmin = true };
            var check = hv.Rings.Check(new RingCheckRequest { SessionId = session.SessionId, AgentDid = "did:example:coder", Action = wipe });
            Console.WriteLine("ring.check wipe-db: allowed=" + check.Allowed + " (" + check.Reason + ")");

            // ...while a refused operation is a HypervisorException with code and status.
            try
            {
                hv.Sessions.Join(session.SessionId, "did:example:coder", 0.8);
            }
            catch (HypervisorException e)
            {
                Console.WriteLine("join again: " + e.Status.ToWireName() + "/" + e.Code + ": " + e.Message);
            }

            RunSaga(hv, session.SessionId);
            AuditTrail(hv, session.SessionId);

            var stats = hv.Observability.Stats();
            Console.WriteLine("stats: " + stats.Sessions + " session(s), " + stats.Participants + " participant(s), " + stats.Events + " event(s)");
        }
        return 0;
    }

    private static void RunSaga(Hypervisor hv, string sessionId)
    {
        var saga = hv.Sagas.Create(sessionId);
        foreach (var id in new[] { "build", "deploy" })
            hv.Sagas.AddStep(new AddStepRequest
            {
                SagaId = saga.SagaId, StepId = id, ActionId = id, AgentDid = "did:example:coder",
                ExecuteApi = "/" + id, UndoApi = "/" + id + "/undo", TimeoutSeconds = 30,
            });

        // The executor runs on this thread; its return value becomes the step result,
        // an exception becomes the step error (it never unwinds into native code).
        var built = hv.Sagas.Step(saga.SagaId, "build", ctx =>
            new JsonObject { { "artifact", "app-1.0.tar" }, { "ms_left", ctx.RemainingMs } });
        Console.WriteLine("step build: " + built.State + " " + Json.Serialize(built.Result));
        try
        {
            hv.Sagas.Step(saga.SagaId, "deploy", ctx => { throw new InvalidOperationException("cluster unreachable"); });
        }
        catch (HypervisorException e)
        {
            Console.WriteLine("step deploy: " + e.Code + ": " + e.FailedStep.Error);
        }
        var final = hv.Sagas.Compensate(saga.SagaId, ctx =>
        {
            Console.WriteLine("  undo " + ctx.Step.StepId + " via " + ctx.Step.UndoApi);
            return null;
        });
        Console.WriteLine("saga: " + final.State);
    }

    private static void AuditTrail(Hypervisor hv, string sessionId)
    {
        hv.Vfs.Write(sessionId, "did:example:planner", "/plan.md", "1. build\n2. deploy");
        hv.Vfs.Write(sessionId, "did:example:coder", "/plan.md", "1. build\n2. deploy\n3. rollback");
        var root = hv.Audit.Root(sessionId);
        var proof = hv.Audit.Proof(new ProofRequest { SessionId = sessionId, TurnId = 1 });
        // Verification is offline: no engine handle is involved.
        Console.WriteLine("audit: " + root.TreeSize + " deltas, root " + root.MerkleRoot.Substring(0, 16)
            + "..., turn 1 included: " + AuditClient.VerifyInclusion(proof));
    }
}
