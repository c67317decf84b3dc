//! DataWorks data sources in a world that has some: ListDataSources (GET, grouping, filters,
//! sorting, paging, the cluster in the connection properties) and TestDataSourceConnectivity
//! (each verdict of the emulator's model, not-found errors, nothing changed).

use crossbind_cloudsim::{DEFAULT_WORLD_TOML, World};
use serde_json::{Value, json};

use crate::support::*;

const BOUND: &str = "Serverless_res_group_1688000000000001_0001";
const SPARE: &str = "Serverless_res_group_1688000000000001_0002";
const STOPPED: &str = "Serverless_res_group_1688000000000001_0003";

/// The default world plus data sources of A's workspaces and a stopped group bound to 10001.
pub(crate) fn world() -> World {
    let extra = r#"[[accounts.data_sources]]
id = 50001
workspace = 10001
name = "hive_etl"
type = "hive"
environment = "Prod"
cluster_id = "C-4F2A9B1C8D3E7A60"

[[accounts.data_sources]]
id = 50002
workspace = 10001
name = "hive_etl"
type = "hive"
environment = "Dev"
cluster_id = "C-4F2A9B1C8D3E7A60"

[[accounts.data_sources]]
id = 50003
workspace = 10001
name = "hive_gone"
type = "hive"
environment = "Prod"
cluster_id = "C-3E4F5A6B7C8D9E0F"

[[accounts.data_sources]]
id = 50004
workspace = 10001
name = "hive_missing"
type = "hive"
environment = "Prod"
cluster_id = "C-FFFFFFFFFFFFFFFF"

[[accounts.data_sources]]
id = 50005
workspace = 10002
name = "report_hive"
type = "hive"
environment = "Prod"
cluster_id = "C-4F2A9B1C8D3E7A60"

[[accounts.resource_groups]]
id = "Serverless_res_group_1688000000000001_0003"
name = "common_stopped"
status = "Stop"
vpc_id = "vpc-bp1provider0000000001"
vswitch_id = "vsw-bp1provider0000000001"
workspaces = [10001]

# Account B, the provider"#;
    let text = DEFAULT_WORLD_TOML.replace("# Account B, the provider", extra);
    World::from_toml(&text).unwrap()
}

async fn list(h: &Harness, args: &[(&str, &str)]) -> (u16, Value) {
    let call = h.v2(A, Carry::Get, "ListDataSources", DATAWORKS, args);
    h.send_v2(&call).await
}

/// (group name, IDs of its entries) for each group of a ListDataSources answer.
fn groups(body: &Value) -> Vec<(String, Vec<i64>)> {
    body["PagingInfo"]["DataSources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let ids = g["DataSource"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["Id"].as_i64().unwrap())
                .collect();
            (g["Name"].as_str().unwrap().to_owned(), ids)
        })
        .collect()
}

async fn test(h: &Harness, project: &str, source: &str, group: &str) -> (u16, Value) {
    h.call(
        A,
        "TestDataSourceConnectivity",
        DATAWORKS,
        &[
            ("ProjectId", project),
            ("DataSourceId", source),
            ("ResourceGroupId", group),
        ],
    )
    .await
}

/// The verdict, message and step codes of a successful test call.
fn verdict(answer: (u16, Value)) -> (String, String, Vec<String>) {
    let c = ok(answer)["Connectivity"].clone();
    let steps = c["DetailLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(s["StartTime"].is_i64() && s["EndTime"].is_i64(), "{s}");
            assert!(s["Message"].as_str().is_some_and(|m| !m.is_empty()), "{s}");
            s["Code"].as_str().unwrap().to_owned()
        })
        .collect();
    (
        c["ConnectState"].as_str().unwrap().to_owned(),
        c["ConnectMessage"].as_str().unwrap().to_owned(),
        steps,
    )
}

