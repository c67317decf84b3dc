//! Every typed call against its fixture in `tests/data/responses/<Action>.json`: the request
//! carries the right action, version and parameters, and the answer parses into the model.
//! Also the "absent" mappings (not found → `None`) and paging.

use crossbind_aliyun::client::{Client, SignatureVersion};
use crossbind_aliyun::credentials::Secret;
use crossbind_aliyun::dataworks::{
    self, AuthUserMapping, AuthUserUpsert, CreateComputeResource, ListComputeResources,
    ListResourceGroups,
};
use crossbind_aliyun::emr::{self, ListClusters};
use crossbind_aliyun::error::Error;
use crossbind_aliyun::ids::{ClusterId, RoleName, WorkspaceId};
use crossbind_aliyun::ram::{self, CreateRole, PolicyType, UpdateRole};
use crossbind_aliyun::trust_policy;
use serde_json::json;

use super::server::{Canned, MockServer, Recorded};
use super::{client_for, test_credentials};

pub(super) async fn serve(responses: Vec<Canned>) -> (MockServer, Client) {
    let server = MockServer::start(responses).await;
    let client = client_for(server.url(), SignatureVersion::V2, test_credentials());
    (server, client)
}

pub(super) fn only(server: &MockServer) -> Recorded {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap()
}

pub(super) fn assert_call(r: &Recorded, action: &str, version: &str, params: &[(&str, &str)]) {
    assert_eq!(r.param("Action").as_deref(), Some(action), "{r:?}");
    assert_eq!(r.param("Version").as_deref(), Some(version), "{r:?}");
    for (k, v) in params {
        assert_eq!(r.param(k).as_deref(), Some(*v), "{action} {k}: {r:?}");
    }
}

fn role() -> RoleName {
    RoleName::new("EMRRole").unwrap()
}

fn cluster() -> ClusterId {
    ClusterId::new("c-b933c5aac8fe1234").unwrap()
}

pub(super) fn workspace() -> WorkspaceId {
    WorkspaceId::new("12345").unwrap()
}

#[tokio::test]
async fn get_caller_identity() {
    let (server, client) = serve(vec![Canned::fixture("GetCallerIdentity")]).await;
    let id = client.get_caller_identity().await.unwrap();
    assert_call(&only(&server), "GetCallerIdentity", "2015-04-01", &[]);
    assert_eq!(id.account_id.as_str(), "1234567890123456");
    assert_eq!(id.identity_type, "RAMUser");
    assert_eq!(id.arn, "acs:ram::1234567890123456:user/crossbind-agent");
    assert_eq!(id.principal_id, "288774244375219876");
    assert_eq!(id.user_id.as_deref(), Some("216959339000654321"));
    assert_eq!(id.role_id, None);
    assert_eq!(id.request_id, "A1B2C3D4-0000-4000-8000-000000000001");
}

#[tokio::test]
async fn get_role_and_its_absence() {
    let (server, client) = serve(vec![Canned::fixture("GetRole")]).await;
    let role_info = client
        .get_role(&role())
        .await
        .unwrap()
        .expect("role exists");
    assert_call(
        &only(&server),
        "GetRole",
        "2015-05-01",
        &[("RoleName", "EMRRole")],
    );
    assert_eq!(role_info.role_name, "EMRRole");
    assert_eq!(role_info.role_id, "901234567890123456");
    assert_eq!(role_info.arn, "acs:ram::1234567890123456:role/emrrole");
    assert_eq!(
        role_info.update_date.as_deref(),
        Some("2026-01-16T09:00:00Z")
    );
    assert_eq!(role_info.max_session_duration, Some(3600));
    let policy = trust_policy::parse(&role_info.assume_role_policy_document).unwrap();
    assert!(policy.allows_service("6543210987654321@emr.dataworks.aliyuncs.com"));

    let (_s, client) = serve(vec![Canned::error(
        404,
        ram::codes::ENTITY_NOT_EXIST_ROLE,
        "The role does not exist.",
    )])
    .await;
    assert_eq!(client.get_role(&role()).await.unwrap(), None);

    let (_s, client) = serve(vec![Canned::error(
        403,
        ram::codes::NO_PERMISSION,
        "denied",
    )])
    .await;
    let err = client.get_role(&role()).await.unwrap_err();
    assert_eq!(err.code(), Some("NoPermission"));
}

