//! The provider agent end to end, in process: a cloudsim on 127.0.0.1:0, a throw-away PKI,
//! the agent started through `serve_with`, and a coordinator client over mutual TLS.

use std::net::SocketAddr;

use crossbind_agent_common::test_util::{
    CONSUMER_UID, PROVIDER_UID, TestCloud, TestPki, credentials_of, trace_init,
};
use crossbind_agent_common::{Error as AgentError, Scope};
use crossbind_aliyun::client::Client;
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::ids::{AccountUid, RoleName};
use crossbind_cloudsim::{Faults, PolicyRef, PolicyType, Role, World};
use crossbind_proto::provider_agent_client::ProviderAgentClient;
use crossbind_proto::{
    CheckClusterRequest, DiagnoseTrustRequest, GetIdentityRequest, GrantTrustRequest,
    IneligibilityReason, ListEligibleClustersRequest, RevokeTrustRequest, TrustDiagnosis,
};
use crossbind_provider::{Consent, ProviderConfig};
use crossbind_tls::identity::SpiffeId;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;
use tracing::Instrument;

const TD: &str = "crossbind.local";
const ELIGIBLE: &str = "C-4F2A9B1C8D3E7A60";
const PRINCIPAL: &str = "1688000000000001@emr.dataworks.aliyuncs.com";
const POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

struct Harness {
    cloud: TestCloud,
    pki: TestPki,
    addr: SocketAddr,
    client: ProviderAgentClient<Channel>,
    /// The provider account's own keys, for changes made behind the agent's back.
    keys: Credentials,
    _stop: oneshot::Sender<()>,
}

fn provider_id() -> SpiffeId {
    SpiffeId::provider(TD, PROVIDER_UID).expect("provider id")
}

fn consent(clusters: Scope<crossbind_aliyun::ids::ClusterId>) -> Consent {
    Consent {
        consumer_accounts: vec![AccountUid::new(CONSUMER_UID).expect("uid")],
        role_names: vec![
            RoleName::new("EMRRole").expect("role"),
            RoleName::new("SharedRole").expect("role"),
        ],
        clusters,
    }
}

fn pki() -> TestPki {
    TestPki::new(&[
        SpiffeId::coordinator(TD).expect("coordinator id"),
        provider_id(),
        SpiffeId::client(TD, "ops").expect("client id"),
    ])
}

fn config(cloud: &TestCloud, pki: &TestPki, consent: Consent) -> ProviderConfig {
    ProviderConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        tls: pki.agent_tls(&provider_id()),
        cloud: cloud.cloud_config(),
        consent,
    }
}

async fn start(world: World) -> Harness {
    start_with(world, consent(Scope::Any)).await
}

async fn start_with(world: World, consent: Consent) -> Harness {
    trace_init();
    let credentials = credentials_of(&world, PROVIDER_UID);
    let cloud = TestCloud::start(world).await;
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let config = config(&cloud, &pki, consent);
    let keys = credentials.clone();
    tokio::spawn(
        async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) =
                crossbind_provider::serve_with(config, listener, credentials, shutdown).await
            {
                panic!(
                    "provider agent failed: {}",
                    crossbind_agent_common::display_chain(&e)
                );
            }
        }
        .instrument(tracing::info_span!("provider-under-test")),
    );
    let channel = pki
        .connect_as_coordinator(addr, provider_id())
        .await
        .expect("connect as coordinator");
    Harness {
        cloud,
        pki,
        addr,
        client: ProviderAgentClient::new(channel),
        keys,
        _stop: stop,
    }
}

fn check_req(cluster: &str) -> CheckClusterRequest {
    CheckClusterRequest {
        cluster_id: cluster.to_owned(),
        consumer_account_uid: CONSUMER_UID.to_owned(),
        role_name: "EMRRole".to_owned(),
    }
}

