//! Execution rings: computation from trust, action classification, checks, time-bounded
//! elevation, breach detection with a circuit breaker.
pub mod breach;
pub mod classifier;
pub mod elevation;
pub mod enforcer;