#[tokio::test]
async fn create_role() {
    let (server, client) = serve(vec![Canned::fixture("CreateRole")]).await;
    let doc = trust_policy::for_service_principal("6543210987654321@emr.dataworks.aliyuncs.com")
        .to_json();
    let created = client
        .create_role(&CreateRole {
            role_name: role(),
            assume_role_policy_document: doc.clone(),
            description: Some("created by crossbind".to_owned()),
            max_session_duration: Some(3600),
        })
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "CreateRole",
        "2015-05-01",
        &[
            ("RoleName", "EMRRole"),
            ("AssumeRolePolicyDocument", &doc),
            ("Description", "created by crossbind"),
            ("MaxSessionDuration", "3600"),
        ],
    );
    assert_eq!(created.role_id, "901234567890123457");
    assert_eq!(created.description.as_deref(), Some("created by crossbind"));
    assert_eq!(created.update_date, None);
    assert_eq!(created.create_date, "2026-01-15T08:30:00Z");
}

#[tokio::test]
async fn update_role() {
    let (server, client) = serve(vec![Canned::fixture("UpdateRole")]).await;
    let updated = client
        .update_role(&UpdateRole {
            role_name: role(),
            new_assume_role_policy_document: Some("{}".to_owned()),
            new_description: None,
            new_max_session_duration: Some(7200),
        })
        .await
        .unwrap();
    let r = only(&server);
    assert_call(
        &r,
        "UpdateRole",
        "2015-05-01",
        &[
            ("NewAssumeRolePolicyDocument", "{}"),
            ("NewMaxSessionDuration", "7200"),
        ],
    );
    assert_eq!(r.param("NewDescription"), None);
    assert_eq!(updated.description, None);
    assert_eq!(updated.max_session_duration, Some(7200));
}

#[tokio::test]
async fn attach_detach_and_delete() {
    let (server, client) = serve(vec![
        Canned::fixture("AttachPolicyToRole"),
        Canned::fixture("DetachPolicyFromRole"),
        Canned::fixture("DeleteRole"),
    ])
    .await;
    client
        .attach_policy_to_role(PolicyType::System, ram::DATAWORKS_EMR_POLICY, &role())
        .await
        .unwrap();
    client
        .detach_policy_from_role(PolicyType::Custom, "team-extra", &role())
        .await
        .unwrap();
    client.delete_role(&role()).await.unwrap();
    let requests = server.requests();
    assert_call(
        &requests[0],
        "AttachPolicyToRole",
        "2015-05-01",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "AliyunDataWorksAccessingEMRReadOnlyPolicy"),
            ("RoleName", "EMRRole"),
        ],
    );
    assert_call(
        &requests[1],
        "DetachPolicyFromRole",
        "2015-05-01",
        &[("PolicyType", "Custom"), ("PolicyName", "team-extra")],
    );
    assert_call(
        &requests[2],
        "DeleteRole",
        "2015-05-01",
        &[("RoleName", "EMRRole")],
    );

    let (_s, client) = serve(vec![Canned::error(
        409,
        ram::codes::ENTITY_ALREADY_EXISTS_ROLE_POLICY,
        "attached",
    )])
    .await;
    let err = client
        .attach_policy_to_role(PolicyType::System, ram::DATAWORKS_EMR_POLICY, &role())
        .await
        .unwrap_err();
    assert!(err.is_code(ram::codes::ENTITY_ALREADY_EXISTS_ROLE_POLICY));
}

