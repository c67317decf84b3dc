//! What the provider reads about a cluster and how tests change it: the state endpoint
//! (`POST /_cloudsim/clusters/<id>/state`) as GetCluster, ListClusters, DescribeClusterV2 and
//! registration see it; LDAP as `hive.server2.authentication` in ListApplicationConfigs.

use serde_json::{Value, json};

use crate::dataworks::{grant, register};
use crate::support::*;

const LDAP_KERBEROS: &str = "C-4F5A6B7C8D9E0F1A";
const LDAP: &str = "C-5A6B7C8D9E0F1A2B";

async fn get_state(h: &Harness, id: &str) -> Value {
    ok(h.call(
        B,
        "GetCluster",
        EMR,
        &[("RegionId", REGION), ("ClusterId", id)],
    )
    .await)["Cluster"]
        .clone()
}

async fn running_ids(h: &Harness) -> Vec<String> {
    ok(h.call(
        B,
        "ListClusters",
        EMR,
        &[("RegionId", REGION), ("ClusterStates.1", "RUNNING")],
    )
    .await)["Clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ClusterId"].as_str().unwrap().to_owned())
        .collect()
}

async fn legacy_status(h: &Harness, id: &str) -> Value {
    ok(h.call(
        B,
        "DescribeClusterV2",
        EMR_LEGACY,
        &[("RegionId", REGION), ("Id", id)],
    )
    .await)["ClusterInfo"]["Status"]
        .clone()
}

