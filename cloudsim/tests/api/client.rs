//! Round trips through the real `crossbind_aliyun::Client`, V2 and V3, to prove the emulator
//! accepts what the client sends (query, form body, GET) and the typed diagnosis calls read
//! what it answers.

use std::sync::Arc;

use crossbind_aliyun::client::{Client, ClientConfig, Method, RpcRequest, SignatureVersion};
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::dataworks::{ConnectState, ListDataSources, codes};
use crossbind_aliyun::endpoint::{Endpoints, Product};
use crossbind_aliyun::ids::{RegionId, WorkspaceId};

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

#[tokio::test]
async fn the_typed_diagnosis_calls_read_the_emulators_answers() {
    const SPARE: &str = "Serverless_res_group_1688000000000001_0002";
    let h = Harness::with_world(crate::data_sources::world()).await;
    let workspace = WorkspaceId::new("10001").unwrap();
    for signature in [SignatureVersion::V2, SignatureVersion::V3] {
        let a = client(&h, A, signature);
        let sources = a
            .list_all_data_sources(&ListDataSources {
                types: vec!["hive".to_owned()],
                ..ListDataSources::new(workspace.clone())
            })
            .await
            .unwrap();
        let prod = sources.iter().find(|d| d.id == 50001).expect("listed");
        assert_eq!(
            (prod.name.as_str(), prod.r#type.as_str()),
            ("hive_etl", "hive")
        );
        assert_eq!(prod.env_type.as_deref(), Some("Prod"));
        assert_eq!(prod.cluster_id.as_deref(), Some(ELIGIBLE));
        assert_eq!(prod.cross_account_owner_id.as_deref(), Some(B_UID));
        assert_eq!(sources.len(), 4, "{signature}");

        let unbound = a
            .test_data_source_connectivity(&workspace, 50001, SPARE)
            .await
            .unwrap();
        assert_eq!(
            unbound.connect_state,
            ConnectState::ConfigError,
            "{signature}"
        );
        a.associate_project_to_resource_group(&workspace, SPARE)
            .await
            .unwrap();
        let bound = a
            .test_data_source_connectivity(&workspace, 50001, SPARE)
            .await
            .unwrap();
        assert!(
            bound.connect_state.is_connectable(),
            "{signature}: {bound:?}"
        );
        assert_eq!(bound.connect_message, None);
        assert_eq!(bound.detail_logs.len(), 3);

        a.dissociate_project_from_resource_group(&workspace, SPARE)
            .await
            .unwrap();
        let err = a
            .dissociate_project_from_resource_group(&workspace, SPARE)
            .await
            .unwrap_err();
        assert!(err.is_code(codes::RESOURCE_GROUP_NOT_ASSOCIATED), "{err:?}");
        let err = a
            .test_data_source_connectivity(&workspace, 59999, SPARE)
            .await
            .unwrap_err();
        assert!(err.is_code(codes::DATA_SOURCE_NOT_FOUND), "{err:?}");
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
