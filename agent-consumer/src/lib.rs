//! The crossbind consumer agent: a gRPC server in account A (which owns the DataWorks
//! workspace) that reports its identity, checks workspaces, and registers or removes a
//! provider's EMR cluster as a compute resource, one environment at a time. It holds only
//! account A's credentials, serves only the coordinator, and acts only within its owner's
//! consent.
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
//!
//! [registration]
//! role_propagation_timeout_seconds = 120    # how long to wait for a new role to be in effect
//! propagation_backoff_initial_ms = 1000     # first pause between those retries (doubles)
//! propagation_backoff_max_ms = 10000        # longest pause
//! compute_resource_type = "emr"
//! connection_properties_mode = "InstanceMode"
//! connection_properties_template = '''{"envType":"${envType}", ...}'''  # optional
//! ```
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
//! In a dry run, `created` and `deleted` say what the real call would do.
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
//! - Resource-group initialisation, connectivity diagnosis and account mappings (steps 5-7 of
//!   the procedure) are not offered yet.

use std::future::Future;

use crossbind_agent_common::{AgentRole, GrpcServer, process_credentials, start_up};
use crossbind_aliyun::credentials::Credentials;
use crossbind_proto::consumer_agent_server::ConsumerAgentServer;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub mod config;
pub mod connection_properties;
pub mod error;
pub mod propagation;
mod register;
mod service;

pub use config::{Consent, ConsumerConfig, Registration};
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
/// process environment, then does what [`start_with`] does. The binary announces its address
/// between this and [`GrpcServer::serve`].
pub async fn start(
    config: ConsumerConfig,
    listener: TcpListener,
) -> crossbind_agent_common::Result<GrpcServer> {
    let credentials = process_credentials()?;
    start_with(config, listener, credentials).await
}

/// Starts the agent with `credentials` without serving yet: confirms with STS that they
/// belong to the certificate's account, loads the TLS material and builds the server on
/// `listener`. Every start-up failure happens here; the returned server only has to serve.
pub async fn start_with(
    config: ConsumerConfig,
    listener: TcpListener,
    credentials: Credentials,
) -> crossbind_agent_common::Result<GrpcServer> {
    let agent = start_up(AgentRole::Consumer, &config.cloud, &config.tls, credentials).await?;
    let providers = config.consent.provider_accounts.len();
    let workspaces = config.consent.workspaces.to_string();
    let timeout = config.registration.propagation.timeout;
    let service = ConsumerService::new(&agent, config.consent, config.registration);
    let routes = Routes::new(ConsumerAgentServer::new(service));
    let server = GrpcServer::new(listener, &agent.tls, &config.tls.trust_domain, routes)?;
    tracing::info!(
        consent.providers = providers,
        consent.workspaces = %workspaces,
        propagation.timeout_s = timeout.as_secs(),
        "consumer agent ready"
    );
    Ok(server)
}
