//! Joint liability: vouching, slashing, attribution, quarantine, the ledger.
pub mod ledger;