fn grant_req(role: &str, dry_run: bool) -> GrantTrustRequest {
    GrantTrustRequest {
        consumer_account_uid: CONSUMER_UID.to_owned(),
        role_name: role.to_owned(),
        cluster_id: ELIGIBLE.to_owned(),
        dry_run,
    }
}

fn revoke_req(role: &str, created_by_crossbind: bool) -> RevokeTrustRequest {
    RevokeTrustRequest {
        consumer_account_uid: CONSUMER_UID.to_owned(),
        role_name: role.to_owned(),
        role_created_by_crossbind: created_by_crossbind,
        dry_run: false,
    }
}

/// The role `name` of the provider account in the sim's state, if any.
fn role_state(h: &Harness, name: &str) -> Option<Value> {
    let snapshot = h.cloud.sim.snapshot();
    snapshot["accounts"][PROVIDER_UID]["roles"]
        .as_array()?
        .iter()
        .find(|r| r["RoleName"].as_str() == Some(name))
        .cloned()
}

fn attached(role: &Value) -> Vec<String> {
    role["AttachedPolicies"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p["PolicyType"].as_str().unwrap_or(""),
                        p["PolicyName"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn trust_of(role: &Value) -> Value {
    serde_json::from_str(
        role["AssumeRolePolicyDocument"]
            .as_str()
            .expect("policy text"),
    )
    .expect("policy JSON")
}

fn world_with_role(trust_policy: &str, policies: Vec<PolicyRef>, name: &str) -> World {
    let mut world = World::default_world();
    let provider = world
        .accounts
        .iter_mut()
        .find(|a| a.uid.as_str() == PROVIDER_UID)
        .expect("provider account");
    provider.roles.push(Role {
        name: RoleName::new(name).expect("role"),
        trust_policy: trust_policy.to_owned(),
        description: "shared with another team".to_owned(),
        max_session_duration: 3600,
        policies,
    });
    world
}

const OTHER_STATEMENT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1688000000000099:root"]}}]}"#;

#[tokio::test]
async fn get_identity_reports_the_confirmed_account() {
    let mut h = start(World::default_world()).await;
    let id = h
        .client
        .get_identity(GetIdentityRequest {})
        .await
        .expect("identity")
        .into_inner();
    assert_eq!(id.account_uid, PROVIDER_UID);
    assert_eq!(id.region, "cn-hangzhou");
    assert_eq!(id.identity_type, "Account");
}

#[tokio::test]
async fn eligible_clusters_pass() {
    let mut h = start(World::default_world()).await;
    for cluster in [ELIGIBLE, "C-6A7B8C9D0E1F2A3B"] {
        let check = h
            .client
            .check_cluster(check_req(cluster))
            .await
            .expect("check")
            .into_inner();
        assert!(check.eligible, "{check:?}");
        assert!(
            check.reasons.is_empty() && check.messages.is_empty(),
            "{check:?}"
        );
        assert_eq!(check.cluster_type, "HADOOP");
        assert!(!check.kerberos);
    }
}

#[tokio::test]
async fn the_config_fingerprint_is_stable_and_follows_the_release() {
    let mut h = start(World::default_world()).await;
    let check = |cluster: &'static str| {
        let mut client = h.client.clone();
        async move {
            client
                .check_cluster(check_req(cluster))
                .await
                .expect("check")
                .into_inner()
        }
    };
    let first = check(ELIGIBLE).await;
    let again = check(ELIGIBLE).await;
    let other = check("C-6A7B8C9D0E1F2A3B").await;
    assert_eq!(first.config_fingerprint.len(), 64, "{first:?}");
    assert!(
        first
            .config_fingerprint
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
    );
    assert_eq!(first.config_fingerprint, again.config_fingerprint);
    assert_ne!(first.release_version, other.release_version);
    assert_ne!(first.config_fingerprint, other.config_fingerprint);
    let listed = h
        .client
        .list_eligible_clusters(ListEligibleClustersRequest {
            include_ineligible: false,
        })
        .await
        .expect("list")
        .into_inner();
    let same = listed
        .clusters
        .iter()
        .find(|c| c.cluster_id == ELIGIBLE)
        .expect("listed");
    assert_eq!(same.config_fingerprint, first.config_fingerprint);
}

#[tokio::test]
async fn each_ineligible_cluster_gives_exactly_its_reason() {
    let mut h = start(World::default_world()).await;
    let cases = [
        (
            "c-5d1e0f2a3b4c5d6e",
            IneligibilityReason::ClusterTypeNotHadoop,
        ),
        (
            "C-0B1C2D3E4F5A6B7C",
            IneligibilityReason::ReleaseNotSupported,
        ),
        ("C-1C2D3E4F5A6B7C8D", IneligibilityReason::MetadataIsDlf),
        ("C-2D3E4F5A6B7C8D9E", IneligibilityReason::KerberosEnabled),
        ("C-3E4F5A6B7C8D9E0F", IneligibilityReason::ClusterNotRunning),
    ];
    for (cluster, reason) in cases {
        let check = h
            .client
            .check_cluster(check_req(cluster))
            .await
            .expect("check")
            .into_inner();
        assert!(!check.eligible, "{cluster}");
        assert_eq!(
            check.reasons,
            [reason as i32],
            "{cluster}: {:?}",
            check.messages
        );
        assert_eq!(check.messages.len(), 1, "{cluster}");
    }
}

#[tokio::test]
async fn unknown_cluster_is_not_found() {
    let mut h = start(World::default_world()).await;
    let status = h
        .client
        .check_cluster(check_req("C-FFFFFFFFFFFFFFFF"))
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound, "{}", status.message());
    assert_eq!(
        status.message(),
        format!(
            "cluster C-FFFFFFFFFFFFFFFF not found in region cn-hangzhou of account {PROVIDER_UID}"
        )
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let mut h = start(World::default_world()).await;
    let mut req = check_req(ELIGIBLE);
    req.consumer_account_uid = "12a".to_owned();
    let status = h.client.check_cluster(req).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("consumer_account_uid:"),
        "{}",
        status.message()
    );
    let status = h
        .client
        .check_cluster(check_req(""))
        .await
        .expect_err("empty");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("cluster_id"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn consent_refusals_are_permission_denied_and_name_the_key() {
    let only = Scope::Only(vec![
        crossbind_aliyun::ids::ClusterId::new(ELIGIBLE).expect("id"),
    ]);
    let mut h = start_with(World::default_world(), consent(only)).await;
    let mut req = check_req(ELIGIBLE);
    req.consumer_account_uid = "1688000000000777".to_owned();
    let status = h.client.check_cluster(req).await.expect_err("consumer");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("consent.consumer_accounts"),
        "{}",
        status.message()
    );

    let status = h
        .client
        .check_cluster(check_req("C-6A7B8C9D0E1F2A3B"))
        .await
        .expect_err("cluster");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("consent.clusters"),
        "{}",
        status.message()
    );

    let status = h
        .client
        .grant_trust(grant_req("OtherRole", false))
        .await
        .expect_err("role");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("consent.role_names"),
        "{}",
        status.message()
    );
    assert!(role_state(&h, "OtherRole").is_none());

    let listed = h
        .client
        .list_eligible_clusters(ListEligibleClustersRequest {
            include_ineligible: true,
        })
        .await
        .expect("list")
        .into_inner();
    let ids: Vec<&str> = listed
        .clusters
        .iter()
        .map(|c| c.cluster_id.as_str())
        .collect();
    assert_eq!(ids, [ELIGIBLE], "consent.clusters limits the listing");
}

