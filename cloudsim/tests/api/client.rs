//! One round trip through the real `crossbind_aliyun::Client`, V2 and V3, to prove the
//! emulator accepts what the client sends (query, form body, GET).

use std::sync::Arc;

use crossbind_aliyun::client::{Client, ClientConfig, Method, RpcRequest, SignatureVersion};
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::endpoint::{Endpoints, Product};
use crossbind_aliyun::ids::RegionId;

use crate::support::*;

fn client(h: &Harness, key: Key, signature: SignatureVersion) -> Client {
    let mut config = ClientConfig::new(RegionId::new(REGION).unwrap());
    config.endpoints = Endpoints::with_override(format!("http://{}", h.host));
    config.signature = signature;
    Client::new(Credentials::new(key.id, key.secret), config)
        .unwrap()
        .with_clock(h.clock.clone() as Arc<_>)
}

#[tokio::test]
async fn the_aliyun_client_is_accepted_with_both_signatures() {
    let h = Harness::start().await;
    for (signature, role) in [
        (SignatureVersion::V2, "ClientV2"),
        (SignatureVersion::V3, "ClientV3"),
    ] {
        let a = client(&h, A, signature);
        let identity = a.get_caller_identity().await.unwrap();
        assert_eq!(identity.account_id.as_str(), A_UID, "{signature}");

        let project = RpcRequest::new(Product::DataWorks, "GetProject", DATAWORKS)
            .with_method(Method::Get)
            .param("Id", "10001");
        let body = a.call(project).await.unwrap();
        assert_eq!(body["Project"]["Name"], "analytics", "{signature}");

        let b = client(&h, B, signature);
        let create = RpcRequest::new(Product::Ram, "CreateRole", RAM)
            .param("RoleName", role)
            .form_param("AssumeRolePolicyDocument", trust_for(A_UID))
            .form_param("Description", "a b+c");
        let body = b.call(create).await.unwrap();
        assert_eq!(body["Role"]["Description"], "a b+c", "{signature}");
    }
}

/// What the cloud refuses, the client reports with the cloud's code, HTTP status and RequestId.
#[tokio::test]
async fn the_client_reports_refusals_with_their_request_id() {
    use crossbind_aliyun::clock::{Clock, FixedClock};

    let h = Harness::start().await;
    let assert_refused = |result: crossbind_aliyun::Result<_>, status: u16, code: &str| {
        let error = result.expect_err(code);
        let api = error
            .api()
            .unwrap_or_else(|| panic!("{code}: not an API error: {error:?}"));
        assert_eq!(api.code, code);
        assert_eq!(api.http_status, status, "{code}");
        let request_id = api.request_id.clone().expect("a RequestId");
        assert!(!request_id.is_empty());
        assert!(error.to_string().contains(&request_id), "{code}: {error}");
    };

    // A wrong secret.
    let mut config = ClientConfig::new(RegionId::new(REGION).unwrap());
    config.endpoints = Endpoints::with_override(format!("http://{}", h.host));
    let wrong = Client::new(Credentials::new(A.id, "not-the-secret"), config.clone())
        .unwrap()
        .with_clock(h.clock.clone() as Arc<_>);
    assert_refused(
        wrong.get_caller_identity().await,
        400,
        "SignatureDoesNotMatch",
    );

    // A clock twenty minutes behind the cloud's.
    let behind = Arc::new(FixedClock::new(h.clock.now() - time::Duration::minutes(20)));
    let stale = client(&h, A, SignatureVersion::V2).with_clock(behind);
    assert_refused(
        stale.get_caller_identity().await,
        400,
        "InvalidTimeStamp.Expired",
    );

    // The same nonce twice: the first call passes, the second is a replay.
    for signature in [SignatureVersion::V2, SignatureVersion::V3] {
        let nonce = format!("fixed-nonce-{signature}");
        let replaying = client(&h, A, signature).with_nonces(Arc::new(move || nonce.clone()));
        replaying.get_caller_identity().await.unwrap();
        assert_refused(
            replaying.get_caller_identity().await,
            400,
            "SignatureNonceUsed",
        );
    }
}
