//! The engine clock: the only source of time in the crate.
//!
//! `System` reads the wall clock; `Manual` starts at a configured instant and moves only with
//! [`Clock::advance`] (the `clock.advance` method), which makes TTLs, deadlines, refills, breach
//! windows and retry delays deterministic in tests.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::{Code, Error, Result};
use crate::model::Timestamp;

/// The engine clock.
#[derive(Debug)]
pub enum Clock {
    /// Wall-clock time.
    System,
    /// Test time: microseconds since the epoch, advanced explicitly.
    Manual(AtomicI64),
}

impl Clock {
    /// A manual clock starting at `start`.
    pub fn manual(start: Timestamp) -> Clock {
        Clock::Manual(AtomicI64::new(start.micros()))
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => {
                let d = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                Timestamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            }
            Clock::Manual(t) => Timestamp(t.load(Ordering::Acquire)),
        }
    }

    /// True for a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual(_))
    }

    /// Advances a manual clock by `micros` (≥ 0) and returns the new time;
    /// `CLOCK_NOT_MANUAL` on a system clock.
    pub fn advance(&self, micros: i64) -> Result<Timestamp> {
        match self {
            Clock::System => Err(Error::new(
                Code::CLOCK_NOT_MANUAL,
                "clock.advance needs an engine created with \"clock\": \"manual\"",
            )),
            Clock::Manual(t) => {
                if micros < 0 {
                    return Err(Error::out_of_range("seconds", "must not be negative"));
                }
                let prev = t.fetch_add(micros, Ordering::AcqRel);
                Ok(Timestamp(prev.saturating_add(micros)))
            }
        }
    }

    /// Sleeps for `ms` on a system clock; returns immediately on a manual clock.
    pub fn sleep_ms(&self, ms: i64) {
        if let Clock::System = self {
            if ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(ms as u64));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = Clock::manual(Timestamp(1_000_000));
        assert_eq!(c.now(), Timestamp(1_000_000));
        assert_eq!(c.advance(500).unwrap(), Timestamp(1_000_500));
        assert_eq!(c.now(), Timestamp(1_000_500));
        assert!(c.advance(-1).is_err());
    }

    #[test]
    fn system_clock_refuses_advance() {
        let c = Clock::System;
        assert_eq!(c.advance(1).unwrap_err().code(), Code::CLOCK_NOT_MANUAL);
        assert!(c.now().micros() > 1_700_000_000_000_000);
    }
}
