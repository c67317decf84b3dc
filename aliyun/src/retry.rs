//! How often and how long to retry a failed call: full-jitter exponential backoff that honours
//! the server's `x-acs-retry-after`. It decides nothing about which errors are retryable beyond
//! asking [`Error::kind`].

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::error::{Error, Result};

/// The longest `x-acs-retry-after` this client will wait for, whatever the server asks.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Default number of attempts, the first included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default first backoff ceiling.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);
/// Default largest backoff ceiling.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

/// How many times to try a call and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included; `1` means never retry.
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles for each later one.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

/// A failed attempt, with the server's requested pause if it sent one.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retry_after: Option<Duration>,
}

// === impl RetryPolicy ===

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }

    /// The pause before retry number `retry`: the server's `retry_after` when given (capped at
    /// [`MAX_RETRY_AFTER`]), else a uniformly random duration up to [`RetryPolicy::ceiling`].
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(MAX_RETRY_AFTER);
        }
        let ceiling = self.ceiling(retry);
        if ceiling.is_zero() {
            return ceiling;
        }
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    /// Whether a failure of `error` on attempt number `attempt` (1-based) should be retried.
    pub fn should_retry(&self, attempt: u32, error: &Error) -> bool {
        attempt < self.max_attempts && is_retryable(error)
    }
}

/// Whether a retry can help: throttling, transient and server failures of the call itself.
/// An answer that arrived but could not be decoded is never retried.
fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Api(_) | Error::Transport { .. } | Error::Timeout { .. } => {
            error.kind().is_retryable()
        }
        _ => false,
    }
}

/// Runs `attempt` (given the 1-based attempt number) until it succeeds, fails for good, or the
/// policy's attempts are used up, sleeping per the policy in between.
pub(crate) async fn run<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = std::result::Result<T, Failure>>,
{
    let mut number = 1;
    loop {
        match attempt(number).await {
            Ok(value) => return Ok(value),
            Err(failure) if policy.should_retry(number, &failure.error) => {
                let delay = policy.delay(number, failure.retry_after);
                tracing::debug!(
                    attempt = number,
                    kind = ?failure.error.kind(),
                    code = failure.error.code().unwrap_or(""),
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                number += 1;
            }
            Err(failure) => return Err(failure.error),
        }
    }
}

#[cfg(test)]
mod tests;
