//! Serving an agent's gRPC services over mutual TLS, admitting only the coordinator of the
//! agent's trust domain. It does not implement any service; the agents pass theirs in.

use std::future::Future;

use crossbind_tls::config::TlsMaterial;
use crossbind_tls::identity::PeerRole;
use crossbind_tls::server::{RequirePeer, require_peer, server_tls_config};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::{InterceptorLayer, Routes};
use tonic::transport::Server;

use crate::error::{Error, Result};

/// The interceptor of every agent: only `spiffe://<trust_domain>/coordinator` may call.
pub fn coordinator_only(trust_domain: &str) -> RequirePeer {
    require_peer(trust_domain, |role| matches!(role, PeerRole::Coordinator))
}

/// Serves `routes` on `listener` with mutual TLS from `tls`, every request passing through
/// [`coordinator_only`], until `shutdown` completes; then drains open connections.
pub async fn serve_grpc(
    listener: TcpListener,
    tls: &TlsMaterial,
    trust_domain: &str,
    routes: Routes,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let tls_config = server_tls_config(tls).map_err(Error::Tls)?;
    let addr = listener.local_addr().ok();
    tracing::info!(listen.addr = ?addr, "serving gRPC (mutual TLS, coordinator only)");
    Server::builder()
        .tls_config(tls_config)
        .map_err(Error::Serve)?
        .layer(InterceptorLayer::new(coordinator_only(trust_domain)))
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
        .map_err(Error::Serve)?;
    tracing::info!("gRPC server stopped");
    Ok(())
}

/// Completes on ctrl-c or, on Unix, SIGTERM: the binaries' shutdown signal.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested");
}
