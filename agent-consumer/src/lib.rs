//! The crossbind consumer agent: a gRPC server in account A (which owns the DataWorks
//! workspace) that reports its identity, checks workspaces, registers or removes a provider's
//! EMR cluster as a compute resource one environment at a time, checks and binds resource
//! groups, plans their initialization, maps member accounts to cluster accounts and diagnoses
//! an association. It holds only account A's credentials, serves only the coordinator, and
//! acts only within its owner's consent.
//!
//! # Configuration
//!
//! Besides the shared keys (`listen`, `trust_domain`, `[tls]`, `[cloud]`, see
//! `crossbind_agent_common`):
//!
//! ```toml
//! [consent]
//! provider_accounts = ["1688000000000002"]  # required: providers whose clusters may be registered
//! workspaces = ["10001"]                    # required: workspaces it may change, or ["*"]
//! resource_groups = ["*"]                   # default ["*"]: any resource group of the account
//!
//! [registration]
//! role_propagation_timeout_seconds = 120    # how long to wait for a new role to be in effect
//! propagation_backoff_initial_ms = 1000     # first pause between those retries (doubles)
//! propagation_backoff_max_ms = 10000        # longest pause
//! compute_resource_type = "emr"
//! connection_properties_mode = "InstanceMode"
//! connection_properties_template = '''{"envType":"${envType}", ...}'''  # optional
//!
//! [initialization]
//! time_zone = "Asia/Shanghai"               # IANA name; default "UTC"
//! off_peak = ["Mon-Fri 01:00-05:00", "Sat,Sun 00:00-24:00", "22:30-02:00"]  # default []: none
//! console_url = "https://dataworks.console.aliyun.com"  # optional override of the console
//!
//! [account_mappings]
//! password_env = { etl = "ETL_LDAP_PASSWORD" }  # cluster account = variable with its password
//! ```
//!
//! `consent.resource_groups` lists the resource groups the agent may check, bind and plan
//! initialization for; `["*"]`, the default, allows every group of the account. Off-peak
//! entries follow the grammar of [`offpeak`]. Each `password_env` variable is read once at
//! start-up; the binary refuses to start (exit 64) when one is not set.
//!
//! # Services
//!
//! - `GetIdentity`: the STS identity confirmed at start-up.
//! - `CheckWorkspace`: the workspace must exist and be `Available`; its mode comes from
//!   `DevEnvironmentEnabled` (standard: DEV and PROD, basic: PROD only).
//! - `RegisterCluster`: lists every compute resource of the workspace and returns a matching
//!   one (`created = false`); otherwise creates it, retrying while DataWorks answers
//!   `Forbidden.CrossAccountRole` (the role is not yet in effect) until the propagation
//!   timeout. An empty `region` means the agent's own region.
//! - `UnregisterCluster`: deletes the resource and checks it is gone; already gone is
//!   `deleted = false`.
//!
//! - `CheckResourceGroup`: finds the group by ID among every type (`ListResourceGroups`); it
//!   must be `Normal` and of type `CommonV2` or `ExclusiveScheduler`; reports its network and
//!   whether it is bound to the workspace.
//! - `BindResourceGroup`: the same checks, then `AssociateProjectToResourceGroup` only when
//!   the group is not bound; `bound_now` says whether this call bound it.
//! - `PlanInitialization`: the off-peak window open at, or next after, the given `after`
//!   (never the agent's clock) and the numbered console steps. Changes nothing.
//! - `ApplyAccountMappings` / `RemoveAccountMappings`: read the cluster's mappings through
//!   the given compute resource, change only what differs, read them back. On an LDAP cluster
//!   every added or changed account needs a configured password.
//! - `DiagnoseWorkspace`: reads the workspace, compute resources, resource group and binding,
//!   and tests connectivity from the group to the data sources that point at the cluster.
//!   Changes nothing; what cannot be read is listed in `unchecked`.
//!
//! In a dry run, `created`, `deleted`, `bound_now`, `added`, `changed` and `removed` say what
//! the real call would do; nothing is changed.
//!
//! # Limitations
//!
//! - **The `ConnectionProperties` schema is an assumption** (it is not published); see
//!   [`connection_properties`] for the default and how to verify and override it.
//! - The DataWorks error codes used (`Forbidden.CrossAccountRole`,
//!   `ComputeResource.AlreadyExists`, `InvalidParameter.ClusterNotSupported`, ...) are the
//!   ones `crossbind_aliyun::dataworks::codes` agrees on with the emulator; the real cloud's
//!   are unconfirmed.
//! - When a create answers "already exists" and a matching resource is then found,
//!   `created` is false even if the first, lost attempt of this call made it.
//! - **Resource-group initialization is a console step**: no public API performs it or reads
//!   whether it was done (facts §10), so `PlanInitialization` writes instructions and the
//!   operator confirms; the diagnosis cannot tell whether a group is initialized.
//! - Connectivity is tested only through data sources that point at the cluster
//!   (`TestDataSourceConnectivity`); without one, the console's connectivity diagnosis is the
//!   only check, and the diagnosis says so.
//! - An account already mapped to the asked cluster account is left as it is, so a changed
//!   LDAP password is not pushed by a repeat; remove the mapping and apply it again.
//! - `ResourceGroup.NotFound` and `InvalidParameter.AuthUserMappingNotAllowed` are the codes
//!   the emulator and `crossbind_aliyun` agree on; the real cloud's are unpublished.

