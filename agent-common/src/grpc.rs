//! Serving an agent's gRPC services over mutual TLS, admitting only the coordinator of the
//! agent's trust domain. It does not implement any service; the agents pass theirs in.
//!
//! Serving has two steps so that a binary can announce its address in between:
//! [`GrpcServer::new`] does everything that can fail before the first connection (reading
//! the bound address, building the TLS acceptor from the agent's material), and
//! [`GrpcServer::serve`] only serves.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;

use crossbind_tls::config::TlsMaterial;
use crossbind_tls::identity::PeerRole;
use crossbind_tls::server::{RequirePeer, require_peer, server_tls_config};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::{InterceptorLayer, Routes};
use tonic::transport::Server;

use crate::error::{Error, Result};

/// An agent's gRPC server, configured and ready: its TLS acceptor is built and its address
/// known, but it accepts no connection until [`GrpcServer::serve`].
pub struct GrpcServer {
    listener: TcpListener,
    addr: SocketAddr,
    server: Server,
    interceptor: RequirePeer,
    routes: Routes,
}

/// The interceptor of every agent: only `spiffe://<trust_domain>/coordinator` may call.
pub fn coordinator_only(trust_domain: &str) -> RequirePeer {
    require_peer(trust_domain, |role| matches!(role, PeerRole::Coordinator))
}

/// Serves `routes` on `listener` with mutual TLS from `tls`, every request passing through
/// [`coordinator_only`], until `shutdown` completes; then drains open connections.
///
/// The same as [`GrpcServer::new`] followed by [`GrpcServer::serve`].
pub async fn serve_grpc(
    listener: TcpListener,
    tls: &TlsMaterial,
    trust_domain: &str,
    routes: Routes,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    GrpcServer::new(listener, tls, trust_domain, routes)?
        .serve(shutdown)
        .await
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

// === impl GrpcServer ===

impl GrpcServer {
    /// Prepares to serve `routes` on `listener` with mutual TLS from `tls`, every request
    /// passing through [`coordinator_only`]. Fails when the bound address cannot be read or
    /// tonic refuses the TLS material; nothing is accepted yet.
    pub fn new(
        listener: TcpListener,
        tls: &TlsMaterial,
        trust_domain: &str,
        routes: Routes,
    ) -> Result<Self> {
        let addr = listener.local_addr().map_err(Error::LocalAddr)?;
        let tls_config = server_tls_config(tls).map_err(Error::Tls)?;
        let server = Server::builder()
            .tls_config(tls_config)
            .map_err(Error::Serve)?;
        Ok(GrpcServer {
            listener,
            addr,
            server,
            interceptor: coordinator_only(trust_domain),
            routes,
        })
    }

    /// The address the server listens on (the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then drains open connections.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tracing::info!(listen.addr = %self.addr, "serving gRPC (mutual TLS, coordinator only)");
        self.server
            .layer(InterceptorLayer::new(self.interceptor))
            .add_routes(self.routes)
            .serve_with_incoming_shutdown(TcpListenerStream::new(self.listener), shutdown)
            .await
            .map_err(Error::Serve)?;
        tracing::info!("gRPC server stopped");
        Ok(())
    }
}

impl fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