fn names(list: &[(String, Vec<i64>)]) -> Vec<&str> {
    list.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn the_default_world_has_no_data_source() {
    let h = Harness::start().await;
    let body = ok(list(&h, &[("ProjectId", "10001")]).await);
    assert_eq!(body["PagingInfo"]["TotalCount"], 0);
    assert!(groups(&body).is_empty());
    assert_error(
        &test(&h, "10001", "50001", BOUND).await,
        404,
        "DataSource.NotFound",
    );
}

#[tokio::test]
async fn list_groups_environments_and_names_the_cluster() {
    let h = Harness::with_world(world()).await;
    let all = ok(list(&h, &[("ProjectId", "10001")]).await);
    assert_eq!(all["PagingInfo"]["TotalCount"], 3);
    assert_eq!(
        (
            &all["PagingInfo"]["PageNumber"],
            &all["PagingInfo"]["PageSize"]
        ),
        (&json!(1), &json!(10))
    );
    // Newest first by default; both environments of hive_etl in one group.
    assert_eq!(
        groups(&all),
        [
            ("hive_missing".to_owned(), vec![50004]),
            ("hive_gone".to_owned(), vec![50003]),
            ("hive_etl".to_owned(), vec![50001, 50002]),
        ]
    );
    let etl = &all["PagingInfo"]["DataSources"][2];
    assert_eq!(etl["Type"], "hive");
    let prod = &etl["DataSource"][0];
    assert_eq!(
        prod["ConnectionProperties"],
        json!({"envType": "Prod", "regionId": REGION, "clusterId": ELIGIBLE, "crossAccountOwnerId": B_UID})
    );
    assert_eq!(
        etl["DataSource"][1]["ConnectionProperties"]["envType"],
        "Dev"
    );
    assert_eq!(prod["ConnectionPropertiesMode"], "InstanceMode");
    assert_eq!(prod["CreateUser"], A_UID);
    assert!(prod["CreateTime"].is_i64());
    assert_eq!(
        prod["QualifiedName"],
        format!("{A_UID}:{REGION}:hive:{ELIGIBLE}")
    );
    let missing = &all["PagingInfo"]["DataSources"][0]["DataSource"][0];
    assert!(
        missing["ConnectionProperties"]
            .get("crossAccountOwnerId")
            .is_none(),
        "{missing}"
    );

    let dev = ok(list(&h, &[("ProjectId", "10001"), ("EnvType", "dev")]).await);
    assert_eq!(groups(&dev), [("hive_etl".to_owned(), vec![50002])]);
    let by_name = ok(list(
        &h,
        &[("ProjectId", "10001"), ("SortBy", "Name"), ("Order", "Asc")],
    )
    .await);
    assert_eq!(
        names(&groups(&by_name)),
        ["hive_etl", "hive_gone", "hive_missing"]
    );
    let named = ok(list(&h, &[("ProjectId", "10001"), ("Name", "gone")]).await);
    assert_eq!(names(&groups(&named)), ["hive_gone"]);
    let typed = ok(list(&h, &[("ProjectId", "10001"), ("Types", "mysql,HIVE")]).await);
    assert_eq!(typed["PagingInfo"]["TotalCount"], 3);
    let other = ok(list(&h, &[("ProjectId", "10001"), ("Types", "mysql")]).await);
    assert!(groups(&other).is_empty());
    let page = ok(list(
        &h,
        &[
            ("ProjectId", "10001"),
            ("PageSize", "2"),
            ("PageNumber", "2"),
        ],
    )
    .await);
    assert_eq!(page["PagingInfo"]["TotalCount"], 3);
    assert_eq!(names(&groups(&page)), ["hive_etl"]);
    let basic = ok(list(&h, &[("ProjectId", "10002")]).await);
    assert_eq!(names(&groups(&basic)), ["report_hive"]);

    assert_error(
        &list(&h, &[("ProjectId", "99999")]).await,
        404,
        "Project.NotFound",
    );
    assert_error(
        &list(&h, &[("ProjectId", "10001"), ("EnvType", "Test")]).await,
        400,
        "InvalidParameter",
    );
    assert_error(&list(&h, &[]).await, 400, "MissingProjectId");
    let call = h.v2(
        B,
        Carry::Get,
        "ListDataSources",
        DATAWORKS,
        &[("ProjectId", "10001")],
    );
    assert_error(&h.send_v2(&call).await, 404, "Project.NotFound");
}

#[tokio::test]
async fn connectivity_follows_binding_status_cluster_and_network() {
    let h = Harness::with_world(world()).await;
    let all_steps = ["ResourceGroupCheck", "ClusterCheck", "NetworkCheck"];

    // The bound group sits in A's VPC, the cluster in B's.
    let (state, message, steps) = verdict(test(&h, "10001", "50001", BOUND).await);
    assert_eq!(state, "Unreachable");
    assert!(
        message.contains(
            "in VPC vpc-bp1consumer0000000001 cannot reach VPC vpc-bp1provider0000000001"
        ),
        "{message}"
    );
    assert_eq!(steps, all_steps);

    // The spare group is in B's VPC but not bound yet; the stopped one is bound but stopped.
    let (state, message, steps) = verdict(test(&h, "10001", "50001", SPARE).await);
    assert_eq!(state, "ConfigError");
    assert!(
        message.contains("not bound to workspace 10001"),
        "{message}"
    );
    assert_eq!(steps, ["ResourceGroupCheck"]);
    let (state, message, _) = verdict(test(&h, "10001", "50001", STOPPED).await);
    assert_eq!(state, "ConfigError");
    assert!(message.contains("is Stop, not Normal"), "{message}");

    let bind = h.v2(
        A,
        Carry::PostForm,
        "AssociateProjectToResourceGroup",
        DATAWORKS,
        &[("ProjectId", "10001"), ("ResourceGroupId", SPARE)],
    );
    ok(h.send_v2(&bind).await);
    let (state, message, steps) = verdict(test(&h, "10001", "50001", SPARE).await);
    assert_eq!((state.as_str(), message.as_str()), ("Connectable", ""));
    assert_eq!(steps, all_steps);
    // The same with a V3 signature.
    let v3 = h
        .call_v3(
            A,
            "POST",
            "TestDataSourceConnectivity",
            DATAWORKS,
            &[
                ("ProjectId", "10001"),
                ("DataSourceId", "50002"),
                ("ResourceGroupId", SPARE),
            ],
            &[],
        )
        .await;
    assert_eq!(verdict(v3).0, "Connectable");

    // Released, missing and stopped-behind-the-API's-back clusters are unreachable.
    let (state, message, steps) = verdict(test(&h, "10001", "50003", SPARE).await);
    assert_eq!(state, "Unreachable");
    assert!(message.contains("is TERMINATED, not RUNNING"), "{message}");
    assert_eq!(steps, ["ResourceGroupCheck", "ClusterCheck"]);
    let (state, message, _) = verdict(test(&h, "10001", "50004", SPARE).await);
    assert_eq!(state, "Unreachable");
    assert!(message.contains("does not exist"), "{message}");
    let path = format!("/_cloudsim/clusters/{ELIGIBLE}/state");
    ok(h.post_json(&path, &json!({"State": "STARTING"})).await);
    let (state, message, _) = verdict(test(&h, "10001", "50001", SPARE).await);
    assert_eq!(state, "Unreachable");
    assert!(message.contains("is STARTING"), "{message}");

    assert_eq!(
        h.mutations(),
        ["AssociateProjectToResourceGroup"],
        "tests change nothing"
    );
    let requests = &h.state().await["requests"];
    assert_eq!(requests["accepted"], 9, "{requests}");
}

#[tokio::test]
async fn connectivity_refuses_unknown_ids() {
    let h = Harness::with_world(world()).await;
    assert_error(
        &test(&h, "10001", "59999", BOUND).await,
        404,
        "DataSource.NotFound",
    );
    // 50005 belongs to workspace 10002.
    assert_error(
        &test(&h, "10001", "50005", BOUND).await,
        404,
        "DataSource.NotFound",
    );
    assert_error(
        &test(&h, "10001", "50001", "rg-nope").await,
        404,
        "ResourceGroup.NotFound",
    );
    assert_error(
        &test(&h, "99999", "50001", BOUND).await,
        404,
        "Project.NotFound",
    );
    assert_error(
        &h.call(
            A,
            "TestDataSourceConnectivity",
            DATAWORKS,
            &[("ProjectId", "10001"), ("ResourceGroupId", BOUND)],
        )
        .await,
        400,
        "MissingDataSourceId",
    );
    assert_error(
        &h.call(
            A,
            "TestDataSourceConnectivity",
            DATAWORKS,
            &[("ProjectId", "10001"), ("DataSourceId", "50001")],
        )
        .await,
        400,
        "MissingResourceGroupId",
    );
    // B cannot test A's data sources from A's group.
    let call = h.v2(
        B,
        Carry::PostQuery,
        "TestDataSourceConnectivity",
        DATAWORKS,
        &[
            ("ProjectId", "10001"),
            ("DataSourceId", "50001"),
            ("ResourceGroupId", BOUND),
        ],
    );
    assert_error(&h.send_v2(&call).await, 404, "Project.NotFound");
    assert!(h.mutations().is_empty());
}
