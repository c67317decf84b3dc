//! DiagnoseWorkspace: a deleted compute resource is `found = false`, a live one says what it
//! connects to, a resource named without an ID is found by its connection, an unbound or
//! missing group is reported rather than refused, and nothing is changed.

use crossbind_cloudsim::DataSource;
use crossbind_proto::{
    BindResourceGroupRequest, ComputeResourceRef, DiagnoseWorkspaceRequest, WorkspaceDiagnosis,
};

use super::*;

fn diagnose_req(group: &str, resources: Vec<ComputeResourceRef>) -> DiagnoseWorkspaceRequest {
    DiagnoseWorkspaceRequest {
        workspace_id: STANDARD.to_owned(),
        provider_account_uid: PROVIDER_UID.to_owned(),
        role_name: "EMRRole".to_owned(),
        cluster_id: CLUSTER.to_owned(),
        resource_group_id: group.to_owned(),
        compute_resources: resources,
    }
}

fn by_id(env: Environment, id: &str) -> ComputeResourceRef {
    ComputeResourceRef {
        environment: env as i32,
        compute_resource_id: id.to_owned(),
        compute_resource_name: "emr_cross".to_owned(),
    }
}

fn mentions(d: &WorkspaceDiagnosis, text: &str) -> bool {
    d.unchecked.iter().any(|u| u.contains(text))
}

#[tokio::test]
async fn a_deleted_resource_and_an_unbound_group_are_reported() {
    let mut h = start(trusted_world(0)).await;
    let ids = register_all(&mut h, STANDARD, &[Environment::Dev, Environment::Prod]).await;
    h.client
        .unregister_cluster(UnregisterClusterRequest {
            workspace_id: STANDARD.to_owned(),
            environment: Environment::Dev as i32,
            compute_resource_id: ids[0].clone(),
            ..Default::default()
        })
        .await
        .expect("unregister dev");
    let before = h.cloud.mutations().len();
    let d = h
        .client
        .diagnose_workspace(diagnose_req(
            SPARE_GROUP,
            vec![
                by_id(Environment::Dev, &ids[0]),
                by_id(Environment::Prod, &ids[1]),
            ],
        ))
        .await
        .expect("diagnose")
        .into_inner();
    assert_eq!(
        h.cloud.mutations().len(),
        before,
        "a diagnosis changes nothing"
    );

    let workspace = d.workspace.as_ref().expect("workspace exists");
    assert_eq!(workspace.name, "analytics");
    let [dev, prod] = d.compute_resources.as_slice() else {
        panic!("{:?}", d.compute_resources);
    };
    assert!(!dev.found, "{dev:?}");
    assert_eq!(dev.compute_resource_id, ids[0]);
    assert!(dev.cluster_id.is_empty());
    assert!(prod.found, "{prod:?}");
    assert_eq!(prod.environment, Environment::Prod as i32);
    assert_eq!(prod.compute_resource_name, "emr_cross");
    assert_eq!(prod.provider_account_uid, PROVIDER_UID);
    assert_eq!(prod.role_name, "EMRRole");
    assert_eq!(prod.cluster_id, CLUSTER);

    assert!(d.resource_group_found);
    let group = d.resource_group.as_ref().expect("group");
    assert_eq!(group.resource_group_id, SPARE_GROUP);
    assert!(!group.bound);
    assert_eq!(group.status, "Normal");
    assert!(
        mentions(
            &d,
            &format!("Whether resource group {SPARE_GROUP} has been initialized")
        ),
        "{:?}",
        d.unchecked
    );
    assert!(
        mentions(&d, "no public API reports it"),
        "{:?}",
        d.unchecked
    );
    assert!(
        mentions(
            &d,
            &format!("No data source of workspace {STANDARD} points at cluster {CLUSTER}")
        ),
        "{:?}",
        d.unchecked
    );
    assert!(d.connectivity.is_empty());
}

