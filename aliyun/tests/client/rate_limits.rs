//! The client's use of its rate limiter over real HTTP: every attempt of a retried call takes
//! a token, clones share the limiter, and disabled limits build an unlimited one. Bucket timing
//! itself is unit-tested on a paused clock in `rate_limit`.

use crossbind_aliyun::client::SignatureVersion;
use crossbind_aliyun::endpoint::Product;
use crossbind_aliyun::rate_limit::{LimitKey, Rate, RateLimits};

use super::server::{Canned, MockServer};
use super::{client_config_for, test_credentials};

const ACTION: &str = "GetCallerIdentity";

/// Limits with a burst of 2 and 500 ms spacing for STS GetCallerIdentity, so that two tokens
/// taken by one call leave none for the next half second.
fn two_per_second() -> RateLimits {
    RateLimits::published().with_limit(
        LimitKey::action(Product::Sts, ACTION),
        Rate::new(2.0).expect("valid rate"),
    )
}

#[tokio::test]
async fn each_attempt_of_a_retried_call_takes_a_token() {
    let server = MockServer::start(vec![
        Canned::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Canned::fixture(ACTION),
    ])
    .await;
    let mut config = client_config_for(server.url(), SignatureVersion::V2);
    config.rate_limits = two_per_second();
    let client = crossbind_aliyun::Client::new(test_credentials(), config.clone()).expect("client");
    client
        .get_caller_identity()
        .await
        .expect("second attempt succeeds");
    assert_eq!(server.requests().len(), 2);
    // Both tokens of the burst are gone, and a clone sees the same bucket.
    let wait = client
        .clone()
        .rate_limiter()
        .try_acquire(Product::Sts, ACTION)
        .expect_err("the retry took the second token");
    assert!(!wait.is_zero());
    // A client built apart has a limiter of its own.
    let other = crossbind_aliyun::Client::new(test_credentials(), config).expect("client");
    assert_eq!(
        other.rate_limiter().try_acquire(Product::Sts, ACTION),
        Ok(())
    );
}

#[tokio::test]
async fn a_call_that_succeeds_at_once_takes_one_token() {
    let server = MockServer::start(vec![Canned::fixture(ACTION)]).await;
    let mut config = client_config_for(server.url(), SignatureVersion::V2);
    config.rate_limits = two_per_second();
    let client = crossbind_aliyun::Client::new(test_credentials(), config).expect("client");
    client.get_caller_identity().await.expect("succeeds");
    let limiter = client.rate_limiter();
    assert_eq!(limiter.try_acquire(Product::Sts, ACTION), Ok(()));
    assert!(limiter.try_acquire(Product::Sts, ACTION).is_err());
}

#[tokio::test]
async fn disabled_limits_give_an_unlimited_limiter() {
    let mut config = client_config_for("http://127.0.0.1:9", SignatureVersion::V2);
    assert_eq!(config.rate_limits, RateLimits::published());
    config.rate_limits = RateLimits::disabled();
    let client = crossbind_aliyun::Client::new(test_credentials(), config).expect("client");
    assert!(!client.rate_limiter().is_enabled());
    let limiter = client.rate_limiter();
    for _ in 0..100 {
        assert_eq!(
            limiter.try_acquire(Product::DataWorks, "GetProject"),
            Ok(())
        );
    }
}
