//! End-to-end: plan, dissociate, drift, cancel and retry, each checked against the cloud.

use crossbind_aliyun::{
    ids::{RoleName, WorkspaceId},
    ram::{DATAWORKS_EMR_POLICY, PolicyType, UpdateRole},
};
use crossbind_cloudsim::{DEFAULT_WORLD_TOML, World};
use crossbind_proto::{
    AssociationState, CancelAssociationRequest, CheckDriftRequest, DissociateAssociationRequest,
    EventKind, RetryAssociationRequest, StepState, WatchAssociationRequest,
};
use crossbind_tests::*;
use serde_json::Value;
use tokio_stream::StreamExt;

fn principal_of(uid: &str) -> String {
    format!("{uid}@emr.dataworks.aliyuncs.com")
}

fn service_principals(role: &Value) -> Vec<String> {
    let policy: Value =
        serde_json::from_str(role["AssumeRolePolicyDocument"].as_str().unwrap()).unwrap();
    let mut out = Vec::new();
    for statement in policy["Statement"].as_array().unwrap() {
        match &statement["Principal"]["Service"] {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => {
                out.extend(items.iter().map(|v| v.as_str().unwrap().to_string()))
            }
            _ => {}
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_lists_each_change_and_changes_nothing() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();

    let plan = client
        .plan_association(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.failure.is_none(), "{plan:#?}");
    let mut actions: Vec<(&str, &str, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.step.as_str(), c.account_uid.as_str(), c.action.as_str()))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            (
                "register.dev",
                DEFAULT_CONSUMER_UID,
                "CreateComputeResource"
            ),
            (
                "register.prod",
                DEFAULT_CONSUMER_UID,
                "CreateComputeResource"
            ),
            ("trust", DEFAULT_PROVIDER_UID, "AttachPolicyToRole"),
            ("trust", DEFAULT_PROVIDER_UID, "CreateRole"),
        ]
    );
    assert_eq!(
        mutation_count(&h.state().await),
        0,
        "a plan changes nothing"
    );

    let done = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(done.state(), AssociationState::Succeeded);
    let again = client
        .plan_association(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await
        .unwrap()
        .into_inner();
    assert!(again.changes.is_empty(), "{again:#?}");

    let kerberos = client
        .plan_association(request("C-2D3E4F5A6B7C8D9E", DEFAULT_WORKSPACE_ID))
        .await
        .unwrap()
        .into_inner();
    assert!(kerberos.changes.is_empty());
    assert_eq!(kerberos.failure.unwrap().reasons, ["KERBEROS_ENABLED"]);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dissociation_removes_what_the_association_created() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let association = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(association.state(), AssociationState::Succeeded);

    let gone = h.dissociate(&association.id).await;
    assert_eq!(
        gone.state(),
        AssociationState::Dissociated,
        "{gone:#?}\n{}",
        h.logs()
    );
    assert!(gone.resources.is_empty());
    let state = h.state().await;
    assert!(
        roles(&state, DEFAULT_PROVIDER_UID).is_empty(),
        "the role crossbind created is deleted"
    );
    assert!(compute_resources(&state, DEFAULT_CONSUMER_UID, DEFAULT_WORKSPACE_ID).is_empty());

    let mutations = mutation_count(&h.state().await);
    let twice = client
        .dissociate_association(DissociateAssociationRequest {
            id: association.id.clone(),
        })
        .await
        .expect("dissociating again is success")
        .into_inner();
    assert_eq!(twice.state(), AssociationState::Dissociated);
    assert_eq!(
        mutation_count(&h.state().await),
        mutations,
        "and changes nothing"
    );

    // The cluster and workspace are free again: a new association sets everything up anew.
    let again = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(again.state(), AssociationState::Succeeded);
    assert_ne!(again.id, association.id);
    h.stack.stop().await;
}

const SECOND_CONSUMER: &str = "1688000000000003";

