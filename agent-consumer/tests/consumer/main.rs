//! The consumer agent end to end, in process: a cloudsim on 127.0.0.1:0, a throw-away PKI,
//! the agent started through `serve_with` (or `start_with_env`, for an injected environment),
//! and a coordinator client over mutual TLS. This file holds the harness; each module tests
//! one group of RPCs.

use std::time::Duration;

use crossbind_agent_common::test_util::{
    CONSUMER_UID, PROVIDER_UID, TestCloud, TestPki, credentials_of, trace_init,
};
use crossbind_agent_common::{Error as AgentError, Scope};
use crossbind_aliyun::client::Client;
use crossbind_aliyun::credentials::MapEnv;
use crossbind_aliyun::ids::{AccountUid, RoleName};
use crossbind_cloudsim::{PolicyRef, PolicyType, Role, World};
use crossbind_consumer::connection_properties::Template;
use crossbind_consumer::propagation::PropagationPolicy;
use crossbind_consumer::{Consent, ConsumerConfig, Initialization, Mappings, Registration};
use crossbind_proto::consumer_agent_client::ConsumerAgentClient;
use crossbind_proto::{
    CheckWorkspaceRequest, Environment, GetIdentityRequest, RegisterClusterRequest,
    UnregisterClusterRequest, WorkspaceMode,
};
use crossbind_tls::identity::SpiffeId;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;
use tracing::Instrument;

const TD: &str = "crossbind.local";
const STANDARD: &str = "10001";
const BASIC: &str = "10002";
const CLUSTER: &str = "C-4F2A9B1C8D3E7A60";
const OTHER_CLUSTER: &str = "C-6A7B8C9D0E1F2A3B";
const PRINCIPAL: &str = "1688000000000001@emr.dataworks.aliyuncs.com";
/// The default world's resource group bound to the standard workspace.
const BOUND_GROUP: &str = "Serverless_res_group_1688000000000001_0001";
/// The default world's resource group bound to no workspace.
const SPARE_GROUP: &str = "Serverless_res_group_1688000000000001_0002";

mod diagnose;
mod groups;
mod initialization;
mod mappings;
mod registration;

struct Harness {
    cloud: TestCloud,
    client: ConsumerAgentClient<Channel>,
    _pki: TestPki,
    _stop: oneshot::Sender<()>,
}

fn consumer_id() -> SpiffeId {
    SpiffeId::consumer(TD, CONSUMER_UID).expect("consumer id")
}

fn pki() -> TestPki {
    TestPki::new(&[
        SpiffeId::coordinator(TD).expect("coordinator id"),
        consumer_id(),
    ])
}

/// Quick propagation settings, so that a refusal fails within about a second.
fn registration(template: Template) -> Registration {
    Registration {
        propagation: PropagationPolicy {
            timeout: Duration::from_secs(1),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(200),
        },
        compute_resource_type: "emr".to_owned(),
        connection_properties_mode: "InstanceMode".to_owned(),
        template,
    }
}

/// What a test changes of the agent's configuration and environment.
struct Options {
    registration: Registration,
    initialization: Initialization,
    mappings: Mappings,
    providers: Vec<&'static str>,
    resource_groups: Scope<String>,
    /// The environment the agent reads passwords from; `None`: the process's (`serve_with`).
    env: Option<MapEnv>,
}

// === impl Options ===

impl Default for Options {
    fn default() -> Self {
        Self {
            registration: registration(Template::default_template()),
            initialization: Initialization::default(),
            mappings: Mappings::default(),
            providers: vec![PROVIDER_UID],
            resource_groups: Scope::Any,
            env: None,
        }
    }
}

fn config(cloud: &TestCloud, pki: &TestPki, options: &Options) -> ConsumerConfig {
    ConsumerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        tls: pki.agent_tls(&consumer_id()),
        cloud: cloud.cloud_config(),
        consent: Consent {
            provider_accounts: options
                .providers
                .iter()
                .map(|uid| AccountUid::new(*uid).expect("uid"))
                .collect(),
            workspaces: Scope::Any,
            resource_groups: options.resource_groups.clone(),
        },
        registration: options.registration.clone(),
        initialization: options.initialization.clone(),
        mappings: options.mappings.clone(),
    }
}

async fn start(world: World) -> Harness {
    start_opts(world, Options::default()).await
}

async fn start_with(world: World, registration: Registration) -> Harness {
    start_opts(
        world,
        Options {
            registration,
            ..Options::default()
        },
    )
    .await
}

