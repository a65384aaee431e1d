//! Sagas: multi-step, multi-agent transactions with retries, compensation, fan-out and
//! checkpoints (API.md §4.5).
//!
//! Pure, synchronous logic driven by the engine, which owns the clock, ids, governance checks
//! (session, agent, breaker, rate limit, ring, locks), events, audit and host callbacks:
//!
//! - [`state`]: the saga and step state machines, one transition table each; state fields
//!   change only through them.
//! - [`step`]: a step's specification, validation and wire shape.
//! - [`orchestrator`]: [`Saga`]: add steps, begin/end attempts (deadlines, linear retry
//!   backoff), complete, kill-switch handoff.
//! - [`compensation`]: undo of committed steps in reverse order, resolution to completed or
//!   escalated, and the inputs for attribution and slashing.
//! - [`fan_out`]: groups of parallel branches judged by a policy.
//! - [`checkpoint`]: semantic checkpoints and replay plans.
//! - [`dsl`]: the declarative definition of `saga.define` / `saga.validate`.

pub mod checkpoint;
pub mod compensation;
pub mod dsl;
pub mod fan_out;
pub mod orchestrator;
pub mod state;
pub mod step;

pub use checkpoint::{Checkpoint, CheckpointStore, SavedCheckpoint};
pub use compensation::{
    AgentAction, AgentActions, CompensationProgress, CompensationStart, EscalationTarget,
};
pub use dsl::{DslFanOut, DslStep, SagaDefinition};
pub use fan_out::{FanOutGroup, FanOutPolicy, FanOutResult};
pub use orchestrator::{BeginInfo, EndOutcome, Handoff, Saga};
pub use state::{SagaEvent, SagaState, StepEvent, StepState};
pub use step::{Intent, Resource, Step, StepSpec};