#[tokio::test]
async fn listing_shows_eligible_clusters_and_optionally_the_rest() {
    let mut h = start(World::default_world()).await;
    let eligible = h
        .client
        .list_eligible_clusters(ListEligibleClustersRequest {
            include_ineligible: false,
        })
        .await
        .expect("list")
        .into_inner();
    let mut ids: Vec<String> = eligible
        .clusters
        .iter()
        .map(|c| c.cluster_id.to_uppercase())
        .collect();
    ids.sort();
    // LDAP alone does not disqualify a cluster (C-5A6B... has it on).
    assert_eq!(
        ids,
        [
            "C-4F2A9B1C8D3E7A60",
            "C-5A6B7C8D9E0F1A2B",
            "C-6A7B8C9D0E1F2A3B"
        ]
    );
    let all = h
        .client
        .list_eligible_clusters(ListEligibleClustersRequest {
            include_ineligible: true,
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.clusters.len(), 9);
    assert_eq!(all.clusters.iter().filter(|c| !c.eligible).count(), 6);
    let ldap: Vec<&str> = all
        .clusters
        .iter()
        .filter(|c| c.ldap)
        .map(|c| c.cluster_id.as_str())
        .collect();
    assert_eq!(ldap.len(), 2, "both LDAP clusters say so: {ldap:?}");
}

#[tokio::test]
async fn grant_creates_the_role_and_attachment_and_a_repeat_changes_nothing() {
    let mut h = start(World::default_world()).await;
    let first = h
        .client
        .grant_trust(grant_req("EMRRole", false))
        .await
        .expect("grant")
        .into_inner();
    assert!(first.role_created);
    let actions: Vec<&str> = first.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["CreateRole", "AttachPolicyToRole"]);
    assert_eq!(first.principal, PRINCIPAL);
    assert_eq!(
        first.role_arn,
        format!("acs:ram::{PROVIDER_UID}:role/emrrole")
    );

    let role = role_state(&h, "EMRRole").expect("role exists");
    assert_eq!(attached(&role), [format!("System/{POLICY}")]);
    let trust = trust_of(&role);
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        serde_json::json!([PRINCIPAL])
    );
    assert!(
        role["Description"]
            .as_str()
            .unwrap_or("")
            .contains(CONSUMER_UID)
    );
    let stored: Value = serde_json::from_str(&first.trust_policy).expect("policy JSON");
    assert_eq!(stored, trust, "the response carries the stored policy");

    let mutations = h.cloud.mutations().len();
    let second = h
        .client
        .grant_trust(grant_req("EMRRole", false))
        .await
        .expect("grant")
        .into_inner();
    assert!(second.changes.is_empty(), "{:?}", second.changes);
    assert!(!second.role_created);
    assert_eq!(second.role_arn, first.role_arn);
    assert_eq!(
        h.cloud.mutations().len(),
        mutations,
        "a repeat makes no write call"
    );
}

