//! Verification: transaction history and behavioural drift.
pub mod history;
