//! Request limits: a token bucket per API key for accepted requests, and one per peer address
//! for refused credentials, so one reviewer's runaway client or a guesser cannot starve the
//! others. A limited request gets 429 with `Retry-After`, which Vetter's client waits out.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many requests a limit lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Requests that may arrive at once after a quiet spell.
    pub burst: NonZeroU32,
}

impl Limit {
    /// `per_second` sustained with bursts of `burst` (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Limit {
        Limit {
            per_second: NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// The server's limits. The defaults let a full sync of a large queue through (downloads are
/// requests too) and stop a loop or a flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per API key, for requests whose credentials were accepted.
    pub per_key: Limit,
    /// Per peer address, for requests whose credentials were refused.
    pub failures_per_peer: Limit,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_key: Limit::new(200, 1000),
            failures_per_peer: Limit::new(5, 50),
        }
    }
}

/// The live buckets of [`Limits`].
pub struct RateLimits {
    per_key: DefaultKeyedRateLimiter<String>,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl RateLimits {
    /// Empty buckets for `limits`.
    pub fn new(limits: Limits) -> RateLimits {
        RateLimits {
            per_key: RateLimiter::keyed(limits.per_key.quota()),
            failures: RateLimiter::keyed(limits.failures_per_peer.quota()),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one accepted request of API key `key`; `Err` holds how long to wait.
    pub fn check_key(&self, key: &str) -> Result<(), Duration> {
        let result = self.per_key.check_key(&key.to_owned());
        self.forget_idle();
        result.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Counts one refused request from `peer`; `Err` holds how long to wait.
    pub fn check_failure(&self, peer: IpAddr) -> Result<(), Duration> {
        let result = self.failures.check_key(&peer);
        self.forget_idle();
        result.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Drops full buckets now and then, so keys and peers seen once do not stay in memory.
    fn forget_idle(&self) {
        if self.per_key.len() + self.failures.len() > 10_000 {
            self.per_key.retain_recent();
            self.failures.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_burst_waits_and_another_key_does_not() {
        let limits = RateLimits::new(Limits {
            per_key: Limit::new(1, 3),
            failures_per_peer: Limit::new(1, 1),
        });
        for _ in 0..3 {
            assert!(limits.check_key("user:1:1").is_ok());
        }
        let wait = limits.check_key("user:1:1").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(limits.check_key("user:2:2").is_ok());
    }

    #[test]
    fn refused_credentials_are_limited_per_peer() {
        let limits = RateLimits::new(Limits {
            per_key: Limit::new(1, 1),
            failures_per_peer: Limit::new(1, 2),
        });
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "::1".parse().unwrap());
        assert!(limits.check_failure(a).is_ok());
        assert!(limits.check_failure(a).is_ok());
        assert!(limits.check_failure(a).is_err());
        assert!(limits.check_failure(b).is_ok());
    }
}
