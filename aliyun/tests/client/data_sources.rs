//! DataWorks data sources against their fixtures: `ListDataSources` (GET, comma-separated
//! types, the cluster read out of the connection properties, every page) and
//! `TestDataSourceConnectivity` (each verdict, unknown words kept, not-found errors).

use crossbind_aliyun::dataworks::{self, ConnectState, ConnectivityStep, ListDataSources};
use serde_json::json;

use super::server::Canned;
use super::typed::{assert_call, only, serve, workspace};

#[tokio::test]
async fn list_data_sources_reads_groups_and_the_cluster_they_point_at() {
    let (server, client) = serve(vec![Canned::fixture("ListDataSources")]).await;
    let page = client
        .list_data_sources(&ListDataSources {
            name: Some("hive".to_owned()),
            types: vec!["hive".to_owned(), "mysql".to_owned()],
            env_type: Some("Prod".to_owned()),
            page_number: Some(1),
            page_size: Some(10),
            ..ListDataSources::new(workspace())
        })
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert_call(
        &r,
        "ListDataSources",
        "2024-05-18",
        &[
            ("ProjectId", "12345"),
            ("Name", "hive"),
            ("Types", "hive,mysql"),
            ("EnvType", "Prod"),
            ("PageNumber", "1"),
            ("PageSize", "10"),
        ],
    );
    assert_eq!(
        (page.page_number, page.page_size, page.total_count),
        (1, 10, 2)
    );
    assert_eq!(page.groups.len(), 2);
    let all: Vec<_> = page.data_sources().collect();
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![201, 202, 203]
    );

    let dev = all[0];
    assert_eq!(
        (dev.name.as_str(), dev.r#type.as_str()),
        ("hive_cross", "hive")
    );
    assert_eq!(dev.env_type.as_deref(), Some("Dev"));
    assert_eq!(dev.cluster_id.as_deref(), Some("c-b933c5aac8fe1234"));
    assert_eq!(
        dev.cross_account_owner_id.as_deref(),
        Some("1234567890123456")
    );
    assert_eq!(dev.connection_properties["crossAccountRoleName"], "EMRRole");
    assert_eq!(dev.connection_properties_mode, "InstanceMode");
    assert_eq!(dev.description, None);
    assert_eq!(dev.create_time, Some(1_768_465_800_000));
    assert_eq!(dev.create_user.as_deref(), Some("6543210987654321"));

    // Properties sent as a JSON string, with the key in another case, still give the fields.
    let prod = all[1];
    assert_eq!(prod.env_type.as_deref(), Some("Prod"));
    assert_eq!(prod.cluster_id.as_deref(), Some("c-b933c5aac8fe1234"));
    assert_eq!(prod.cross_account_owner_id, None);
    assert_eq!(prod.description.as_deref(), Some("prod side"));
    assert_eq!(
        prod.qualified_name.as_deref(),
        Some("6543210987654321:cn-hangzhou:hive:c-b933c5aac8fe1234:default")
    );

    let mysql = all[2];
    assert_eq!(
        (mysql.name.as_str(), mysql.r#type.as_str()),
        ("mysql_orders", "mysql")
    );
    assert_eq!(mysql.cluster_id, None);
    assert_eq!(mysql.connection_properties["address"][0]["port"], 3306);
}

#[tokio::test]
async fn list_data_sources_leaves_out_unset_filters() {
    let (server, client) = serve(vec![Canned::json(
        200,
        r#"{"RequestId":"R1","PagingInfo":{"PageNumber":1,"PageSize":10,"TotalCount":0,"DataSources":[]}}"#,
    )])
    .await;
    let page = client
        .list_data_sources(&ListDataSources::new(workspace()))
        .await
        .unwrap();
    assert!(page.groups.is_empty());
    let r = only(&server);
    for absent in ["Name", "Types", "EnvType", "PageNumber", "PageSize"] {
        assert_eq!(r.param(absent), None, "{absent}: {r:?}");
    }
    assert_eq!(r.param("ProjectId").as_deref(), Some("12345"));
}

#[tokio::test]
async fn list_all_data_sources_reads_every_page() {
    let page = |n: u32, name: &str, id: i64| {
        json!({"RequestId": format!("p{n}"), "PagingInfo": {"PageNumber": n, "PageSize": 100, "TotalCount": 2,
            "DataSources": [{"Name": name, "Type": "hive", "DataSource": [
                {"Id": id, "ConnectionProperties": {"envType": "Prod", "clusterId": format!("C-{id}")}, "ConnectionPropertiesMode": "InstanceMode"}]}]}})
        .to_string()
    };
    let (server, client) = serve(vec![
        Canned::json(200, page(1, "a", 1)),
        Canned::json(200, page(2, "b", 2)),
    ])
    .await;
    let all = client
        .list_all_data_sources(&ListDataSources {
            types: vec!["hive".to_owned()],
            page_number: Some(7),
            ..ListDataSources::new(workspace())
        })
        .await
        .unwrap();
    let summary: Vec<(String, i64, Option<String>)> = all
        .into_iter()
        .map(|d| (d.name, d.id, d.cluster_id))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("a".to_owned(), 1, Some("C-1".to_owned())),
            ("b".to_owned(), 2, Some("C-2".to_owned()))
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].param("PageNumber").as_deref(), Some("1"));
    assert_eq!(requests[1].param("PageNumber").as_deref(), Some("2"));
    assert_eq!(requests[1].param("PageSize").as_deref(), Some("100"));
    assert_eq!(requests[1].param("Types").as_deref(), Some("hive"));
}