async fn hive_authentication(h: &Harness, id: &str) -> String {
    let body = ok(h
        .call(
            B,
            "ListApplicationConfigs",
            EMR,
            &[
                ("RegionId", REGION),
                ("ClusterId", id),
                ("ApplicationName", "HIVE"),
                ("ConfigFileName", "hive-site.xml"),
                ("ConfigItemKey", "hive.server2.authentication"),
            ],
        )
        .await);
    let items = body["ApplicationConfigs"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    items[0]["ConfigItemValue"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_state_endpoint_changes_what_every_read_reports() {
    let h = Harness::start().await;
    let path = format!("/_cloudsim/clusters/{ELIGIBLE}/state");
    assert!(running_ids(&h).await.contains(&ELIGIBLE.to_owned()));

    let answer = ok(h.post_json(&path, &json!({"State": "TERMINATED"})).await);
    assert_eq!(
        answer,
        json!({"ClusterId": ELIGIBLE, "State": "TERMINATED", "PreviousState": "RUNNING"})
    );
    let cluster = get_state(&h, ELIGIBLE).await;
    assert_eq!(cluster["ClusterState"], "TERMINATED");
    assert!(cluster["EndTime"].is_i64(), "{cluster}");
    assert_eq!(cluster["StateChangeReason"]["Code"], "UserRequest");
    assert!(!running_ids(&h).await.contains(&ELIGIBLE.to_owned()));
    assert_eq!(legacy_status(&h, ELIGIBLE).await, "RELEASED");
    grant(&h).await;
    let refused = register(&h, "10001", "emr_x", "Prod", ELIGIBLE).await;
    assert_error(&refused, 400, "InvalidParameter.ClusterNotSupported");
    assert!(
        refused.1["Message"]
            .as_str()
            .unwrap()
            .contains("TERMINATED")
    );

    // Lower-case IDs work; the answer names the previous state.
    let lower = format!(
        "/_cloudsim/clusters/{}/state",
        ELIGIBLE.to_ascii_lowercase()
    );
    let answer = ok(h.post_json(&lower, &json!({"State": "STARTING"})).await);
    assert_eq!(answer["PreviousState"], "TERMINATED");
    assert_eq!(get_state(&h, ELIGIBLE).await["ClusterState"], "STARTING");
    assert_eq!(legacy_status(&h, ELIGIBLE).await, "CREATING");

    ok(h.post_json(&path, &json!({"State": "RUNNING"})).await);
    let cluster = get_state(&h, ELIGIBLE).await;
    assert_eq!(cluster["ClusterState"], "RUNNING");
    assert!(cluster.get("EndTime").is_none(), "{cluster}");
    assert_eq!(legacy_status(&h, ELIGIBLE).await, "RUNNING");
    ok(register(&h, "10001", "emr_x", "Prod", ELIGIBLE).await);

    let snapshot = h.state().await;
    let states: Vec<(&str, &str)> = snapshot["accounts"][B_UID]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ClusterId"].as_str().unwrap(),
                c["ClusterState"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&(ELIGIBLE, "RUNNING")), "{states:?}");
    assert_eq!(
        h.mutations(),
        ["CreateRole", "AttachPolicyToRole", "CreateComputeResource"],
        "the hook is not an API write"
    );
}

#[tokio::test]
async fn the_state_endpoint_refuses_unknown_states_bodies_and_clusters() {
    let h = Harness::start().await;
    let path = format!("/_cloudsim/clusters/{ELIGIBLE}/state");
    let (status, body) = h.post_json(&path, &json!({"State": "STOPPED"})).await;
    assert_eq!(status, 400);
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains("\"STOPPED\"") && message.contains("TERMINATED_WITH_ERRORS"),
        "{message}"
    );
    let (status, body) = h.post_json(&path, &json!({"State": "running"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = h.post_json(&path, &json!({"state": "RUNNING"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["Message"].as_str().unwrap().contains("\"State\""));
    let (status, _) = h
        .post_json(
            "/_cloudsim/clusters/C-0000000000000000/state",
            &json!({"State": "RUNNING"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(get_state(&h, ELIGIBLE).await["ClusterState"], "RUNNING");
}

#[tokio::test]
async fn ldap_shows_as_hive_server2_authentication() {
    let h = Harness::start().await;
    assert_eq!(hive_authentication(&h, ELIGIBLE).await, "NONE");
    assert_eq!(hive_authentication(&h, LDAP).await, "LDAP");
    assert_eq!(hive_authentication(&h, LDAP_KERBEROS).await, "LDAP");
    let secure = ok(h
        .call(
            B,
            "GetCluster",
            EMR,
            &[("RegionId", REGION), ("ClusterId", LDAP_KERBEROS)],
        )
        .await);
    assert_eq!(secure["Cluster"]["SecurityMode"], "KERBEROS");

    // The config endpoint can change what is reported.
    let path = format!("/_cloudsim/clusters/{ELIGIBLE}/config");
    let change =
        json!({"file": "hive-site.xml", "key": "hive.server2.authentication", "value": "LDAP"});
    ok(h.post_json(&path, &change).await);
    assert_eq!(hive_authentication(&h, ELIGIBLE).await, "LDAP");
}

#[tokio::test]
async fn the_ldap_cluster_registers_across_accounts_and_takes_mappings() {
    let h = Harness::start().await;
    grant(&h).await;
    let id = ok(register(&h, "10001", "emr_ldap", "Prod", LDAP).await)["Id"].to_string();
    let read = [("ProjectId", "10001"), ("ComputeResourceId", id.as_str())];
    let mappings = ok(h
        .call(A, "GetComputeResourceAuthUserMappings", DATAWORKS, &read)
        .await);
    assert_eq!(mappings["Data"]["HadoopAuthType"], "ldap");
    let upserts = r#"[{"UserId":"216959339000000001","Username":"etl","Password":"pw"}]"#;
    let call = h.v2(
        A,
        Carry::PostForm,
        "UpdateComputeResourceAuthUserMappings",
        DATAWORKS,
        &[
            ("ProjectId", "10001"),
            ("ComputeResourceId", id.as_str()),
            ("Upserts", upserts),
        ],
    );
    ok(h.send_v2(&call).await);

    // The LDAP + Kerberos cluster is not registrable from another account at all.
    let refused = register(&h, "10001", "emr_secure", "Prod", LDAP_KERBEROS).await;
    assert_error(&refused, 400, "InvalidParameter.ClusterNotSupported");
    assert!(refused.1["Message"].as_str().unwrap().contains("Kerberos"));
}
