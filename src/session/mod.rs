//! Shared sessions: lifecycle, virtual file system, vector clocks, intent locks, isolation.
pub mod lifecycle;