#[tokio::test]
async fn connectivity_is_tested_from_the_group_for_each_data_source_of_the_cluster() {
    let mut world = trusted_world(0);
    let sources = &mut consumer_account(&mut world).data_sources;
    for (id, name, env, cluster) in [
        (
            50001,
            "hive_etl",
            crossbind_cloudsim::Environment::Prod,
            CLUSTER,
        ),
        (
            50002,
            "hive_etl",
            crossbind_cloudsim::Environment::Dev,
            CLUSTER,
        ),
        (
            50003,
            "hive_adhoc",
            crossbind_cloudsim::Environment::Prod,
            OTHER_CLUSTER,
        ),
    ] {
        sources.push(DataSource {
            id,
            workspace: 10001,
            name: name.to_owned(),
            source_type: "hive".to_owned(),
            environment: env,
            cluster_id: cluster.parse().expect("cluster id"),
        });
    }
    let mut h = start(world).await;
    // The bound group's VPC is not the cluster's.
    let d = h
        .client
        .diagnose_workspace(diagnose_req(BOUND_GROUP, Vec::new()))
        .await
        .expect("diagnose")
        .into_inner();
    let tested: Vec<(&str, &str, i32)> = d
        .connectivity
        .iter()
        .map(|t| (t.data_source_id.as_str(), t.state.as_str(), t.environment))
        .collect();
    assert_eq!(
        tested.len(),
        2,
        "only the data sources of the cluster: {tested:?}"
    );
    assert!(
        tested.contains(&("50001", "Unreachable", Environment::Prod as i32)),
        "{tested:?}"
    );
    assert!(
        tested.contains(&("50002", "Unreachable", Environment::Dev as i32)),
        "{tested:?}"
    );
    assert!(
        d.connectivity
            .iter()
            .all(|t| t.data_source_name == "hive_etl")
    );
    assert!(!d.connectivity[0].message.is_empty());
    assert!(!mentions(&d, "No data source"), "{:?}", d.unchecked);

    // The spare group shares the cluster's VPC; once bound, it connects.
    h.client
        .bind_resource_group(BindResourceGroupRequest {
            workspace_id: STANDARD.to_owned(),
            resource_group_id: SPARE_GROUP.to_owned(),
            dry_run: false,
        })
        .await
        .expect("bind");
    let d = h
        .client
        .diagnose_workspace(diagnose_req(SPARE_GROUP, Vec::new()))
        .await
        .expect("diagnose")
        .into_inner();
    assert_eq!(d.connectivity.len(), 2);
    assert!(
        d.connectivity.iter().all(|t| t.state == "Connectable"),
        "{:?}",
        d.connectivity
    );
}

#[tokio::test]
async fn a_resource_without_an_id_is_found_by_what_it_connects_to() {
    let mut h = start(trusted_world(0)).await;
    let ids = register_all(&mut h, STANDARD, &[Environment::Prod]).await;
    let d = h
        .client
        .diagnose_workspace(diagnose_req(
            BOUND_GROUP,
            vec![
                by_id(Environment::Prod, ""),
                ComputeResourceRef {
                    environment: Environment::Dev as i32,
                    compute_resource_id: String::new(),
                    compute_resource_name: "emr_cross".to_owned(),
                },
            ],
        ))
        .await
        .expect("diagnose")
        .into_inner();
    let [prod, dev] = d.compute_resources.as_slice() else {
        panic!("{:?}", d.compute_resources);
    };
    assert!(prod.found);
    assert_eq!(prod.compute_resource_id, ids[0]);
    assert_eq!(prod.cluster_id, CLUSTER);
    assert!(!dev.found, "no Dev resource was registered: {dev:?}");
    assert!(d.resource_group.expect("group").bound);
}

#[tokio::test]
async fn a_missing_group_or_workspace_is_reported_not_refused() {
    let mut h = start(trusted_world(0)).await;
    let d = h
        .client
        .diagnose_workspace(diagnose_req(
            "Serverless_res_group_nope",
            vec![by_id(Environment::Prod, "")],
        ))
        .await
        .expect("diagnose")
        .into_inner();
    assert!(!d.resource_group_found);
    assert!(d.resource_group.is_none());
    assert!(d.connectivity.is_empty());
    assert!(
        mentions(
            &d,
            "resource group Serverless_res_group_nope does not exist"
        ),
        "{:?}",
        d.unchecked
    );
    assert!(!d.compute_resources[0].found);

    let mut req = diagnose_req("", vec![by_id(Environment::Prod, "5")]);
    req.workspace_id = "99999".to_owned();
    let gone = h
        .client
        .diagnose_workspace(req)
        .await
        .expect("diagnose")
        .into_inner();
    assert!(gone.workspace.is_none());
    assert!(!gone.compute_resources[0].found);
    assert!(
        mentions(&gone, "names no resource group"),
        "{:?}",
        gone.unchecked
    );
    assert!(
        mentions(&gone, "Workspace 99999 does not exist"),
        "{:?}",
        gone.unchecked
    );
}

#[tokio::test]
async fn diagnosis_requests_are_validated_and_consent_applies() {
    let mut h = start(trusted_world(0)).await;
    let mut bad_env = diagnose_req("", vec![by_id(Environment::Prod, "")]);
    bad_env.compute_resources[0].environment = 0;
    let mut bad_id = diagnose_req("", vec![by_id(Environment::Prod, "-3")]);
    bad_id.role_name = "EMRRole".to_owned();
    let mut no_role = diagnose_req("", Vec::new());
    no_role.role_name = String::new();
    let mut stranger = diagnose_req("", Vec::new());
    stranger.provider_account_uid = "1688000000000777".to_owned();
    for (req, code, text) in [
        (
            bad_env,
            Code::InvalidArgument,
            "compute_resources[0] environment",
        ),
        (
            bad_id,
            Code::InvalidArgument,
            "compute_resources[0] compute_resource_id",
        ),
        (no_role, Code::InvalidArgument, "role_name is required"),
        (
            stranger,
            Code::PermissionDenied,
            "consent.provider_accounts",
        ),
    ] {
        let status = h.client.diagnose_workspace(req).await.expect_err("refused");
        assert_eq!(status.code(), code, "{}", status.message());
        assert!(
            status.message().contains(text),
            "{text}: {}",
            status.message()
        );
    }
}
