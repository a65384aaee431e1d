//! Token-bucket rate limiting per (agent, session) at the agent's effective ring (API.md §4.6).
//!
//! A [`TokenBucket`] holds `capacity` (the ring's burst) tokens and refills at `rate_per_sec`,
//! lazily: tokens are computed from the time elapsed since the last refill whenever the bucket is
//! used, never above capacity, and a clock that goes backwards refills nothing.
//!
//! A [`RateLimiter`] is the per-session table of buckets keyed by agent DID. The number of
//! buckets is capped engine-wide: every session's limiter shares one `AtomicUsize` counter and
//! the `max_rate_buckets` cap, both passed in by the engine. Overflow policy: **refuse** (fail
//! closed with `CAPACITY_EXCEEDED`, status `LIMIT_EXCEEDED`); nothing is evicted. The engine must
//! call [`RateLimiter::remove`] when an agent leaves or is killed and [`RateLimiter::clear`] when
//! the session is terminated or dropped, so the shared counter stays exact.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::error::{Code, Error, Result};
use crate::model::{Ring, Timestamp};
use crate::security::id_hash::IdMap;

/// Tolerance for floating-point refill arithmetic: a bucket holding `cost - EPSILON` tokens
/// still grants `cost` (so 200 ms at 5/s always buys exactly one token).
const EPSILON: f64 = 1e-9;

/// A token bucket for one agent in one session.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    capacity: f64,
    rate_per_sec: f64,
    tokens: f64,
    last_refill: Timestamp,
    ring: Ring,
    total_requests: u64,
    rejected_requests: u64,
}

/// Snapshot of a bucket (`security.rate_stats` response).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketStats {
    /// Requests seen (granted and refused).
    pub total_requests: u64,
    /// Requests refused.
    pub rejected_requests: u64,
    /// Tokens available now (after lazy refill).
    pub tokens_available: f64,
    /// Bucket capacity (the ring's burst).
    pub capacity: f64,
    /// The ring the bucket was created at.
    pub ring: Ring,
}

/// A granted rate check (`security.rate_check` response).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateDecision {
    /// Always true (a refusal is an error).
    pub allowed: bool,
    /// Tokens left after this request.
    pub tokens_remaining: f64,
}

impl TokenBucket {
    /// A full bucket for `ring` with `(rate per second, burst)`.
    pub fn new(ring: Ring, (rate, burst): (f64, f64), now: Timestamp) -> Self {
        TokenBucket {
            capacity: burst,
            rate_per_sec: rate,
            tokens: burst,
            last_refill: now,
            ring,
            total_requests: 0,
            rejected_requests: 0,
        }
    }

    /// The ring the bucket was created at.
    pub fn ring(&self) -> Ring {
        self.ring
    }

    /// Capacity (burst).
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Refill rate, tokens per second.
    pub fn rate_per_sec(&self) -> f64 {
        self.rate_per_sec
    }

    /// Tokens the bucket would hold at `now`, without mutating it.
    fn tokens_at(&self, now: Timestamp) -> f64 {
        let elapsed_us = now.micros().saturating_sub(self.last_refill.micros());
        if elapsed_us <= 0 {
            return self.tokens;
        }
        let secs = elapsed_us as f64 / Timestamp::MICROS_PER_SEC as f64;
        (self.tokens + secs * self.rate_per_sec).min(self.capacity)
    }

    /// Applies the lazy refill. `last_refill` only moves forward, so a clock that goes backwards
    /// refills nothing now and does not refill twice later.
    fn refill(&mut self, now: Timestamp) {
        if now > self.last_refill {
            self.tokens = self.tokens_at(now);
            self.last_refill = now;
        }
    }

    /// Takes `cost` tokens. `Ok(remaining)` when granted; `Err(retry_after_ms)` when refused:
    /// the milliseconds (rounded up) until enough tokens will have refilled, or `f64::INFINITY`
    /// when the bucket never refills (rate 0) or `cost` exceeds its capacity. The caller
    /// validates `cost` (finite, > 0); counters count every call.
    pub fn try_consume(&mut self, cost: f64, now: Timestamp) -> std::result::Result<f64, f64> {
        self.refill(now);
        self.total_requests = self.total_requests.saturating_add(1);
        if self.tokens + EPSILON >= cost {
            self.tokens = (self.tokens - cost).max(0.0);
            return Ok(self.tokens);
        }
        self.rejected_requests = self.rejected_requests.saturating_add(1);
        if self.rate_per_sec <= 0.0 || cost > self.capacity {
            return Err(f64::INFINITY);
        }
        let deficit = cost - self.tokens;
        Err((deficit / self.rate_per_sec * 1000.0).ceil().max(1.0))
    }

