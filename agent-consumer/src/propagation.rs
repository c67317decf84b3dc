//! Waiting out RAM's eventual consistency: a call DataWorks refuses with
//! `Forbidden.CrossAccountRole` (the provider's new or changed role is not yet in effect) is
//! tried again with exponential backoff until a deadline. Every other outcome ends the wait at
//! once. Throttling and 5xx retries are the cloud client's, not this module's.

use std::future::Future;
use std::time::Duration;

use crossbind_aliyun::dataworks::codes::CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED;
use tokio::time::Instant;

/// How long, and how often, to retry while the role is not in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropagationPolicy {
    /// Give up once this much time has passed since the first attempt.
    pub timeout: Duration,
    /// The first pause; doubled after each refusal.
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
}

/// The outcome of [`retry_while_propagating`].
#[derive(Debug)]
pub struct Attempts<T> {
    /// The last attempt's result.
    pub result: Result<T, crossbind_aliyun::Error>,
    /// How many times the call was refused as "not yet in effect" and tried again.
    pub retries: u32,
    /// How long the whole wait took.
    pub waited: Duration,
}

/// Whether `err` is DataWorks saying the cross-account role is not (yet) usable.
pub fn is_role_not_in_effect(err: &crossbind_aliyun::Error) -> bool {
    err.is_code(CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED)
}

/// Runs `call` until it does anything but [`is_role_not_in_effect`], or until
/// `policy.timeout` has passed; the last try happens at the deadline.
pub async fn retry_while_propagating<T, F, Fut>(
    policy: PropagationPolicy,
    mut call: F,
) -> Attempts<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, crossbind_aliyun::Error>>,
{
    let start = Instant::now();
    let mut pause = policy.initial_backoff;
    let mut retries = 0;
    loop {
        let result = call().await;
        let remaining = policy.timeout.saturating_sub(start.elapsed());
        match &result {
            Err(e) if is_role_not_in_effect(e) && !remaining.is_zero() => {
                let wait = pause.min(remaining);
                tracing::debug!(
                    retry = retries + 1,
                    wait_ms = wait.as_millis() as u64,
                    "role not yet in effect for DataWorks; waiting"
                );
                tokio::time::sleep(wait).await;
                retries += 1;
                pause = (pause * 2).min(policy.max_backoff);
            }
            _ => {
                return Attempts {
                    result,
                    retries,
                    waited: start.elapsed(),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use crossbind_aliyun::error::ApiError;

    use super::*;

    const POLICY: PropagationPolicy = PropagationPolicy {
        timeout: Duration::from_secs(120),
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(10),
    };

    fn refusal(code: &str) -> crossbind_aliyun::Error {
        crossbind_aliyun::Error::from(ApiError {
            http_status: 403,
            code: code.to_owned(),
            message: "role not usable".to_owned(),
            request_id: Some("R".to_owned()),
            host_id: None,
            recommend: None,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_the_role_is_in_effect() {
        let calls = AtomicU32::new(0);
        let attempts = retry_while_propagating(POLICY, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(refusal(CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED))
            } else {
                Ok(42)
            }
        })
        .await;
        assert_eq!(attempts.result.expect("succeeds"), 42);
        assert_eq!(attempts.retries, 3);
        // 1 s + 2 s + 4 s of backoff.
        assert_eq!(attempts.waited, Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let policy = PropagationPolicy {
            timeout: Duration::from_secs(20),
            ..POLICY
        };
        let attempts: Attempts<()> = retry_while_propagating(policy, || async {
            Err(refusal(CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED))
        })
        .await;
        assert!(is_role_not_in_effect(
            &attempts.result.expect_err("gives up")
        ));
        assert_eq!(attempts.waited, Duration::from_secs(20));
        // 1 + 2 + 4 + 8 (capped at 10 from then on) = 15, then the remaining 5 s.
        assert_eq!(attempts.retries, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn other_failures_end_the_wait_at_once() {
        let calls = AtomicU32::new(0);
        let attempts: Attempts<()> = retry_while_propagating(POLICY, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(refusal("InvalidParameter.ClusterNotSupported"))
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(attempts.retries, 0);
        assert_eq!(attempts.waited, Duration::ZERO);
    }
}
