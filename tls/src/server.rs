//! The server side of mutual TLS: tonic's TLS configuration plus an interceptor that checks who
//! the client is.
//!
//! tonic's acceptor verifies that the client's certificate chains to the CA (and refuses
//! clients without one); [`RequirePeer`] then reads the SPIFFE id from that certificate and
//! decides, per service, which roles may call. This module does not bind or serve.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Request, Status};

use crate::config::TlsMaterial;
use crate::error::Result;
use crate::identity::{PeerRole, SpiffeId, spiffe_id_from_cert};

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The verified identity of the caller, inserted into request extensions by [`RequirePeer`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeerIdentity(pub SpiffeId);

/// A tonic interceptor admitting only callers of one trust domain whose role is allowed.
#[derive(Clone)]
pub struct RequirePeer {
    trust_domain: Arc<str>,
    allow: Arc<dyn Fn(&PeerRole) -> bool + Send + Sync>,
}

/// The TLS configuration of a crossbind gRPC server: its own certificate, and a client
/// certificate chained to the CA required on every connection.
///
/// Installs the ring provider as the process default first (see
/// [`crate::install_crypto_provider`]), since tonic builds its rustls configuration with it.
pub fn server_tls_config(m: &TlsMaterial) -> Result<ServerTlsConfig> {
    crate::install_crypto_provider();
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(m.cert_pem(), m.key_pem()))
        .client_ca_root(Certificate::from_pem(m.ca_pem()))
        .client_auth_optional(false)
        .timeout(HANDSHAKE_TIMEOUT))
}

/// An interceptor that admits callers of `trust_domain` whose role satisfies `allow`.
///
/// - no client certificate: `UNAUTHENTICATED` "a client certificate is required";
/// - a certificate without one valid crossbind SPIFFE id: `UNAUTHENTICATED`;
/// - another trust domain, or a role `allow` refuses: `PERMISSION_DENIED`
///   "`<peer uri>` may not call this service".
///
/// On success the caller's id is available as [`PeerIdentity`] in the request extensions.
///
/// The client certificate is read from tonic's `TlsConnectInfo<TcpConnectInfo>`, which exists
/// when the server accepts `TcpStream`s (`serve`, `serve_with_shutdown`, or
/// `serve_with_incoming*` over `TcpIncoming`). Other connection types fail closed: every call
/// is `UNAUTHENTICATED`.
pub fn require_peer(
    trust_domain: &str,
    allow: impl Fn(&PeerRole) -> bool + Send + Sync + 'static,
) -> RequirePeer {
    RequirePeer {
        trust_domain: Arc::from(trust_domain),
        allow: Arc::new(allow),
    }
}

/// The caller's identity, when [`RequirePeer`] admitted the request.
pub fn peer_identity<T>(request: &Request<T>) -> Option<&SpiffeId> {
    request
        .extensions()
        .get::<PeerIdentity>()
        .map(|PeerIdentity(id)| id)
}

// === impl RequirePeer ===

impl RequirePeer {
    /// Checks the caller of `request`; on success returns its identity.
    fn check<T>(&self, request: &Request<T>) -> Result<SpiffeId, Status> {
        let certs = request
            .peer_certs()
            .ok_or_else(|| Status::unauthenticated("a client certificate is required"))?;
        let leaf = certs
            .first()
            .ok_or_else(|| Status::unauthenticated("a client certificate is required"))?;
        let id = spiffe_id_from_cert(leaf).map_err(|e| {
            tracing::debug!(error = %e, "refused a client certificate without a valid SPIFFE id");
            Status::unauthenticated(
                "the client certificate does not carry one valid crossbind SPIFFE id",
            )
        })?;
        if id.trust_domain() != &*self.trust_domain || !(self.allow)(id.role()) {
            tracing::debug!(peer.id = %id, "refused a peer");
            return Err(Status::permission_denied(format!(
                "{id} may not call this service"
            )));
        }
        Ok(id)
    }
}

impl tonic::service::Interceptor for RequirePeer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let id = self.check(&request)?;
        tracing::trace!(peer.id = %id, "admitted a peer");
        request.extensions_mut().insert(PeerIdentity(id));
        Ok(request)
    }
}

impl fmt::Debug for RequirePeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirePeer")
            .field("trust_domain", &self.trust_domain)
            .finish_non_exhaustive()
    }
}
