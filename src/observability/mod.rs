//! Observability: the typed, bounded event log with subscriptions, and causal trace ids.
pub mod events;
mod log;
pub mod outbox;
pub mod trace;
