//! Security: per-agent rate limiting and the kill switch (API.md §4.6).
//!
//! - [`rate_limiter`]: token buckets per (agent, session) at the agent's effective ring, with an
//!   engine-wide bucket budget.
//! - [`kill_switch`]: kill reasons, handoff records and the per-session substitute pool.

pub(crate) mod id_hash;
pub mod kill_switch;
pub mod rate_limiter;