#[tokio::test]
async fn list_policies_for_role() {
    let (server, client) = serve(vec![Canned::fixture("ListPoliciesForRole")]).await;
    let policies = client.list_policies_for_role(&role()).await.unwrap();
    assert_call(
        &only(&server),
        "ListPoliciesForRole",
        "2015-05-01",
        &[("RoleName", "EMRRole")],
    );
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0].policy_name, ram::DATAWORKS_EMR_POLICY);
    assert_eq!(policies[0].policy_type, "System");
    assert_eq!(policies[0].default_version, "v1");
    assert_eq!(policies[0].attach_date, "2026-01-15T08:31:00Z");
    assert_eq!(policies[1].policy_type, "Custom");

    let (_s, client) = serve(vec![Canned::json(
        200,
        r#"{"RequestId":"x","Policies":{"Policy":[]}}"#,
    )])
    .await;
    assert!(
        client
            .list_policies_for_role(&role())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn get_cluster_and_its_absence() {
    let (server, client) = serve(vec![Canned::fixture("GetCluster")]).await;
    let c = client
        .get_cluster(&cluster())
        .await
        .unwrap()
        .expect("exists");
    assert_call(
        &only(&server),
        "GetCluster",
        "2021-03-20",
        &[
            ("RegionId", "cn-hangzhou"),
            ("ClusterId", "c-b933c5aac8fe1234"),
        ],
    );
    assert_eq!(c.cluster_type, "HADOOP");
    assert_eq!(c.cluster_state, "RUNNING");
    assert_eq!(c.release_version, "EMR-3.38.3");
    assert_eq!(c.security_mode.as_deref(), Some("NORMAL"));
    assert_eq!(c.deploy_mode.as_deref(), Some("HA"));
    assert_eq!(c.description, None);
    assert_eq!(c.create_time, Some(1_768_465_800_000));
    let nodes = c.node_attributes.expect("node attributes");
    assert_eq!(nodes.vpc_id, "vpc-bp1tgey2p0ytxmdo5dwet");
    assert_eq!(nodes.zone_id, "cn-hangzhou-i");
    assert_eq!(c.tags.len(), 1);

    for (status, code) in [
        (404, "Whatever"),
        (400, "InvalidClusterId.NotFound"),
        (400, "NotFound.Cluster"),
        (400, "ClusterNotFound"),
    ] {
        let (_s, client) = serve(vec![Canned::error(status, code, "no such cluster")]).await;
        assert_eq!(
            client.get_cluster(&cluster()).await.unwrap(),
            None,
            "{status} {code}"
        );
    }
    let (_s, client) = serve(vec![Canned::error(400, "InvalidParameter", "bad")]).await;
    assert!(client.get_cluster(&cluster()).await.is_err());
}

#[tokio::test]
async fn list_clusters() {
    let (server, client) = serve(vec![Canned::fixture("ListClusters")]).await;
    let page = client
        .list_clusters(&ListClusters {
            cluster_ids: vec![cluster(), ClusterId::new("c-0a1b2c3d4e5f6789").unwrap()],
            cluster_types: vec!["HADOOP".to_owned()],
            cluster_states: vec!["RUNNING".to_owned(), "TERMINATED".to_owned()],
            max_results: Some(20),
            next_token: Some("t1".to_owned()),
        })
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "ListClusters",
        "2021-03-20",
        &[
            ("RegionId", "cn-hangzhou"),
            ("ClusterIds.1", "c-b933c5aac8fe1234"),
            ("ClusterIds.2", "c-0a1b2c3d4e5f6789"),
            ("ClusterTypes.1", "HADOOP"),
            ("ClusterStates.2", "TERMINATED"),
            ("MaxResults", "20"),
            ("NextToken", "t1"),
        ],
    );
    assert_eq!(page.total_count, 21);
    assert_eq!(
        page.next_token.as_deref(),
        Some("dd6b1b2a-5837-41d1-8c9f-4d2f1ba3e2a1")
    );
    assert_eq!(page.clusters.len(), 2);
    assert_eq!(page.clusters[1].cluster_type, "DATALAKE");
    assert_eq!(page.clusters[1].create_time, Some(1_768_465_900_000));
    assert_eq!(page.clusters[1].tags[0].key, "env");
}

#[tokio::test]
async fn list_application_configs_follows_next_token() {
    let first = json!({
        "RequestId": "p1",
        "NextToken": "t2",
        "ApplicationConfigs": [{"ApplicationName": "SPARK3", "ConfigFileName": "hive-site.xml",
            "ConfigItemKey": "hive.metastore.type", "ConfigItemValue": "DLF"}]
    });
    let (server, client) = serve(vec![
        Canned::json(200, first.to_string()),
        Canned::fixture("ListApplicationConfigs"),
    ])
    .await;
    let configs = client
        .list_application_configs(&cluster(), Some("HIVE"), None, Some("hive.metastore.type"))
        .await
        .unwrap();
    assert_eq!(configs.len(), 3);
    assert_eq!(configs[0].config_item_value, "DLF");
    assert_eq!(configs[1].config_file_name, "hivemetastore-site.xml");
    assert_eq!(configs[1].config_item_value, "LOCAL");
    assert_eq!(configs[2].application_name, "HIVE");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_call(
        &requests[0],
        "ListApplicationConfigs",
        "2021-03-20",
        &[
            ("ClusterId", "c-b933c5aac8fe1234"),
            ("ApplicationName", "HIVE"),
            ("ConfigItemKey", "hive.metastore.type"),
        ],
    );
    assert_eq!(requests[0].param("NextToken"), None);
    assert_eq!(requests[0].param("ConfigFileName"), None);
    assert_eq!(requests[1].param("NextToken").as_deref(), Some("t2"));
}

