//! ApplyAccountMappings and RemoveAccountMappings against the emulator, which keeps mappings
//! per cluster: apply, repeat without a write, change one, remove; LDAP passwords required and
//! passed; the cloud's LDAP-and-Kerberos refusal; invalid requests.

use crossbind_cloudsim::SecurityMode;
use crossbind_proto::{
    AccountMapping, ApplyAccountMappingsRequest, ApplyAccountMappingsResponse,
    RemoveAccountMappingsRequest,
};

use super::*;

const ALICE: &str = "200000000000000101";
const BOB: &str = "200000000000000102";
const CAROL: &str = "200000000000000103";
const UPDATE: &str = "UpdateComputeResourceAuthUserMappings";
const MARKER: &str = "marker-ldap-password-0042";
/// A cluster of the consumer's own account with both LDAP and Kerberos on.
const OWN_SECURE_CLUSTER: &str = "C-7A8B9C0D1E2F3A4B";

fn mapping(member: &str, account: &str) -> AccountMapping {
    AccountMapping {
        member_uid: member.to_owned(),
        cluster_account: account.to_owned(),
    }
}

fn apply_req(resource: &str, mappings: Vec<AccountMapping>) -> ApplyAccountMappingsRequest {
    ApplyAccountMappingsRequest {
        workspace_id: BASIC.to_owned(),
        compute_resource_id: resource.to_owned(),
        cluster_id: CLUSTER.to_owned(),
        mappings,
        dry_run: false,
    }
}

fn remove_req(resource: &str, members: &[&str]) -> RemoveAccountMappingsRequest {
    RemoveAccountMappingsRequest {
        workspace_id: BASIC.to_owned(),
        compute_resource_id: resource.to_owned(),
        member_uids: members.iter().map(|m| (*m).to_owned()).collect(),
        dry_run: false,
    }
}

