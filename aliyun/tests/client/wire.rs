//! What the client puts on the wire and how it treats answers: fresh nonces per retry, no
//! retry of client errors, error bodies parsed into `ApiError`, `%20` never `+`.

use std::collections::HashSet;

use crossbind_aliyun::client::SignatureVersion;
use crossbind_aliyun::error::{Error, ErrorKind};
use crossbind_aliyun::ids::RoleName;
use crossbind_aliyun::ram::UpdateRole;

use super::roundtrip::{v2_signature_ok, v3_signature_ok};
use super::server::{Canned, MockServer};
use super::{client_for, test_credentials};

#[tokio::test]
async fn throttling_is_retried_with_a_new_nonce_each_attempt_v2() {
    let server = MockServer::start(vec![
        Canned::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Canned::error(503, "ServiceUnavailable", "temporary failure"),
        Canned::fixture("GetCallerIdentity"),
    ])
    .await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    let identity = client
        .get_caller_identity()
        .await
        .expect("third attempt succeeds");
    assert_eq!(identity.account_id.as_str(), "1234567890123456");

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let nonces: HashSet<String> = requests
        .iter()
        .map(|r| r.param("SignatureNonce").expect("nonce sent"))
        .collect();
    assert_eq!(nonces.len(), 3, "nonces were reused: {nonces:?}");
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.param("Action").as_deref(), Some("GetCallerIdentity"));
        assert_eq!(r.param("Format").as_deref(), Some("JSON"));
        assert_eq!(r.param("SignatureMethod").as_deref(), Some("HMAC-SHA1"));
        assert!(
            v2_signature_ok(&r.method, &r.target, &r.body, "testsecret"),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn throttling_is_retried_with_a_new_nonce_each_attempt_v3() {
    let server = MockServer::start(vec![
        Canned::error(429, "Throttling", "slow down"),
        Canned::fixture("GetCallerIdentity"),
    ])
    .await;
    let client = client_for(server.url(), SignatureVersion::V3, test_credentials());
    client
        .get_caller_identity()
        .await
        .expect("second attempt succeeds");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let nonces: HashSet<&str> = requests
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").expect("nonce header"))
        .collect();
    assert_eq!(nonces.len(), 2);
    for r in &requests {
        assert_eq!(r.header("x-acs-action"), Some("GetCallerIdentity"));
        assert_eq!(r.header("x-acs-version"), Some("2015-04-01"));
        assert!(r.param("Signature").is_none());
        assert!(
            v3_signature_ok(&r.method, &r.target, &r.headers, &r.body, "testsecret"),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn client_errors_are_not_retried_and_the_body_is_parsed() {
    let server = MockServer::start(vec![Canned::error(
        400,
        "InvalidParameter",
        "The specified parameter \"Action or Version\" is not valid.",
    )])
    .await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
    let api = err.api().expect("an API error");
    assert_eq!(api.http_status, 400);
    assert_eq!(api.code, "InvalidParameter");
    assert_eq!(
        api.message,
        "The specified parameter \"Action or Version\" is not valid."
    );
    assert_eq!(api.request_id.as_deref(), Some("REQ-InvalidParameter"));
    assert_eq!(api.host_id.as_deref(), Some("mock.aliyuncs.com"));
    assert!(
        api.recommend
            .as_deref()
            .unwrap()
            .contains("q=InvalidParameter")
    );
    assert_eq!(err.kind(), ErrorKind::Client);
    assert!(!err.may_have_been_applied());
    assert_eq!(
        err.to_string(),
        "InvalidParameter: The specified parameter \"Action or Version\" is not valid. \
         (HTTP 400, RequestId REQ-InvalidParameter)"
    );
}

#[tokio::test]
async fn server_errors_stop_after_max_attempts() {
    let server = MockServer::start(vec![Canned::error(500, "InternalError", "boom")]).await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_eq!(server.requests().len(), 4);
    assert_eq!(err.code(), Some("InternalError"));
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.may_have_been_applied());
}

#[tokio::test]
async fn a_non_json_success_is_a_decode_error_and_not_retried() {
    let server = MockServer::start(vec![Canned::json(200, "<xml/>")]).await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                action: "GetCallerIdentity",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn spaces_travel_as_percent_20_never_plus() {
    for signature in [SignatureVersion::V2, SignatureVersion::V3] {
        let server = MockServer::start(vec![Canned::fixture("UpdateRole")]).await;
        let client = client_for(server.url(), signature, test_credentials());
        client
            .update_role(&UpdateRole {
                role_name: RoleName::new("EMRRole").unwrap(),
                new_assume_role_policy_document: None,
                new_description: Some("a b+c*d".to_owned()),
                new_max_session_duration: None,
            })
            .await
            .expect("update succeeds");
        let request = &server.requests()[0];
        assert!(
            request.target.contains("NewDescription=a%20b%2Bc%2Ad"),
            "{signature}: {}",
            request.target
        );
        assert!(
            !request.target.contains('+'),
            "{signature}: {}",
            request.target
        );
        assert_eq!(request.param("NewDescription").as_deref(), Some("a b+c*d"));
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_was_not_applied() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = client_for(&url, SignatureVersion::V2, test_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(!err.may_have_been_applied());
}

#[tokio::test]
async fn a_non_json_gateway_error_keeps_the_header_request_id() {
    let server = MockServer::start(vec![
        Canned::json(502, "<html>Bad Gateway</html>").with_header("x-acs-request-id", "HDR-502"),
    ])
    .await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    let err = client.get_caller_identity().await.unwrap_err();
    assert_eq!(server.requests().len(), 4, "502 is transient and retried");
    let api = err.api().expect("an API error");
    assert_eq!(api.code, "Unknown");
    assert_eq!(api.message, "<html>Bad Gateway</html>");
    assert_eq!(err.request_id(), Some("HDR-502"));
    assert_eq!(err.kind(), ErrorKind::Transient);
}