use std::future::Future;

use crossbind_agent_common::{AgentRole, GrpcServer, process_credentials, start_up};
use crossbind_aliyun::credentials::{Credentials, EnvSource, ProcessEnv};
use crossbind_proto::consumer_agent_server::ConsumerAgentServer;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub mod config;
pub mod connection_properties;
mod diagnose;
pub mod error;
mod initialization;
pub mod mappings;
pub mod offpeak;
pub mod propagation;
mod register;
mod resource_group;
mod service;

pub use config::{Consent, ConsumerConfig, Initialization, Mappings, Registration};
pub use mappings::Passwords;
pub use service::ConsumerService;

/// Starts the agent with credentials from the standard chain of the process environment and
/// serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: ConsumerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> crossbind_agent_common::Result<()> {
    start(config, listener).await?.serve(shutdown).await
}

/// Like [`serve`], with `credentials` given instead of resolved from the environment.
pub async fn serve_with(
    config: ConsumerConfig,
    listener: TcpListener,
    credentials: Credentials,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> crossbind_agent_common::Result<()> {
    start_with(config, listener, credentials)
        .await?
        .serve(shutdown)
        .await
}

/// Starts the agent without serving yet: resolves credentials from the standard chain of the
/// process environment, then does what [`start_with`] does (passwords from that environment
/// too). The binary announces its address
/// between this and [`GrpcServer::serve`].
pub async fn start(
    config: ConsumerConfig,
    listener: TcpListener,
) -> crossbind_agent_common::Result<GrpcServer> {
    let credentials = process_credentials()?;
    start_with(config, listener, credentials).await
}

/// Starts the agent with `credentials` without serving yet, reading the passwords of
/// `[account_mappings]` from the process environment: see [`start_with_env`].
pub async fn start_with(
    config: ConsumerConfig,
    listener: TcpListener,
    credentials: Credentials,
) -> crossbind_agent_common::Result<GrpcServer> {
    start_with_env(config, listener, credentials, &ProcessEnv).await
}

/// Starts the agent with `credentials` without serving yet: reads the passwords of
/// `[account_mappings]` from `env`, confirms with STS that the credentials belong to the
/// certificate's account, loads the TLS material and builds the server on `listener`. Every
/// start-up failure happens here; the returned server only has to serve. A password variable
/// that is not set is logged here and refused when a mapping needs it.
pub async fn start_with_env(
    config: ConsumerConfig,
    listener: TcpListener,
    credentials: Credentials,
    env: &dyn EnvSource,
) -> crossbind_agent_common::Result<GrpcServer> {
    let passwords = Passwords::from_env(&config.mappings, env);
    for problem in passwords.problems() {
        tracing::warn!(key = %problem.key, "{}", problem.message);
    }
    let agent = start_up(AgentRole::Consumer, &config.cloud, &config.tls, credentials).await?;
    let providers = config.consent.provider_accounts.len();
    let workspaces = config.consent.workspaces.to_string();
    let groups = config.consent.resource_groups.to_string();
    let timeout = config.registration.propagation.timeout;
    let zone = offpeak::zone_name(&config.initialization.time_zone).to_owned();
    let windows = config.initialization.off_peak.len();
    let tls = config.tls.clone();
    let service = ConsumerService::new(&agent, config, passwords);
    let routes = Routes::new(ConsumerAgentServer::new(service));
    let server = GrpcServer::new(listener, &agent.tls, &tls.trust_domain, routes)?;
    tracing::info!(
        consent.providers = providers,
        consent.workspaces = %workspaces,
        consent.resource_groups = %groups,
        propagation.timeout_s = timeout.as_secs(),
        off_peak.windows = windows,
        off_peak.time_zone = %zone,
        "consumer agent ready"
    );
    if windows == 0 {
        tracing::warn!(
            "no off-peak windows are configured ([initialization] off_peak): a resource group \
             initialization is asked for at once, whatever runs on the group"
        );
    }
    Ok(server)
}