async fn start_opts(world: World, options: Options) -> Harness {
    trace_init();
    let credentials = credentials_of(&world, CONSUMER_UID);
    let cloud = TestCloud::start(world).await;
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let config = config(&cloud, &pki, &options);
    let env = options.env;
    tokio::spawn(
        async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let served = match env {
                None => {
                    crossbind_consumer::serve_with(config, listener, credentials, shutdown).await
                }
                Some(env) => {
                    match crossbind_consumer::start_with_env(config, listener, credentials, &env)
                        .await
                    {
                        Ok(server) => server.serve(shutdown).await,
                        Err(e) => Err(e),
                    }
                }
            };
            if let Err(e) = served {
                panic!(
                    "consumer agent failed: {}",
                    crossbind_agent_common::display_chain(&e)
                );
            }
        }
        .instrument(tracing::info_span!("consumer-under-test")),
    );
    let channel = pki
        .connect_as_coordinator(addr, consumer_id())
        .await
        .expect("connect as coordinator");
    Harness {
        cloud,
        client: ConsumerAgentClient::new(channel),
        _pki: pki,
        _stop: stop,
    }
}

/// The default world, with the provider's role already trusting the consumer and carrying
/// the DataWorks policy, and RAM changes taking `propagation_seconds` to be in effect.
fn trusted_world(propagation_seconds: u64) -> World {
    let mut world = World::default_world();
    world.settings.role_propagation_seconds = propagation_seconds;
    let provider = world
        .accounts
        .iter_mut()
        .find(|a| a.uid.as_str() == PROVIDER_UID)
        .expect("provider account");
    provider.roles.push(Role {
        name: RoleName::new("EMRRole").expect("role"),
        trust_policy: format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"Service":["{PRINCIPAL}"]}}}}]}}"#
        ),
        description: String::new(),
        max_session_duration: 3600,
        policies: vec![PolicyRef {
            policy_type: PolicyType::System,
            name: "AliyunDataWorksAccessingEMRReadOnlyPolicy".to_owned(),
        }],
    });
    world
}

fn register_req(
    workspace: &str,
    env: Environment,
    cluster: &str,
    name: &str,
) -> RegisterClusterRequest {
    RegisterClusterRequest {
        workspace_id: workspace.to_owned(),
        environment: env as i32,
        provider_account_uid: PROVIDER_UID.to_owned(),
        role_name: "EMRRole".to_owned(),
        cluster_id: cluster.to_owned(),
        region: "cn-hangzhou".to_owned(),
        compute_resource_name: name.to_owned(),
        dry_run: false,
    }
}

/// The compute resources of `workspace` in the sim's state.
fn resources(h: &Harness, workspace: &str) -> Vec<Value> {
    let snapshot = h.cloud.sim.snapshot();
    snapshot["accounts"][CONSUMER_UID]["workspaces"]
        .as_array()
        .and_then(|ws| {
            ws.iter()
                .find(|w| w["Id"].to_string().trim_matches('"') == workspace)
        })
        .and_then(|w| w["ComputeResources"].as_array().cloned())
        .unwrap_or_default()
}

/// Registers `CLUSTER` as `emr_cross` in each of `envs` of `workspace`; the resource IDs.
async fn register_all(h: &mut Harness, workspace: &str, envs: &[Environment]) -> Vec<String> {
    let mut ids = Vec::new();
    for env in envs {
        let registered = h
            .client
            .register_cluster(register_req(workspace, *env, CLUSTER, "emr_cross"))
            .await
            .expect("registered")
            .into_inner();
        ids.push(registered.compute_resource_id);
    }
    ids
}

/// The mutations of `action` recorded by the sim.
fn mutations_of(h: &Harness, action: &str) -> usize {
    h.cloud
        .mutations()
        .iter()
        .filter(|m| m["Action"] == action)
        .count()
}

/// The consumer account's entry in the sim's world, for adding resources before start.
fn consumer_account(world: &mut World) -> &mut crossbind_cloudsim::Account {
    world
        .accounts
        .iter_mut()
        .find(|a| a.uid.as_str() == CONSUMER_UID)
        .expect("consumer account")
}

fn check_req(workspace: &str) -> CheckWorkspaceRequest {
    CheckWorkspaceRequest {
        workspace_id: workspace.to_owned(),
        provider_account_uid: PROVIDER_UID.to_owned(),
    }
}
