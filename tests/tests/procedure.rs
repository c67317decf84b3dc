//! End-to-end: the documented steps after registration — the resource group (checked and
//! bound), its initialization through the off-peak operator gate, re-initialization when the
//! cluster's configuration changes, the diagnosis, and account mappings — each checked against
//! the emulator's state.

use std::time::Duration;

use crossbind_aliyun::{
    ids::{RoleName, WorkspaceId},
    ram::{DATAWORKS_EMR_POLICY, PolicyType, UpdateRole},
};
use crossbind_cloudsim::{DEFAULT_WORLD_TOML, World};
use crossbind_proto::{
    AccountMapping, Association, AssociationEvent, AssociationState, CheckDriftRequest,
    ConfirmInitializationRequest, CreateAssociationRequest, DiagnoseRequest, Diagnosis, EventKind,
    GetAssociationRequest, PendingKind, Severity, StepState, WatchAssociationRequest,
    coordinator_client::CoordinatorClient,
};
use crossbind_tests::*;
use serde_json::Value;
use tokio_stream::StreamExt;
use tonic::{Code, transport::Channel};

/// Bound to workspace 10001 in the default world, in the consumer's own VPC.
const BOUND_GROUP: &str = "Serverless_res_group_1688000000000001_0001";
/// Bound to no workspace in the default world, in the cluster's VPC.
const SPARE_GROUP: &str = "Serverless_res_group_1688000000000001_0002";

/// The consumer team's off-peak window: 02:00 to 05:00 in Shanghai.
const OFF_PEAK: &str =
    "[initialization]\ntime_zone = \"Asia/Shanghai\"\noff_peak = [\"02:00-05:00\"]\n";

/// Noon in Shanghai: the next window opens 14 hours later.
const NOON: &str = "2026-12-04T12:00:00+08:00";

/// The off-peak window, and a coordinator clock that starts at `clock`.
fn off_peak_at(options: &mut crossbind_cli::stack::StackOptions, clock: &str) {
    options.consumer_extra_toml = OFF_PEAK.into();
    options.coordinator_clock_start = Some(clock.into());
}

fn with_group(group: &str) -> CreateAssociationRequest {
    CreateAssociationRequest {
        resource_group_id: group.to_string(),
        ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
    }
}

/// `with_group`, initialized at once instead of in an off-peak window.
fn now_with(group: &str) -> CreateAssociationRequest {
    CreateAssociationRequest {
        initialize_now: true,
        ..with_group(group)
    }
}

fn mapping(member: &str, account: &str) -> AccountMapping {
    AccountMapping {
        member_uid: member.to_string(),
        cluster_account: account.to_string(),
    }
}

