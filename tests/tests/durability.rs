//! End-to-end: the coordinator killed with SIGKILL after each step in turn, then restarted on
//! the same database; every association completes and the cloud holds no duplicate.

use std::time::Duration;

use crossbind_proto::{
    AccountMapping, AssociationState, ConfirmInitializationRequest, EventKind,
    GetAssociationRequest, PendingKind, WatchAssociationRequest,
};
use crossbind_tests::*;
use serde_json::Value;
use tokio_stream::StreamExt;

/// The steps of an association in a standard-mode workspace, in the order they finish;
/// `initialize` stands for the moment the operator has been asked (it then waits).
const STEPS: [&str; 11] = [
    "identify.provider",
    "identify.consumer",
    "preflight.cluster",
    "preflight.workspace",
    "preflight.resource_group",
    "trust",
    "register.dev",
    "register.prod",
    "bind.resource_group",
    "map.accounts",
    "initialize",
];

/// Not bound to a workspace in the default world: the association binds it.
const SPARE_GROUP: &str = "Serverless_res_group_1688000000000001_0002";
/// A member of the consumer account the association maps to the cluster's `etl` account.
const MEMBER: &str = "2000000000000001";

fn count_mutations(state: &Value, action: &str) -> usize {
    state["mutations"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["Action"] == action).count())
}

fn check_no_duplicates(state: &Value) {
    let roles = roles(state, DEFAULT_PROVIDER_UID);
    assert_eq!(roles.len(), 1, "one role: {roles:#?}");
    let attachments = roles[0]["AttachedPolicies"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "one attachment: {attachments:#?}");
    let resources = compute_resources(state, DEFAULT_CONSUMER_UID, DEFAULT_WORKSPACE_ID);
    let mut envs: Vec<&str> = resources
        .iter()
        .map(|r| r["EnvType"].as_str().unwrap())
        .collect();
    envs.sort();
    assert_eq!(
        envs,
        ["Dev", "Prod"],
        "one compute resource per environment: {resources:#?}"
    );
    assert_eq!(count_mutations(state, "AssociateProjectToResourceGroup"), 1);
    assert_eq!(
        count_mutations(state, "UpdateComputeResourceAuthUserMappings"),
        1
    );
    let cluster = state["accounts"][DEFAULT_PROVIDER_UID]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ClusterId"] == DEFAULT_CLUSTER_ID)
        .unwrap();
    let mappings = cluster["AuthUserMappings"].as_array().unwrap();
    assert_eq!(mappings.len(), 1, "one mapping: {mappings:#?}");
    assert_eq!(mappings[0]["UserId"], MEMBER);
}

/// Every cloud call takes this long, so the kill lands while the association is mid-way.
const WORLD_LATENCY: &str = "latency_ms = 150";