    /// Statistics at `now` (the refill is computed, not applied).
    pub fn stats(&self, now: Timestamp) -> BucketStats {
        BucketStats {
            total_requests: self.total_requests,
            rejected_requests: self.rejected_requests,
            tokens_available: self.tokens_at(now),
            capacity: self.capacity,
            ring: self.ring,
        }
    }
}

/// Reserves one slot of the engine-wide bucket budget; false when the cap is reached.
fn reserve_slot(counter: &AtomicUsize, cap: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < cap).then_some(n + 1)
        })
        .is_ok()
}

/// Returns `n` slots to the engine-wide budget (saturating at zero).
fn release_slots(counter: &AtomicUsize, n: usize) {
    if n == 0 {
        return;
    }
    // The closure always returns Some, so this cannot fail.
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
        Some(c.saturating_sub(n))
    });
}

/// The rate-limit buckets of one session, keyed by agent DID.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: IdMap<String, TokenBucket>,
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        RateLimiter::default()
    }

    /// Number of buckets held (each counts once against the engine-wide budget).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The agent's bucket, if any.
    pub fn bucket(&self, agent: &str) -> Option<&TokenBucket> {
        self.buckets.get(agent)
    }

    /// Rate check for `agent` at its effective `ring`, spending `cost` tokens.
    ///
    /// The bucket is looked up without allocating; a missing bucket is created full after
    /// reserving a slot of the engine-wide budget (`counter`/`cap`), failing closed with
    /// `CAPACITY_EXCEEDED` (`details.table = "rate_buckets"`) past the cap. A bucket whose ring
    /// differs from `ring` is recreated full at the new ring (in place: no budget change); its
    /// request counters carry over, being the agent's history in the session.
    ///
    /// Errors: `cost` not finite or ≤ 0 → `OUT_OF_RANGE` (`cost`); `cost` above the ring's
    /// burst → `INVALID_ARGUMENT` (`cost`, it could never be granted); empty bucket →
    /// `RATE_LIMITED` with `details.retry_after_ms` (omitted when the ring's rate is 0, the
    /// bucket then never refills), `details.agent_did` and `details.ring`.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        agent: &str,
        ring: Ring,
        cost: f64,
        now: Timestamp,
        limits_per_ring: &[(f64, f64); 4],
        counter: &AtomicUsize,
        cap: usize,
    ) -> Result<RateDecision> {
        if !cost.is_finite() || cost <= 0.0 {
            return Err(Error::out_of_range(
                "cost",
                format!("must be a finite number > 0, got {cost}"),
            ));
        }
        let limits = limits_per_ring[ring.level() as usize];
        if cost > limits.1 {
            return Err(Error::invalid(
                "cost",
                format!(
                    "{cost} exceeds the ring-{} bucket capacity {}",
                    ring.level(),
                    limits.1
                ),
            ));
        }
        let bucket = match self.buckets.get_mut(agent) {
            Some(b) => {
                if b.ring != ring {
                    let (total, rejected) = (b.total_requests, b.rejected_requests);
                    *b = TokenBucket::new(ring, limits, now);
                    b.total_requests = total;
                    b.rejected_requests = rejected;
                }
                b
            }
            None => {
                if !reserve_slot(counter, cap) {
                    return Err(Error::new(
                        Code::CAPACITY_EXCEEDED,
                        format!(
                            "rate-limit bucket table is full ({cap} buckets); \
                             cannot create a bucket for agent '{agent}'"
                        ),
                    )
                    .with_detail("table", "rate_buckets")
                    .with_detail("limit", cap as u64)
                    .with_detail("agent_did", agent));
                }
                self.buckets
                    .entry(agent.to_owned())
                    .or_insert_with(|| TokenBucket::new(ring, limits, now))
            }
        };
        match bucket.try_consume(cost, now) {
            Ok(remaining) => Ok(RateDecision {
                allowed: true,
                tokens_remaining: remaining,
            }),
            Err(retry_after_ms) => {
                let mut e = Error::new(
                    Code::RATE_LIMITED,
                    format!(
                        "agent '{agent}' is rate limited at ring {} ({} tokens/s, burst {})",
                        ring.level(),
                        bucket.rate_per_sec,
                        bucket.capacity
                    ),
                )
                .with_detail("agent_did", agent)
                .with_detail("ring", ring.level());
                if retry_after_ms.is_finite() {
                    e = e.with_detail("retry_after_ms", retry_after_ms as u64);
                }
                Err(e)
            }
        }
    }

    /// Statistics for `agent` at its effective `ring`, without creating or changing anything:
    /// the bucket's stats when it exists at that ring; otherwise the stats of the full bucket a
    /// check would create (keeping the existing counters, if any).
    pub fn stats(
        &self,
        agent: &str,
        ring: Ring,
        now: Timestamp,
        limits_per_ring: &[(f64, f64); 4],
    ) -> BucketStats {
        match self.buckets.get(agent) {
            Some(b) if b.ring == ring => b.stats(now),
            other => {
                let (_, burst) = limits_per_ring[ring.level() as usize];
                let (total, rejected) = other
                    .map(|b| (b.total_requests, b.rejected_requests))
                    .unwrap_or((0, 0));
                BucketStats {
                    total_requests: total,
                    rejected_requests: rejected,
                    tokens_available: burst,
                    capacity: burst,
                    ring,
                }
            }
        }
    }

    /// Removes the agent's bucket (leave, kill), returning its slot to the shared budget.
    /// Returns whether a bucket existed.
    pub fn remove(&mut self, agent: &str, counter: &AtomicUsize) -> bool {
        let existed = self.buckets.remove(agent).is_some();
        if existed {
            release_slots(counter, 1);
        }
        existed
    }

    /// Removes every bucket and frees the table (terminate), returning their slots to the
    /// shared budget.
    pub fn clear(&mut self, counter: &AtomicUsize) {
        release_slots(counter, self.buckets.len());
        self.buckets = IdMap::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const T0: Timestamp = Timestamp(1_700_000_000_000_000);

    fn limits() -> [(f64, f64); 4] {
        Config::default().rate_limits
    }

    #[test]
    fn worked_example_ring3_burst_then_refill() {
        let mut rl = RateLimiter::new();
        let counter = AtomicUsize::new(0);
        let l = limits();
        for i in 0..10 {
            let d = rl
                .check("did:ex:a", Ring::Sandbox, 1.0, T0, &l, &counter, 10)
                .unwrap();
            assert!(d.allowed);
            assert_eq!(d.tokens_remaining, 9.0 - i as f64);
        }
        let e = rl
            .check("did:ex:a", Ring::Sandbox, 1.0, T0, &l, &counter, 10)
            .unwrap_err();
        assert_eq!(e.code(), Code::RATE_LIMITED);
        assert_eq!(e.status(), crate::error::Status::RateLimited);
        assert_eq!(e.details().unwrap()["retry_after_ms"], 200);
        assert!(e.message().contains("did:ex:a"));
        // 199 ms: still refused; 200 ms: one more.
        assert!(rl
            .check(
                "did:ex:a",
                Ring::Sandbox,
                1.0,
                T0.plus_millis(199),
                &l,
                &counter,
                10
            )
            .is_err());
        let t = T0.plus_millis(200);
        assert!(rl
            .check("did:ex:a", Ring::Sandbox, 1.0, t, &l, &counter, 10)
            .is_ok());
        assert!(rl
            .check("did:ex:a", Ring::Sandbox, 1.0, t, &l, &counter, 10)
            .is_err());
        let s = rl.stats("did:ex:a", Ring::Sandbox, t, &l);
        assert_eq!(s.total_requests, 14);
        assert_eq!(s.rejected_requests, 3);
        assert_eq!(s.capacity, 10.0);
        assert_eq!(counter.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn refill_never_exceeds_capacity_and_backwards_time_refills_nothing() {
        let mut b = TokenBucket::new(Ring::Standard, (20.0, 40.0), T0);
        assert_eq!(b.try_consume(40.0, T0), Ok(0.0));
        // An hour later: capped at capacity.
        assert_eq!(b.stats(T0.plus_secs(3600.0)).tokens_available, 40.0);
        let t1 = T0.plus_secs(1.0);
        assert_eq!(b.try_consume(10.0, t1), Ok(10.0));
        // Clock goes back 10 s: nothing refilled, and nothing refilled twice afterwards.
        let back = t1.plus_secs(-10.0);
        assert_eq!(b.stats(back).tokens_available, 10.0);
        assert_eq!(b.try_consume(1.0, back), Ok(9.0));
        assert!((b.stats(t1.plus_millis(100)).tokens_available - 11.0).abs() < 1e-9);
    }

    #[test]
    fn ring_change_recreates_full_and_keeps_counters_and_budget() {
        let mut rl = RateLimiter::new();
        let counter = AtomicUsize::new(0);
        let l = limits();
        for _ in 0..10 {
            rl.check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 5)
                .unwrap();
        }
        assert!(rl
            .check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 5)
            .is_err());
        let d = rl
            .check("a", Ring::Standard, 1.0, T0, &l, &counter, 5)
            .unwrap();
        assert_eq!(d.tokens_remaining, 39.0);
        let s = rl.stats("a", Ring::Standard, T0, &l);
        assert_eq!(
            (s.ring, s.capacity, s.total_requests, s.rejected_requests),
            (Ring::Standard, 40.0, 12, 1)
        );
        assert_eq!(counter.load(Ordering::Relaxed), 1);
        // Back to ring 3: full again.
        let d = rl
            .check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 5)
            .unwrap();
        assert_eq!(d.tokens_remaining, 9.0);
    }

    #[test]
    fn shared_budget_fails_closed_and_is_released() {
        let counter = AtomicUsize::new(0);
        let l = limits();
        let mut s1 = RateLimiter::new();
        let mut s2 = RateLimiter::new();
        s1.check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 2)
            .unwrap();
        s2.check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 2)
            .unwrap();
        let e = s2
            .check("b", Ring::Sandbox, 1.0, T0, &l, &counter, 2)
            .unwrap_err();
        assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
        assert_eq!(e.status(), crate::error::Status::LimitExceeded);
        assert_eq!(e.details().unwrap()["table"], "rate_buckets");
        assert!(s2.bucket("b").is_none());
        // Existing buckets keep working at the cap.
        assert!(s1
            .check("a", Ring::Sandbox, 1.0, T0, &l, &counter, 2)
            .is_ok());
        assert!(s1.remove("a", &counter));
        assert!(!s1.remove("a", &counter));
        assert_eq!(counter.load(Ordering::Relaxed), 1);
        s2.check("b", Ring::Sandbox, 1.0, T0, &l, &counter, 2)
            .unwrap();
        assert_eq!(counter.load(Ordering::Relaxed), 2);
        s2.clear(&counter);
        assert!(s2.is_empty());
        assert_eq!(counter.load(Ordering::Relaxed), 0);
        s2.clear(&counter);
        assert_eq!(counter.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn cost_validation() {
        let mut rl = RateLimiter::new();
        let counter = AtomicUsize::new(0);
        let l = limits();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = rl
                .check("a", Ring::Sandbox, bad, T0, &l, &counter, 5)
                .unwrap_err();
            assert_eq!(e.details().unwrap()["field"], "cost");
            assert_eq!(e.status(), crate::error::Status::InvalidArgument);
        }
        let e = rl
            .check("a", Ring::Sandbox, 10.5, T0, &l, &counter, 5)
            .unwrap_err();
        assert_eq!(e.code(), Code::INVALID_ARGUMENT);
        assert_eq!(e.details().unwrap()["field"], "cost");
        // Invalid requests create no bucket.
        assert!(rl.is_empty());
        assert_eq!(counter.load(Ordering::Relaxed), 0);
        // Fractional and full-capacity costs are fine.
        assert_eq!(
            rl.check("a", Ring::Sandbox, 10.0, T0, &l, &counter, 5)
                .unwrap()
                .tokens_remaining,
            0.0
        );
        let e = rl
            .check("a", Ring::Sandbox, 0.5, T0, &l, &counter, 5)
            .unwrap_err();
        assert_eq!(e.details().unwrap()["retry_after_ms"], 100);
    }

    #[test]
    fn zero_rate_never_refills_and_omits_retry_after() {
        let mut l = limits();
        l[3] = (0.0, 2.0);
        let mut rl = RateLimiter::new();
        let counter = AtomicUsize::new(0);
        rl.check("a", Ring::Sandbox, 2.0, T0, &l, &counter, 5)
            .unwrap();
        let e = rl
            .check("a", Ring::Sandbox, 1.0, T0.plus_secs(1e6), &l, &counter, 5)
            .unwrap_err();
        assert_eq!(e.code(), Code::RATE_LIMITED);
        assert!(!e.details().unwrap().contains_key("retry_after_ms"));
    }

    #[test]
    fn stats_without_bucket_describe_a_fresh_one() {
        let rl = RateLimiter::new();
        let s = rl.stats("nobody", Ring::Privileged, T0, &limits());
        assert_eq!(
            s,
            BucketStats {
                total_requests: 0,
                rejected_requests: 0,
                tokens_available: 100.0,
                capacity: 100.0,
                ring: Ring::Privileged
            }
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            #[test]
            fn tokens_stay_within_bounds(
                steps in proptest::collection::vec((-2_000_000i64..5_000_000, 0.1f64..12.0), 1..60)
            ) {
                let mut b = TokenBucket::new(Ring::Sandbox, (5.0, 10.0), T0);
                let mut now = T0;
                for (dt, cost) in steps {
                    now = now.plus_micros(dt);
                    let before = b.stats(now).tokens_available;
                    match b.try_consume(cost, now) {
                        Ok(rem) => {
                            prop_assert!((0.0..=10.0).contains(&rem));
                            prop_assert!((before - cost - rem).abs() < 1e-6 || rem == 0.0);
                        }
                        Err(ms) => prop_assert!(ms >= 1.0),
                    }
                    let s = b.stats(now);
                    prop_assert!(s.tokens_available >= 0.0 && s.tokens_available <= 10.0);
                }
            }
        }
    }
}
