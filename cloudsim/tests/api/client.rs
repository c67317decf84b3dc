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