fn world_with_a_second_consumer() -> String {
    format!(
        "{DEFAULT_WORLD_TOML}
[[accounts]]
uid = \"{SECOND_CONSUMER}\"
name = \"consumer-c\"
[[accounts.access_keys]]
id = \"LTAI5tConsumerC0000000001\"
secret = \"cloudsimConsumerCSecretKey000001\"
[[accounts.workspaces]]
id = 30001
name = \"marketing\"
mode = \"standard\"
region = \"cn-hangzhou\"
"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dissociation_keeps_a_role_shared_with_a_second_consumer() {
    let (mut options, dir) = options();
    with_world(&mut options, &world_with_a_second_consumer());
    options.extra_consumer_uids = vec![SECOND_CONSUMER.to_string()];
    options
        .provider_consent
        .consumer_accounts
        .push(SECOND_CONSUMER.to_string());
    let h = start(options, dir).await;

    let first = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(first.state(), AssociationState::Succeeded, "{}", h.logs());
    let mut second_request = request(DEFAULT_CLUSTER_ID, "30001");
    second_request.consumer_account_uid = SECOND_CONSUMER.to_string();
    let second = h.run(second_request).await;
    assert_eq!(
        second.state(),
        AssociationState::Succeeded,
        "{second:#?}\n{}",
        h.logs()
    );
    let state = h.state().await;
    assert_eq!(
        service_principals(&roles(&state, DEFAULT_PROVIDER_UID)[0]),
        [
            principal_of(DEFAULT_CONSUMER_UID),
            principal_of(SECOND_CONSUMER)
        ]
    );

    assert_eq!(
        h.dissociate(&first.id).await.state(),
        AssociationState::Dissociated
    );
    let state = h.state().await;
    let provider_roles = roles(&state, DEFAULT_PROVIDER_UID);
    assert_eq!(provider_roles.len(), 1, "the shared role stays");
    assert_eq!(
        service_principals(&provider_roles[0]),
        [principal_of(SECOND_CONSUMER)]
    );
    assert!(
        provider_roles[0]["AttachedPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["PolicyName"] == DATAWORKS_EMR_POLICY)
    );
    assert!(compute_resources(&state, DEFAULT_CONSUMER_UID, DEFAULT_WORKSPACE_ID).is_empty());
    assert_eq!(compute_resources(&state, SECOND_CONSUMER, "30001").len(), 2);

    // The last consumer leaving deletes the role crossbind created.
    assert_eq!(
        h.dissociate(&second.id).await.state(),
        AssociationState::Dissociated
    );
    let state = h.state().await;
    assert!(
        roles(&state, DEFAULT_PROVIDER_UID).is_empty(),
        "{:#?}",
        roles(&state, DEFAULT_PROVIDER_UID)
    );
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_judged_by_meaning_and_found_when_real() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let world = World::default_world();
    let mut client = h.stack.client().await.unwrap();
    let association = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(association.state(), AssociationState::Succeeded);
    let drift = |client: &mut crossbind_proto::coordinator_client::CoordinatorClient<_>| {
        let id = association.id.clone();
        let mut client = client.clone();
        async move {
            client
                .check_drift(CheckDriftRequest { id })
                .await
                .unwrap()
                .into_inner()
        }
    };
    assert!(!drift(&mut client).await.drifted);

    let provider = h.cloud(DEFAULT_PROVIDER_UID, &world);
    let role = RoleName::new("EMRRole").unwrap();
    let principal = principal_of(DEFAULT_CONSUMER_UID);
    // The same trust in another layout: reordered keys, whitespace, a lone string, `service`.
    let relaid = format!(
        "{{ \"Version\" : \"1\", \"Statement\" : [ {{ \"Principal\" : {{ \"service\" : \"{principal}\" }},\n  \"Effect\" : \"Allow\", \"Action\" : [\"sts:AssumeRole\"] }} ] }}"
    );
    provider
        .update_role(&UpdateRole {
            role_name: role.clone(),
            new_assume_role_policy_document: Some(relaid),
            new_description: None,
            new_max_session_duration: None,
        })
        .await
        .unwrap();
    let report = drift(&mut client).await;
    assert!(!report.drifted, "another layout is no drift: {report:#?}");

    // The principal removed: drift.
    provider
        .update_role(&UpdateRole {
            role_name: role.clone(),
            new_assume_role_policy_document: Some(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1688000000000009:root"]}}]}"#.into(),
            ),
            new_description: None,
            new_max_session_duration: None,
        })
        .await
        .unwrap();
    let report = drift(&mut client).await;
    assert!(report.drifted);
    assert!(
        report
            .drifts
            .iter()
            .any(|d| d.account_uid == DEFAULT_PROVIDER_UID && d.description.contains(&principal)),
        "{report:#?}"
    );

    // The policy detached and a compute resource deleted: both reported.
    provider
        .detach_policy_from_role(PolicyType::System, DATAWORKS_EMR_POLICY, &role)
        .await
        .unwrap();
    let consumer = h.cloud(DEFAULT_CONSUMER_UID, &world);
    let dev = association
        .resources
        .iter()
        .find(|r| r.environment() == crossbind_proto::Environment::Dev)
        .unwrap();
    consumer
        .delete_compute_resource(
            &WorkspaceId::new(DEFAULT_WORKSPACE_ID).unwrap(),
            dev.compute_resource_id.parse().unwrap(),
        )
        .await
        .unwrap();
    let report = drift(&mut client).await;
    assert!(
        report
            .drifts
            .iter()
            .any(|d| d.description.contains("AttachPolicyToRole")),
        "{report:#?}"
    );
    assert!(
        report
            .drifts
            .iter()
            .any(|d| d.account_uid == DEFAULT_CONSUMER_UID && d.resource.contains("(Dev)")),
        "{report:#?}"
    );
    let stored = h.settle(&association.id).await;
    assert!(
        stored.drift.unwrap().drifted,
        "the last report is kept on the association"
    );

    // Applying the association again repairs every drift.
    let repaired = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(
        repaired.state(),
        AssociationState::Succeeded,
        "{repaired:#?}"
    );
    assert!(!drift(&mut client).await.drifted);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_at_a_step_boundary_and_retry_carries_on() {
    let (options, dir) = options();
    let mut h = start(options, dir).await;
    // Without its consumer agent the association waits, retrying, in identify.consumer.
    h.stack.kill("consumer").await;
    let mut client = h.stack.client().await.unwrap();
    let created = client
        .create_association(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await
        .unwrap()
        .into_inner();
    let mut events = client
        .watch_association(WatchAssociationRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        if event.kind() == EventKind::StepRetrying {
            assert_eq!(event.step, "identify.consumer");
            break;
        }
    }
    client
        .cancel_association(CancelAssociationRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap();
    let cancelled = h.settle(&created.id).await;
    assert_eq!(
        cancelled.state(),
        AssociationState::Cancelled,
        "{cancelled:#?}"
    );
    let trust = cancelled.steps.iter().find(|s| s.name == "trust").unwrap();
    assert_eq!(trust.state(), StepState::Pending);
    assert_eq!(mutation_count(&h.state().await), 0);
    let late = client
        .cancel_association(CancelAssociationRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), tonic::Code::FailedPrecondition);

    h.stack.restart("consumer").await.unwrap();
    client
        .retry_association(RetryAssociationRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap();
    let done = h.settle(&created.id).await;
    assert_eq!(
        done.state(),
        AssociationState::Succeeded,
        "{done:#?}\n{}",
        h.logs()
    );
    assert_eq!(done.resources.len(), 2);
    let succeeded = client
        .retry_association(RetryAssociationRequest { id: created.id })
        .await
        .unwrap_err();
    assert_eq!(succeeded.code(), tonic::Code::FailedPrecondition);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_keys_and_business_keys() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let mut keyed = request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID);
    keyed.idempotency_key = "deploy-42".into();
    let first = client
        .create_association(keyed.clone())
        .await
        .unwrap()
        .into_inner();
    let repeat = client
        .create_association(keyed.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, repeat.id);
    let done = h.settle(&first.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded);

    let mut other = keyed.clone();
    other.role_name = "OtherRole".into();
    let refused = client.create_association(other.clone()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::AlreadyExists);
    assert!(
        refused.message().contains(&first.id),
        "{}",
        refused.message()
    );

    other.idempotency_key = String::new();
    let refused = client.create_association(other).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::AlreadyExists);
    assert!(
        refused.message().contains(&first.id),
        "{}",
        refused.message()
    );
    let list = client
        .list_associations(crossbind_proto::ListAssociationsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.associations.len(), 1);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_also_checked_on_an_interval() {
    let (mut options, dir) = options();
    options.drift_interval_seconds = Some(1);
    let h = start(options, dir).await;
    let association = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(association.state(), AssociationState::Succeeded);
    let provider = h.cloud(DEFAULT_PROVIDER_UID, &World::default_world());
    provider
        .detach_policy_from_role(
            PolicyType::System,
            DATAWORKS_EMR_POLICY,
            &RoleName::new("EMRRole").unwrap(),
        )
        .await
        .unwrap();
    let mut client = h.stack.client().await.unwrap();
    // The background check runs every second; give it a bounded number of chances.
    for _ in 0..50 {
        let current = client
            .get_association(crossbind_proto::GetAssociationRequest {
                id: association.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if let Some(report) = current.drift
            && report.drifted
        {
            assert!(
                report
                    .drifts
                    .iter()
                    .any(|d| d.description.contains("AttachPolicyToRole")),
                "{report:#?}"
            );
            h.stack.stop().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no drift reported by the interval check\n{}", h.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn dissociation_keeps_the_trust_another_association_of_the_same_accounts_uses() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let first = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    let second = h
        .run(request("C-6A7B8C9D0E1F2A3B", DEFAULT_WORKSPACE_ID))
        .await;
    assert_eq!(first.state(), AssociationState::Succeeded);
    assert_eq!(second.state(), AssociationState::Succeeded, "{second:#?}");

    let gone = h.dissociate(&first.id).await;
    assert_eq!(gone.state(), AssociationState::Dissociated);
    let revoke = gone.steps.iter().find(|s| s.name == "revoke").unwrap();
    assert_eq!(revoke.state(), StepState::Skipped, "{revoke:?}");
    assert!(revoke.message.contains(&second.id), "{revoke:?}");

    let state = h.state().await;
    let provider_roles = roles(&state, DEFAULT_PROVIDER_UID);
    assert_eq!(
        provider_roles.len(),
        1,
        "the role the second association uses stays"
    );
    assert_eq!(
        service_principals(&provider_roles[0]),
        [principal_of(DEFAULT_CONSUMER_UID)]
    );
    let report = client
        .check_drift(CheckDriftRequest {
            id: second.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!report.drifted, "{report:#?}");

    // Once the last association between the accounts goes, so does the role.
    assert_eq!(
        h.dissociate(&second.id).await.state(),
        AssociationState::Dissociated
    );
    assert!(roles(&h.state().await, DEFAULT_PROVIDER_UID).is_empty());
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_of_a_dissociated_association_is_refused() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let mut keyed = request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID);
    keyed.idempotency_key = "once".into();
    let first = h.run(keyed.clone()).await;
    assert_eq!(
        h.dissociate(&first.id).await.state(),
        AssociationState::Dissociated
    );
    let refused = client.create_association(keyed).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("new key"),
        "{}",
        refused.message()
    );
    h.stack.stop().await;
}