#[tokio::test]
async fn describe_cluster_v2() {
    let (server, client) = serve(vec![Canned::fixture("DescribeClusterV2")]).await;
    let legacy = ClusterId::new("C-ABCDEF0123456789").unwrap();
    let info = client
        .describe_cluster_v2(&legacy)
        .await
        .unwrap()
        .expect("exists");
    assert_call(
        &only(&server),
        "DescribeClusterV2",
        "2016-04-08",
        &[("Id", "C-ABCDEF0123456789"), ("RegionId", "cn-hangzhou")],
    );
    assert_eq!(info.id, "C-ABCDEF0123456789");
    assert_eq!(info.status, "IDLE");
    assert_eq!(info.meta_store_type.as_deref(), Some("local"));
    assert_eq!(info.local_meta_db, Some(true));
    assert_eq!(info.eas_enable, Some(false));
    assert_eq!(info.high_availability_enable, Some(true));
    assert_eq!(info.vswitch_id, "vsw-bp1e2f5fhaplp0g6p1234");
    let software = info.software_info.expect("software info");
    assert_eq!(software.emr_ver, "EMR-3.38.2");
    assert_eq!(software.cluster_type, "HADOOP");

    let (_s, client) = serve(vec![Canned::error(
        404,
        emr::codes::CLUSTER_NOT_FOUND,
        "gone",
    )])
    .await;
    assert_eq!(client.describe_cluster_v2(&legacy).await.unwrap(), None);
}

#[tokio::test]
async fn get_project_and_its_absence() {
    let (server, client) = serve(vec![Canned::fixture("GetProject")]).await;
    let project = client
        .get_project(&workspace())
        .await
        .unwrap()
        .expect("exists");
    let r = only(&server);
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert_call(&r, "GetProject", "2024-05-18", &[("Id", "12345")]);
    assert_eq!(project.id, 12345);
    assert_eq!(project.name, "sales_dw");
    assert_eq!(project.owner, "6543210987654321");
    assert_eq!(project.status, "Available");
    assert!(project.dev_environment_enabled);
    assert_eq!(project.dev_role_disabled, Some(false));

    let (_s, client) = serve(vec![Canned::error(
        404,
        dataworks::codes::PROJECT_NOT_FOUND,
        "no",
    )])
    .await;
    assert_eq!(client.get_project(&workspace()).await.unwrap(), None);
}

#[tokio::test]
async fn list_compute_resources_accepts_string_and_object_properties() {
    let (server, client) = serve(vec![Canned::fixture("ListComputeResources")]).await;
    let page = client
        .list_compute_resources(&ListComputeResources {
            project_id: workspace(),
            name: Some("emr_cross".to_owned()),
            env_type: Some("Prod".to_owned()),
            types: vec!["emr".to_owned(), "hologres".to_owned()],
            page_number: 1,
            page_size: 10,
        })
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "ListComputeResources",
        "2024-05-18",
        &[
            ("ProjectId", "12345"),
            ("Name", "emr_cross"),
            ("EnvType", "Prod"),
            ("Types", "emr,hologres"),
            ("PageNumber", "1"),
            ("PageSize", "10"),
        ],
    );
    assert_eq!(
        (page.page_number, page.page_size, page.total_count),
        (1, 10, 2)
    );
    let group = &page.groups[0];
    assert_eq!(
        (group.name.as_str(), group.r#type.as_str()),
        ("emr_cross", "emr")
    );
    let dev = &group.resources[0];
    assert_eq!(dev.id, 101);
    assert_eq!(dev.env_type.as_deref(), Some("Dev"));
    assert_eq!(dev.connection_properties["crossAccountRoleName"], "EMRRole");
    let prod = &group.resources[1];
    assert_eq!(prod.env_type.as_deref(), Some("Prod"));
    assert_eq!(
        prod.connection_properties["clusterId"],
        "c-b933c5aac8fe1234"
    );
    assert_eq!(prod.description, None);
    assert_eq!(prod.whether_default, Some(true));
    assert_eq!(
        page.groups[1].resources[0].env_type.as_deref(),
        Some("Prod")
    );
}

