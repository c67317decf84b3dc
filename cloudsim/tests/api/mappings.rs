//! DataWorks account mappings: upsert, repeat, remove, shared across every workspace that
//! registered the cluster, refused on an LDAP + Kerberos cluster, unknown compute resources;
//! passwords never shown.

use crossbind_cloudsim::{DEFAULT_WORLD_TOML, World};
use serde_json::{Value, json};

use crate::dataworks::{grant, register};
use crate::support::*;

async fn mappings(h: &Harness, project: &str, id: &str) -> Value {
    ok(h.call(
        A,
        "GetComputeResourceAuthUserMappings",
        DATAWORKS,
        &[("ProjectId", project), ("ComputeResourceId", id)],
    )
    .await)["Data"]
        .clone()
}

async fn update(
    h: &Harness,
    project: &str,
    id: &str,
    upserts: &str,
    removals: &str,
) -> (u16, Value) {
    let mut args = vec![("ProjectId", project), ("ComputeResourceId", id)];
    if !upserts.is_empty() {
        args.push(("Upserts", upserts));
    }
    if !removals.is_empty() {
        args.push(("RemoveUserIds", removals));
    }
    let call = h.v2(
        A,
        Carry::PostForm,
        "UpdateComputeResourceAuthUserMappings",
        DATAWORKS,
        &args,
    );
    h.send_v2(&call).await
}

fn id_of(answer: (u16, Value)) -> String {
    ok(answer)["Id"].to_string()
}

#[tokio::test]
async fn mappings_are_upserted_repeated_removed_and_shared_by_the_cluster() {
    let h = Harness::start().await;
    grant(&h).await;
    let dev = id_of(register(&h, "10001", "emr_x", "Dev", ELIGIBLE).await);
    let other = id_of(register(&h, "10002", "emr_x", "Prod", ELIGIBLE).await);
    assert_eq!(
        mappings(&h, "10001", &dev).await,
        json!({"HadoopAuthType": "simple", "Accounts": []})
    );
    let upserts = r#"[{"UserId":"216959339000000001","Username":"etl","Password":"pw-secret-1"},{"UserId":"216959339000000002","Username":"bi"}]"#;
    let answer = ok(update(&h, "10001", &dev, upserts, "").await);
    assert_eq!(answer["Data"]["Status"], "success");
    ok(update(&h, "10001", &dev, upserts, "").await);
    let expected = json!([
        {"UserId": "216959339000000001", "Username": "etl"},
        {"UserId": "216959339000000002", "Username": "bi"},
    ]);
    assert_eq!(mappings(&h, "10001", &dev).await["Accounts"], expected);
    // Another workspace's compute resource for the same cluster sees the same mappings.
    assert_eq!(mappings(&h, "10002", &other).await["Accounts"], expected);

    let state = h.state().await;
    let text = state.to_string();
    assert!(!text.contains("pw-secret-1"), "password leaked: {text}");
    let cluster = state["accounts"][B_UID]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ClusterId"] == ELIGIBLE)
        .unwrap()
        .clone();
    assert_eq!(
        cluster["AuthUserMappings"],
        json!([
            {"UserId": "216959339000000001", "Username": "etl", "HasPassword": true},
            {"UserId": "216959339000000002", "Username": "bi", "HasPassword": false},
        ])
    );

    // Removing through the other workspace removes only the named member.
    ok(update(&h, "10002", &other, "", r#"["216959339000000001"]"#).await);
    assert_eq!(
        mappings(&h, "10001", &dev).await["Accounts"],
        json!([{"UserId": "216959339000000002", "Username": "bi"}])
    );
    let writes: Vec<String> = h
        .mutations()
        .into_iter()
        .filter(|m| m == "UpdateComputeResourceAuthUserMappings")
        .collect();
    assert_eq!(writes.len(), 3);
}

#[tokio::test]
async fn bad_lists_and_unknown_resources_are_refused() {
    let h = Harness::start().await;
    grant(&h).await;
    let dev = id_of(register(&h, "10001", "emr_x", "Dev", ELIGIBLE).await);
    assert_error(
        &update(&h, "10001", &dev, r#"[{"UserId":"1"}]"#, "").await,
        400,
        "InvalidParameter",
    );
    assert_error(
        &update(&h, "10001", &dev, "", "not-json").await,
        400,
        "InvalidParameter",
    );
    assert_error(
        &update(
            &h,
            "10001",
            "999999",
            r#"[{"UserId":"1","Username":"u"}]"#,
            "",
        )
        .await,
        404,
        "ComputeResource.NotFound",
    );
    assert_error(
        &h.call(
            A,
            "GetComputeResourceAuthUserMappings",
            DATAWORKS,
            &[("ProjectId", "10002"), ("ComputeResourceId", &dev)],
        )
        .await,
        404,
        "ComputeResource.NotFound",
    );
    assert_eq!(mappings(&h, "10001", &dev).await["Accounts"], json!([]));
}

#[tokio::test]
async fn an_ldap_and_kerberos_cluster_refuses_mappings() {
    // Registration across accounts refuses Kerberos, so the cluster here is A's own.
    let text = DEFAULT_WORLD_TOML.replace(
        "# Account B, the provider",
        r#"[[accounts.clusters]]
id = "C-7A7A7A7A7A7A7A7A"
name = "own-secure"
region = "cn-hangzhou"
type = "HADOOP"
release = "EMR-3.38.3"
metastore = "LOCAL"
security_mode = "KERBEROS"
ldap = true
state = "RUNNING"
vpc_id = "vpc-a"
vswitch_id = "vsw-a"
zone_id = "cn-hangzhou-h"

# Account B, the provider"#,
    );
    assert!(text.contains("own-secure"));
    let h = Harness::with_world(World::from_toml(&text).unwrap()).await;
    let props = json!({"envType": "Prod", "regionId": REGION, "clusterId": "C-7A7A7A7A7A7A7A7A"})
        .to_string();
    let id = id_of(
        h.call(
            A,
            "CreateComputeResource",
            DATAWORKS,
            &[
                ("ProjectId", "10002"),
                ("Name", "own_secure"),
                ("Type", "emr"),
                ("ConnectionPropertiesMode", "InstanceMode"),
                ("ConnectionProperties", &props),
            ],
        )
        .await,
    );
    assert_eq!(mappings(&h, "10002", &id).await["HadoopAuthType"], "ldap");
    let answer = update(&h, "10002", &id, r#"[{"UserId":"1","Username":"u"}]"#, "").await;
    assert_error(&answer, 400, "InvalidParameter.AuthUserMappingNotAllowed");
    assert!(
        answer.1["Message"]
            .as_str()
            .unwrap()
            .contains("LDAP and Kerberos")
    );
    assert_eq!(mappings(&h, "10002", &id).await["Accounts"], json!([]));
}
