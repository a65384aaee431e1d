//! Observability: the typed, bounded event log with subscriptions, and causal trace ids.
pub mod events;
pub mod trace;