#[tokio::test]
async fn list_all_compute_resources_reads_every_page() {
    let page = |n: u32, name: &str, id: i64| {
        json!({"RequestId": format!("p{n}"), "PagingInfo": {"PageNumber": n, "PageSize": 100, "TotalCount": 2,
            "ComputeResources": [{"Name": name, "Type": "emr", "ComputeResource": [
                {"Id": id, "ConnectionProperties": "{\"envType\":\"Prod\"}", "ConnectionPropertiesMode": "InstanceMode"}]}]}})
        .to_string()
    };
    let (server, client) = serve(vec![
        Canned::json(200, page(1, "a", 1)),
        Canned::json(200, page(2, "b", 2)),
    ])
    .await;
    let all = client
        .list_all_compute_resources(&workspace(), Some("a"))
        .await
        .unwrap();
    let summary: Vec<(String, String, i64)> =
        all.into_iter().map(|(n, t, e)| (n, t, e.id)).collect();
    assert_eq!(
        summary,
        vec![
            ("a".to_owned(), "emr".to_owned(), 1),
            ("b".to_owned(), "emr".to_owned(), 2)
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].param("PageNumber").as_deref(), Some("1"));
    assert_eq!(requests[1].param("PageNumber").as_deref(), Some("2"));
    assert_eq!(requests[1].param("Name").as_deref(), Some("a"));
}

#[tokio::test]
async fn create_compute_resource() {
    let (server, client) = serve(vec![Canned::fixture("CreateComputeResource")]).await;
    let props = r#"{"envType":"Prod","clusterId":"c-b933c5aac8fe1234","crossAccountOwnerId":"1234567890123456","crossAccountRoleName":"EMRRole","authType":"RamRole"}"#;
    let id = client
        .create_compute_resource(&CreateComputeResource {
            project_id: workspace(),
            name: "emr_cross".to_owned(),
            r#type: "emr".to_owned(),
            connection_properties_mode: "InstanceMode".to_owned(),
            connection_properties: props.to_owned(),
            description: None,
        })
        .await
        .unwrap();
    let r = only(&server);
    assert_call(
        &r,
        "CreateComputeResource",
        "2024-05-18",
        &[
            ("ProjectId", "12345"),
            ("Name", "emr_cross"),
            ("Type", "emr"),
            ("ConnectionPropertiesMode", "InstanceMode"),
            ("ConnectionProperties", props),
        ],
    );
    assert_eq!(r.param("Description"), None);
    assert_eq!(id, 103);

    let (_s, client) = serve(vec![Canned::error(
        403,
        dataworks::codes::CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED,
        "role not trusted",
    )])
    .await;
    let err = client
        .create_compute_resource(&CreateComputeResource {
            project_id: workspace(),
            name: "x".to_owned(),
            r#type: "emr".to_owned(),
            connection_properties_mode: "InstanceMode".to_owned(),
            connection_properties: "{}".to_owned(),
            description: None,
        })
        .await
        .unwrap_err();
    assert!(err.is_code("Forbidden.CrossAccountRole"));
}