#[tokio::test]
async fn grant_into_an_existing_role_keeps_the_unrelated_statement() {
    let world = world_with_role(OTHER_STATEMENT, Vec::new(), "SharedRole");
    let mut h = start(world).await;
    let granted = h
        .client
        .grant_trust(grant_req("SharedRole", false))
        .await
        .expect("grant")
        .into_inner();
    assert!(!granted.role_created);
    let actions: Vec<&str> = granted.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["UpdateRole", "AttachPolicyToRole"]);
    let trust = trust_of(&role_state(&h, "SharedRole").expect("role"));
    let text = trust.to_string();
    assert!(text.contains("acs:ram::1688000000000099:root"), "{text}");
    assert!(text.contains(PRINCIPAL), "{text}");
    assert_eq!(
        trust["Statement"].as_array().map(Vec::len),
        Some(2),
        "{text}"
    );
}

#[tokio::test]
async fn a_dry_run_changes_nothing() {
    let mut h = start(World::default_world()).await;
    let before = h.cloud.mutations().len();
    let plan = h
        .client
        .grant_trust(grant_req("EMRRole", true))
        .await
        .expect("plan")
        .into_inner();
    assert!(plan.role_created, "the plan says the role would be created");
    let actions: Vec<&str> = plan.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["CreateRole", "AttachPolicyToRole"]);
    let policy: Value = serde_json::from_str(&plan.trust_policy).expect("policy JSON");
    assert!(policy.to_string().contains(PRINCIPAL));
    assert_eq!(h.cloud.mutations().len(), before);
    assert!(role_state(&h, "EMRRole").is_none());
}

