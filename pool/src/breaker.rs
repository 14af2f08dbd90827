//! Per-device circuit breaker, connect-rate limiter and retry backoff.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use rand::RngExt as _;

use crate::error::Error;

/// Circuit breaker: after `threshold` consecutive connect failures, fail fast for
/// `cooldown`, then let exactly one probe through.
#[derive(Debug, Default)]
pub(crate) struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
    last_error: String,
}

impl Breaker {
    /// May a connect be attempted now? Marks the probe in flight when half-open.
    pub(crate) fn admit(&mut self, device: &str, now: Instant) -> Result<(), Error> {
        match self.open_until {
            None => Ok(()),
            Some(until) if now < until || self.probing => {
                let until = until.max(now);
                Err(Error::CircuitOpen {
                    device: device.into(),
                    until: until.into_std(),
                    retry_in: until - now,
                    failures: self.failures,
                    last_error: self.last_error.clone(),
                })
            }
            Some(_) => {
                self.probing = true;
                Ok(())
            }
        }
    }

    /// Whether the breaker has tripped (open or half-open): a check without a clock read.
    pub(crate) fn tripped(&self) -> bool {
        self.open_until.is_some()
    }

    /// Whether the breaker would refuse right now (without admitting a probe).
    pub(crate) fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|u| now < u || self.probing)
    }

    pub(crate) fn success(&mut self) {
        *self = Breaker::default();
    }

    pub(crate) fn failure(
        &mut self,
        threshold: u32,
        cooldown: Duration,
        err: &Error,
        now: Instant,
    ) {
        self.failures += 1;
        self.last_error = err.to_string();
        self.probing = false;
        if threshold > 0 && self.failures >= threshold {
            self.open_until = Some(now + cooldown);
        }
    }
}

/// Junos-style connection rate limit: at most `per_minute` connects in any 60 s window.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    planned: VecDeque<Instant>,
}

impl RateLimiter {
    /// Reserve the next connect turn; returns when it may start.
    pub(crate) fn reserve(&mut self, per_minute: Option<u32>, now: Instant) -> Instant {
        let Some(limit) = per_minute else { return now };
        let window = Duration::from_secs(60);
        while self.planned.front().is_some_and(|t| *t + window <= now) {
            self.planned.pop_front();
        }
        let at = if self.planned.len() < limit as usize {
            now
        } else {
            self.planned[self.planned.len() - limit as usize] + window
        };
        self.planned.push_back(at);
        at
    }
}

/// Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)].
pub(crate) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let cap = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    let ms = cap.as_millis() as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_threshold_then_admits_one_probe() {
        let t0 = Instant::now();
        let mut b = Breaker::default();
        let err = Error::ConnectRefused { device: "d".into() };
        for _ in 0..3 {
            assert!(b.admit("d", t0).is_ok());
            b.failure(3, Duration::from_secs(30), &err, t0);
        }
        match b.admit("d", t0 + Duration::from_secs(1)) {
            Err(Error::CircuitOpen {
                failures: 3,
                retry_in,
                ..
            }) => assert_eq!(retry_in, Duration::from_secs(29)),
            other => panic!("{other:?}"),
        }
        let later = t0 + Duration::from_secs(31);
        assert!(b.admit("d", later).is_ok(), "one probe after the cooldown");
        assert!(b.admit("d", later).is_err(), "only one probe at a time");
        b.success();
        assert!(b.admit("d", later).is_ok());
    }

    #[test]
    fn rate_limiter_spaces_connects_over_the_window() {
        let t0 = Instant::now();
        let mut r = RateLimiter::default();
        assert_eq!(r.reserve(Some(2), t0), t0);
        assert_eq!(r.reserve(Some(2), t0), t0);
        assert_eq!(r.reserve(Some(2), t0), t0 + Duration::from_secs(60));
        assert_eq!(r.reserve(None, t0), t0);
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 0..40 {
            let d = backoff(Duration::from_millis(100), Duration::from_secs(2), attempt);
            assert!(d <= Duration::from_secs(2));
        }
    }
}
