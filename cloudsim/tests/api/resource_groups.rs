//! DataWorks resource groups: listing with filters and the misspelled vSwitch field, binding
//! to and unbinding from a workspace, the bound-workspace list, unknown IDs; and the test
//! endpoint that changes a cluster's configuration.

use serde_json::{Value, json};

use crate::support::*;

const BOUND: &str = "Serverless_res_group_1688000000000001_0001";
const SPARE: &str = "Serverless_res_group_1688000000000001_0002";

fn ids(body: &Value) -> Vec<&str> {
    body["PagingInfo"]["ResourceGroupList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["Id"].as_str().unwrap())
        .collect()
}

async fn bound(h: &Harness) -> Value {
    ok(h.call(
        A,
        "ListResourceGroupAssociateProjects",
        DATAWORKS,
        &[("ResourceGroupId", SPARE)],
    )
    .await)["ProjectIdList"]
        .clone()
}

async fn read(h: &Harness) -> Value {
    ok(h.call(
        B,
        "ListApplicationConfigs",
        EMR,
        &[
            ("RegionId", REGION),
            ("ClusterId", ELIGIBLE),
            ("ConfigFileName", "core-site.xml"),
        ],
    )
    .await)
}

#[tokio::test]
async fn list_resource_groups_shows_networks_and_filters() {
    let h = Harness::start().await;
    let call = h.v2(A, Carry::Get, "ListResourceGroups", DATAWORKS, &[]);
    let all = ok(h.send_v2(&call).await);
    assert_eq!(ids(&all), vec![BOUND, SPARE]);
    assert_eq!(all["PagingInfo"]["TotalCount"], 2);
    let first = &all["PagingInfo"]["ResourceGroupList"][0];
    assert_eq!(first["ResourceGroupType"], "CommonV2");
    assert_eq!(first["Status"], "Normal");
    assert_eq!(first["DefaultVpcId"], "vpc-bp1consumer0000000001");
    assert_eq!(first["DefaultVswicthId"], "vsw-bp1consumer0000000001");
    assert!(first.get("DefaultVswitchId").is_none(), "{first}");

    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ProjectId", "10001")],
    );
    assert_eq!(ids(&ok(h.send_v2(&call).await)), vec![BOUND]);
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ProjectId", "10002")],
    );
    assert!(ids(&ok(h.send_v2(&call).await)).is_empty());
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("Statuses", r#"["Stop"]"#)],
    );
    assert!(ids(&ok(h.send_v2(&call).await)).is_empty());
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ResourceGroupTypes", r#"["ExclusiveScheduler"]"#)],
    );
    assert!(ids(&ok(h.send_v2(&call).await)).is_empty());

    // B has no resource groups; an unknown workspace and a bad list are errors.
    let call = h.v2(B, Carry::Get, "ListResourceGroups", DATAWORKS, &[]);
    assert!(ids(&ok(h.send_v2(&call).await)).is_empty());
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ProjectId", "99999")],
    );
    assert_error(&h.send_v2(&call).await, 404, "Project.NotFound");
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("Statuses", "Normal")],
    );
    assert_error(&h.send_v2(&call).await, 400, "InvalidParameter");
}

#[tokio::test]
async fn associating_binds_once_and_records_each_call() {
    let h = Harness::start().await;
    assert_eq!(bound(&h).await, json!([]));
    let args = [("ProjectId", "10002"), ("ResourceGroupId", SPARE)];
    let call = h.v2(
        A,
        Carry::PostForm,
        "AssociateProjectToResourceGroup",
        DATAWORKS,
        &args,
    );
    assert_eq!(ok(h.send_v2(&call).await)["Success"], true);
    let call = h.v2(
        A,
        Carry::PostForm,
        "AssociateProjectToResourceGroup",
        DATAWORKS,
        &args,
    );
    ok(h.send_v2(&call).await);
    assert_eq!(bound(&h).await, json!([10002]));
    assert_eq!(
        h.mutations(),
        vec![
            "AssociateProjectToResourceGroup",
            "AssociateProjectToResourceGroup"
        ]
    );
    let state = h.state().await;
    assert_eq!(
        state["accounts"][A_UID]["resource_groups"][1]["Workspaces"],
        json!([10002])
    );
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ProjectId", "10002")],
    );
    assert_eq!(ids(&ok(h.send_v2(&call).await)), vec![SPARE]);
}

async fn dissociate(h: &Harness, project: &str, group: &str) -> (u16, Value) {
    let call = h.v2(
        A,
        Carry::PostForm,
        "DissociateProjectFromResourceGroup",
        DATAWORKS,
        &[("ProjectId", project), ("ResourceGroupId", group)],
    );
    h.send_v2(&call).await
}

