//! Client tests over real HTTP against a canned server on 127.0.0.1:0: retries and nonces,
//! rate-limit tokens, error bodies, secret redaction, signature round trips and every typed
//! call's model (data sources and connectivity tests in `data_sources`).

mod canary;
mod data_sources;
mod rate_limits;
mod roundtrip;
mod server;
mod typed;
mod wire;

use std::time::Duration;

use crossbind_aliyun::client::{Client, ClientConfig, SignatureVersion};
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::endpoint::Endpoints;
use crossbind_aliyun::ids::RegionId;
use crossbind_aliyun::retry::RetryPolicy;

/// A client aimed at `url` that retries without pausing (backoff timing is unit-tested on a
/// paused clock in `retry`).
fn client_for(url: &str, signature: SignatureVersion, credentials: Credentials) -> Client {
    Client::new(credentials, client_config_for(url, signature)).expect("client builds")
}

/// The configuration [`client_for`] uses: default rate limits, retries without pauses.
fn client_config_for(url: &str, signature: SignatureVersion) -> ClientConfig {
    let mut config = ClientConfig::new(RegionId::new("cn-hangzhou").expect("region"));
    config.endpoints = Endpoints::with_override(url);
    config.signature = signature;
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };
    config.timeout = Duration::from_secs(10);
    config
}

fn test_credentials() -> Credentials {
    Credentials::new("testid", "testsecret")
}
