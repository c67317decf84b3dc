//! DataWorks: projects, compute resources, and the cross-account rule condition by condition.

use crossbind_cloudsim::World;
use serde_json::Value;

use crate::support::*;

const POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

fn create_params<'a>(project: &'a str, name: &'a str, props: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("ProjectId", project),
        ("Name", name),
        ("Type", "emr"),
        ("ConnectionPropertiesMode", "InstanceMode"),
        ("ConnectionProperties", props),
    ]
}

pub(crate) async fn register(
    h: &Harness,
    project: &str,
    name: &str,
    env: &str,
    cluster: &str,
) -> (u16, Value) {
    let props = cross_props(env, cluster);
    h.call(
        A,
        "CreateComputeResource",
        DATAWORKS,
        &create_params(project, name, &props),
    )
    .await
}

/// B creates EMRRole trusting A's DataWorks and attaches the policy.
pub(crate) async fn grant(h: &Harness) {
    let trust = trust_for(A_UID);
    ok(h.call(
        B,
        "CreateRole",
        RAM,
        &[
            ("RoleName", "EMRRole"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    )
    .await);
    ok(h.call(
        B,
        "AttachPolicyToRole",
        RAM,
        &[
            ("PolicyType", "System"),
            ("PolicyName", POLICY),
            ("RoleName", "EMRRole"),
        ],
    )
    .await);
}

#[track_caller]
fn assert_message(answer: &(u16, Value), status: u16, code: &str, needle: &str) {
    assert_error(answer, status, code);
    let message = answer.1["Message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[tokio::test]
async fn get_project_reports_the_mode() {
    let h = Harness::start().await;
    let standard = ok(h.call(A, "GetProject", DATAWORKS, &[("Id", "10001")]).await);
    assert_eq!(standard["Project"]["DevEnvironmentEnabled"], true);
    assert_eq!(standard["Project"]["Owner"], A_UID);
    assert_eq!(standard["Project"]["Status"], "Available");
    let call = h.v2(A, Carry::Get, "GetProject", DATAWORKS, &[("Id", "10002")]);
    let basic = ok(h.send_v2(&call).await);
    assert_eq!(basic["Project"]["DevEnvironmentEnabled"], false);
    assert_error(
        &h.call(A, "GetProject", DATAWORKS, &[("Id", "999")]).await,
        404,
        "Project.NotFound",
    );
    assert_error(
        &h.call(B, "GetProject", DATAWORKS, &[("Id", "10001")]).await,
        404,
        "Project.NotFound",
    );
    assert_error(
        &h.call(A, "GetProject", DATAWORKS, &[]).await,
        400,
        "MissingId",
    );
}

#[tokio::test]
async fn list_projects_reads_json_lists_from_the_form_body() {
    let h = Harness::start().await;
    let ids = |page: &Value| -> Vec<i64> {
        page["PagingInfo"]["Projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["Id"].as_i64().unwrap())
            .collect()
    };
    let call = h.v2(
        A,
        Carry::PostForm,
        "ListProjects",
        DATAWORKS,
        &[("Ids", "[10002,10001]"), ("PageSize", "10")],
    );
    let page = ok(h.send_v2(&call).await);
    assert_eq!(ids(&page), [10001, 10002]);
    assert_eq!(page["PagingInfo"]["TotalCount"], 2);
    assert_eq!(
        page["PagingInfo"]["Projects"][1]["DevEnvironmentEnabled"],
        false
    );

    let call = h.v2(
        A,
        Carry::PostForm,
        "ListProjects",
        DATAWORKS,
        &[("Names", r#"["reporting"]"#)],
    );
    assert_eq!(ids(&ok(h.send_v2(&call).await)), [10002]);
    let page = ok(h
        .call(
            A,
            "ListProjects",
            DATAWORKS,
            &[("PageNumber", "2"), ("PageSize", "1")],
        )
        .await);
    assert_eq!(ids(&page), [10002]);
    assert_eq!(page["PagingInfo"]["PageNumber"], 2);
    let standard = ok(h
        .call(
            A,
            "ListProjects",
            DATAWORKS,
            &[("DevEnvironmentEnabled", "true")],
        )
        .await);
    assert_eq!(ids(&standard), [10001]);
    assert_eq!(
        ids(&ok(h.call(B, "ListProjects", DATAWORKS, &[]).await)),
        Vec::<i64>::new()
    );
    assert_error(
        &h.call(A, "ListProjects", DATAWORKS, &[("Ids", "10001")])
            .await,
        400,
        "InvalidParameter",
    );
}

#[tokio::test]
async fn cross_account_rule_names_each_failing_condition() {
    let h = Harness::start().await;
    let denied = "Forbidden.CrossAccountRole";
    assert_message(
        &register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await,
        403,
        denied,
        "does not exist",
    );

    ok(h.call(
        B,
        "CreateRole",
        RAM,
        &[
            ("RoleName", "EMRRole"),
            ("AssumeRolePolicyDocument", &trust_for("1688000000000099")),
        ],
    )
    .await);
    let principal = format!("{A_UID}@emr.dataworks.aliyuncs.com");
    assert_message(
        &register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await,
        403,
        denied,
        &principal,
    );

    ok(h.call(
        B,
        "UpdateRole",
        RAM,
        &[
            ("RoleName", "EMRRole"),
            ("NewAssumeRolePolicyDocument", &trust_for(A_UID)),
        ],
    )
    .await);
    assert_message(
        &register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await,
        403,
        denied,
        POLICY,
    );

    ok(h.call(
        B,
        "AttachPolicyToRole",
        RAM,
        &[
            ("PolicyType", "System"),
            ("PolicyName", POLICY),
            ("RoleName", "EMRRole"),
        ],
    )
    .await);
    let id = ok(register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await)["Id"]
        .as_i64()
        .unwrap();

    let got = ok(h
        .call(
            A,
            "GetComputeResource",
            DATAWORKS,
            &[("Id", &id.to_string()), ("ProjectId", "10001")],
        )
        .await);
    let resource = &got["ComputeResource"];
    assert_eq!(resource["Name"], "emr_b");
    assert_eq!(resource["Type"], "emr");
    assert_eq!(
        resource["ConnectionProperties"]["crossAccountOwnerId"],
        B_UID
    );
    assert_eq!(resource["ConnectionProperties"]["envType"], "Prod");
    assert!(resource["ConnectionProperties"].is_object());
}

#[tokio::test]
async fn cross_account_rule_needs_the_ram_role_auth_type_and_fields() {
    let h = Harness::start().await;
    grant(&h).await;
    let mut props: Value = serde_json::from_str(&cross_props("Prod", ELIGIBLE)).unwrap();
    props["authType"] = "Executor".into();
    let text = props.to_string();
    let answer = h
        .call(
            A,
            "CreateComputeResource",
            DATAWORKS,
            &create_params("10001", "x", &text),
        )
        .await;
    assert_message(&answer, 400, "InvalidParameter", "authType");
    props
        .as_object_mut()
        .unwrap()
        .remove("crossAccountRoleName");
    let text = props.to_string();
    let answer = h
        .call(
            A,
            "CreateComputeResource",
            DATAWORKS,
            &create_params("10001", "x", &text),
        )
        .await;
    assert_message(&answer, 400, "InvalidParameter", "crossAccountRoleName");
}

#[tokio::test]
async fn only_qualifying_clusters_can_be_registered_across_accounts() {
    let h = Harness::start().await;
    grant(&h).await;
    let cases = [
        ("c-5d1e0f2a3b4c5d6e", "DATALAKE"),
        ("C-0B1C2D3E4F5A6B7C", "EMR-3.38.1"),
        ("C-1C2D3E4F5A6B7C8D", "DLF"),
        ("C-2D3E4F5A6B7C8D9E", "Kerberos"),
        ("C-3E4F5A6B7C8D9E0F", "TERMINATED"),
        ("C-FFFFFFFFFFFFFFFF", "does not exist"),
    ];
    for (cluster, why) in cases {
        let answer = register(&h, "10001", "emr_bad", "Prod", cluster).await;
        assert_message(&answer, 400, "InvalidParameter.ClusterNotSupported", why);
    }
    ok(register(&h, "10001", "emr_other", "Prod", "C-6A7B8C9D0E1F2A3B").await);
    assert_eq!(
        h.mutations(),
        ["CreateRole", "AttachPolicyToRole", "CreateComputeResource"]
    );
}

#[tokio::test]
async fn role_changes_take_the_propagation_delay_to_be_in_effect() {
    let mut world = World::default_world();
    world.settings.role_propagation_seconds = 30;
    let h = Harness::with_world(world).await;
    grant(&h).await;
    let answer = register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await;
    assert_message(&answer, 403, "Forbidden.CrossAccountRole", "30 s left");
    h.advance(29);
    assert_message(
        &register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await,
        403,
        "Forbidden.CrossAccountRole",
        "1 s left",
    );
    h.advance(1);
    ok(register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await);
}

#[tokio::test]
async fn workspace_rules_dev_in_basic_and_duplicates() {
    let h = Harness::start().await;
    grant(&h).await;
    let answer = register(&h, "10002", "emr_b", "Dev", ELIGIBLE).await;
    assert_message(&answer, 400, "InvalidParameter", "envType");
    ok(register(&h, "10002", "emr_b", "Prod", ELIGIBLE).await);

    ok(register(&h, "10001", "emr_b", "Dev", ELIGIBLE).await);
    ok(register(&h, "10001", "emr_b", "prod", ELIGIBLE).await);
    let dup = register(&h, "10001", "emr_b", "PROD", ELIGIBLE).await;
    assert_error(&dup, 409, "ComputeResource.AlreadyExists");
    assert_error(
        &register(&h, "10003", "emr_b", "Prod", ELIGIBLE).await,
        404,
        "Project.NotFound",
    );
    for bad in ["1emr", "_emr", "emr-b"] {
        assert_message(
            &register(&h, "10001", bad, "Prod", ELIGIBLE).await,
            400,
            "InvalidParameter",
            "\"Name\"",
        );
    }
    let props = cross_props("Prod", ELIGIBLE);
    let mut params = create_params("10001", "holo", &props);
    params[2].1 = "hologres";
    assert_message(
        &h.call(A, "CreateComputeResource", DATAWORKS, &params).await,
        400,
        "InvalidParameter",
        "\"Type\"",
    );
    let no_env = serde_json::json!({ "clusterId": ELIGIBLE, "regionId": REGION }).to_string();
    let answer = h
        .call(
            A,
            "CreateComputeResource",
            DATAWORKS,
            &create_params("10001", "e", &no_env),
        )
        .await;
    assert_message(&answer, 400, "InvalidParameter", "envType");
    let answer = h
        .call(
            A,
            "CreateComputeResource",
            DATAWORKS,
            &create_params("10001", "e", "not json"),
        )
        .await;
    assert_message(&answer, 400, "InvalidParameter", "ConnectionProperties");
}

#[tokio::test]
async fn list_groups_environments_under_one_name_and_delete_is_not_repeatable() {
    let h = Harness::start().await;
    grant(&h).await;
    let dev = ok(register(&h, "10001", "emr_b", "Dev", ELIGIBLE).await)["Id"]
        .as_i64()
        .unwrap();
    let prod = ok(register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await)["Id"]
        .as_i64()
        .unwrap();
    ok(register(&h, "10001", "emr_c", "Prod", "C-6A7B8C9D0E1F2A3B").await);

    let body = ok(h
        .call(
            A,
            "ListComputeResources",
            DATAWORKS,
            &[
                ("ProjectId", "10001"),
                ("Types", "emr,hologres"),
                ("Order", "Asc"),
            ],
        )
        .await);
    let paging = &body["PagingInfo"];
    assert_eq!(paging["TotalCount"], 2);
    assert_eq!(
        (paging["PageNumber"].as_i64(), paging["PageSize"].as_i64()),
        (Some(1), Some(10))
    );
    let group = &paging["ComputeResources"][0];
    assert_eq!(
        (group["Name"].as_str(), group["Type"].as_str()),
        (Some("emr_b"), Some("emr"))
    );
    let inner: Vec<(i64, String)> = group["ComputeResource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Id"].as_i64().unwrap(),
                r["ConnectionProperties"]["envType"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(inner, [(dev, "Dev".to_owned()), (prod, "Prod".to_owned())]);

    let dev_only = ok(h
        .call(
            A,
            "ListComputeResources",
            DATAWORKS,
            &[("ProjectId", "10001"), ("EnvType", "Dev")],
        )
        .await);
    assert_eq!(dev_only["PagingInfo"]["TotalCount"], 1);
    let none = ok(h
        .call(
            A,
            "ListComputeResources",
            DATAWORKS,
            &[("ProjectId", "10001"), ("Types", "hologres")],
        )
        .await);
    assert_eq!(none["PagingInfo"]["TotalCount"], 0);
    let page2 = ok(h
        .call(
            A,
            "ListComputeResources",
            DATAWORKS,
            &[
                ("ProjectId", "10001"),
                ("PageSize", "1"),
                ("PageNumber", "2"),
                ("Order", "Asc"),
            ],
        )
        .await);
    assert_eq!(page2["PagingInfo"]["ComputeResources"][0]["Name"], "emr_c");

    let delete = [("Id", dev.to_string()), ("ProjectId", "10001".to_owned())];
    let delete: Vec<(&str, &str)> = delete.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        ok(h.call(A, "DeleteComputeResource", DATAWORKS, &delete).await)["Success"],
        true
    );
    assert_error(
        &h.call(A, "DeleteComputeResource", DATAWORKS, &delete).await,
        404,
        "ComputeResource.NotFound",
    );
    assert_error(
        &h.call(A, "GetComputeResource", DATAWORKS, &delete).await,
        404,
        "ComputeResource.NotFound",
    );

    let state = h.state().await;
    let resources = &state["accounts"][A_UID]["workspaces"][0]["ComputeResources"];
    assert_eq!(resources.as_array().map(Vec::len), Some(2));
    assert_eq!(resources[0]["EnvType"], "Prod");
    assert!(resources[0]["ConnectionProperties"].is_object());
}

#[tokio::test]
async fn reads_change_nothing_in_the_mutation_log() {
    let h = Harness::start().await;
    grant(&h).await;
    ok(register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await);
    let before = h.sim.snapshot()["mutations"].clone();
    ok(h.call(B, "GetRole", RAM, &[("RoleName", "EMRRole")]).await);
    ok(
        h.call(B, "ListPoliciesForRole", RAM, &[("RoleName", "EMRRole")])
            .await,
    );
    ok(h.call(
        A,
        "ListComputeResources",
        DATAWORKS,
        &[("ProjectId", "10001")],
    )
    .await);
    ok(h.call(A, "GetProject", DATAWORKS, &[("Id", "10001")]).await);
    assert_error(
        &register(&h, "10001", "emr_b", "Prod", ELIGIBLE).await,
        409,
        "ComputeResource.AlreadyExists",
    );
    assert_eq!(h.sim.snapshot()["mutations"], before);
    assert_eq!(before.as_array().map(Vec::len), Some(3));
}
