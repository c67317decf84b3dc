//! End-to-end: the real binaries as separate processes, checked through the emulator's state.

use crossbind_proto::{AssociationState, Environment, StepState};
use crossbind_tests::*;
use serde_json::Value;

const DATAWORKS_POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

fn principal() -> String {
    format!("{DEFAULT_CONSUMER_UID}@emr.dataworks.aliyuncs.com")
}

fn trust_policy(role: &Value) -> Value {
    serde_json::from_str(
        role["AssumeRolePolicyDocument"]
            .as_str()
            .expect("policy string"),
    )
    .expect("policy JSON")
}

/// Every `Service` principal of every statement, whatever its layout.
fn service_principals(policy: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        let Some(principal) = statement["Principal"].as_object() else {
            continue;
        };
        for (key, value) in principal {
            if !key.eq_ignore_ascii_case("service") {
                continue;
            }
            match value {
                Value::String(s) => out.push(s.clone()),
                Value::Array(items) => {
                    out.extend(items.iter().filter_map(|v| v.as_str()).map(String::from))
                }
                _ => {}
            }
        }
    }
    out
}

fn properties(resource: &Value) -> &Value {
    &resource["ConnectionProperties"]
}

#[tokio::test(flavor = "multi_thread")]
async fn association_succeeds_and_a_repeat_changes_nothing() {
    let (options, dir) = options();
    let h = start(options, dir).await;

    let first = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(
        first.state(),
        AssociationState::Succeeded,
        "{first:#?}\n{}",
        h.logs()
    );
    assert!(first.role_created);
    assert_eq!(first.resources.len(), 2);

    let state = h.state().await;
    let provider_roles = roles(&state, DEFAULT_PROVIDER_UID);
    assert_eq!(
        provider_roles.len(),
        1,
        "exactly one role in B: {provider_roles:#?}"
    );
    let role = &provider_roles[0];
    assert_eq!(role["RoleName"], "EMRRole");
    assert_eq!(service_principals(&trust_policy(role)), [principal()]);
    let attached: Vec<&Value> = role["AttachedPolicies"]
        .as_array()
        .expect("attached policies")
        .iter()
        .filter(|p| p["PolicyName"] == DATAWORKS_POLICY)
        .collect();
    assert_eq!(attached.len(), 1, "policy attached once: {role:#?}");
    assert_eq!(attached[0]["PolicyType"], "System");
    assert!(
        roles(&state, DEFAULT_CONSUMER_UID).is_empty(),
        "A got no role"
    );

    let resources = compute_resources(&state, DEFAULT_CONSUMER_UID, DEFAULT_WORKSPACE_ID);
    let mut envs: Vec<&str> = resources
        .iter()
        .map(|r| r["EnvType"].as_str().unwrap())
        .collect();
    envs.sort();
    assert_eq!(envs, ["Dev", "Prod"], "{resources:#?}");
    for resource in &resources {
        let props = properties(resource);
        assert_eq!(props["crossAccountOwnerId"], DEFAULT_PROVIDER_UID);
        assert_eq!(props["crossAccountRoleName"], "EMRRole");
        assert!(
            props["clusterId"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(DEFAULT_CLUSTER_ID)
        );
        assert_eq!(props["authType"], "RamRole");
    }
    let ids: Vec<String> = first
        .resources
        .iter()
        .map(|r| r.compute_resource_id.clone())
        .collect();

    // A second run converges on the same resources and changes nothing in either account.
    let mutations = mutation_count(&state);
    assert!(
        mutations >= 4,
        "create role, attach, two registrations: {mutations}"
    );
    let second = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(second.state(), AssociationState::Succeeded, "{second:#?}");
    assert_eq!(
        second.id, first.id,
        "the same request applies the same association again"
    );
    assert!(
        second.role_created,
        "crossbind still remembers it created the role"
    );
    assert!(second.resources.iter().all(|r| !r.created), "{second:#?}");
    let trust = second.steps.iter().find(|s| s.name == "trust").unwrap();
    assert!(trust.message.contains("nothing changed"), "{trust:?}");
    let second_ids: Vec<String> = second
        .resources
        .iter()
        .map(|r| r.compute_resource_id.clone())
        .collect();
    assert_eq!(ids, second_ids);
    let after = h.state().await;
    assert_eq!(
        mutation_count(&after),
        mutations,
        "{:#?}",
        after["mutations"]
    );
    assert_eq!(
        roles(&after, DEFAULT_PROVIDER_UID),
        roles(&state, DEFAULT_PROVIDER_UID)
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_mode_workspace_registers_production_only() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let association = h.run(request(DEFAULT_CLUSTER_ID, "10002")).await;
    assert_eq!(
        association.state(),
        AssociationState::Succeeded,
        "{association:#?}"
    );
    let envs: Vec<Environment> = association
        .resources
        .iter()
        .map(|r| r.environment())
        .collect();
    assert_eq!(envs, [Environment::Prod]);
    let dev = association
        .steps
        .iter()
        .find(|s| s.name == "register.dev")
        .unwrap();
    assert_eq!(dev.state(), StepState::Skipped);
    let state = h.state().await;
    let resources = compute_resources(&state, DEFAULT_CONSUMER_UID, "10002");
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["EnvType"], "Prod");
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ineligible_or_unknown_targets_fail_in_preflight_and_change_nothing() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let cases = [
        (
            "c-5d1e0f2a3b4c5d6e",
            DEFAULT_WORKSPACE_ID,
            "CLUSTER_TYPE_NOT_HADOOP",
        ),
        (
            "C-0B1C2D3E4F5A6B7C",
            DEFAULT_WORKSPACE_ID,
            "RELEASE_NOT_SUPPORTED",
        ),
        (
            "C-1C2D3E4F5A6B7C8D",
            DEFAULT_WORKSPACE_ID,
            "METADATA_IS_DLF",
        ),
        (
            "C-2D3E4F5A6B7C8D9E",
            DEFAULT_WORKSPACE_ID,
            "KERBEROS_ENABLED",
        ),
        (
            "C-3E4F5A6B7C8D9E0F",
            DEFAULT_WORKSPACE_ID,
            "CLUSTER_NOT_RUNNING",
        ),
        (
            "C-FFFFFFFFFFFFFFFF",
            DEFAULT_WORKSPACE_ID,
            "CLUSTER_NOT_FOUND",
        ),
        (DEFAULT_CLUSTER_ID, "99999", "WORKSPACE_NOT_FOUND"),
    ];
    let runs = cases
        .iter()
        .map(|(cluster, workspace, _)| h.run(request(cluster, workspace)));
    let results = futures::future::join_all(runs).await;
    for ((cluster, workspace, reason), association) in cases.iter().zip(results) {
        assert_eq!(
            association.state(),
            AssociationState::Failed,
            "{cluster}: {association:#?}"
        );
        let failure = association.failure.expect("failure");
        assert!(
            failure.step.starts_with("preflight"),
            "{cluster}/{workspace}: {failure:?}"
        );
        assert!(
            failure.reasons.iter().any(|r| r == reason),
            "{cluster}/{workspace}: expected {reason}, got {failure:?}"
        );
        assert!(!failure.message.is_empty());
        let trust = association
            .steps
            .iter()
            .find(|s| s.name == "trust")
            .unwrap();
        assert_eq!(
            trust.state(),
            StepState::Pending,
            "{cluster}: trust must not run"
        );
    }
    let state = h.state().await;
    assert_eq!(mutation_count(&state), 0, "{:#?}", state["mutations"]);
    assert!(roles(&state, DEFAULT_PROVIDER_UID).is_empty());
    assert!(compute_resources(&state, DEFAULT_CONSUMER_UID, DEFAULT_WORKSPACE_ID).is_empty());
    h.stack.stop().await;
}

const WORLD_WITH_ROLE: &str = r#"
[[accounts]]
uid = "1688000000000001"
name = "consumer-a"
[[accounts.access_keys]]
id = "LTAI5tConsumerA0000000001"
secret = "cloudsimConsumerASecretKey000001"
[[accounts.workspaces]]
id = 10001
name = "analytics"
mode = "standard"
region = "cn-hangzhou"

[[accounts]]
uid = "1688000000000002"
name = "provider-b"
[[accounts.access_keys]]
id = "LTAI5tProviderB0000000001"
secret = "cloudsimProviderBSecretKey000001"
[[accounts.clusters]]
id = "C-4F2A9B1C8D3E7A60"
name = "etl-hadoop"
region = "cn-hangzhou"
type = "HADOOP"
release = "EMR-3.38.3"
metastore = "LOCAL"
security_mode = "NORMAL"
state = "RUNNING"
vpc_id = "vpc-b1"
vswitch_id = "vsw-b1"
zone_id = "cn-hangzhou-h"
[[accounts.roles]]
name = "EMRRole"
description = "made by hand before crossbind"
trust_policy = '''
{
  "Version": "1",
  "Statement": [
    { "Effect": "Allow", "Action": "sts:AssumeRole",
      "Principal": { "RAM": ["acs:ram::1688000000000009:root"] } }
  ]
}
'''
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_role_keeps_its_unrelated_statement() {
    let (mut options, dir) = options();
    with_world(&mut options, WORLD_WITH_ROLE);
    let h = start(options, dir).await;
    let association = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(
        association.state(),
        AssociationState::Succeeded,
        "{association:#?}\n{}",
        h.logs()
    );
    assert!(!association.role_created);

    let state = h.state().await;
    let provider_roles = roles(&state, DEFAULT_PROVIDER_UID);
    assert_eq!(provider_roles.len(), 1);
    let policy = trust_policy(&provider_roles[0]);
    assert_eq!(service_principals(&policy), [principal()]);
    let text = policy.to_string();
    assert!(
        text.contains("acs:ram::1688000000000009:root"),
        "unrelated statement kept: {text}"
    );
    assert_eq!(
        provider_roles[0]["Description"],
        "made by hand before crossbind"
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_request_is_refused_and_creates_nothing() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.expect("client");
    let mut bad = request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID);
    bad.provider_account_uid = "not-a-uid".into();
    let status = client.create_association(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("provider_account_uid"),
        "{}",
        status.message()
    );

    let mut unknown = request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID);
    unknown.consumer_account_uid = "1688000000000777".into();
    let status = client.create_association(unknown).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("[[consumers]]"),
        "{}",
        status.message()
    );

    let list = client
        .list_associations(crossbind_proto::ListAssociationsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(list.associations.is_empty());
    assert_eq!(mutation_count(&h.state().await), 0);
    h.stack.stop().await;
}
