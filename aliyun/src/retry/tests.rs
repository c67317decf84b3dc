//! Unit tests of backoff arithmetic and of the retry loop, on tokio's paused clock.

use std::cell::Cell;

use tokio::time::Instant;

use super::*;
use crate::error::ApiError;

fn api(status: u16, code: &str) -> Error {
    Error::from(ApiError {
        http_status: status,
        code: code.to_owned(),
        message: String::new(),
        request_id: None,
        host_id: None,
        recommend: None,
    })
}

fn fail(error: Error, retry_after: Option<Duration>) -> Failure {
    Failure { error, retry_after }
}

#[test]
fn ceilings_double_up_to_the_maximum() {
    let policy = RetryPolicy::default();
    let ms: Vec<u128> = (1..=7).map(|r| policy.ceiling(r).as_millis()).collect();
    assert_eq!(ms, vec![200, 400, 800, 1600, 3200, 5000, 5000]);
    assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(5));
}

#[test]
fn jittered_delays_stay_under_the_ceiling_and_vary() {
    let policy = RetryPolicy::default();
    let delays: Vec<Duration> = (0..200).map(|_| policy.delay(3, None)).collect();
    assert!(delays.iter().all(|d| *d <= Duration::from_millis(800)));
    assert!(delays.iter().any(|d| *d != delays[0]), "no jitter");
    let zero = RetryPolicy {
        base_delay: Duration::ZERO,
        ..policy
    };
    assert_eq!(zero.delay(1, None), Duration::ZERO);
}

#[test]
fn retry_after_wins_but_is_capped() {
    let policy = RetryPolicy::default();
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(3))),
        Duration::from_secs(3)
    );
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(3600))),
        MAX_RETRY_AFTER
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_the_servers_pause() {
    let policy = RetryPolicy::default();
    let calls = Cell::new(0);
    let start = Instant::now();
    let result = run(&policy, |n| {
        calls.set(calls.get() + 1);
        async move {
            match n {
                1 => Err(fail(
                    api(400, "Throttling.User"),
                    Some(Duration::from_secs(2)),
                )),
                2 => Err(fail(
                    api(503, "ServiceUnavailable"),
                    Some(Duration::from_secs(3)),
                )),
                _ => Ok(n),
            }
        }
    })
    .await;
    assert_eq!(result.unwrap(), 3);
    assert_eq!(calls.get(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_no_longer_than_the_ceilings() {
    let policy = RetryPolicy::default();
    let start = Instant::now();
    let result: Result<()> = run(&policy, |_| async {
        Err(fail(api(500, "InternalError"), None))
    })
    .await;
    assert_eq!(result.unwrap_err().code(), Some("InternalError"));
    // Three pauses, at most 200 + 400 + 800 ms.
    assert!(start.elapsed() <= Duration::from_millis(1400));
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let policy = RetryPolicy::default();
    let calls = Cell::new(0);
    let result: Result<()> = run(&policy, |_| {
        calls.set(calls.get() + 1);
        async { Err(fail(api(404, "EntityNotExist.Role"), None)) }
    })
    .await;
    assert_eq!(result.unwrap_err().code(), Some("EntityNotExist.Role"));
    assert_eq!(calls.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn attempts_are_bounded_and_decode_errors_final() {
    let policy = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    let calls = Cell::new(0);
    let result: Result<()> = run(&policy, |_| {
        calls.set(calls.get() + 1);
        async { Err(fail(api(429, "Busy"), None)) }
    })
    .await;
    assert!(result.is_err());
    assert_eq!(calls.get(), 2);

    calls.set(0);
    let result: Result<()> = run(&policy, |_| {
        calls.set(calls.get() + 1);
        async {
            let source = serde_json::from_str::<u8>("x").unwrap_err();
            Err(fail(
                Error::Decode {
                    action: "A",
                    source,
                },
                None,
            ))
        }
    })
    .await;
    assert!(matches!(result, Err(Error::Decode { .. })));
    assert_eq!(calls.get(), 1);
    assert_eq!(RetryPolicy::never().max_attempts, 1);
}
