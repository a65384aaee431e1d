//! Verification (API.md §4.8): transaction-history checks at admission and behavioural drift
//! scoring between claimed and observed embeddings.

pub mod drift;
pub mod history;