#[tokio::test]
async fn revoke_deletes_a_role_crossbind_created() {
    let mut h = start(World::default_world()).await;
    h.client
        .grant_trust(grant_req("EMRRole", false))
        .await
        .expect("grant");
    let revoked = h
        .client
        .revoke_trust(revoke_req("EMRRole", true))
        .await
        .expect("revoke")
        .into_inner();
    assert!(revoked.role_deleted);
    let actions: Vec<&str> = revoked.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["DetachPolicyFromRole", "DeleteRole"]);
    assert!(role_state(&h, "EMRRole").is_none());
    let again = h
        .client
        .revoke_trust(revoke_req("EMRRole", true))
        .await
        .expect("revoke")
        .into_inner();
    assert!(
        !again.role_deleted && again.changes.is_empty(),
        "a gone role is already revoked"
    );
}

#[tokio::test]
async fn revoke_keeps_a_shared_role_with_only_the_other_principal() {
    let world = world_with_role(OTHER_STATEMENT, Vec::new(), "SharedRole");
    let mut h = start(world).await;
    h.client
        .grant_trust(grant_req("SharedRole", false))
        .await
        .expect("grant");
    let revoked = h
        .client
        .revoke_trust(revoke_req("SharedRole", true))
        .await
        .expect("revoke")
        .into_inner();
    assert!(!revoked.role_deleted);
    let actions: Vec<&str> = revoked.changes.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["UpdateRole"]);
    let role = role_state(&h, "SharedRole").expect("role kept");
    let text = trust_of(&role).to_string();
    assert!(!text.contains(PRINCIPAL), "{text}");
    assert!(text.contains("acs:ram::1688000000000099:root"), "{text}");
}

#[tokio::test]
async fn revoke_keeps_a_role_crossbind_did_not_create() {
    let trust = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":["{PRINCIPAL}"]}}}}]}}"#
    );
    let policies = vec![PolicyRef {
        policy_type: PolicyType::System,
        name: POLICY.to_owned(),
    }];
    let mut h = start(world_with_role(&trust, policies, "EMRRole")).await;
    let revoked = h
        .client
        .revoke_trust(revoke_req("EMRRole", false))
        .await
        .expect("revoke")
        .into_inner();
    assert!(!revoked.role_deleted);
    assert!(role_state(&h, "EMRRole").is_some());
}

#[tokio::test]
async fn start_up_is_refused_when_the_keys_belong_to_another_account() {
    trace_init();
    let world = World::default_world();
    let consumer_keys: Credentials = credentials_of(&world, CONSUMER_UID);
    let cloud = TestCloud::start(world).await;
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = config(&cloud, &pki, consent(Scope::Any));
    let err = crossbind_provider::serve_with(config, listener, consumer_keys, async {})
        .await
        .expect_err("refused");
    assert!(matches!(err, AgentError::AccountMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(CONSUMER_UID) && text.contains(PROVIDER_UID),
        "{text}"
    );
}

#[tokio::test]
async fn a_caller_other_than_the_coordinator_is_refused() {
    let h = start(World::default_world()).await;
    let ops = SpiffeId::client(TD, "ops").expect("client id");
    let channel = h
        .pki
        .connect_as(&ops, h.addr, provider_id())
        .await
        .expect("TLS works");
    let status = ProviderAgentClient::new(channel)
        .get_identity(GetIdentityRequest {})
        .await
        .expect_err("refused");
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "{}",
        status.message()
    );
}