/// The mappings the sim holds for `cluster` of `owner`: (member, account, has password).
fn stored(h: &Harness, owner: &str, cluster: &str) -> Vec<(String, String, bool)> {
    let snapshot = h.cloud.sim.snapshot();
    let clusters = snapshot["accounts"][owner]["clusters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(found) = clusters.iter().find(|c| c["ClusterId"] == cluster) else {
        panic!("cluster {cluster} not in the sim");
    };
    found["AuthUserMappings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["UserId"].as_str().unwrap_or_default().to_owned(),
                m["Username"].as_str().unwrap_or_default().to_owned(),
                m["HasPassword"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn row(member: &str, account: &str, password: bool) -> (String, String, bool) {
    (member.to_owned(), account.to_owned(), password)
}

fn members(response: &ApplyAccountMappingsResponse) -> [Vec<String>; 3] {
    [
        response.added.clone(),
        response.changed.clone(),
        response.unchanged.clone(),
    ]
}

/// The trusted world with the provider's `CLUSTER` authenticating through LDAP.
fn ldap_world() -> World {
    let mut world = trusted_world(0);
    for account in &mut world.accounts {
        for cluster in &mut account.clusters {
            if cluster.id.as_str() == CLUSTER {
                cluster.ldap = true;
            }
        }
    }
    world
}

fn password_options(env: MapEnv) -> Options {
    Options {
        mappings: Mappings {
            password_env: [
                ("etl".to_owned(), "ETL_LDAP_PASSWORD".to_owned()),
                ("ops".to_owned(), "OPS_LDAP_PASSWORD".to_owned()),
            ]
            .into(),
        },
        env: Some(env),
        ..Options::default()
    }
}

#[tokio::test]
async fn mappings_are_applied_once_changed_and_removed() {
    let mut h = start(trusted_world(0)).await;
    let resource = register_all(&mut h, BASIC, &[Environment::Prod])
        .await
        .remove(0);
    let wanted = vec![mapping(ALICE, "etl"), mapping(BOB, "bi")];

    let mut dry = apply_req(&resource, wanted.clone());
    dry.dry_run = true;
    let plan = h
        .client
        .apply_account_mappings(dry)
        .await
        .expect("dry run")
        .into_inner();
    assert_eq!(members(&plan), [vec![ALICE, BOB], vec![], vec![]]);
    assert_eq!(mutations_of(&h, UPDATE), 0, "a dry run changes nothing");

    let applied = h
        .client
        .apply_account_mappings(apply_req(&resource, wanted.clone()))
        .await
        .expect("apply")
        .into_inner();
    assert_eq!(members(&applied), [vec![ALICE, BOB], vec![], vec![]]);
    assert_eq!(applied.hadoop_auth_type, "simple");
    assert_eq!(applied.mappings, wanted);
    assert_eq!(
        stored(&h, PROVIDER_UID, CLUSTER),
        [row(ALICE, "etl", false), row(BOB, "bi", false)]
    );
    assert_eq!(mutations_of(&h, UPDATE), 1);

    let again = h
        .client
        .apply_account_mappings(apply_req(&resource, wanted))
        .await
        .expect("repeat")
        .into_inner();
    assert_eq!(members(&again), [vec![], vec![], vec![ALICE, BOB]]);
    assert_eq!(mutations_of(&h, UPDATE), 1, "a repeat writes nothing");

    let changed = h
        .client
        .apply_account_mappings(apply_req(
            &resource,
            vec![mapping(ALICE, "etl"), mapping(BOB, "ops")],
        ))
        .await
        .expect("change one")
        .into_inner();
    assert_eq!(members(&changed), [vec![], vec![BOB], vec![ALICE]]);
    assert_eq!(
        stored(&h, PROVIDER_UID, CLUSTER),
        [row(ALICE, "etl", false), row(BOB, "ops", false)]
    );
    assert_eq!(mutations_of(&h, UPDATE), 2);

    let removed = h
        .client
        .remove_account_mappings(remove_req(&resource, &[ALICE, CAROL]))
        .await
        .expect("remove")
        .into_inner();
    assert_eq!(removed.removed, [ALICE], "CAROL had no mapping");
    assert_eq!(removed.mappings, [mapping(BOB, "ops")]);
    assert_eq!(stored(&h, PROVIDER_UID, CLUSTER), [row(BOB, "ops", false)]);
    assert_eq!(mutations_of(&h, UPDATE), 3);

    let nothing = h
        .client
        .remove_account_mappings(remove_req(&resource, &[ALICE]))
        .await
        .expect("remove again")
        .into_inner();
    assert!(nothing.removed.is_empty());
    assert_eq!(
        mutations_of(&h, UPDATE),
        3,
        "nothing to remove writes nothing"
    );
}

#[tokio::test]
async fn an_ldap_cluster_needs_a_password_for_each_account_and_gets_it() {
    let env = MapEnv::new().with_var("ETL_LDAP_PASSWORD", MARKER);
    let mut h = start_opts(ldap_world(), password_options(env)).await;
    let resource = register_all(&mut h, BASIC, &[Environment::Prod])
        .await
        .remove(0);

    let unconfigured = h
        .client
        .apply_account_mappings(apply_req(&resource, vec![mapping(ALICE, "bi")]))
        .await
        .expect_err("no password for bi");
    assert_eq!(unconfigured.code(), Code::FailedPrecondition);
    assert!(
        unconfigured
            .message()
            .contains("add account_mappings.password_env.bi"),
        "{}",
        unconfigured.message()
    );
    let unset = h
        .client
        .apply_account_mappings(apply_req(&resource, vec![mapping(ALICE, "ops")]))
        .await
        .expect_err("OPS_LDAP_PASSWORD is not set");
    assert_eq!(unset.code(), Code::FailedPrecondition);
    assert!(
        unset
            .message()
            .contains("account_mappings.password_env.ops")
            && !unset.message().contains("OPS_LDAP_PASSWORD"),
        "{}",
        unset.message()
    );
    assert_eq!(mutations_of(&h, UPDATE), 0);

    let applied = h
        .client
        .apply_account_mappings(apply_req(&resource, vec![mapping(ALICE, "etl")]))
        .await
        .expect("password configured")
        .into_inner();
    assert_eq!(applied.hadoop_auth_type, "ldap");
    assert_eq!(applied.added, [ALICE]);
    assert_eq!(stored(&h, PROVIDER_UID, CLUSTER), [row(ALICE, "etl", true)]);
    for status in [&unconfigured, &unset] {
        assert!(!status.message().contains(MARKER));
    }
    assert!(!format!("{applied:?}").contains(MARKER));
}

#[tokio::test]
async fn the_clouds_refusal_of_ldap_with_kerberos_is_a_failed_precondition() {
    let mut world = trusted_world(0);
    let mut secure = world
        .accounts
        .iter()
        .flat_map(|a| a.clusters.iter())
        .find(|c| c.id.as_str() == CLUSTER)
        .cloned()
        .expect("cluster");
    secure.id = OWN_SECURE_CLUSTER.parse().expect("cluster id");
    secure.ldap = true;
    secure.security_mode = SecurityMode::Kerberos;
    consumer_account(&mut world).clusters.push(secure);
    let env = MapEnv::new().with_var("ETL_LDAP_PASSWORD", MARKER);
    let mut h = start_opts(
        world,
        Options {
            providers: vec![PROVIDER_UID, CONSUMER_UID],
            ..password_options(env)
        },
    )
    .await;
    // A cluster of the agent's own account: DataWorks checks no role and no eligibility.
    let mut req = register_req(BASIC, Environment::Prod, OWN_SECURE_CLUSTER, "own_secure");
    req.provider_account_uid = CONSUMER_UID.to_owned();
    let resource = h
        .client
        .register_cluster(req)
        .await
        .expect("registered")
        .into_inner()
        .compute_resource_id;
    let mut apply = apply_req(&resource, vec![mapping(ALICE, "etl")]);
    apply.cluster_id = OWN_SECURE_CLUSTER.to_owned();
    let status = h
        .client
        .apply_account_mappings(apply)
        .await
        .expect_err("refused by the cloud");
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "{}",
        status.message()
    );
    let text = status.message();
    assert!(
        text.contains("InvalidParameter.AuthUserMappingNotAllowed"),
        "{text}"
    );
    assert!(text.contains("both LDAP and Kerberos enabled"), "{text}");
    assert!(text.contains("RequestId"), "{text}");
    assert!(!text.contains(MARKER), "{text}");
    assert!(stored(&h, CONSUMER_UID, OWN_SECURE_CLUSTER).is_empty());
}

#[tokio::test]
async fn mapping_requests_validate_every_field() {
    let mut h = start(trusted_world(0)).await;
    let resource = register_all(&mut h, BASIC, &[Environment::Prod])
        .await
        .remove(0);
    let cases: Vec<(ApplyAccountMappingsRequest, Code, &str)> = vec![
        (
            apply_req(&resource, Vec::new()),
            Code::InvalidArgument,
            "mappings is required",
        ),
        (
            apply_req(&resource, vec![mapping("bob", "etl")]),
            Code::InvalidArgument,
            "mappings[0] member_uid must be an Alibaba Cloud UID",
        ),
        (
            apply_req(&resource, vec![mapping(ALICE, "-etl")]),
            Code::InvalidArgument,
            "mappings[0] cluster_account",
        ),
        (
            apply_req(&resource, vec![mapping(ALICE, "etl"), mapping(ALICE, "bi")]),
            Code::InvalidArgument,
            "mappings[1] maps member",
        ),
        (
            apply_req("x", vec![mapping(ALICE, "etl")]),
            Code::InvalidArgument,
            "compute_resource_id",
        ),
        (
            ApplyAccountMappingsRequest {
                cluster_id: OTHER_CLUSTER.to_owned(),
                ..apply_req(&resource, vec![mapping(ALICE, "etl")])
            },
            Code::FailedPrecondition,
            "connects to cluster",
        ),
        (
            apply_req("999999", vec![mapping(ALICE, "etl")]),
            Code::NotFound,
            "compute resource 999999 does not exist in workspace 10002",
        ),
    ];
    for (req, code, text) in cases {
        let status = h
            .client
            .apply_account_mappings(req)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), code, "{}", status.message());
        assert!(
            status.message().contains(text),
            "{text}: {}",
            status.message()
        );
    }
    let status = h
        .client
        .remove_account_mappings(remove_req(&resource, &["1x"]))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("member_uids[0]"),
        "{}",
        status.message()
    );
    assert_eq!(mutations_of(&h, UPDATE), 0);
}
