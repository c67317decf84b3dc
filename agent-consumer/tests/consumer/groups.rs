//! CheckResourceGroup and BindResourceGroup against the emulator's resource groups: found,
//! bound or not, missing, stopped, of a type that cannot run EMR tasks, outside consent; and
//! binding once, however often it is asked.

use crossbind_cloudsim::{ResourceGroup, ResourceGroupStatus, ResourceGroupType};
use crossbind_proto::{BindResourceGroupRequest, CheckResourceGroupRequest};

use super::*;

fn check_group(group: &str) -> CheckResourceGroupRequest {
    CheckResourceGroupRequest {
        workspace_id: STANDARD.to_owned(),
        resource_group_id: group.to_owned(),
    }
}

fn bind(group: &str, dry_run: bool) -> BindResourceGroupRequest {
    BindResourceGroupRequest {
        workspace_id: STANDARD.to_owned(),
        resource_group_id: group.to_owned(),
        dry_run,
    }
}

/// The default world plus groups that are stopped, exclusive for data integration, and
/// exclusive for scheduling.
fn world_with_odd_groups() -> World {
    let mut world = World::default_world();
    let groups = &mut consumer_account(&mut world).resource_groups;
    for (id, kind, status) in [
        (
            "S_res_group_stopped",
            ResourceGroupType::CommonV2,
            ResourceGroupStatus::Stop,
        ),
        (
            "S_res_group_integration",
            ResourceGroupType::ExclusiveDataIntegration,
            ResourceGroupStatus::Normal,
        ),
        (
            "S_res_group_scheduler",
            ResourceGroupType::ExclusiveScheduler,
            ResourceGroupStatus::Normal,
        ),
    ] {
        groups.push(ResourceGroup {
            id: id.to_owned(),
            name: id.to_lowercase(),
            resource_group_type: kind,
            status,
            vpc_id: "vpc-bp1consumer0000000001".to_owned(),
            vswitch_id: "vsw-bp1consumer0000000009".to_owned(),
            workspaces: Vec::new(),
        });
    }
    world
}

#[tokio::test]
async fn a_bound_group_and_an_unbound_one_are_reported_with_their_network() {
    let mut h = start(World::default_world()).await;
    let bound = h
        .client
        .check_resource_group(check_group(BOUND_GROUP))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(bound.resource_group_id, BOUND_GROUP);
    assert_eq!(bound.name, "common_analytics");
    assert_eq!(bound.r#type, "CommonV2");
    assert_eq!(bound.status, "Normal");
    assert_eq!(bound.vpc_id, "vpc-bp1consumer0000000001");
    assert_eq!(bound.vswitch_id, "vsw-bp1consumer0000000001");
    assert!(bound.bound);

    let spare = h
        .client
        .check_resource_group(check_group(SPARE_GROUP))
        .await
        .expect("check")
        .into_inner();
    assert!(!spare.bound);
    assert_eq!(spare.vpc_id, "vpc-bp1provider0000000001");
    assert_eq!(spare.vswitch_id, "vsw-bp1provider0000000003");
}

#[tokio::test]
async fn a_missing_group_is_not_found() {
    let mut h = start(World::default_world()).await;
    let status = h
        .client
        .check_resource_group(check_group("Serverless_res_group_nope"))
        .await
        .expect_err("missing");
    assert_eq!(status.code(), Code::NotFound, "{}", status.message());
    assert_eq!(
        status.message(),
        format!(
            "resource group Serverless_res_group_nope does not exist in account {CONSUMER_UID} \
             (region cn-hangzhou)"
        )
    );
}

#[tokio::test]
async fn stopped_groups_and_groups_that_cannot_run_emr_tasks_are_refused() {
    let mut h = start(world_with_odd_groups()).await;
    let stopped = h
        .client
        .check_resource_group(check_group("S_res_group_stopped"))
        .await
        .expect_err("stopped");
    assert_eq!(stopped.code(), Code::FailedPrecondition);
    assert!(
        stopped.message().contains("is Stop, not Normal"),
        "{}",
        stopped.message()
    );
    assert!(
        stopped.message().contains("start it again"),
        "{}",
        stopped.message()
    );

    let integration = h
        .client
        .check_resource_group(check_group("S_res_group_integration"))
        .await
        .expect_err("wrong type");
    assert_eq!(integration.code(), Code::FailedPrecondition);
    let text = integration.message();
    assert!(text.contains("ExclusiveDataIntegration"), "{text}");
    assert!(
        text.contains("accepted are CommonV2 (serverless) and ExclusiveScheduler"),
        "{text}"
    );

    let scheduler = h
        .client
        .check_resource_group(check_group("S_res_group_scheduler"))
        .await
        .expect("an exclusive scheduling group can run EMR tasks")
        .into_inner();
    assert_eq!(scheduler.r#type, "ExclusiveScheduler");
    // Binding refuses what checking refuses, and changes nothing.
    let before = h.cloud.mutations().len();
    let status = h
        .client
        .bind_resource_group(bind("S_res_group_stopped", false))
        .await
        .expect_err("stopped");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(h.cloud.mutations().len(), before);
}

#[tokio::test]
async fn binding_happens_once_however_often_it_is_asked() {
    let mut h = start(World::default_world()).await;
    let plan = h
        .client
        .bind_resource_group(bind(SPARE_GROUP, true))
        .await
        .expect("dry run")
        .into_inner();
    assert!(plan.bound_now, "the plan says it would bind");
    assert!(
        !plan.resource_group.expect("group").bound,
        "nothing changed"
    );
    assert_eq!(mutations_of(&h, "AssociateProjectToResourceGroup"), 0);

    let first = h
        .client
        .bind_resource_group(bind(SPARE_GROUP, false))
        .await
        .expect("bind")
        .into_inner();
    assert!(first.bound_now);
    assert!(first.resource_group.expect("group").bound);
    let again = h
        .client
        .bind_resource_group(bind(SPARE_GROUP, false))
        .await
        .expect("bind again")
        .into_inner();
    assert!(!again.bound_now, "already bound");
    assert!(again.resource_group.expect("group").bound);
    assert_eq!(mutations_of(&h, "AssociateProjectToResourceGroup"), 1);
    let snapshot = h.cloud.sim.snapshot();
    let groups = snapshot["accounts"][CONSUMER_UID]["resource_groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let spare = groups
        .iter()
        .find(|g| g["Id"] == SPARE_GROUP)
        .expect("spare group in the sim");
    assert_eq!(spare["Workspaces"], serde_json::json!([10001]), "{spare}");
}

#[tokio::test]
async fn groups_outside_consent_and_malformed_ids_are_refused() {
    let mut h = start_opts(
        World::default_world(),
        Options {
            resource_groups: Scope::Only(vec![BOUND_GROUP.to_owned()]),
            ..Options::default()
        },
    )
    .await;
    h.client
        .check_resource_group(check_group(BOUND_GROUP))
        .await
        .expect("listed in consent");
    let status = h
        .client
        .bind_resource_group(bind(SPARE_GROUP, false))
        .await
        .expect_err("not consented");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("consent.resource_groups"),
        "{}",
        status.message()
    );
    for (group, text) in [
        ("", "resource_group_id is required"),
        ("rg with spaces", "request field resource_group_id"),
    ] {
        let status = h
            .client
            .check_resource_group(check_group(group))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(text), "{}", status.message());
    }
    assert_eq!(mutations_of(&h, "AssociateProjectToResourceGroup"), 0);
}