/// A writer that keeps everything logged, for the canary test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_marker_secret_never_reaches_errors_or_logs() {
    const MARKER: &str = "CANARY-SECRET-8f14e45fceea167a";
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let world = World::default_world();
    let real = credentials_of(&world, PROVIDER_UID);
    let wrong = Credentials::new(real.access_key_id.clone(), MARKER);
    let cloud = TestCloud::start(world).await;
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = config(&cloud, &pki, consent(Scope::Any));
    let err = crossbind_provider::serve_with(config, listener, wrong, async {})
        .await
        .expect_err("the cloud refuses the signature");
    assert!(matches!(err, AgentError::Identity(_)), "{err}");
    let chain = crossbind_agent_common::display_chain(&err);
    assert!(chain.contains("SignatureDoesNotMatch"), "{chain}");
    let status = match &err {
        AgentError::Identity(source) => crossbind_agent_common::cloud_error_to_status(source),
        _ => unreachable!("matched above"),
    };
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("log buffer")).into_owned();
    assert!(
        logged.contains("GetCallerIdentity"),
        "the capture sees the calls: {logged}"
    );
    for (what, text) in [
        ("error chain", chain),
        ("Debug", format!("{err:?}")),
        ("status", status.message().to_owned()),
        ("logs", logged),
    ] {
        assert!(
            !text.contains(MARKER),
            "the secret leaked into the {what}: {text}"
        );
    }
}

const NOT_RUNNING: &str = "C-3E4F5A6B7C8D9E0F";

fn diagnose_req(role: &str, cluster: &str) -> DiagnoseTrustRequest {
    DiagnoseTrustRequest {
        consumer_account_uid: CONSUMER_UID.to_owned(),
        role_name: role.to_owned(),
        cluster_id: cluster.to_owned(),
    }
}

async fn diagnose(h: &mut Harness, role: &str, cluster: &str) -> TrustDiagnosis {
    h.client
        .diagnose_trust(diagnose_req(role, cluster))
        .await
        .expect("diagnosis")
        .into_inner()
}

/// A RAM client with the provider account's own keys.
fn ram(h: &Harness) -> Client {
    Client::new(h.keys.clone(), h.cloud.cloud_config().client_config()).expect("client")
}

fn emr_role() -> RoleName {
    RoleName::new("EMRRole").expect("role")
}

async fn granted() -> Harness {
    let mut h = start(World::default_world()).await;
    h.client
        .grant_trust(grant_req("EMRRole", false))
        .await
        .expect("grant");
    h
}

#[tokio::test]
async fn diagnose_after_a_grant_finds_everything_in_place_and_changes_nothing() {
    let world = World::default_world();
    let placed = world
        .accounts
        .iter()
        .flat_map(|a| &a.clusters)
        .find(|c| c.id.as_str() == ELIGIBLE)
        .expect("the eligible cluster")
        .clone();
    let mut h = granted().await;
    let role = role_state(&h, "EMRRole").expect("role");
    let checked = h
        .client
        .check_cluster(check_req(ELIGIBLE))
        .await
        .expect("check")
        .into_inner();
    let mutations = h.cloud.mutations().len();

    // An empty role name means EMRRole, as in the other RPCs.
    let d = diagnose(&mut h, "", ELIGIBLE).await;
    assert_eq!(
        h.cloud.mutations().len(),
        mutations,
        "a diagnosis writes nothing"
    );
    assert!(
        d.role_exists && d.principal_trusted && d.policy_attached,
        "{d:?}"
    );
    assert!(d.cluster_found, "{d:?}");
    assert_eq!(d.role_name, "EMRRole");
    assert_eq!(d.role_arn, format!("acs:ram::{PROVIDER_UID}:role/emrrole"));
    assert_eq!(d.principal, PRINCIPAL);
    assert_eq!(
        d.trust_policy,
        role["AssumeRolePolicyDocument"].as_str().expect("policy"),
        "the policy as RAM holds it"
    );
    let cluster = d.cluster.expect("the cluster's check");
    assert!(cluster.eligible, "{cluster:?}");
    assert_eq!(cluster.vpc_id, placed.vpc_id);
    assert_eq!(cluster.vswitch_id, placed.vswitch_id);
    assert_eq!(cluster.zone_id, placed.zone_id);
    assert!(!cluster.vpc_id.is_empty() && !cluster.vswitch_id.is_empty());
    assert!(!cluster.zone_id.is_empty());
    assert!(!cluster.ldap);
    assert_eq!(cluster, checked, "the same check as CheckCluster");
}

