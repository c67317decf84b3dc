//! The crossbind provider agent: a gRPC server in account B (which owns the EMR cluster) that
//! reports its identity, checks clusters against the cross-account rules, grants or revokes
//! the consumer's DataWorks principal on a RAM role, and diagnoses that trust. It holds only account B's
//! credentials, serves only the coordinator, and acts only within its owner's consent.
//!
//! # Configuration
//!
//! Besides the shared keys (`listen`, `trust_domain`, `[tls]`, `[cloud]`, see
//! `crossbind_agent_common`), the file has a `[consent]` section:
//!
//! ```toml
//! [consent]
//! consumer_accounts = ["1688000000000001"]  # required: consumers whose DataWorks may be trusted
//! role_names = ["EMRRole"]                  # default ["EMRRole"]: roles the agent may manage
//! clusters = ["C-4F2A9B1C8D3E7A60"]         # required: clusters it may expose, or ["*"]
//! ```
//!
//! # Rules
//!
//! `crossbind-provider rules [--output json]` prints [`eligibility::RULES`] with
//! [`eligibility::RULES_VERSION`] (see [`rules`]); it reads no configuration and no credentials.
//!
//! # Services
//!
//! - `GetIdentity`: the STS identity confirmed at start-up.
//! - `CheckCluster` / `ListEligibleClusters`: the rules of [`eligibility::RULES`], judged on
//!   facts from EMR `GetCluster`, `ListApplicationConfigs` and `DescribeClusterV2`. Each
//!   check carries `config_fingerprint`, the hex SHA-256 of the release and every
//!   configuration item, which changes when a re-initialization of the consumer's resource
//!   group is due; the cluster's VPC, vSwitch and zone; and `ldap`, true when
//!   `hive.server2.authentication` is `LDAP`.
//! - `GrantTrust`: creates the role with the final trust policy, or merges the principal into
//!   an existing one (other statements kept), and attaches
//!   `AliyunDataWorksAccessingEMRReadOnlyPolicy`; only what differs is changed.
//! - `RevokeTrust`: removes the principal; deletes the role (after detaching the policy) when
//!   crossbind created it and no principal remains.
//! - `DiagnoseTrust`: reads, concurrently and without changing anything, the role
//!   (`GetRole`), its attachments (`ListPoliciesForRole`) and the cluster (the `CheckCluster`
//!   check), and says whether the role exists, whether its trust policy lets the consumer's
//!   DataWorks principal assume it (the judgment `GrantTrust` plans with; an unparsable
//!   policy counts as not trusting), whether the DataWorks policy is attached, and whether the
//!   cluster exists. Its consent checks are those of `GrantTrust`.
//!
//! An empty `role_name` in a request means `EMRRole`. In a dry run, `role_created` and
//! `role_deleted` say what the real call would do.
//!
//! # Limitations
//!
//! - The cluster "not found" code of EMR is unpublished; see `crossbind_aliyun::emr::codes`.
//! - `DescribeClusterV2` is asked only for HADOOP clusters (the legacy API covers them);
//!   other types are judged on the 2021 API alone.
//! - A role crossbind created is kept when other policies were attached to it since, even
//!   when no principal remains; its trust policy is then left without the consumer.
//! - The grant does not check the cluster's eligibility; the coordinator runs `CheckCluster`
//!   first.
//! - The vSwitch is reported by the legacy `DescribeClusterV2` only, so it is empty for
//!   clusters other than Hadoop; the zone comes from `GetCluster` only.

use std::future::Future;

use crossbind_agent_common::{AgentRole, GrpcServer, process_credentials, start_up};
use crossbind_aliyun::credentials::Credentials;
use crossbind_proto::provider_agent_server::ProviderAgentServer;
use tokio::net::TcpListener;
use tonic::service::Routes;

pub mod config;
mod diagnose;
pub mod eligibility;
pub mod error;
mod inspect;
pub mod rules;
mod service;
mod trust;

pub use config::{Consent, ProviderConfig};
pub use service::ProviderService;

/// Starts the agent with credentials from the standard chain of the process environment and
/// serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: ProviderConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> crossbind_agent_common::Result<()> {
    start(config, listener).await?.serve(shutdown).await
}

/// Like [`serve`], with `credentials` given instead of resolved from the environment.
pub async fn serve_with(
    config: ProviderConfig,
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
    config: ProviderConfig,
    listener: TcpListener,
) -> crossbind_agent_common::Result<GrpcServer> {
    let credentials = process_credentials()?;
    start_with(config, listener, credentials).await
}

/// Starts the agent with `credentials` without serving yet: confirms with STS that they
/// belong to the certificate's account, loads the TLS material and builds the server on
/// `listener`. Every start-up failure happens here; the returned server only has to serve.
pub async fn start_with(
    config: ProviderConfig,
    listener: TcpListener,
    credentials: Credentials,
) -> crossbind_agent_common::Result<GrpcServer> {
    let agent = start_up(AgentRole::Provider, &config.cloud, &config.tls, credentials).await?;
    let routes = Routes::new(ProviderAgentServer::new(ProviderService::new(
        &agent,
        config.consent.clone(),
    )));
    let server = GrpcServer::new(listener, &agent.tls, &config.tls.trust_domain, routes)?;
    tracing::info!(
        consent.consumers = config.consent.consumer_accounts.len(),
        consent.roles = config.consent.role_names.len(),
        consent.clusters = %config.consent.clusters,
        "provider agent ready"
    );
    Ok(server)
}