#[tokio::test]
async fn dissociating_unbinds_once_and_then_is_refused() {
    let h = Harness::start().await;
    let bind = h.v2(
        A,
        Carry::PostForm,
        "AssociateProjectToResourceGroup",
        DATAWORKS,
        &[("ProjectId", "10002"), ("ResourceGroupId", SPARE)],
    );
    ok(h.send_v2(&bind).await);
    assert_eq!(bound(&h).await, json!([10002]));
    assert_eq!(ok(dissociate(&h, "10002", SPARE).await)["Success"], true);
    assert_eq!(bound(&h).await, json!([]));
    let call = h.v2(
        A,
        Carry::Get,
        "ListResourceGroups",
        DATAWORKS,
        &[("ProjectId", "10002")],
    );
    assert!(ids(&ok(h.send_v2(&call).await)).is_empty());

    let again = dissociate(&h, "10002", SPARE).await;
    assert_error(&again, 404, "ResourceGroup.NotAssociated");
    assert!(
        again.1["Message"]
            .as_str()
            .unwrap()
            .contains("not bound to workspace 10002"),
        "{}",
        again.1
    );
    // The group bound from the start can be unbound too, with a V3 signature.
    let v3 = h
        .call_v3(
            A,
            "POST",
            "DissociateProjectFromResourceGroup",
            DATAWORKS,
            &[],
            &[("ProjectId", "10001"), ("ResourceGroupId", BOUND)],
        )
        .await;
    assert_eq!(ok(v3)["Success"], true);
    let state = h.state().await;
    assert_eq!(
        state["accounts"][A_UID]["resource_groups"][0]["Workspaces"],
        json!([])
    );
    assert_eq!(
        h.mutations(),
        [
            "AssociateProjectToResourceGroup",
            "DissociateProjectFromResourceGroup",
            "DissociateProjectFromResourceGroup"
        ]
    );

    assert_error(
        &dissociate(&h, "10001", "rg-nope").await,
        404,
        "ResourceGroup.NotFound",
    );
    assert_error(
        &dissociate(&h, "99999", SPARE).await,
        404,
        "Project.NotFound",
    );
    let call = h.v2(
        B,
        Carry::PostForm,
        "DissociateProjectFromResourceGroup",
        DATAWORKS,
        &[("ProjectId", "10001"), ("ResourceGroupId", BOUND)],
    );
    assert_error(&h.send_v2(&call).await, 404, "Project.NotFound");
    assert_eq!(h.mutations().len(), 3, "refusals change nothing");
}

#[tokio::test]
async fn unknown_groups_and_workspaces_are_refused() {
    let h = Harness::start().await;
    assert_error(
        &h.call(
            A,
            "AssociateProjectToResourceGroup",
            DATAWORKS,
            &[("ProjectId", "10001"), ("ResourceGroupId", "rg-nope")],
        )
        .await,
        404,
        "ResourceGroup.NotFound",
    );
    assert_error(
        &h.call(
            A,
            "AssociateProjectToResourceGroup",
            DATAWORKS,
            &[("ProjectId", "99999"), ("ResourceGroupId", SPARE)],
        )
        .await,
        404,
        "Project.NotFound",
    );
    // Another account's group is not visible.
    assert_error(
        &h.call(
            B,
            "ListResourceGroupAssociateProjects",
            DATAWORKS,
            &[("ResourceGroupId", BOUND)],
        )
        .await,
        404,
        "ResourceGroup.NotFound",
    );
    assert_error(
        &h.call(A, "ListResourceGroupAssociateProjects", DATAWORKS, &[])
            .await,
        400,
        "MissingResourceGroupId",
    );
    assert!(h.mutations().is_empty());
}

#[tokio::test]
async fn the_config_endpoint_changes_configs_and_bumps_the_version() {
    let h = Harness::start().await;
    let before = read(&h).await;
    let path = format!("/_cloudsim/clusters/{ELIGIBLE}/config");
    let changed = ok(h
        .post_json(
            &path,
            &json!({"file": "core-site.xml", "key": "hadoop.proxyuser.hive.hosts", "value": "*"}),
        )
        .await);
    assert_eq!(changed["ConfigVersion"], 1);
    let changed = ok(h
        .post_json(
            &path,
            &json!({"file": "core-site.xml", "key": "hadoop.security.authentication", "value": "kerberos"}),
        )
        .await);
    assert_eq!(changed["ConfigVersion"], 2);
    let after = read(&h).await;
    let items = |v: &Value| {
        v["ApplicationConfigs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["ConfigItemKey"].as_str().unwrap().to_owned(),
                    c["ConfigItemValue"].as_str().unwrap().to_owned(),
                    c["ApplicationName"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(items(&before).len() + 1, items(&after).len());
    assert!(items(&after).contains(&(
        "hadoop.proxyuser.hive.hosts".into(),
        "*".into(),
        "HADOOP-COMMON".into()
    )));
    assert!(items(&after).contains(&(
        "hadoop.security.authentication".into(),
        "kerberos".into(),
        "HADOOP-COMMON".into()
    )));
    let state = h.state().await;
    let clusters = state["accounts"][B_UID]["clusters"].as_array().unwrap();
    let versions: Vec<(&str, &Value)> = clusters
        .iter()
        .map(|c| (c["ClusterId"].as_str().unwrap(), &c["ConfigVersion"]))
        .collect();
    assert!(versions.contains(&(ELIGIBLE, &json!(2))), "{versions:?}");
    assert!(versions.iter().filter(|(_, v)| **v == json!(0)).count() == clusters.len() - 1);
    assert!(h.mutations().is_empty(), "not an API write");

    let (status, _) = h
        .post_json(
            "/_cloudsim/clusters/C-0000000000000000/config",
            &json!({"file": "core-site.xml", "key": "k", "value": "v"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = h.post_json(&path, &json!({"file": "core-site.xml"})).await;
    assert_eq!(status, 400);
}