/// Follows the association's events until one matches, failing after a minute.
async fn until_event(
    client: &mut CoordinatorClient<Channel>,
    id: &str,
    matches: impl Fn(&AssociationEvent) -> bool,
) -> AssociationEvent {
    let mut events = client
        .watch_association(WatchAssociationRequest { id: id.to_string() })
        .await
        .expect("watch")
        .into_inner();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(event) = events.next().await {
            let event = event.expect("event");
            if matches(&event) {
                return Some(event);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        Ok(None) => panic!("association {id} ended without the expected event"),
        Err(_) => panic!("association {id}: no expected event within a minute"),
    }
}

/// Polls the association until it waits for the operator's confirmation (`true`) or is at
/// rest (`false`), failing after a minute. Unlike the event stream, this never mistakes an
/// earlier run's request for the current one.
async fn until_asked(client: &mut CoordinatorClient<Channel>, id: &str) -> bool {
    for _ in 0..600 {
        let association = get(client, id).await;
        if association.pending.as_ref().map(|p| p.kind()) == Some(PendingKind::OperatorConfirmation)
        {
            return true;
        }
        if matches!(
            association.state(),
            AssociationState::Succeeded | AssociationState::Failed | AssociationState::Cancelled
        ) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("association {id} neither asked nor finished within a minute");
}

async fn create(
    client: &mut CoordinatorClient<Channel>,
    request: CreateAssociationRequest,
) -> Association {
    client
        .create_association(request)
        .await
        .expect("create association")
        .into_inner()
}

async fn get(client: &mut CoordinatorClient<Channel>, id: &str) -> Association {
    client
        .get_association(GetAssociationRequest { id: id.to_string() })
        .await
        .expect("get")
        .into_inner()
}

async fn confirm(client: &mut CoordinatorClient<Channel>, id: &str) {
    client
        .confirm_initialization(ConfirmInitializationRequest {
            id: id.to_string(),
            now: false,
            failed: None,
        })
        .await
        .expect("confirm");
}

/// Runs an association that initializes at once, confirming when asked, to its end.
async fn run_confirmed(h: &Harness, request: CreateAssociationRequest) -> Association {
    let mut client = h.stack.client().await.expect("client");
    let created = client
        .create_association(CreateAssociationRequest {
            initialize_now: !request.resource_group_id.is_empty(),
            ..request
        })
        .await
        .expect("create")
        .into_inner();
    if until_asked(&mut client, &created.id).await {
        confirm(&mut client, &created.id).await;
    }
    h.settle(&created.id).await
}

async fn diagnose(h: &Harness, id: &str) -> Diagnosis {
    let mut client = h.stack.client().await.expect("client");
    client
        .diagnose(DiagnoseRequest { id: id.to_string() })
        .await
        .expect("diagnose")
        .into_inner()
}

fn error_codes(diagnosis: &Diagnosis) -> Vec<String> {
    diagnosis
        .findings
        .iter()
        .filter(|f| f.severity() == Severity::Error)
        .map(|f| f.code.clone())
        .collect()
}

fn mappings_of(state: &Value, cluster: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = state["accounts"][DEFAULT_PROVIDER_UID]["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter(|c| c["ClusterId"] == cluster)
        .flat_map(|c| {
            c["AuthUserMappings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|m| {
            (
                m["UserId"].as_str().unwrap_or_default().to_string(),
                m["Username"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn mutations_named(state: &Value, action: &str) -> usize {
    state["mutations"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["Action"] == action).count())
}

fn step<'a>(association: &'a Association, name: &str) -> &'a crossbind_proto::Step {
    association
        .steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}: {association:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn initialization_waits_for_the_off_peak_window_and_completes_after_confirm() {
    let (mut options, dir) = options();
    // 02:00-05:00 in Shanghai; the coordinator's clock starts 25 s before the window opens,
    // time for the stack to start and the steps before the gate to run.
    off_peak_at(&mut options, "2026-12-04T01:59:35+08:00");
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let created = create(&mut client, with_group(SPARE_GROUP)).await;
    let id = created.id.clone();

    let waiting = until_event(&mut client, &id, |e| e.kind() == EventKind::Waiting).await;
    assert_eq!(waiting.state(), AssociationState::Waiting, "{waiting:?}");
    let association = get(&mut client, &id).await;
    let pending = association.pending.clone().expect("pending action");
    assert_eq!(pending.kind(), PendingKind::OffPeakWindow);
    assert!(
        pending.window_start.starts_with("2026-12-03T18:00:00")
            || pending
                .window_start
                .starts_with("2026-12-04T02:00:00+08:00"),
        "the window opens at 02:00 Shanghai time: {pending:?}"
    );
    // Nothing is asked of the operator before the window: a confirmation is refused.
    let early = client
        .confirm_initialization(ConfirmInitializationRequest {
            id: id.clone(),
            now: false,
            failed: None,
        })
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(early.message().contains("--now"), "{}", early.message());

    // At the window the operator is told exactly what to do.
    let asked = until_event(&mut client, &id, |e| e.kind() == EventKind::ActionRequired).await;
    assert!(asked.sequence > waiting.sequence);
    for needle in [
        DEFAULT_WORKSPACE_ID,
        SPARE_GROUP,
        DEFAULT_CLUSTER_ID,
        DEFAULT_PROVIDER_UID,
        "Dev",
        "Prod",
        &format!("crossbind confirm {id}"),
    ] {
        assert!(
            asked.message.contains(needle),
            "the instructions name {needle}: {}",
            asked.message
        );
    }
    let association = get(&mut client, &id).await;
    assert_eq!(association.state(), AssociationState::Waiting);
    assert_eq!(
        association.pending.as_ref().unwrap().kind(),
        PendingKind::OperatorConfirmation
    );
    assert_eq!(step(&association, "initialize").state(), StepState::Running);

    confirm(&mut client, &id).await;
    let done = h.settle(&id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    let init = done.initialization.expect("initialization recorded");
    assert_eq!(init.resource_group_id, SPARE_GROUP);
    assert!(!init.outside_window);
    assert!(init.confirmed_by.contains("client/"), "{init:?}");
    assert!(!init.config_fingerprint.is_empty());
    assert!(done.pending.is_none());
    // The group was not bound: crossbind bound it, once.
    assert!(done.resource_group_bound);
    let state = h.state().await;
    assert_eq!(
        mutations_named(&state, "AssociateProjectToResourceGroup"),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn now_skips_the_window_with_a_warning_and_confirm_now_stops_a_wait() {
    let (mut options, dir) = options();
    off_peak_at(&mut options, NOON);
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();

    // --now: the operator is asked at once, after a warning.
    let created = create(&mut client, now_with(BOUND_GROUP)).await;
    let warning = until_event(&mut client, &created.id, |e| {
        e.kind() == EventKind::Warning && e.step == "initialize"
    })
    .await;
    assert!(warning.message.contains("may fail"), "{}", warning.message);
    until_event(&mut client, &created.id, |e| {
        e.kind() == EventKind::ActionRequired
    })
    .await;
    confirm(&mut client, &created.id).await;
    let done = h.settle(&created.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    assert!(done.initialization.unwrap().outside_window);
    // Already bound in the default world: nothing to bind.
    assert!(!done.resource_group_bound);

    // Without --now it waits; `confirm --now` stops the wait with a warning.
    let other = create(
        &mut client,
        CreateAssociationRequest {
            resource_group_id: BOUND_GROUP.into(),
            ..request(DEFAULT_CLUSTER_ID, "10002")
        },
    )
    .await;
    until_event(&mut client, &other.id, |e| {
        e.state() == AssociationState::Waiting
    })
    .await;
    let waiting = get(&mut client, &other.id).await;
    assert_eq!(
        waiting.pending.as_ref().unwrap().kind(),
        PendingKind::OffPeakWindow
    );
    client
        .confirm_initialization(ConfirmInitializationRequest {
            id: other.id.clone(),
            now: true,
            failed: None,
        })
        .await
        .unwrap();
    until_event(&mut client, &other.id, |e| {
        e.kind() == EventKind::ActionRequired
    })
    .await;
    confirm(&mut client, &other.id).await;
    let done = h.settle(&other.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    assert!(done.initialization.unwrap().outside_window);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configuration_change_flags_reinitialization_and_applying_again_asks_for_it() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let first = run_confirmed(&h, with_group(BOUND_GROUP)).await;
    assert_eq!(first.state(), AssociationState::Succeeded, "{first:#?}");
    let mut client = h.stack.client().await.unwrap();

    // Unchanged: no re-initialization due, and applying again asks nothing.
    let report = client
        .check_drift(CheckDriftRequest {
            id: first.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(report.reinitialization_due.is_empty(), "{report:?}");
    let again = h.run(with_group(BOUND_GROUP)).await;
    assert_eq!(again.state(), AssociationState::Succeeded, "{again:#?}");
    assert!(
        step(&again, "initialize").message.contains("nothing to do"),
        "{again:#?}"
    );

    h.set_cluster_config(
        DEFAULT_CLUSTER_ID,
        "core-site.xml",
        "fs.trash.interval",
        "4320",
    )
    .await;
    let report = client
        .check_drift(CheckDriftRequest {
            id: first.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        report
            .reinitialization_due
            .contains("configuration changed"),
        "{report:?}"
    );
    let flagged = get(&mut client, &first.id).await;
    assert!(!flagged.reinitialization_due.is_empty());
    until_event(&mut client, &first.id, |e| {
        e.kind() == EventKind::ReinitializationDue
    })
    .await;

    // Applying again asks the operator again, and the confirmation clears the flag.
    let rerun = run_confirmed(&h, with_group(BOUND_GROUP)).await;
    assert_eq!(rerun.id, first.id);
    assert_eq!(rerun.state(), AssociationState::Succeeded, "{rerun:#?}");
    assert!(rerun.reinitialization_due.is_empty());
    let init = rerun.initialization.unwrap();
    assert_ne!(
        init.config_fingerprint,
        first.initialization.unwrap().config_fingerprint
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnosis_names_each_breakage() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let world = World::from_toml(DEFAULT_WORLD_TOML).unwrap();
    let association = run_confirmed(&h, with_group(BOUND_GROUP)).await;
    assert_eq!(association.state(), AssociationState::Succeeded);
    let id = association.id.as_str();

    let healthy = diagnose(&h, id).await;
    assert!(error_codes(&healthy).is_empty(), "{healthy:#?}");
    assert!(
        healthy.findings.iter().any(|f| f.code == "NETWORKS_DIFFER"),
        "the bound group is in the consumer's VPC, the cluster in the provider's: {healthy:#?}"
    );
    assert!(!healthy.unchecked.is_empty());

    let provider = h.cloud(DEFAULT_PROVIDER_UID, &world);
    let role = RoleName::new("EMRRole").unwrap();
    // 1. The trust policy loses A's principal.
    provider
        .update_role(&UpdateRole {
            role_name: role.clone(),
            new_assume_role_policy_document: Some(
                r#"{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1688000000000002:root"]}}]}"#
                    .into(),
            ),
            new_description: None,
            new_max_session_duration: None,
        })
        .await
        .unwrap();
    let found = diagnose(&h, id).await;
    assert!(
        error_codes(&found).contains(&"PRINCIPAL_NOT_TRUSTED".to_string()),
        "{found:#?}"
    );
    let finding = found
        .findings
        .iter()
        .find(|f| f.code == "PRINCIPAL_NOT_TRUSTED")
        .unwrap();
    assert_eq!(finding.account_uid, DEFAULT_PROVIDER_UID);
    assert!(!finding.fix.is_empty());

    // 2. The policy is detached.
    provider
        .detach_policy_from_role(PolicyType::System, DATAWORKS_EMR_POLICY, &role)
        .await
        .unwrap();
    assert!(error_codes(&diagnose(&h, id).await).contains(&"POLICY_NOT_ATTACHED".to_string()));

    // 3. The cluster stops running.
    h.set_cluster_state(DEFAULT_CLUSTER_ID, "TERMINATED").await;
    assert!(error_codes(&diagnose(&h, id).await).contains(&"CLUSTER_NOT_RUNNING".to_string()));

    // 4. A compute resource is deleted.
    let consumer = h.cloud(DEFAULT_CONSUMER_UID, &world);
    let prod = association
        .resources
        .iter()
        .find(|r| r.environment == crossbind_proto::Environment::Prod as i32)
        .unwrap();
    let workspace = WorkspaceId::new(DEFAULT_WORKSPACE_ID).unwrap();
    consumer
        .delete_compute_resource(&workspace, prod.compute_resource_id.parse().unwrap())
        .await
        .unwrap();
    let found = diagnose(&h, id).await;
    let missing = found
        .findings
        .iter()
        .find(|f| f.code == "COMPUTE_RESOURCE_MISSING")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(missing.subject.contains("Prod"), "{missing:?}");

    // 5. The resource group is unbound from the workspace.
    consumer
        .dissociate_project_from_resource_group(&workspace, BOUND_GROUP)
        .await
        .unwrap();
    let found = diagnose(&h, id).await;
    assert!(
        error_codes(&found).contains(&"RESOURCE_GROUP_NOT_BOUND".to_string()),
        "{found:#?}"
    );
    // The latest diagnosis is on the association too.
    let mut client = h.stack.client().await.unwrap();
    let recorded = get(&mut client, id).await.diagnosis.expect("diagnosis");
    assert_eq!(recorded.checked_at, found.checked_at);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_initialization_is_diagnosed_and_retry_asks_again() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let created = create(&mut client, now_with(BOUND_GROUP)).await;
    until_event(&mut client, &created.id, |e| {
        e.kind() == EventKind::ActionRequired
    })
    .await;
    // Once asked, `--now` is no answer, and neither is a blank reason.
    let now = client
        .confirm_initialization(ConfirmInitializationRequest {
            id: created.id.clone(),
            now: true,
            failed: None,
        })
        .await
        .unwrap_err();
    assert_eq!(now.code(), Code::FailedPrecondition, "{now:?}");
    let blank = client
        .confirm_initialization(ConfirmInitializationRequest {
            id: created.id.clone(),
            now: false,
            failed: Some("  ".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument, "{blank:?}");
    assert!(blank.message().starts_with("failed"));
    assert_eq!(
        get(&mut client, &created.id).await.state(),
        AssociationState::Waiting,
        "neither answer changed anything"
    );
    client
        .confirm_initialization(ConfirmInitializationRequest {
            id: created.id.clone(),
            now: false,
            failed: Some("the console says the vSwitch has no free IP addresses".into()),
        })
        .await
        .unwrap();
    let failed = h.settle(&created.id).await;
    assert_eq!(failed.state(), AssociationState::Failed, "{failed:#?}");
    let failure = failed.failure.clone().unwrap();
    assert_eq!(failure.step, "initialize");
    assert_eq!(failure.reasons, ["INITIALIZATION_FAILED"]);
    assert!(failure.message.contains("no free IP addresses"));
    let diagnosis = failed.diagnosis.expect("a diagnosis ran automatically");
    assert_eq!(diagnosis.trigger, "initialize failed");
    assert!(!diagnosis.findings.is_empty());

    // A retry checks the cluster again first: stopped meanwhile, it fails there.
    h.set_cluster_state(DEFAULT_CLUSTER_ID, "TERMINATED").await;
    let retry = crossbind_proto::RetryAssociationRequest {
        id: created.id.clone(),
    };
    client.retry_association(retry.clone()).await.unwrap();
    let stopped = h.settle(&created.id).await;
    assert_eq!(stopped.state(), AssociationState::Failed, "{stopped:#?}");
    let failure = stopped.failure.unwrap();
    assert_eq!(failure.step, "preflight.cluster");
    assert_eq!(failure.reasons, ["CLUSTER_NOT_RUNNING"]);

    // Running again: the retry asks the operator again.
    h.set_cluster_state(DEFAULT_CLUSTER_ID, "RUNNING").await;
    client.retry_association(retry).await.unwrap();
    assert!(until_asked(&mut client, &created.id).await);
    confirm(&mut client, &created.id).await;
    let done = h.settle(&created.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mappings_are_applied_repeat_safely_and_only_ours_are_removed() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let world = World::from_toml(DEFAULT_WORLD_TOML).unwrap();
    let (etl, bi, ops) = ("2000000000000001", "2000000000000002", "2000000000000003");

    // A mapping that exists before crossbind, which an association also asks for.
    let consumer = h.cloud(DEFAULT_CONSUMER_UID, &world);
    let setup = run_confirmed(&h, request(DEFAULT_CLUSTER_ID, "10002")).await;
    assert_eq!(setup.state(), AssociationState::Succeeded, "{setup:#?}");
    let workspace_b = WorkspaceId::new("10002").unwrap();
    consumer
        .update_compute_resource_auth_user_mappings(
            &workspace_b,
            setup.resources[0].compute_resource_id.parse().unwrap(),
            &[crossbind_aliyun::dataworks::AuthUserUpsert {
                user_id: ops.into(),
                username: "ops".into(),
                password: None,
            }],
            &[],
        )
        .await
        .unwrap();

    let wanted = vec![mapping(etl, "etl"), mapping(bi, "bi"), mapping(ops, "ops")];
    let first = h
        .run(CreateAssociationRequest {
            account_mappings: wanted.clone(),
            ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(first.state(), AssociationState::Succeeded, "{first:#?}");
    let state = h.state().await;
    assert_eq!(
        mappings_of(&state, DEFAULT_CLUSTER_ID),
        [
            (etl.to_string(), "etl".to_string()),
            (bi.to_string(), "bi".to_string()),
            (ops.to_string(), "ops".to_string()),
        ]
    );
    let added: Vec<(&str, bool)> = first
        .mappings
        .iter()
        .map(|m| (m.mapping.as_ref().unwrap().member_uid.as_str(), m.added))
        .collect();
    assert_eq!(added, [(etl, true), (bi, true), (ops, false)]);
    let updates = mutations_named(&state, "UpdateComputeResourceAuthUserMappings");

    // Repeat: nothing changes.
    let again = h
        .run(CreateAssociationRequest {
            account_mappings: wanted.clone(),
            ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(again.state(), AssociationState::Succeeded, "{again:#?}");
    let state = h.state().await;
    assert_eq!(
        mutations_named(&state, "UpdateComputeResourceAuthUserMappings"),
        updates
    );

    // Another association of the same cluster also asks for `etl`.
    let other = h
        .run(CreateAssociationRequest {
            account_mappings: vec![mapping(etl, "etl")],
            ..request(DEFAULT_CLUSTER_ID, "10002")
        })
        .await;
    assert_eq!(other.state(), AssociationState::Succeeded, "{other:#?}");
    assert_eq!(other.id, setup.id);

    // Dissociating the first removes only what it added and nobody else asks for.
    let gone = h.dissociate(&first.id).await;
    assert_eq!(gone.state(), AssociationState::Dissociated, "{gone:#?}");
    let state = h.state().await;
    assert_eq!(
        mappings_of(&state, DEFAULT_CLUSTER_ID),
        [
            (etl.to_string(), "etl".to_string()),
            (ops.to_string(), "ops".to_string()),
        ]
    );

    // The other one inherited the duty: when it goes, `etl` goes; `ops` predates them both.
    let last = h.dissociate(&other.id).await;
    assert_eq!(last.state(), AssociationState::Dissociated, "{last:#?}");
    let state = h.state().await;
    assert_eq!(
        mappings_of(&state, DEFAULT_CLUSTER_ID),
        [(ops.to_string(), "ops".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_resource_groups_and_mappings_fail_before_any_change() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();

    let missing = h
        .run(with_group("Serverless_res_group_1688000000000001_9999"))
        .await;
    assert_eq!(missing.state(), AssociationState::Failed);
    let failure = missing.failure.unwrap();
    assert_eq!(failure.step, "preflight.resource_group");
    assert_eq!(failure.reasons, ["RESOURCE_GROUP_NOT_FOUND"]);
    assert_eq!(mutation_count(&h.state().await), 0);

    for (mappings, field) in [
        (
            vec![mapping("12ab", "etl")],
            "account_mappings[0].member_uid",
        ),
        (
            vec![
                mapping("2000000000000001", "etl"),
                mapping("2000000000000001", "bi"),
            ],
            "account_mappings[1].member_uid",
        ),
    ] {
        let refused = client
            .create_association(CreateAssociationRequest {
                account_mappings: mappings,
                ..request("C-6A7B8C9D0E1F2A3B", DEFAULT_WORKSPACE_ID)
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(
            refused.message().starts_with(field),
            "{}",
            refused.message()
        );
    }
    let refused = client
        .create_association(with_group("bad group!"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().starts_with("resource_group_id"));
    assert_eq!(mutation_count(&h.state().await), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_shows_the_binding_the_mappings_and_the_initialization() {
    let (mut options, dir) = options();
    off_peak_at(&mut options, NOON);
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let plan = client
        .plan_association(CreateAssociationRequest {
            account_mappings: vec![mapping("2000000000000001", "etl")],
            ..with_group(SPARE_GROUP)
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.failure.is_none(), "{plan:#?}");
    let actions: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.step.as_str(), c.action.as_str()))
        .collect();
    for wanted in [
        ("bind.resource_group", "AssociateProjectToResourceGroup"),
        ("map.accounts", "UpdateComputeResourceAuthUserMappings"),
        ("initialize", "console: Initialize Resource Group"),
    ] {
        assert!(actions.contains(&wanted), "{wanted:?} in {actions:?}");
    }
    let initialization = plan.initialization.expect("the initialization plan");
    assert!(
        initialization
            .window_start
            .starts_with("2026-12-05T02:00:00"),
        "the next window after noon is tomorrow at 02:00: {initialization:?}"
    );
    assert!(!plan.resource_group.unwrap().bound);
    assert_eq!(
        mutation_count(&h.state().await),
        0,
        "a plan changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_registration_is_diagnosed_automatically() {
    let (mut options, dir) = options();
    // A new role takes a minute to be usable, and the consumer waits one second for it.
    let world = DEFAULT_WORLD_TOML.replace(
        "role_propagation_seconds = 0",
        "role_propagation_seconds = 60",
    );
    assert_ne!(world, DEFAULT_WORLD_TOML);
    with_world(&mut options, &world);
    options.role_propagation_timeout_seconds = 1;
    let h = start(options, dir).await;
    let failed = h.run(with_group(BOUND_GROUP)).await;
    assert_eq!(failed.state(), AssociationState::Failed, "{failed:#?}");
    let failure = failed.failure.unwrap();
    assert!(failure.step.starts_with("register."), "{failure:?}");
    assert!(failure.message.contains("diagnosis:"), "{failure:?}");
    let diagnosis = failed.diagnosis.expect("a diagnosis ran automatically");
    assert!(
        diagnosis.trigger.starts_with("register.") && diagnosis.trigger.ends_with("failed"),
        "{diagnosis:?}"
    );
    // The provider's side is in place; the diagnosis says so and what it cannot see.
    assert!(diagnosis.provider.unwrap().principal_trusted);
    assert!(!diagnosis.unchecked.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn mappings_on_a_cluster_with_ldap_and_kerberos_are_refused_before_any_change() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let refused = h
        .run(CreateAssociationRequest {
            account_mappings: vec![mapping("2000000000000001", "etl")],
            ..request("C-4F5A6B7C8D9E0F1A", DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(refused.state(), AssociationState::Failed);
    let failure = refused.failure.unwrap();
    assert_eq!(failure.step, "preflight.cluster");
    assert!(failure.reasons.contains(&"KERBEROS_ENABLED".to_string()));
    assert!(
        failure
            .reasons
            .contains(&"MAPPINGS_NOT_ALLOWED".to_string())
    );
    assert!(failure.message.contains("LDAP and Kerberos"), "{failure:?}");
    assert_eq!(mutation_count(&h.state().await), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ldap_cluster_needs_the_mapped_accounts_password_from_the_consumer() {
    const LDAP_CLUSTER: &str = "C-5A6B7C8D9E0F1A2B";
    let member = "2000000000000001";

    // Without a password configured, the mapping step says which key to add.
    let (options, dir) = options();
    let h = start(options, dir).await;
    let refused = h
        .run(CreateAssociationRequest {
            account_mappings: vec![mapping(member, "etl")],
            ..request(LDAP_CLUSTER, DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(refused.state(), AssociationState::Failed, "{refused:#?}");
    let failure = refused.failure.unwrap();
    assert_eq!(failure.step, "map.accounts");
    assert!(failure.message.contains("password_env"), "{failure:?}");
    assert!(mappings_of(&h.state().await, LDAP_CLUSTER).is_empty());
    h.stack.stop().await;

    // With it, the password reaches the cloud and nowhere else.
    let (mut options, dir) = crossbind_tests::options();
    options.consumer_extra_toml =
        "[account_mappings]\npassword_env = { etl = \"CROSSBIND_TEST_ETL_PASSWORD\" }\n".into();
    options.consumer_env = vec![("CROSSBIND_TEST_ETL_PASSWORD".into(), "etl-Secret-42".into())];
    let h = start(options, dir).await;
    let done = h
        .run(CreateAssociationRequest {
            account_mappings: vec![mapping(member, "etl")],
            ..request(LDAP_CLUSTER, DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    assert_eq!(done.hadoop_auth_type, "ldap");
    let state = h.state().await;
    let cluster = state["accounts"][DEFAULT_PROVIDER_UID]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ClusterId"] == LDAP_CLUSTER)
        .unwrap()
        .clone();
    assert_eq!(cluster["AuthUserMappings"][0]["HasPassword"], true);
    assert!(!format!("{done:?}").contains("etl-Secret-42"));
    // Nowhere else: no log line of any process, nothing in the coordinator's database.
    for name in ["cloudsim", "provider", "consumer", "coordinator"] {
        let log = h.stack.log_tail(name, usize::MAX);
        assert!(!log.is_empty(), "{name} logs");
        assert!(!log.contains("etl-Secret-42"), "{name} logs the password");
    }
    let database = std::fs::read(h.dir.path().join("coordinator.db")).expect("database file");
    let needle = b"etl-Secret-42";
    assert!(
        !database.windows(needle.len()).any(|w| w == needle),
        "the coordinator's database holds the password"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnosis_tests_connectivity_where_a_data_source_of_the_cluster_exists() {
    let (mut options, dir) = options();
    let marker = "# Account B, the provider";
    assert!(DEFAULT_WORLD_TOML.contains(marker));
    let data_source = format!(
        "[[accounts.data_sources]]\nid = 50001\nworkspace = 10001\nname = \"hive_etl\"\n\
         type = \"hive\"\nenvironment = \"Prod\"\ncluster_id = \"{DEFAULT_CLUSTER_ID}\"\n\n{marker}"
    );
    with_world(
        &mut options,
        &DEFAULT_WORLD_TOML.replacen(marker, &data_source, 1),
    );
    let h = start(options, dir).await;

    // From the group in the consumer's own VPC, the cluster in the provider's is unreachable.
    let far = run_confirmed(&h, with_group(BOUND_GROUP)).await;
    assert_eq!(far.state(), AssociationState::Succeeded, "{far:#?}");
    let found = diagnose(&h, &far.id).await;
    let unreachable = found
        .findings
        .iter()
        .find(|f| f.code == "CONNECTIVITY_UNREACHABLE")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(unreachable.severity(), Severity::Error);
    assert!(unreachable.subject.contains("hive_etl"), "{unreachable:?}");
    let tests = &found.consumer.as_ref().unwrap().connectivity;
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert_eq!(tests[0].state, "Unreachable");

    // From the group in the cluster's VPC it connects.
    let near = run_confirmed(&h, with_group(SPARE_GROUP)).await;
    assert_eq!(near.state(), AssociationState::Succeeded, "{near:#?}");
    let found = diagnose(&h, &near.id).await;
    assert!(
        found.findings.iter().any(|f| f.code == "CONNECTIVITY_OK"),
        "{found:#?}"
    );
    assert!(error_codes(&found).is_empty(), "{found:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_closing_without_an_answer_is_said_and_a_repeat_with_now_skips_the_wait() {
    let (mut options, dir) = options();
    // A thirty-second window, and a clock that starts as it opens.
    options.consumer_extra_toml =
        "[initialization]\ntime_zone = \"Asia/Shanghai\"\noff_peak = [\"04:59:30-05:00\"]\n".into();
    options.coordinator_clock_start = Some("2026-12-04T04:59:30+08:00".into());
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();

    let inside = create(&mut client, with_group(BOUND_GROUP)).await;
    assert!(until_asked(&mut client, &inside.id).await);
    let closed = until_event(&mut client, &inside.id, |e| {
        e.kind() == EventKind::Warning && e.message.contains("window closed")
    })
    .await;
    assert_eq!(closed.state(), AssociationState::Waiting);
    let instructions = get(&mut client, &inside.id)
        .await
        .pending
        .unwrap()
        .instructions;
    assert!(
        instructions.contains("window closed at"),
        "the instructions say the window is over: {instructions}"
    );
    confirm(&mut client, &inside.id).await;
    let done = h.settle(&inside.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");

    // The window is closed now: the next association waits for tomorrow's...
    let later = request(DEFAULT_CLUSTER_ID, "10002");
    let later = CreateAssociationRequest {
        resource_group_id: BOUND_GROUP.into(),
        ..later
    };
    let waiting = create(&mut client, later.clone()).await;
    until_event(&mut client, &waiting.id, |e| e.kind() == EventKind::Waiting).await;
    // ...until the same request comes again with `initialize_now`.
    let again = create(
        &mut client,
        CreateAssociationRequest {
            initialize_now: true,
            ..later
        },
    )
    .await;
    assert_eq!(again.id, waiting.id);
    assert!(until_asked(&mut client, &waiting.id).await);
    confirm(&mut client, &waiting.id).await;
    let done = h.settle(&waiting.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    assert!(done.initialization.unwrap().outside_window);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_association_holds_no_run_slot_and_its_wait_survives_a_restart() {
    let (mut options, dir) = options();
    off_peak_at(&mut options, NOON);
    options.coordinator_max_in_flight = Some(1);
    let mut h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let waiting = create(&mut client, with_group(BOUND_GROUP)).await;
    until_event(&mut client, &waiting.id, |e| e.kind() == EventKind::Waiting).await;

    // With one slot, another association still runs while the first waits for tonight.
    let other = h.run(request("C-6A7B8C9D0E1F2A3B", "10002")).await;
    assert_eq!(other.state(), AssociationState::Succeeded, "{other:#?}");

    // A restarted coordinator keeps waiting for the same window, and `confirm --now` works.
    h.stack.kill("coordinator").await;
    h.stack.restart("coordinator").await.unwrap();
    let mut client = h.stack.client().await.unwrap();
    let resumed = loop {
        let a = get(&mut client, &waiting.id).await;
        if a.state() == AssociationState::Waiting
            && a.pending.as_ref().map(|p| p.kind()) == Some(PendingKind::OffPeakWindow)
        {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        resumed
            .pending
            .unwrap()
            .window_start
            .starts_with("2026-12-05T02:00:00")
    );
    client
        .confirm_initialization(ConfirmInitializationRequest {
            id: waiting.id.clone(),
            now: true,
            failed: None,
        })
        .await
        .unwrap();
    assert!(until_asked(&mut client, &waiting.id).await);
    confirm(&mut client, &waiting.id).await;
    let done = h.settle(&waiting.id).await;
    assert_eq!(done.state(), AssociationState::Succeeded, "{done:#?}");
    assert!(done.initialization.unwrap().outside_window);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_associations_of_one_cluster_cannot_map_a_member_to_different_accounts() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let member = "2000000000000001";
    let first = h
        .run(CreateAssociationRequest {
            account_mappings: vec![mapping(member, "etl")],
            ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
        })
        .await;
    assert_eq!(first.state(), AssociationState::Succeeded, "{first:#?}");
    let conflicting = CreateAssociationRequest {
        account_mappings: vec![mapping(member, "bi")],
        ..request(DEFAULT_CLUSTER_ID, "10002")
    };
    let mut client = h.stack.client().await.unwrap();
    let plan = client
        .plan_association(conflicting.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        plan.failure.expect("the plan sees the conflict").reasons,
        ["MAPPING_CONFLICT"]
    );
    let before = mutation_count(&h.state().await);
    let second = h.run(conflicting).await;
    assert_eq!(second.state(), AssociationState::Failed, "{second:#?}");
    assert_eq!(
        mutation_count(&h.state().await),
        before,
        "refused before anything changed"
    );
    let failure = second.failure.unwrap();
    assert_eq!(failure.step, "map.accounts");
    assert_eq!(failure.reasons, ["MAPPING_CONFLICT"]);
    assert!(failure.message.contains(&first.id), "{failure:?}");
    assert_eq!(
        mappings_of(&h.state().await, DEFAULT_CLUSTER_ID),
        [(member.to_string(), "etl".to_string())],
        "the first association's mapping stands"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_given_on_a_repeat_is_remembered() {
    let (options, dir) = options();
    let h = start(options, dir).await;
    let mut client = h.stack.client().await.unwrap();
    let first = h
        .run(request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID))
        .await;
    let keyed = CreateAssociationRequest {
        idempotency_key: "pipeline-7".into(),
        ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
    };
    let again = create(&mut client, keyed.clone()).await;
    assert_eq!(again.id, first.id);
    h.settle(&first.id).await;
    // The key now belongs to that association: elsewhere it is refused.
    let elsewhere = client
        .create_association(CreateAssociationRequest {
            idempotency_key: "pipeline-7".into(),
            ..request(DEFAULT_CLUSTER_ID, "10002")
        })
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::AlreadyExists, "{elsewhere:?}");
    // And another key for the same association is refused too.
    let other_key = client
        .create_association(CreateAssociationRequest {
            idempotency_key: "pipeline-8".into(),
            ..request(DEFAULT_CLUSTER_ID, DEFAULT_WORKSPACE_ID)
        })
        .await
        .unwrap_err();
    assert_eq!(other_key.code(), Code::AlreadyExists, "{other_key:?}");
    assert_eq!(create(&mut client, keyed).await.id, first.id);
}