#[tokio::test]
async fn get_compute_resource_and_its_absence() {
    let (server, client) = serve(vec![Canned::fixture("GetComputeResource")]).await;
    let res = client
        .get_compute_resource(&workspace(), 102)
        .await
        .unwrap()
        .expect("exists");
    assert_call(
        &only(&server),
        "GetComputeResource",
        "2024-05-18",
        &[("Id", "102"), ("ProjectId", "12345")],
    );
    assert_eq!(res.id, 102);
    assert_eq!(res.project_id, 12345);
    assert_eq!(res.name, "emr_cross");
    assert_eq!(res.r#type, "emr");
    assert_eq!(res.connection_properties_mode, "InstanceMode");
    assert_eq!(res.connection_properties["envType"], "Prod");
    assert_eq!(res.description.as_deref(), Some("prod side"));
    assert_eq!(
        res.qualified_name.as_deref(),
        Some("6543210987654321:cn-hangzhou:emr:c-b933c5aac8fe1234")
    );

    let (_s, client) = serve(vec![Canned::error(
        404,
        dataworks::codes::COMPUTE_RESOURCE_NOT_FOUND,
        "no",
    )])
    .await;
    assert_eq!(
        client.get_compute_resource(&workspace(), 9).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn delete_compute_resource() {
    let (server, client) = serve(vec![Canned::fixture("DeleteComputeResource")]).await;
    client
        .delete_compute_resource(&workspace(), 102)
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "DeleteComputeResource",
        "2024-05-18",
        &[("Id", "102"), ("ProjectId", "12345")],
    );

    let (_s, client) = serve(vec![Canned::json(
        200,
        r#"{"RequestId":"R9","Success":false}"#,
    )])
    .await;
    let err = client
        .delete_compute_resource(&workspace(), 102)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotApplied { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("R9"));
}

#[tokio::test]
async fn list_resource_groups_reads_the_misspelled_vswitch_field() {
    let (server, client) = serve(vec![Canned::fixture("ListResourceGroups")]).await;
    let groups = client
        .list_resource_groups(&ListResourceGroups {
            project_id: Some(workspace()),
            statuses: vec!["Normal".to_owned()],
            ..ListResourceGroups::default()
        })
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "GET");
    assert_call(
        &r,
        "ListResourceGroups",
        "2024-05-18",
        &[("ProjectId", "12345"), ("Statuses", r#"["Normal"]"#)],
    );
    assert_eq!(r.param("ResourceGroupTypes"), None);
    assert_eq!(groups.len(), 2);
    let g = &groups[0];
    assert_eq!(g.id, "Serverless_res_group_524257424564736_6831777003001");
    assert_eq!(g.name, "common_main");
    assert_eq!(g.resource_group_type, "CommonV2");
    assert_eq!(g.status, "Normal");
    assert_eq!(g.remark, None);
    assert_eq!(g.default_vpc_id.as_deref(), Some("vpc-bp1consumer0000001"));
    assert_eq!(
        g.default_vswitch_id.as_deref(),
        Some("vsw-bp1consumer000001")
    );
    assert_eq!(groups[1].status, "Stop");
    assert_eq!(groups[1].default_vswitch_id, None);
    assert_eq!(groups[1].create_time, Some(1_768_465_860_000));
}

#[tokio::test]
async fn associate_project_to_resource_group_sends_a_form_body() {
    let (server, client) = serve(vec![Canned::fixture("AssociateProjectToResourceGroup")]).await;
    client
        .associate_project_to_resource_group(&workspace(), "rg-one")
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "POST");
    assert!(r.body.contains("ResourceGroupId=rg-one"), "{r:?}");
    assert_call(
        &r,
        "AssociateProjectToResourceGroup",
        "2024-05-18",
        &[("ProjectId", "12345"), ("ResourceGroupId", "rg-one")],
    );

    let (_s, client) = serve(vec![Canned::error(
        404,
        dataworks::codes::RESOURCE_GROUP_NOT_FOUND,
        "no such group",
    )])
    .await;
    let err = client
        .associate_project_to_resource_group(&workspace(), "rg-x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(dataworks::codes::RESOURCE_GROUP_NOT_FOUND));
}

#[tokio::test]
async fn dissociate_project_from_resource_group_sends_a_form_body() {
    let (server, client) = serve(vec![Canned::fixture("DissociateProjectFromResourceGroup")]).await;
    client
        .dissociate_project_from_resource_group(&workspace(), "rg-one")
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "POST");
    assert!(
        r.body.contains("ProjectId=12345") && r.body.contains("ResourceGroupId=rg-one"),
        "{r:?}"
    );
    assert!(!r.target.contains("ResourceGroupId"), "{r:?}");
    assert_call(
        &r,
        "DissociateProjectFromResourceGroup",
        "2024-05-18",
        &[("ProjectId", "12345"), ("ResourceGroupId", "rg-one")],
    );

    let (_s, client) = serve(vec![Canned::error(
        404,
        dataworks::codes::RESOURCE_GROUP_NOT_ASSOCIATED,
        "not bound",
    )])
    .await;
    let err = client
        .dissociate_project_from_resource_group(&workspace(), "rg-one")
        .await
        .unwrap_err();
    assert!(err.is_code("ResourceGroup.NotAssociated"), "{err:?}");
    assert!(!err.kind().is_retryable());

    let (_s, client) = serve(vec![Canned::json(
        200,
        r#"{"RequestId":"R7","Success":false}"#,
    )])
    .await;
    let err = client
        .dissociate_project_from_resource_group(&workspace(), "rg-one")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotApplied { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("R7"));
}

#[tokio::test]
async fn list_resource_group_associate_projects_accepts_numbers_and_strings() {
    let (server, client) = serve(vec![Canned::fixture("ListResourceGroupAssociateProjects")]).await;
    let ids = client
        .list_resource_group_associate_projects("rg-one")
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "ListResourceGroupAssociateProjects",
        "2024-05-18",
        &[("ResourceGroupId", "rg-one")],
    );
    assert_eq!(ids, vec![12345, 67890]);
}

#[tokio::test]
async fn get_compute_resource_auth_user_mappings() {
    let (server, client) = serve(vec![Canned::fixture("GetComputeResourceAuthUserMappings")]).await;
    let m = client
        .get_compute_resource_auth_user_mappings(&workspace(), 101)
        .await
        .unwrap();
    assert_call(
        &only(&server),
        "GetComputeResourceAuthUserMappings",
        "2024-05-18",
        &[("ProjectId", "12345"), ("ComputeResourceId", "101")],
    );
    assert_eq!(m.hadoop_auth_type.as_deref(), Some("ldap"));
    assert_eq!(
        m.accounts,
        vec![
            AuthUserMapping {
                user_id: "216959339000654321".to_owned(),
                username: "etl_runner".to_owned()
            },
            AuthUserMapping {
                user_id: "6543210987654321".to_owned(),
                username: "hadoop".to_owned()
            },
        ]
    );
}

#[tokio::test]
async fn update_compute_resource_auth_user_mappings_sends_json_lists_in_the_body() {
    let (server, client) = serve(vec![Canned::fixture(
        "UpdateComputeResourceAuthUserMappings",
    )])
    .await;
    let upserts = [
        AuthUserUpsert {
            user_id: "216959339000654321".to_owned(),
            username: "etl_runner".to_owned(),
            password: Some(Secret::new("ldap-pass-1")),
        },
        AuthUserUpsert {
            user_id: "216959339000654322".to_owned(),
            username: "analyst".to_owned(),
            password: None,
        },
    ];
    client
        .update_compute_resource_auth_user_mappings(
            &workspace(),
            101,
            &upserts,
            &["216959339000000009".to_owned()],
        )
        .await
        .unwrap();
    let r = only(&server);
    assert_eq!(r.method, "POST");
    assert!(!r.target.contains("Upserts"), "lists go in the body: {r:?}");
    assert_call(
        &r,
        "UpdateComputeResourceAuthUserMappings",
        "2024-05-18",
        &[
            ("ProjectId", "12345"),
            ("ComputeResourceId", "101"),
            ("RemoveUserIds", r#"["216959339000000009"]"#),
        ],
    );
    let sent: serde_json::Value = serde_json::from_str(&r.param("Upserts").unwrap()).unwrap();
    assert_eq!(
        sent,
        json!([
            {"UserId": "216959339000654321", "Username": "etl_runner", "Password": "ldap-pass-1"},
            {"UserId": "216959339000654322", "Username": "analyst"},
        ])
    );

    let (_s, client) = serve(vec![Canned::json(
        200,
        r#"{"RequestId":"R8","Success":true,"Data":{"ChangeRecordId":7,"Status":"fail"}}"#,
    )])
    .await;
    let err = client
        .update_compute_resource_auth_user_mappings(&workspace(), 101, &upserts, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotApplied { .. }), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("ldap-pass-1"));
}

#[test]
fn a_sensitive_request_hides_its_values_from_debug() {
    let req = crossbind_aliyun::RpcRequest::new(
        crossbind_aliyun::Product::DataWorks,
        "UpdateComputeResourceAuthUserMappings",
        "2024-05-18",
    )
    .sensitive()
    .form_param("Upserts", r#"[{"Password":"ldap-pass-1"}]"#);
    let debug = format!("{req:?}");
    assert!(debug.contains("Upserts"), "{debug}");
    assert!(!debug.contains("ldap-pass-1"), "{debug}");
}

#[test]
fn an_upsert_debug_hides_the_password() {
    let upsert = AuthUserUpsert {
        user_id: "216959339000654321".to_owned(),
        username: "etl_runner".to_owned(),
        password: Some(Secret::new("ldap-pass-1")),
    };
    let debug = format!("{upsert:?}");
    assert!(
        debug.contains("etl_runner") && debug.contains("has_password: true"),
        "{debug}"
    );
    assert!(!debug.contains("ldap-pass-1"), "{debug}");
}
