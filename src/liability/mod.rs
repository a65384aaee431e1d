//! Joint liability (API.md §4.4): vouching bonds with running sums, collateral slashing with
//! bounded cascades, the liability matrix, fault attribution, quarantine and the engine-wide
//! liability ledger that drives admission.
//!
//! Everything here is plain synchronous state plus pure functions; the engine owns locking,
//! ids, events and the clock, and passes `now` in.

pub mod attribution;
pub mod ledger;
pub mod matrix;
pub mod quarantine;
pub mod slashing;
pub mod vouching;
