using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AgentHypervisor.Tests
{
    /// <summary>Governed saga steps with native executors (hv_saga_step/compensate/fan_out) and the
    /// Task-based API over saga.step.begin/end. Skipped while the engine lacks sagas.</summary>
    public static class SagaTests
    {
        private sealed class Fixture : IDisposable
        {
            internal Hypervisor Hv;
            internal string SessionId;
            internal string SagaId;

            internal Fixture()
            {
                Hv = Support.Manual();
                Support.RequireMethod(Hv, "saga.create");
                SessionId = Support.ActiveSession(Hv);
                SagaId = Hv.Sagas.Create(SessionId).SagaId;
            }

            /// <summary>A reversible step (undo_api) for alice: ring 2 is enough.</summary>
            internal string AddStep(string id, int maxRetries = 0, int? timeoutSeconds = null, string agent = Support.Alice, bool reversible = true)
            {
                return Hv.Sagas.AddStep(new AddStepRequest
                {
                    SagaId = SagaId, StepId = id, ActionId = "act-" + id, AgentDid = agent,
                    ExecuteApi = "/api/" + id, UndoApi = reversible ? "/api/" + id + "/undo" : null,
                    MaxRetries = maxRetries, TimeoutSeconds = timeoutSeconds,
                }).StepId;
            }

            public void Dispose() { Hv.Dispose(); }
        }

        private static T Native<T>(Func<T> f)
        {
            T result = default(T);
            Support.RequireExport("hv_saga_*", () => { result = f(); });
            return result;
        }

        [Test]
        public static void StepSucceedsWithResult()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1");
                int calls = 0;
                StepContext seen = null;
                var done = Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx =>
                {
                    calls++;
                    seen = ctx;
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Assert.Equal(step, ctx.Step.StepId);
                    Assert.Equal(StepStates.Executing, ctx.Step.State);
                    Assert.True(ctx.RemainingMs > 0, "time left");
                    return new JsonObject { { "rows", 3 }, { "note", "ünïcode ✓" } };
                }));
                Assert.Equal(1, calls);
                Assert.Equal(StepStates.Committed, done.State);
                var result = (JsonObject)done.Result;
                Assert.Equal((object)3L, result["rows"]);
                Assert.Equal((object)"ünïcode ✓", result["note"]);
                Assert.Throws<InvalidOperationException>(() => { var ms = seen.RemainingMs; }, "context expires with the call");
                Assert.Equal(StepStates.Committed, f.Hv.Sagas.Get(f.SagaId).Steps[0].State);
            }
        }

        [Test]
        public static void StepErrorFromCallback()
        {
            using (var f = new Fixture())
            {
                var reported = new List<CallbackErrorEventArgs>();
                f.Hv.CallbackError += (s, e) => reported.Add(e);
                string step = f.AddStep("s1");
                var e1 = Assert.Throws<HypervisorException>(() => Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx =>
                {
                    throw new InvalidOperationException("disk full");
                })));
                Assert.Equal(HvStatus.StepFailed, e1.Status);
                var failed = e1.FailedStep;
                Assert.Equal(StepStates.Failed, failed.State);
                Assert.True((failed.Error ?? "").Contains("disk full"), "error carries the message: " + failed.Error);
                Assert.Equal(1, reported.Count);
                Assert.Equal("step executor", reported[0].Source);
            }
        }

        [Test]
        public static void ExecutorReturningATaskFails()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1");
                var e = Assert.Throws<HypervisorException>(() => Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx => Task.FromResult(1))));
                Assert.Equal(HvStatus.StepFailed, e.Status);
                Assert.True(e.FailedStep.Error.Contains("RunStepAsync"), "explains the mistake");
            }
        }

        [Test]
        public static void StepRetriesThenCommits()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1", maxRetries: 2);
                int calls = 0;
                var done = Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx =>
                {
                    if (++calls < 2) throw new Exception("flaky");
                    return null;
                }));
                Assert.Equal(2, calls);
                Assert.Equal(StepStates.Committed, done.State);
                Assert.Equal(2, done.Attempts);
            }
        }

        [Test]
        public static void StepTimesOutOnTheManualClock()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1", timeoutSeconds: 5);
                long remainingAfter = 1;
                var e = Assert.Throws<HypervisorException>(() => Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx =>
                {
                    Assert.Equal(5000L, ctx.RemainingMs);
                    f.Hv.Observability.AdvanceClock(6); // re-enters the handle from inside the executor
                    remainingAfter = ctx.RemainingMs;
                    return "too late";
                })));
                Assert.True(remainingAfter <= 0, "past the deadline: " + remainingAfter);
                Assert.Equal(HvStatus.StepFailed, e.Status);
                var s = e.FailedStep;
                Assert.Equal(StepStates.Failed, s.State);
                Assert.Null(s.Result, "late result discarded");
            }
        }

        [Test]
        public static void DeniedStepNeverCallsTheExecutor()
        {
            using (var f = new Fixture())
            {
                // No undo_api: reversibility none -> ring 1 required; alice is ring 2.
                string step = f.AddStep("s1", reversible: false);
                int calls = 0;
                var e = Assert.Throws<HypervisorException>(() => Native(() => f.Hv.Sagas.Step(f.SagaId, step, ctx => { calls++; return null; })));
                Assert.Equal(HvStatus.Denied, e.Status);
                Assert.Equal("RING_DENIED", e.Code);
                Assert.Equal(0, calls);
            }
        }

        [Test]
        public static void CompensationRunsUndoInReverse()
        {
            using (var f = new Fixture())
            {
                string a = f.AddStep("a"), b = f.AddStep("b");
                Native(() => f.Hv.Sagas.Step(f.SagaId, a, ctx => null));
                Native(() => f.Hv.Sagas.Step(f.SagaId, b, ctx => null));
                var undone = new List<string>();
                var saga = Native(() => f.Hv.Sagas.Compensate(f.SagaId, ctx => { undone.Add(ctx.Step.StepId); return null; }));
                Assert.Equal(2, undone.Count);
                Assert.Equal(b, undone[0]);
                Assert.Equal(a, undone[1]);
                Assert.Equal(SagaStates.Completed, saga.State);
                Assert.True(saga.Steps.All(s => s.State == StepStates.Compensated), "all compensated");
            }
        }

        [Test]
        public static void FailedCompensationEscalates()
        {
            using (var f = new Fixture())
            {
                string a = f.AddStep("a");
                Native(() => f.Hv.Sagas.Step(f.SagaId, a, ctx => null));
                var saga = Native(() => f.Hv.Sagas.Compensate(f.SagaId, ctx => { throw new Exception("undo failed"); }));
                Assert.Equal(SagaStates.Escalated, saga.State);
                Assert.Equal(StepStates.CompensationFailed, saga.Steps[0].State);
            }
        }

        [Test]
        public static void FanOutRunsBranchesOnWorkerThreads()
        {
            using (var f = new Fixture())
            {
                var ids = new List<string> { f.AddStep("x"), f.AddStep("y"), f.AddStep("z") };
                var group = f.Hv.Sagas.CreateFanOut(new FanOutCreateRequest { SagaId = f.SagaId, Policy = FanOutPolicies.MajorityMustSucceed, StepIds = ids });
                var ran = new List<string>();
                var r = Native(() => f.Hv.Sagas.FanOut(f.SagaId, group.GroupId, ctx =>
                {
                    string id = ctx.Step.StepId;
                    lock (ran) ran.Add(id);
                    if (id == "z") throw new Exception("branch z failed");
                    return new JsonObject { { "branch", id } };
                }));
                Assert.Equal(3, ran.Count);
                Assert.True(r.PolicySatisfied, "majority held");
                Assert.Equal(2, r.SuccessCount);
                Assert.Equal(1, r.FailureCount);
                Assert.Equal(group.GroupId, r.GroupId);
            }
        }

        [Test]
        public static void AsyncStepCommits()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1");
                var end = f.Hv.Sagas.RunStepAsync(f.SagaId, step, async (begin, ct) =>
                {
                    Assert.Equal(1, begin.Attempt);
                    Assert.True(begin.TimeoutMs > 0, "timeout_ms");
                    await Task.Yield();
                    return (object)new JsonObject { { "ok", true } };
                }).GetAwaiter().GetResult();
                Assert.Equal(StepStates.Committed, end.State);
                Assert.Equal((object)true, ((JsonObject)end.Result)["ok"]);
            }
        }

        [Test]
        public static void AsyncStepFailureIsReported()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1", maxRetries: 1);
                var e = Assert.Throws<StepExecutionException>(() => f.Hv.Sagas.RunStepAsync(f.SagaId, step, async (begin, ct) =>
                {
                    await Task.Yield();
                    throw new Exception("remote 500");
                }).GetAwaiter().GetResult());
                Assert.Equal("remote 500", e.InnerException.Message);
                Assert.Equal(StepStates.Pending, e.EndResult.State);
                Assert.True(e.EndResult.RetryAfterMs.HasValue, "retry delay");
                // The retry is not due yet on the manual clock.
                var notDue = Assert.Throws<HypervisorException>(() => f.Hv.Sagas.BeginStep(new StepBeginRequest { SagaId = f.SagaId, StepId = step }));
                Assert.Equal("RETRY_NOT_DUE", notDue.Code);
                f.Hv.Observability.AdvanceClock(new ClockAdvanceRequest { Ms = e.EndResult.RetryAfterMs.Value });
                var ok = f.Hv.Sagas.RunStepAsync(f.SagaId, step, (begin, ct) => Task.FromResult<object>(null)).GetAwaiter().GetResult();
                Assert.Equal(StepStates.Committed, ok.State);
                Assert.Equal(2, ok.Attempt);
            }
        }

        [Test]
        public static void AsyncStepCancellation()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1");
                using (var cts = new CancellationTokenSource())
                {
                    var t = f.Hv.Sagas.RunStepAsync(f.SagaId, step, async (begin, ct) =>
                    {
                        cts.Cancel();
                        ct.ThrowIfCancellationRequested();
                        await Task.Yield();
                        return null;
                    }, cts.Token);
                    Assert.Throws<OperationCanceledException>(() => t.GetAwaiter().GetResult());
                }
                Assert.Equal(StepStates.Failed, f.Hv.Sagas.Get(f.SagaId).Steps[0].State);
                using (var pre = new CancellationTokenSource())
                {
                    pre.Cancel();
                    string s2 = f.AddStep("s2");
                    Assert.Throws<OperationCanceledException>(() => f.Hv.Sagas.RunStepAsync(f.SagaId, s2, (b, ct) => Task.FromResult<object>(null), pre.Token).GetAwaiter().GetResult());
                    Assert.Equal(StepStates.Pending, f.Hv.Sagas.Get(f.SagaId).Steps[1].State);
                }
            }
        }

        [Test]
        public static void AsyncStepDenialThrowsBeforeWork()
        {
            using (var f = new Fixture())
            {
                string step = f.AddStep("s1", reversible: false);
                bool ran = false;
                var e = Assert.Throws<HypervisorException>(() => f.Hv.Sagas.RunStepAsync(f.SagaId, step, (b, ct) => { ran = true; return Task.FromResult<object>(null); }).GetAwaiter().GetResult());
                Assert.Equal("RING_DENIED", e.Code);
                Assert.False(ran, "work not run");
            }
        }
    
        [Test]
        public static void DefineValidateAndReplayPlan()
        {
            using (var f = new Fixture())
            {
                var def = new SagaDefinition
                {
                    Name = "release",
                    SessionId = f.SessionId,
                    Steps = new List<SagaDefinitionStep>
                    {
                        new SagaDefinitionStep { Id = "build", ActionId = "build", Agent = Support.Alice, ExecuteApi = "/build", UndoApi = "/unbuild", Timeout = 60, CheckpointGoal = "artifact built" },
                        new SagaDefinitionStep { Id = "test-a", ActionId = "test", Agent = Support.Alice, ExecuteApi = "/test/a", UndoApi = "/noop" },
                        new SagaDefinitionStep { Id = "test-b", ActionId = "test", Agent = Support.Bob, ExecuteApi = "/test/b", UndoApi = "/noop", Retries = 1 },
                    },
                    FanOut = new List<FanOutDefinition> { new FanOutDefinition { Policy = FanOutPolicies.AllMustSucceed, Branches = new List<string> { "test-a", "test-b" } } },
                };
                Assert.Equal(0, f.Hv.Sagas.Validate(def).Errors.Count);
                var bad = f.Hv.Sagas.Validate(new SagaDefinition { Name = "x", SessionId = f.SessionId, Steps = new List<SagaDefinitionStep>() });
                Assert.True(bad.Errors.Count >= 1, "empty steps reported");
                var saga = f.Hv.Sagas.Define(def);
                Assert.Equal("release", saga.Name);
                Assert.Equal(3, saga.Steps.Count);
                Assert.Equal(60, saga.Steps[0].TimeoutSeconds);
                Assert.Equal(1, saga.FanOutGroups.Count);
                Assert.Equal(2, saga.FanOutGroups[0].StepIds.Count);
                Assert.Equal(3, f.Hv.Sagas.ReplayPlan(saga.SagaId).StepIds.Count);
                Native(() => f.Hv.Sagas.Step(saga.SagaId, "build", ctx => "ok"));
                var plan = f.Hv.Sagas.ReplayPlan(saga.SagaId);
                Assert.False(plan.StepIds.Contains("build"), "checkpointed on commit");
                var cp = f.Hv.Sagas.InvalidateCheckpoint(new CheckpointInvalidateRequest { SagaId = saga.SagaId, StepId = "build", Reason = "stale" });
                Assert.False(cp.IsValid, "invalidated");
                Assert.True(f.Hv.Sagas.ReplayPlan(saga.SagaId).StepIds.Contains("build"), "replay again");
                var saved = f.Hv.Sagas.SaveCheckpoint(new CheckpointSaveRequest { SagaId = saga.SagaId, StepId = "build", Goal = "artifact built", State = new JsonObject { { "sha", "abc" } } });
                Assert.NotNull(saved.GoalHash, "goal hash");
                Assert.Equal(1, f.Hv.Sagas.List(f.SessionId).Sagas.Count(s => s.SagaId == saga.SagaId));
            }
        }

        [Test]
        public static void HandDrivenStepsCompensationAndFanOut()
        {
            using (var f = new Fixture())
            {
                string a = f.AddStep("a"), b = f.AddStep("b"), c = f.AddStep("c");
                var begun = f.Hv.Sagas.BeginStep(new StepBeginRequest { SagaId = f.SagaId, StepId = a });
                Assert.Equal(1, begun.Attempt);
                Assert.Equal(300000L, begun.TimeoutMs);
                Assert.Fails(HvStatus.InvalidState, "INVALID_STEP_STATE", () => f.Hv.Sagas.BeginStep(new StepBeginRequest { SagaId = f.SagaId, StepId = a }));
                var ended = f.Hv.Sagas.EndStep(new StepEndRequest { SagaId = f.SagaId, StepId = a, Ok = true, Result = new RawJson("{\"n\":1}") });
                Assert.Equal(StepStates.Committed, ended.State);
                Assert.Equal((object)1L, ((JsonObject)ended.Result)["n"]);

                var group = f.Hv.Sagas.CreateFanOut(new FanOutCreateRequest { SagaId = f.SagaId, Policy = FanOutPolicies.AnyMustSucceed, StepIds = new List<string> { b, c } });
                Assert.Equal(f.SagaId, group.SagaId);
                foreach (var id in new[] { b, c })
                {
                    f.Hv.Sagas.BeginStep(new StepBeginRequest { SagaId = f.SagaId, StepId = id });
                    f.Hv.Sagas.EndStep(new StepEndRequest { SagaId = f.SagaId, StepId = id, Ok = id == b, Error = id == b ? null : "nope" });
                }
                var resolved = f.Hv.Sagas.ResolveFanOut(group.GroupId);
                Assert.True(resolved.PolicySatisfied, "any succeeded");
                Assert.True(resolved.Settled, "settled");
                Assert.Equal(1, resolved.FailureCount);

                var plan = f.Hv.Sagas.BeginCompensation(f.SagaId);
                Assert.Equal(SagaStates.Compensating, plan.State);
                Assert.Equal(2, plan.Steps.Count);
                Assert.Equal(b, plan.Steps[0].StepId);
                CompensationEndResult last = null;
                foreach (var s in plan.Steps)
                    last = f.Hv.Sagas.EndCompensation(new CompensateEndRequest { SagaId = f.SagaId, StepId = s.StepId, Ok = true });
                Assert.Equal(0L, last.Remaining);
                Assert.Equal(StepStates.Compensated, last.State);
                Assert.Equal(SagaStates.Completed, last.SagaState);
            }
        }

        [Test]
        public static void CompleteAndAttribute()
        {
            using (var f = new Fixture())
            {
                string a = f.AddStep("a");
                Native(() => f.Hv.Sagas.Step(f.SagaId, a, ctx => null));
                var done = f.Hv.Sagas.Complete(f.SagaId);
                Assert.Equal(SagaStates.Completed, done.State);
                var attr = f.Hv.Liability.Attribute(new AttributeRequest
                {
                    SessionId = f.SessionId,
                    AgentActions = new Dictionary<string, List<AgentAction>>
                    {
                        { Support.Alice, new List<AgentAction> { new AgentAction { ActionId = "x", StepId = "s1", Success = false } } },
                        { Support.Bob, new List<AgentAction> { new AgentAction { ActionId = "y", StepId = "s0", Success = true } } },
                    },
                    FailureStepId = "s1",
                    FailureAgentDid = Support.Alice,
                });
                Assert.Equal(Support.Alice, attr.RootCauseAgent);
                Assert.Equal(2, attr.Attributions.Count);
                Assert.Near(1.0, attr.Attributions.Sum(x => x.LiabilityScore), 1e-9, "scores sum to 1");
            }
        }
}
}