#[tokio::test(flavor = "multi_thread")]
async fn a_coordinator_killed_after_any_step_resumes_without_duplicates() {
    let mut resumed = 0;
    for kill_after in STEPS {
        let (mut options, dir) = options();
        with_world(&mut options, &slow_default_world());
        let mut h = start(options, dir).await;
        let mut client = h.stack.client().await.unwrap();
        let mut request = request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID);
        request.idempotency_key = format!("kill-after-{kill_after}");
        request.resource_group_id = SPARE_GROUP.to_string();
        request.account_mappings = vec![AccountMapping {
            member_uid: MEMBER.to_string(),
            cluster_account: "etl".to_string(),
        }];
        request.initialize_now = true;
        let created = client
            .create_association(request.clone())
            .await
            .unwrap()
            .into_inner();
        let mut events = client
            .watch_association(WatchAssociationRequest {
                id: created.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut seen = false;
        while let Some(Ok(event)) = events.next().await {
            let asked = kill_after == "initialize" && event.kind() == EventKind::ActionRequired;
            if asked || (event.kind() == EventKind::StepSucceeded && event.step == kill_after) {
                seen = true;
                break;
            }
        }
        assert!(seen, "{kill_after} never succeeded\n{}", h.logs());
        h.stack.kill("coordinator").await;
        h.stack.restart("coordinator").await.unwrap();

        // The restarted coordinator knows the association and carries it to its end.
        let mut client = h.stack.client().await.unwrap();
        let again = client
            .create_association(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            again.id, created.id,
            "the idempotency key survived the crash"
        );
        // The operator confirms once the (possibly resumed) association asks.
        let asked = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let now = client
                    .get_association(GetAssociationRequest {
                        id: created.id.clone(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                if now.pending.as_ref().map(|p| p.kind()) == Some(PendingKind::OperatorConfirmation)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(
            asked.is_ok(),
            "killed after {kill_after}: never asked\n{}",
            h.logs()
        );
        client
            .confirm_initialization(ConfirmInitializationRequest {
                id: created.id.clone(),
                now: false,
                failed: None,
            })
            .await
            .unwrap();
        let done = h.settle(&created.id).await;
        let asks = h
            .events(&created.id)
            .await
            .iter()
            .filter(|e| e.kind() == EventKind::ActionRequired)
            .count();
        assert_eq!(
            asks, 1,
            "killed after {kill_after}: the operator is asked once"
        );
        assert_eq!(
            done.state(),
            AssociationState::Succeeded,
            "killed after {kill_after}: {done:#?}\n{}",
            h.logs()
        );
        assert_eq!(done.resources.len(), 2, "killed after {kill_after}");
        check_no_duplicates(&h.state().await);
        if h.stack
            .log_tail("coordinator", 200)
            .contains("resuming an unfinished association")
        {
            resumed += 1;
        }
        h.stack.stop().await;
    }
    // Every kill lands before the operator's confirmation: each one interrupts the
    // association, which the restarted coordinator resumes.
    assert_eq!(
        resumed,
        STEPS.len(),
        "only {resumed} kills interrupted an association"
    );
}

/// The default world with every answer delayed.
fn slow_default_world() -> String {
    let world = crossbind_cloudsim::DEFAULT_WORLD_TOML;
    let settings = "[settings.faults]";
    assert!(
        world.contains("[settings]"),
        "the default world has a settings table"
    );
    // Insert the faults table right after the settings table's keys.
    let at = world
        .find("\n[[accounts]]")
        .expect("accounts follow the settings");
    format!(
        "{}\n{settings}\n{WORLD_LATENCY}\n{}",
        &world[..at],
        &world[at..]
    )
}

/// How many associations run at once under faults.
const CONCURRENT: usize = 50;

/// What the emulator injects: 30% throttling, 10% server errors, and a new role takes three
/// seconds to be in effect for DataWorks. Seeded, so a failing run can be replayed.
const FAULTS: &str = "throttle_rate = 0.3\nserver_error_rate = 0.1\nseed = 20261203";

fn world_with_many_workspaces() -> String {
    let mut world = format!(
        "[settings]\nrole_propagation_seconds = 3\n\n[settings.faults]\n{FAULTS}\n\n\
         [[accounts]]\nuid = \"{DEFAULT_CONSUMER_UID}\"\nname = \"consumer-a\"\n\
         [[accounts.access_keys]]\nid = \"LTAI5tConsumerA0000000001\"\n\
         secret = \"cloudsimConsumerASecretKey000001\"\n"
    );
    for i in 0..CONCURRENT {
        world.push_str(&format!(
            "[[accounts.workspaces]]\nid = {}\nname = \"ws{i}\"\nmode = \"standard\"\nregion = \"cn-hangzhou\"\n",
            40001 + i
        ));
    }
    world.push_str(&format!(
        "\n[[accounts]]\nuid = \"{DEFAULT_PROVIDER_UID}\"\nname = \"provider-b\"\n\
         [[accounts.access_keys]]\nid = \"LTAI5tProviderB0000000001\"\n\
         secret = \"cloudsimProviderBSecretKey000001\"\n\
         [[accounts.clusters]]\nid = \"{DEFAULT_CLUSTER_ID}\"\nname = \"etl-hadoop\"\n\
         region = \"cn-hangzhou\"\ntype = \"HADOOP\"\nrelease = \"EMR-3.38.3\"\nmetastore = \"LOCAL\"\n\
         security_mode = \"NORMAL\"\nstate = \"RUNNING\"\nvpc_id = \"vpc-b1\"\nvswitch_id = \"vsw-b1\"\n\
         zone_id = \"cn-hangzhou-h\"\n"
    ));
    world
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_associations_complete_under_injected_faults() {
    let (mut options, dir) = options();
    with_world(&mut options, &world_with_many_workspaces());
    // Enterprise quotas, so that the agents' own pacing does not dominate the run.
    options.dataworks_edition = Some("enterprise".to_string());
    let h = start(options, dir).await;
    eprintln!("injected: {FAULTS}, role_propagation_seconds = 3, {CONCURRENT} associations");

    let runs =
        (0..CONCURRENT).map(|i| h.run(request(DEFAULT_CLUSTER_ID, &(40001 + i).to_string())));
    let results = futures::future::join_all(runs).await;
    for association in &results {
        assert_eq!(
            association.state(),
            AssociationState::Succeeded,
            "{association:#?}\n{}",
            h.logs()
        );
    }

    let state = h.state().await;
    let faults = &state["faults"];
    assert!(
        faults["throttled"].as_u64().unwrap() > 0,
        "throttling was injected: {faults}"
    );
    assert!(
        faults["server_errors"].as_u64().unwrap() > 0,
        "5xx were injected: {faults}"
    );
    let roles = roles(&state, DEFAULT_PROVIDER_UID);
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["AttachedPolicies"].as_array().unwrap().len(), 1);
    for i in 0..CONCURRENT {
        let workspace = (40001 + i).to_string();
        let resources = compute_resources(&state, DEFAULT_CONSUMER_UID, &workspace);
        assert_eq!(resources.len(), 2, "workspace {workspace}: {resources:#?}");
    }
    h.stack.stop().await;
}
