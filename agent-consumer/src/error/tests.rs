//! Tests of the consumer error mapping: one case per arm, and the propagation refusal text.

use crossbind_aliyun::error::ApiError;
use tonic::Code;

use super::*;

fn refusal(code: &str) -> crossbind_aliyun::Error {
    crossbind_aliyun::Error::from(ApiError {
        http_status: 403,
        code: code.to_owned(),
        message: "the role does not trust this account".to_owned(),
        request_id: Some("REQ-9".to_owned()),
        host_id: None,
        recommend: None,
    })
}

#[test]
fn each_error_maps_to_its_code() {
    let cases = [
        (
            Error::MissingArgument {
                field: "workspace_id",
            },
            Code::InvalidArgument,
            "workspace_id is required".to_owned(),
        ),
        (
            Error::BadField {
                field: "compute_resource_name",
                problem: "must not start with a digit".to_owned(),
            },
            Code::InvalidArgument,
            "compute_resource_name must not start".to_owned(),
        ),
        (
            Error::NotConsented {
                what: "workspace",
                value: "9".to_owned(),
                key: "consent.workspaces",
            },
            Code::PermissionDenied,
            "not in consent.workspaces".to_owned(),
        ),
        (
            Error::WorkspaceNotFound {
                workspace: "9".to_owned(),
                region: "cn-hangzhou".to_owned(),
                account: "1".to_owned(),
            },
            Code::NotFound,
            "workspace 9 not found in region cn-hangzhou of account 1".to_owned(),
        ),
        (
            Error::WorkspaceUnavailable {
                workspace: "9".to_owned(),
                status: "Frozen".to_owned(),
            },
            Code::FailedPrecondition,
            "is Frozen".to_owned(),
        ),
        (
            Error::NameTaken {
                name: "emr_x".to_owned(),
                env: "Prod".to_owned(),
                workspace: "9".to_owned(),
                existing_id: 5,
            },
            Code::FailedPrecondition,
            "pick another compute_resource_name".to_owned(),
        ),
        (
            Error::role_not_in_effect(
                "EMRRole",
                "2",
                3,
                Duration::from_secs(7),
                refusal("Forbidden.CrossAccountRole"),
            ),
            Code::FailedPrecondition,
            "RequestId REQ-9".to_owned(),
        ),
        (
            Error::ClusterNotSupported {
                cluster: "C-1".to_owned(),
                source: Box::new(refusal("InvalidParameter.ClusterNotSupported")),
            },
            Code::FailedPrecondition,
            "InvalidParameter.ClusterNotSupported".to_owned(),
        ),
        (
            Error::StillExists {
                id: 5,
                workspace: "9".to_owned(),
            },
            Code::Unavailable,
            "still exists".to_owned(),
        ),
        (
            Error::BadEntry {
                field: "mappings",
                index: 2,
                problem: "maps member 1 again".to_owned(),
            },
            Code::InvalidArgument,
            "request field mappings[2] maps member 1 again".to_owned(),
        ),
        (
            Error::ResourceGroupNotFound {
                group: "rg_1".to_owned(),
                account: "1".to_owned(),
                region: "cn-hangzhou".to_owned(),
            },
            Code::NotFound,
            "resource group rg_1 does not exist in account 1 (region cn-hangzhou)".to_owned(),
        ),
        (
            Error::ComputeResourceNotFound {
                id: 7,
                workspace: "9".to_owned(),
            },
            Code::NotFound,
            "compute resource 7 does not exist in workspace 9".to_owned(),
        ),
        (
            Error::ResourceGroupUnusable {
                group: "rg_1".to_owned(),
                status: "Stop".to_owned(),
                advice: "start it again",
            },
            Code::FailedPrecondition,
            "rg_1 is Stop, not Normal; start it again".to_owned(),
        ),
        (
            Error::ResourceGroupWrongType {
                group: "rg_1".to_owned(),
                kind: "ExclusiveDataService".to_owned(),
            },
            Code::FailedPrecondition,
            "accepted are CommonV2 (serverless) and ExclusiveScheduler".to_owned(),
        ),
        (
            Error::OtherCluster {
                id: 7,
                workspace: "9".to_owned(),
                found: "C-1".to_owned(),
                asked: "C-2".to_owned(),
            },
            Code::FailedPrecondition,
            "connects to cluster C-1, not C-2".to_owned(),
        ),
        (
            Error::Unrecognised {
                id: 7,
                workspace: "9".to_owned(),
            },
            Code::FailedPrecondition,
            "registration.connection_properties_template".to_owned(),
        ),
        (
            Error::PasswordNotConfigured {
                cluster: "C-1".to_owned(),
                account: "etl".to_owned(),
                key: "etl".to_owned(),
            },
            Code::FailedPrecondition,
            "add account_mappings.password_env.etl".to_owned(),
        ),
        (
            Error::PasswordUnset {
                cluster: "C-1".to_owned(),
                account: "etl".to_owned(),
                key: "etl".to_owned(),
            },
            Code::FailedPrecondition,
            "account_mappings.password_env.etl names was not set".to_owned(),
        ),
        (
            Error::MappingsNotAllowed {
                cluster: "C-1".to_owned(),
                source: Box::new(refusal("InvalidParameter.AuthUserMappingNotAllowed")),
            },
            Code::FailedPrecondition,
            "InvalidParameter.AuthUserMappingNotAllowed".to_owned(),
        ),
        (
            Error::NotBound {
                group: "rg_1".to_owned(),
                workspace: "9".to_owned(),
            },
            Code::Unavailable,
            "still not bound".to_owned(),
        ),
        (
            Error::MappingsNotApplied {
                id: 7,
                member: "1".to_owned(),
            },
            Code::Unavailable,
            "do not show member 1".to_owned(),
        ),
        (
            Error::Cloud {
                action: "GetProject",
                source: Box::new(crossbind_aliyun::Error::Timeout {
                    action: "GetProject",
                }),
            },
            Code::Unavailable,
            "GetProject: ".to_owned(),
        ),
    ];
    for (err, code, text) in cases {
        let status = Status::from(err);
        assert_eq!(status.code(), code, "{}", status.message());
        assert!(status.message().contains(&text), "{}", status.message());
    }
}

#[test]
fn role_not_in_effect_quotes_the_cloud_and_counts() {
    let status = Status::from(Error::role_not_in_effect(
        "EMRRole",
        "1688000000000002",
        4,
        Duration::from_secs(9),
        refusal("Forbidden.CrossAccountRole"),
    ));
    let text = status.message();
    assert!(text.contains("Forbidden.CrossAccountRole"), "{text}");
    assert!(
        text.contains("the role does not trust this account"),
        "{text}"
    );
    assert!(text.contains("4 retries"), "{text}");
    assert!(text.contains("within 9 s"), "{text}");
}