#[tokio::test]
async fn a_principal_removed_through_ram_is_no_longer_trusted() {
    let mut h = granted().await;
    ram(&h)
        .update_role(&crossbind_aliyun::ram::UpdateRole {
            role_name: emr_role(),
            new_assume_role_policy_document: Some(OTHER_STATEMENT.to_owned()),
            new_description: None,
            new_max_session_duration: None,
        })
        .await
        .expect("UpdateRole");
    let d = diagnose(&mut h, "EMRRole", ELIGIBLE).await;
    assert!(
        d.role_exists && d.policy_attached && d.cluster_found,
        "{d:?}"
    );
    assert!(!d.principal_trusted, "{d:?}");
    assert!(d.trust_policy.contains("acs:ram::1688000000000099:root"));
    assert!(!d.trust_policy.contains(PRINCIPAL), "{}", d.trust_policy);
}

#[tokio::test]
async fn a_detached_policy_is_reported() {
    let mut h = granted().await;
    ram(&h)
        .detach_policy_from_role(
            crossbind_aliyun::ram::PolicyType::System,
            POLICY,
            &emr_role(),
        )
        .await
        .expect("DetachPolicyFromRole");
    let d = diagnose(&mut h, "EMRRole", ELIGIBLE).await;
    assert!(d.role_exists && d.principal_trusted, "{d:?}");
    assert!(!d.policy_attached, "{d:?}");
}

#[tokio::test]
async fn a_deleted_role_is_reported_and_the_cluster_still_checked() {
    let mut h = granted().await;
    let ram = ram(&h);
    ram.detach_policy_from_role(
        crossbind_aliyun::ram::PolicyType::System,
        POLICY,
        &emr_role(),
    )
    .await
    .expect("DetachPolicyFromRole");
    ram.delete_role(&emr_role()).await.expect("DeleteRole");
    let d = diagnose(&mut h, "EMRRole", ELIGIBLE).await;
    assert!(!d.role_exists, "{d:?}");
    assert!(!d.principal_trusted && !d.policy_attached, "{d:?}");
    assert!(d.role_arn.is_empty() && d.trust_policy.is_empty(), "{d:?}");
    assert_eq!(d.role_name, "EMRRole");
    assert_eq!(d.principal, PRINCIPAL);
    assert!(d.cluster_found && d.cluster.is_some_and(|c| c.eligible));
}

#[tokio::test]
async fn an_unknown_cluster_is_a_finding_not_an_error() {
    let mut h = granted().await;
    let d = diagnose(&mut h, "EMRRole", "C-FFFFFFFFFFFFFFFF").await;
    assert!(!d.cluster_found, "{d:?}");
    assert!(d.cluster.is_none());
    assert!(
        d.role_exists && d.principal_trusted && d.policy_attached,
        "{d:?}"
    );
}

#[tokio::test]
async fn a_cluster_that_is_not_running_is_found_but_ineligible() {
    let mut h = granted().await;
    let d = diagnose(&mut h, "EMRRole", NOT_RUNNING).await;
    assert!(d.cluster_found, "{d:?}");
    let cluster = d.cluster.expect("the cluster's check");
    assert!(!cluster.eligible);
    assert_eq!(
        cluster.reasons,
        [IneligibilityReason::ClusterNotRunning as i32],
        "{:?}",
        cluster.messages
    );
    assert_eq!(cluster.state, "TERMINATED");
}

