//! The crossbind coordinator: the automation API and the workflow engine that drives an
//! association between a provider agent (account B) and a consumer agent (account A).
//!
//! It holds no cloud credentials. It dials each agent over mutual TLS and only accepts an
//! agent whose certificate names the expected role and account; it serves only automation
//! clients whose certificates carry a `client/<name>` identity it is configured to accept.
//!
//! # Configuration (TOML)
//!
//! ```toml
//! listen = "127.0.0.1:7443"
//! trust_domain = "crossbind.local"
//! clients = ["*"]                 # client names allowed to call; "*" = any client/<name>
//! step_deadline_seconds = 120     # how long a step retries an unreachable agent
//! max_in_flight = 16              # associations running at once
//! database = "crossbind-coordinator.db"  # SQLite file, relative to this file's folder
//! drift_interval_seconds = 0      # 0: check drift on demand only
//! # clock_start = "2026-12-04T01:59:00+08:00"  # rehearsals and tests only: the clock off-peak
//! #                                            # windows are judged by starts here
//! [tls]
//! cert = "pki/coordinator.pem"
//! key = "pki/coordinator.key"
//! ca = "pki/ca.pem"
//! [[providers]]
//! account_uid = "1688000000000002"
//! endpoint = "10.0.0.5:7444"
//! [[consumers]]
//! account_uid = "1688000000000001"
//! endpoint = "10.0.1.7:7445"
//! ```
//!
//! # Durability
//!
//! Associations, their steps, every attempt and every event are stored in SQLite (schema in
//! `migrations/`, behind the `store::Backend` trait). On start the coordinator resumes every
//! unfinished association; each step reads the cloud before it changes anything, so a step
//! cut off after its cloud call but before its record is safe to run again. Changes made in
//! an account are appended to an audit table (who asked, what, in which account).
//! An association that waits for an operator (state `WAITING`: an off-peak window, or the
//! confirmation of the console step that initializes the resource group) records what it
//! waits for, so a restarted coordinator resumes the wait without asking twice.
//!
//! # Limitations
//!
//! - The initialization of the resource group is an operator step (the cloud has no API for
//!   it): the coordinator records the operator's confirmation but cannot verify it.
//!
//! - One coordinator per database: SQLite is not shared between replicas (a PostgreSQL
//!   backend would implement `store::Backend`).
//! - Client authorization is all-or-nothing per client name.
//! - Cloud RequestIds are recorded for failed attempts only (agents quote them in their
//!   error messages); successful answers do not carry them yet.

use std::future::Future;

use crossbind_proto::coordinator_server::CoordinatorServer;
use crossbind_tls::{
    config::TlsMaterial,
    identity::{PeerRole, SpiffeId},
};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tracing::info;

pub mod agents;
pub mod clock;
pub mod config;
pub mod diagnosis;
pub mod error;
pub mod service;
pub mod store;
pub mod workflow;

pub use config::CoordinatorConfig;
pub use error::ServeError;

/// Serves the coordinator on `listener` until `shutdown` completes.
pub async fn serve(
    config: CoordinatorConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let tls = TlsMaterial::load(&config.tls)?;
    let own = tls.own_identity()?;
    let expected = SpiffeId::coordinator(&config.trust_domain)?;
    if own != expected {
        return Err(ServeError::WrongIdentity {
            found: own.uri(),
            expected: expected.uri(),
        });
    }
    let server_tls = crossbind_tls::server::server_tls_config(&tls)?;
    let agents = agents::Agents::new(
        config.trust_domain.clone(),
        tls,
        config.providers.clone(),
        config.consumers.clone(),
    );
    let backend = store::sqlite::Sqlite::open(&config.database)?;
    let records = store::Records::open(std::sync::Arc::new(backend))?;
    let clock: std::sync::Arc<dyn crossbind_aliyun::clock::Clock> = match config.clock_start {
        Some(start) => {
            info!(clock.start = %start, "the coordinator's clock starts at the configured instant");
            std::sync::Arc::new(clock::ShiftedClock::starting_at(start))
        }
        None => std::sync::Arc::new(crossbind_aliyun::clock::SystemClock),
    };
    let engine = workflow::Engine::new(
        records,
        agents,
        config.max_in_flight,
        config.step_deadline,
        clock,
    );
    let resumed = engine.resume_all();
    if resumed > 0 {
        info!(resumed, "resumed unfinished associations");
    }
    if let Some(interval) = config.drift_interval {
        engine.spawn_drift_checks(interval);
    }
    let clients = config.clients.clone();
    let interceptor = crossbind_tls::server::require_peer(&config.trust_domain, move |role| {
        matches!(role, PeerRole::Client(name)
            if clients.iter().any(|allowed| allowed == "*" || allowed == name))
    });
    let service =
        CoordinatorServer::with_interceptor(service::CoordinatorService::new(engine), interceptor);

    info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        identity = %own, "coordinator listening");
    tonic::transport::Server::builder()
        .tls_config(server_tls)?
        .add_service(service)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
