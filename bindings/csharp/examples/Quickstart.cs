// A governed multi-agent session from C#: trust provider, event subscription, ring checks, a
// denial surfaced as an exception, and a saga step run by a native executor with compensation.
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
            hv.Subscribe(new EventFilter { EventTypes = new List<string> { "session.joined", "saga.step_committed" } },
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

            var stats = hv.Observability.Stats();
            Console.WriteLine("stats: " + stats.Sessions + " session(s), " + stats.Participants + " participant(s), " + stats.Events + " event(s)");
        }
        return 0;
    }

    private static void RunSaga(Hypervisor hv, string sessionId)
    {
        try
        {
            var saga = hv.Sagas.Create(sessionId);
            var step = hv.Sagas.AddStep(new AddStepRequest
            {
                SagaId = saga.SagaId, ActionId = "deploy", AgentDid = "did:example:coder",
                ExecuteApi = "/deploy", UndoApi = "/rollback", TimeoutSeconds = 30,
            });
            // The executor runs on this thread; its return value becomes the step result,
            // an exception becomes the step error (never unwinding into native code).
            var done = hv.Sagas.Step(saga.SagaId, step.StepId, ctx =>
                new JsonObject { { "deployed", ctx.Step.ExecuteApi }, { "ms_left", ctx.RemainingMs } });
            Console.WriteLine("step " + done.StepId + ": " + done.State + " " + Json.Serialize(done.Result));
            var final = hv.Sagas.Compensate(saga.SagaId, ctx =>
            {
                Console.WriteLine("  undo " + ctx.Step.StepId + " via " + ctx.Step.UndoApi);
                return null;
            });
            Console.WriteLine("saga " + final.SagaId + ": " + final.State);
        }
        catch (HypervisorException e)
        {
            if (e.Code != "UNKNOWN_METHOD") throw;
            Console.WriteLine("(sagas are not in this engine build yet)");
        }
        catch (EntryPointNotFoundException)
        {
            Console.WriteLine("(saga executors are not in this engine build yet)");
        }
    }
}