#[tokio::test]
async fn ldap_on_the_cluster_shows_in_the_check_and_the_diagnosis() {
    let mut h = granted().await;
    let before = h
        .client
        .check_cluster(check_req(ELIGIBLE))
        .await
        .expect("check")
        .into_inner();
    assert!(!before.ldap);
    h.cloud
        .sim
        .set_cluster_config(
            ELIGIBLE,
            "hive-site.xml",
            "hive.server2.authentication",
            "LDAP",
        )
        .expect("the cluster exists");
    let after = h
        .client
        .check_cluster(check_req(ELIGIBLE))
        .await
        .expect("check")
        .into_inner();
    assert!(after.ldap, "{after:?}");
    assert!(after.eligible, "LDAP alone keeps the cluster eligible");
    assert_ne!(after.config_fingerprint, before.config_fingerprint);
    let d = diagnose(&mut h, "EMRRole", ELIGIBLE).await;
    assert!(d.cluster.is_some_and(|c| c.ldap));
}

#[tokio::test]
async fn an_unparsable_trust_policy_is_untrusted_and_returned_as_stored() {
    const BROKEN: &str = r#"{"Version":"1"}"#;
    let mut h = start(world_with_role(BROKEN, Vec::new(), "SharedRole")).await;
    let d = diagnose(&mut h, "SharedRole", ELIGIBLE).await;
    assert!(d.role_exists, "{d:?}");
    assert!(!d.principal_trusted);
    assert_eq!(d.trust_policy, BROKEN);
}

#[tokio::test]
async fn diagnose_refuses_what_consent_does_not_cover_and_names_bad_fields() {
    let only = Scope::Only(vec![
        crossbind_aliyun::ids::ClusterId::new(ELIGIBLE).expect("id"),
    ]);
    let mut h = start_with(World::default_world(), consent(only)).await;
    let cases = [
        (
            DiagnoseTrustRequest {
                consumer_account_uid: "1688000000000777".to_owned(),
                ..diagnose_req("EMRRole", ELIGIBLE)
            },
            "consent.consumer_accounts",
        ),
        (diagnose_req("OtherRole", ELIGIBLE), "consent.role_names"),
        (
            diagnose_req("EMRRole", "C-6A7B8C9D0E1F2A3B"),
            "consent.clusters",
        ),
    ];
    for (req, key) in cases {
        let status = h.client.diagnose_trust(req).await.expect_err(key);
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{}",
            status.message()
        );
        assert!(status.message().contains(key), "{}", status.message());
    }
    let cases = [
        (
            DiagnoseTrustRequest {
                consumer_account_uid: "12a".to_owned(),
                ..diagnose_req("EMRRole", ELIGIBLE)
            },
            "consumer_account_uid",
        ),
        (
            DiagnoseTrustRequest {
                consumer_account_uid: String::new(),
                ..diagnose_req("EMRRole", ELIGIBLE)
            },
            "consumer_account_uid",
        ),
        (diagnose_req("bad_name", ELIGIBLE), "role_name"),
        (diagnose_req("EMRRole", ""), "cluster_id"),
    ];
    for (req, field) in cases {
        let status = h.client.diagnose_trust(req).await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
        assert!(status.message().contains(field), "{}", status.message());
    }
    assert!(h.cloud.mutations().is_empty());
}

#[tokio::test]
async fn a_throttled_read_fails_the_diagnosis_as_unavailable() {
    let mut world = World::default_world();
    world.settings.faults = Faults {
        throttle_rate: 1.0,
        actions: Some(vec!["GetRole".to_owned()]),
        ..Faults::default()
    };
    let mut h = start(world).await;
    let status = h
        .client
        .diagnose_trust(diagnose_req("EMRRole", ELIGIBLE))
        .await
        .expect_err("throttled");
    assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
    assert!(
        status.message().starts_with("GetRole:") && status.message().contains("Throttling"),
        "{}",
        status.message()
    );
}
