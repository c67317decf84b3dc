//! The diagnosis rules, one case per finding, from hand-made agent reports.

use super::*;
use crossbind_proto::{
    ConnectivityTest, CreateAssociationRequest, Environment, IneligibilityReason, Initialization,
    ResourceGroupCheck, WorkspaceCheck,
};

const PROVIDER: &str = "1688000000000002";
const CONSUMER: &str = "1688000000000001";

fn association() -> Association {
    Association {
        id: "a1".into(),
        request: Some(CreateAssociationRequest {
            provider_account_uid: PROVIDER.into(),
            cluster_id: "C-4F2A9B1C8D3E7A60".into(),
            role_name: "EMRRole".into(),
            consumer_account_uid: CONSUMER.into(),
            workspace_id: "10001".into(),
            resource_group_id: "rg1".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn cluster() -> ClusterCheck {
    ClusterCheck {
        cluster_id: "C-4F2A9B1C8D3E7A60".into(),
        state: "RUNNING".into(),
        eligible: true,
        release_version: "EMR-3.38.3".into(),
        config_fingerprint: "f1".into(),
        vpc_id: "vpc-b".into(),
        vswitch_id: "vsw-b".into(),
        ..Default::default()
    }
}

fn healthy_provider() -> TrustDiagnosis {
    TrustDiagnosis {
        role_name: "EMRRole".into(),
        role_exists: true,
        role_arn: "acs:ram::1688000000000002:role/emrrole".into(),
        principal: format!("{CONSUMER}@emr.dataworks.aliyuncs.com"),
        principal_trusted: true,
        policy_attached: true,
        trust_policy: String::new(),
        cluster_found: true,
        cluster: Some(cluster()),
    }
}

fn healthy_consumer() -> WorkspaceDiagnosis {
    WorkspaceDiagnosis {
        workspace: Some(WorkspaceCheck {
            workspace_id: "10001".into(),
            ..Default::default()
        }),
        compute_resources: vec![ComputeResourceDiagnosis {
            environment: Environment::Prod as i32,
            compute_resource_id: "100001".into(),
            compute_resource_name: "crossbind_c".into(),
            found: true,
            provider_account_uid: PROVIDER.into(),
            role_name: "EMRRole".into(),
            cluster_id: "C-4F2A9B1C8D3E7A60".into(),
        }],
        resource_group_found: true,
        resource_group: Some(ResourceGroupCheck {
            resource_group_id: "rg1".into(),
            status: "Normal".into(),
            vpc_id: "vpc-b".into(),
            vswitch_id: "vsw-a".into(),
            bound: true,
            ..Default::default()
        }),
        connectivity: Vec::new(),
        unchecked: vec!["no data source".into()],
    }
}

fn codes(provider: &TrustDiagnosis, consumer: &WorkspaceDiagnosis) -> Vec<(Severity, String)> {
    findings(&association(), Some(provider), Some(consumer))
        .0
        .into_iter()
        .map(|f| (f.severity(), f.code))
        .collect()
}

fn has_error(found: &[(Severity, String)], code: &str) -> bool {
    found
        .iter()
        .any(|(s, c)| *s == Severity::Error && c == code)
}

#[test]
fn a_healthy_association_passes_with_what_is_unchecked_said() {
    let (found, unchecked) = findings(
        &association(),
        Some(&healthy_provider()),
        Some(&healthy_consumer()),
    );
    let found: Vec<&str> = found.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(found, ["SAME_VPC", "ALL_CHECKS_PASSED"]);
    assert!(unchecked.iter().any(|u| u == "no data source"));
    assert!(unchecked.iter().any(|u| u.contains("CIDR")));
}

#[test]
fn a_lost_principal_is_an_error_in_the_provider_account() {
    let mut provider = healthy_provider();
    provider.principal_trusted = false;
    let (found, _) = findings(&association(), Some(&provider), Some(&healthy_consumer()));
    let first = &found[0];
    assert_eq!(first.code, "PRINCIPAL_NOT_TRUSTED");
    assert_eq!(first.severity(), Severity::Error);
    assert_eq!(first.account_uid, PROVIDER);
    assert!(
        first
            .message
            .contains("1688000000000001@emr.dataworks.aliyuncs.com")
    );
    assert!(first.fix.contains("apply the association again"));
    assert!(!found.iter().any(|f| f.code == "ALL_CHECKS_PASSED"));
}

#[test]
fn a_detached_policy_and_a_missing_role_are_named() {
    let mut provider = healthy_provider();
    provider.policy_attached = false;
    assert!(has_error(
        &codes(&provider, &healthy_consumer()),
        "POLICY_NOT_ATTACHED"
    ));
    provider.role_exists = false;
    let found = codes(&provider, &healthy_consumer());
    assert!(has_error(&found, "ROLE_MISSING"));
    // A missing role is one finding, not three.
    assert!(!has_error(&found, "POLICY_NOT_ATTACHED"));
    assert!(!has_error(&found, "PRINCIPAL_NOT_TRUSTED"));
}

#[test]
fn a_stopped_cluster_is_not_running_and_nothing_else() {
    let mut provider = healthy_provider();
    let cluster = provider.cluster.as_mut().unwrap();
    cluster.state = "TERMINATED".into();
    cluster.eligible = false;
    cluster.reasons = vec![IneligibilityReason::ClusterNotRunning as i32];
    cluster.messages = vec!["the cluster is TERMINATED".into()];
    let found = codes(&provider, &healthy_consumer());
    assert!(has_error(&found, "CLUSTER_NOT_RUNNING"));
    assert!(!has_error(&found, "CLUSTER_NOT_ELIGIBLE"));
    provider.cluster_found = false;
    assert!(has_error(
        &codes(&provider, &healthy_consumer()),
        "CLUSTER_NOT_FOUND"
    ));
}

#[test]
fn a_deleted_or_changed_compute_resource_is_named_with_its_environment() {
    let mut consumer = healthy_consumer();
    consumer.compute_resources[0].found = false;
    let (found, _) = findings(&association(), Some(&healthy_provider()), Some(&consumer));
    let missing = found
        .iter()
        .find(|f| f.code == "COMPUTE_RESOURCE_MISSING")
        .unwrap();
    assert_eq!(missing.subject, "compute resource 100001 (Prod)");
    assert_eq!(missing.account_uid, CONSUMER);

    let mut consumer = healthy_consumer();
    consumer.compute_resources[0].role_name = "OtherRole".into();
    let (found, _) = findings(&association(), Some(&healthy_provider()), Some(&consumer));
    let mismatch = found
        .iter()
        .find(|f| f.code == "COMPUTE_RESOURCE_MISMATCH")
        .unwrap();
    assert!(
        mismatch
            .message
            .contains("role OtherRole instead of EMRRole")
    );
}

#[test]
fn an_unbound_or_stopped_resource_group_is_an_error() {
    let mut consumer = healthy_consumer();
    consumer.resource_group.as_mut().unwrap().bound = false;
    let (found, _) = findings(&association(), Some(&healthy_provider()), Some(&consumer));
    let unbound = found
        .iter()
        .find(|f| f.code == "RESOURCE_GROUP_NOT_BOUND")
        .unwrap();
    assert!(unbound.fix.contains("Associate Workspace"));
    consumer.resource_group.as_mut().unwrap().status = "Stop".into();
    assert!(has_error(
        &codes(&healthy_provider(), &consumer),
        "RESOURCE_GROUP_NOT_USABLE"
    ));
    consumer.resource_group_found = false;
    assert!(has_error(
        &codes(&healthy_provider(), &consumer),
        "RESOURCE_GROUP_NOT_FOUND"
    ));
}

#[test]
fn different_vpcs_are_a_warning_that_says_how_to_connect_them() {
    let mut consumer = healthy_consumer();
    consumer.resource_group.as_mut().unwrap().vpc_id = "vpc-a".into();
    let (found, _) = findings(&association(), Some(&healthy_provider()), Some(&consumer));
    let differ = found.iter().find(|f| f.code == "NETWORKS_DIFFER").unwrap();
    assert_eq!(differ.severity(), Severity::Warning);
    assert!(differ.message.contains("vpc-a") && differ.message.contains("vpc-b"));
    assert!(differ.fix.contains("non-overlapping CIDR"));
}

#[test]
fn connectivity_results_map_to_severities() {
    let mut consumer = healthy_consumer();
    for (state, code) in [
        ("Connectable", "CONNECTIVITY_OK"),
        ("ConfigError", "CONNECTIVITY_CONFIG_ERROR"),
        ("Unreachable", "CONNECTIVITY_UNREACHABLE"),
        ("Unsupport", "CONNECTIVITY_UNSUPPORTED"),
    ] {
        consumer.connectivity = vec![ConnectivityTest {
            data_source_id: "7".into(),
            data_source_name: "hive_b".into(),
            environment: Environment::Prod as i32,
            state: state.into(),
            message: "detail".into(),
        }];
        let found = codes(&healthy_provider(), &consumer);
        assert!(found.iter().any(|(_, c)| c == code), "{state}: {found:?}");
    }
}

#[test]
fn a_changed_configuration_since_the_initialization_is_flagged() {
    let mut association = association();
    association.initialization = Some(Initialization {
        resource_group_id: "rg1".into(),
        config_fingerprint: "f0".into(),
        release_version: "EMR-3.38.3".into(),
        confirmed_at: "2026-12-04T02:00:00Z".into(),
        ..Default::default()
    });
    let (found, _) = findings(
        &association,
        Some(&healthy_provider()),
        Some(&healthy_consumer()),
    );
    let due = found
        .iter()
        .find(|f| f.code == "REINITIALIZATION_DUE")
        .unwrap();
    assert_eq!(due.severity(), Severity::Warning);
}

#[test]
fn errors_come_first_and_a_missing_side_yields_no_pass() {
    let mut provider = healthy_provider();
    provider.policy_attached = false;
    let (found, _) = findings(&association(), Some(&provider), None);
    assert_eq!(found[0].severity(), Severity::Error);
    assert!(!found.iter().any(|f| f.code == "ALL_CHECKS_PASSED"));
    let (found, _) = findings(&association(), None, None);
    assert!(found.is_empty());
}

#[test]
fn an_unreachable_data_source_gets_the_fix_its_cause_needs() {
    let unreachable = |consumer: &mut WorkspaceDiagnosis| {
        consumer.connectivity = vec![ConnectivityTest {
            data_source_id: "7".into(),
            data_source_name: "hive_b".into(),
            environment: Environment::Prod as i32,
            state: "Unreachable".into(),
            message: String::new(),
        }];
    };
    let fix_of = |provider: &TrustDiagnosis, consumer: &WorkspaceDiagnosis| {
        let (found, _) = findings(&association(), Some(provider), Some(consumer));
        let f = found
            .into_iter()
            .find(|f| f.code == "CONNECTIVITY_UNREACHABLE")
            .unwrap();
        assert!(!f.message.contains("()"), "{}", f.message);
        f.fix
    };
    let mut consumer = healthy_consumer();
    unreachable(&mut consumer);
    // Same VPC: the security group, not the network.
    assert!(fix_of(&healthy_provider(), &consumer).contains("security group"));
    // A stopped cluster: start it first.
    let mut stopped = healthy_provider();
    stopped.cluster.as_mut().unwrap().state = "TERMINATED".into();
    assert!(fix_of(&stopped, &consumer).starts_with("start cluster"));
    // Different VPCs: connect them.
    consumer.resource_group.as_mut().unwrap().vpc_id = "vpc-a".into();
    assert!(fix_of(&healthy_provider(), &consumer).contains("CEN or VPC peering"));
}
