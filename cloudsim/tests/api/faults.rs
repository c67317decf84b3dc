//! Fault injection over HTTP: nothing by default, every emulated action throttled at rate 1
//! with no state change, server errors, nonces used up by faulted calls, failed
//! authentication never faulted, the action scope, a throttled CreateRole retried into
//! exactly one role, and the counts in the inspection endpoint.

use crossbind_cloudsim::{Faults, World};
use serde_json::{Value, json};

use crate::support::*;

fn world(faults: Faults) -> World {
    let mut world = World::default_world();
    world.settings.faults = faults;
    world
}

fn throttle_all() -> Faults {
    Faults {
        throttle_rate: 1.0,
        ..Faults::default()
    }
}

/// An action to call: key, name, version, business parameters.
type Call = (Key, &'static str, &'static str, Vec<(&'static str, String)>);

/// One call of every emulated action, with plausible parameters.
fn every_action(trust: &str, props: &str) -> Vec<Call> {
    let s = |v: &str| v.to_owned();
    let role = ("RoleName", s("EMRRole"));
    let policy = [
        ("PolicyType", s("System")),
        ("PolicyName", s("AliyunDataWorksAccessingEMRReadOnlyPolicy")),
        role.clone(),
    ];
    let cluster = [("ClusterId", s(ELIGIBLE)), ("RegionId", s(REGION))];
    vec![
        (B, "GetCallerIdentity", STS, vec![]),
        (
            B,
            "CreateRole",
            RAM,
            vec![role.clone(), ("AssumeRolePolicyDocument", s(trust))],
        ),
        (B, "GetRole", RAM, vec![role.clone()]),
        (
            B,
            "UpdateRole",
            RAM,
            vec![role.clone(), ("NewDescription", s("x"))],
        ),
        (B, "DeleteRole", RAM, vec![role.clone()]),
        (B, "ListRoles", RAM, vec![]),
        (B, "AttachPolicyToRole", RAM, policy.to_vec()),
        (B, "DetachPolicyFromRole", RAM, policy.to_vec()),
        (B, "ListPoliciesForRole", RAM, vec![role]),
        (B, "GetCluster", EMR, cluster.to_vec()),
        (B, "ListClusters", EMR, vec![("RegionId", s(REGION))]),
        (B, "ListApplicationConfigs", EMR, cluster.to_vec()),
        (
            B,
            "DescribeClusterV2",
            EMR_LEGACY,
            vec![("Id", s(ELIGIBLE)), ("RegionId", s(REGION))],
        ),
        (A, "GetProject", DATAWORKS, vec![("Id", s("10001"))]),
        (A, "ListProjects", DATAWORKS, vec![]),
        (
            A,
            "ListComputeResources",
            DATAWORKS,
            vec![("ProjectId", s("10001"))],
        ),
        (
            A,
            "CreateComputeResource",
            DATAWORKS,
            vec![
                ("ProjectId", s("10001")),
                ("Name", s("emr_dev")),
                ("Type", s("emr")),
                ("ConnectionPropertiesMode", s("InstanceMode")),
                ("ConnectionProperties", s(props)),
            ],
        ),
        (
            A,
            "GetComputeResource",
            DATAWORKS,
            vec![("ProjectId", s("10001")), ("Id", s("1"))],
        ),
        (
            A,
            "DeleteComputeResource",
            DATAWORKS,
            vec![("ProjectId", s("10001")), ("Id", s("1"))],
        ),
    ]
}

async fn send(
    h: &Harness,
    key: Key,
    action: &str,
    version: &str,
    params: &[(&str, String)],
) -> (u16, Value) {
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.call(key, action, version, &params).await
}

#[track_caller]
fn assert_throttled(answer: &(u16, Value)) {
    assert_error(answer, 400, "Throttling.User");
    assert_eq!(
        answer.1["Message"], "Request was denied due to user flow control.",
        "{}",
        answer.1
    );
}

#[tokio::test]
async fn by_default_nothing_is_injected() {
    let h = Harness::start().await;
    for _ in 0..20 {
        ok(h.call(B, "GetCallerIdentity", STS, &[]).await);
    }
    ok(h.call_v3(B, "POST", "ListRoles", RAM, &[], &[]).await);
    let state = h.state().await;
    assert_eq!(
        state["faults"],
        json!({
            "throttled": 0,
            "server_errors": 0,
            "settings": {
                "throttle_rate": 0.0,
                "server_error_rate": 0.0,
                "latency_ms": 0,
                "seed": 0,
                "actions": null,
                "role_propagation_seconds": 0,
            },
        })
    );
    assert_eq!(state["requests"], json!({"accepted": 21, "rejected": 0}));
}

#[tokio::test]
async fn a_throttle_rate_of_one_refuses_every_action_and_changes_nothing() {
    let h = Harness::with_world(world(throttle_all())).await;
    let before = h.state().await;
    let trust = trust_for(A_UID);
    let props = cross_props("Dev", ELIGIBLE);
    let calls = every_action(&trust, &props);
    assert_eq!(calls.len(), 19);
    for (key, action, version, params) in &calls {
        let answer = send(&h, *key, action, version, params).await;
        assert_throttled(&answer);
    }
    // And over V3, with a form body.
    let answer = h
        .call_v3(
            B,
            "POST",
            "CreateRole",
            RAM,
            &[],
            &[
                ("RoleName", "EMRRole"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await;
    assert_throttled(&answer);

    let after = h.state().await;
    assert_eq!(after["accounts"], before["accounts"]);
    assert_eq!(after["mutations"], json!([]));
    assert_eq!(after["faults"]["throttled"], 20);
    assert_eq!(after["faults"]["server_errors"], 0);
    assert_eq!(after["faults"]["settings"]["throttle_rate"], 1.0);
    assert_eq!(after["requests"], json!({"accepted": 0, "rejected": 20}));
}

#[tokio::test]
async fn a_server_error_rate_of_one_answers_5xx_and_changes_nothing() {
    let h = Harness::with_world(world(Faults {
        server_error_rate: 1.0,
        seed: 4,
        ..Faults::default()
    }))
    .await;
    let trust = trust_for(A_UID);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let answer = h
            .call(
                B,
                "CreateRole",
                RAM,
                &[
                    ("RoleName", "EMRRole"),
                    ("AssumeRolePolicyDocument", &trust),
                ],
            )
            .await;
        match answer.0 {
            503 => assert_error(&answer, 503, "ServiceUnavailable"),
            _ => assert_error(&answer, 500, "InternalError"),
        }
        statuses.push(answer.0);
    }
    assert!(
        statuses.contains(&503) && statuses.contains(&500),
        "{statuses:?}"
    );
    let state = h.state().await;
    assert_eq!(state["accounts"][B_UID]["roles"], json!([]));
    assert!(h.mutations().is_empty());
    assert_eq!(
        (
            state["faults"]["throttled"].as_u64(),
            state["faults"]["server_errors"].as_u64()
        ),
        (Some(0), Some(20))
    );
}

#[tokio::test]
async fn a_faulted_call_has_used_up_its_nonce() {
    let h = Harness::with_world(world(throttle_all())).await;
    let call = h.v2(B, Carry::PostForm, "GetCallerIdentity", STS, &[]);
    assert_throttled(&h.send_v2(&call).await);
    assert_error(&h.send_v2(&call).await, 400, "SignatureNonceUsed");
    assert_eq!(h.state().await["faults"]["throttled"], 1);
}

#[tokio::test]
async fn calls_refused_by_the_gateway_are_not_faulted() {
    let h = Harness::with_world(world(throttle_all())).await;
    let mut call = h.v2(B, Carry::Get, "GetCallerIdentity", STS, &[]);
    call.sign("not-the-secret");
    assert_error(&h.send_v2(&call).await, 400, "SignatureDoesNotMatch");
    let stranger = Key {
        id: "LTAI5tNobody",
        secret: "x",
    };
    assert_error(
        &h.call(stranger, "GetCallerIdentity", STS, &[]).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
    // Authenticated, but not an emulated action.
    assert_error(
        &h.call(B, "CreateUser", RAM, &[]).await,
        400,
        "InvalidParameter",
    );
    assert_eq!(h.state().await["faults"]["throttled"], 0);
}

#[tokio::test]
async fn faults_apply_only_to_the_listed_actions() {
    let h = Harness::with_world(world(Faults {
        actions: Some(vec!["CreateRole".into()]),
        ..throttle_all()
    }))
    .await;
    ok(h.call(B, "GetCallerIdentity", STS, &[]).await);
    ok(h.call(B, "ListRoles", RAM, &[]).await);
    let trust = trust_for(A_UID);
    assert_throttled(
        &h.call(
            B,
            "CreateRole",
            RAM,
            &[
                ("RoleName", "EMRRole"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await,
    );
    let faults = &h.state().await["faults"];
    assert_eq!(faults["throttled"], 1);
    assert_eq!(faults["settings"]["actions"], json!(["CreateRole"]));
}

#[tokio::test]
async fn a_throttled_create_role_retried_creates_exactly_one_role() {
    let h = Harness::with_world(world(Faults {
        throttle_rate: 0.5,
        seed: 2,
        ..Faults::default()
    }))
    .await;
    let trust = trust_for(A_UID);
    let create = [
        ("RoleName", "EMRRole"),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    // Retried like an SDK: a fresh nonce each attempt, until one is not throttled.
    let mut outcomes = Vec::new();
    loop {
        let answer = h.call(B, "CreateRole", RAM, &create).await;
        outcomes.push(answer.1["Code"].as_str().unwrap_or("OK").to_owned());
        if answer.0 != 400 {
            ok(answer);
            break;
        }
        assert_throttled(&answer);
        assert!(outcomes.len() < 30, "{outcomes:?}");
    }
    assert!(
        outcomes.len() > 1,
        "seed 2 throttles the first attempt: {outcomes:?}"
    );
    // A retry after success (its answer was lost, say) is refused, not applied twice.
    loop {
        let answer = h.call(B, "CreateRole", RAM, &create).await;
        if answer.1["Code"] != "Throttling.User" {
            assert_error(&answer, 409, "EntityAlreadyExists.Role");
            break;
        }
    }
    let state = h.state().await;
    assert_eq!(
        state["accounts"][B_UID]["roles"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(h.mutations(), ["CreateRole"]);
    assert!(state["faults"]["throttled"].as_u64() >= Some(outcomes.len() as u64 - 1));
}