#[tokio::test]
async fn test_data_source_connectivity_reads_the_verdict_and_steps() {
    let (server, client) = serve(vec![Canned::fixture("TestDataSourceConnectivity")]).await;
    let result = client
        .test_data_source_connectivity(&workspace(), 201, "Serverless_res_group_1")
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "POST");
    assert!(r.body.is_empty(), "query parameters only: {r:?}");
    assert_call(
        &r,
        "TestDataSourceConnectivity",
        "2024-05-18",
        &[
            ("ProjectId", "12345"),
            ("DataSourceId", "201"),
            ("ResourceGroupId", "Serverless_res_group_1"),
        ],
    );
    assert_eq!(result.connect_state, ConnectState::Unreachable);
    assert!(!result.connect_state.is_connectable());
    assert!(
        result
            .connect_message
            .as_deref()
            .is_some_and(|m| m.contains("cannot reach VPC vpc-bp1provider0000001")),
        "{result:?}"
    );
    assert_eq!(
        result.detail_logs,
        vec![
            ConnectivityStep {
                code: "ResourceGroupCheck".to_owned(),
                message: "check the resource group".to_owned(),
                start_time: Some(1_768_465_800_000),
                end_time: Some(1_768_465_800_000),
            },
            ConnectivityStep {
                code: "NetworkCheck".to_owned(),
                message: "check the network path to the data source".to_owned(),
                start_time: Some(1_768_465_800_000),
                end_time: Some(1_768_465_801_000),
            },
        ]
    );
}

#[tokio::test]
async fn connect_states_parse_and_unknown_words_are_kept() {
    let answer = |state: &str| {
        Canned::json(
            200,
            json!({"RequestId": "R", "Connectivity": {"ConnectState": state, "ConnectMessage": "", "DetailLogs": []}})
                .to_string(),
        )
    };
    let cases = [
        ("Connectable", ConnectState::Connectable),
        ("ConfigError", ConnectState::ConfigError),
        ("Unreachable", ConnectState::Unreachable),
        ("Unsupport", ConnectState::Unsupport),
        ("Flaky", ConnectState::Other("Flaky".to_owned())),
    ];
    for (word, expected) in cases {
        let (_s, client) = serve(vec![answer(word)]).await;
        let result = client
            .test_data_source_connectivity(&workspace(), 1, "rg")
            .await
            .unwrap();
        assert_eq!(result.connect_state, expected, "{word}");
        assert_eq!(result.connect_state.to_string(), word);
        assert_eq!(result.connect_state.is_connectable(), word == "Connectable");
        assert_eq!(result.connect_message, None, "an empty message is absent");
        assert!(result.detail_logs.is_empty());
    }
}

#[tokio::test]
async fn an_unknown_data_source_is_an_error() {
    let (_s, client) = serve(vec![Canned::error(
        404,
        dataworks::codes::DATA_SOURCE_NOT_FOUND,
        "no such data source",
    )])
    .await;
    let err = client
        .test_data_source_connectivity(&workspace(), 9, "rg")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DataSource.NotFound"));
    assert!(!err.kind().is_retryable());
}
