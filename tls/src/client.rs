//! The client side of mutual TLS: gRPC channels that present this process's certificate and
//! accept only a server with the expected SPIFFE id.
//!
//! tonic is given a plain `http://` endpoint and a connector that dials TCP and performs the
//! rustls handshake itself (ALPN `h2`), so tonic's own TLS and its DNS-name checks are not used.
//! Session resumption is disabled, so every connection re-verifies the server. This module
//! does not retry: a lazy channel reconnects on its next use, and callers own retry policy.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::client::Resumption;
use rustls::{CertificateError, ClientConfig};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tonic::codegen::http::Uri;
use tonic::transport::{Channel, Endpoint};
use tracing::Instrument;

use crate::config::{TlsMaterial, provider};
use crate::error::{Error, Result};
use crate::identity::SpiffeId;

mod verifier;

/// How long dialing plus the TLS handshake may take before a connection attempt fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The server name handed to rustls. The verifier ignores it and SNI is off, so it never
/// reaches the wire; identity is checked through the SPIFFE id instead.
const PLACEHOLDER_SERVER_NAME: &str = "crossbind.invalid";

/// Opens a mutual-TLS gRPC channel to `endpoint` (`host:port` or `https://host:port`) and
/// waits until the first connection is up. The server must chain to the CA of `m` and carry
/// exactly the identity `expected`; otherwise the error chain ends in "peer is X, expected Y"
/// ([`Error::WrongPeer`]) or the handshake failure.
pub async fn connect(endpoint: &str, m: &TlsMaterial, expected: SpiffeId) -> Result<Channel> {
    let (uri, connector) = prepare(endpoint, m, expected)?;
    uri.connect_with_connector(connector)
        .await
        .map_err(|source| Error::Connect {
            endpoint: endpoint.to_owned(),
            source,
        })
}

/// Like [`connect`], but connects on first use and reconnects after a failure. Fails only on a
/// malformed endpoint or unusable material. Must be called within a Tokio runtime.
pub fn connect_lazy(endpoint: &str, m: &TlsMaterial, expected: SpiffeId) -> Result<Channel> {
    let (uri, connector) = prepare(endpoint, m, expected)?;
    Ok(uri.connect_with_connector_lazy(connector))
}

/// Validates the endpoint and builds the tonic endpoint and the TLS connector.
fn prepare(endpoint: &str, m: &TlsMaterial, expected: SpiffeId) -> Result<(Endpoint, Connector)> {
    let authority = authority(endpoint)?;
    let tonic_endpoint = Endpoint::from_shared(format!("http://{authority}"))
        .map_err(|_| Error::InvalidEndpoint {
            endpoint: endpoint.to_owned(),
            reason: "not a valid URI authority",
        })?
        .connect_timeout(CONNECT_TIMEOUT);
    let connector = Connector::new(m, expected)?;
    Ok((tonic_endpoint, connector))
}

/// Extracts `host:port` from `host:port` or `https://host:port[/]`.
fn authority(endpoint: &str) -> Result<String> {
    let invalid = |reason| Error::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let rest = match endpoint.split_once("://") {
        Some(("https", rest)) => rest,
        Some(_) => return Err(invalid("the scheme must be https (or none)")),
        None => endpoint,
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(invalid(
            "must be host:port, without path, query or user info",
        ));
    }
    let uri: Uri = authority
        .parse()
        .map_err(|_| invalid("not a valid host:port"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if uri.port_u16().is_none() {
        return Err(invalid("has no port"));
    }
    Ok(authority.to_owned())
}

/// Turns a failed handshake into [`Error::WrongPeer`] when that is what the verifier found,
/// and into [`Error::Handshake`] otherwise.
fn handshake_error(addr: &str, e: std::io::Error) -> Error {
    let wrong_peer = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|tls| match tls {
            rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
                match other.0.downcast_ref::<Error>() {
                    Some(Error::WrongPeer { found, expected }) => Some(Error::WrongPeer {
                        found: found.clone(),
                        expected: expected.clone(),
                    }),
                    _ => None,
                }
            }
            _ => None,
        });
    wrong_peer.unwrap_or_else(|| Error::Handshake {
        addr: addr.to_owned(),
        source: e,
    })
}

/// Dials `host:port`, performs the handshake and checks that HTTP/2 was negotiated.
async fn dial(
    host: String,
    port: u16,
    config: Arc<ClientConfig>,
) -> Result<TokioIo<TlsStream<TcpStream>>> {
    let addr = format!("{host}:{port}");
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|source| Error::Dial {
            addr: addr.clone(),
            source,
        })?;
    tcp.set_nodelay(true).map_err(|source| Error::Dial {
        addr: addr.clone(),
        source,
    })?;
    let name = ServerName::try_from(PLACEHOLDER_SERVER_NAME).expect("a valid DNS name");
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| handshake_error(&addr, e))?;
    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(Error::NoHttp2 { addr });
    }
    tracing::debug!("mutual TLS connection established");
    Ok(TokioIo::new(tls))
}

/// The tower service tonic calls to open each connection.
#[derive(Clone)]
struct Connector {
    config: Arc<ClientConfig>,
    expected: Arc<SpiffeId>,
}

// === impl Connector ===

impl Connector {
    fn new(m: &TlsMaterial, expected: SpiffeId) -> Result<Self> {
        let verifier = verifier::ExpectPeer::new(m.ca_der(), expected.clone())?;
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(Error::Config)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_auth_cert(m.chain().to_vec(), m.key_der()?)
            .map_err(Error::Config)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        config.resumption = Resumption::disabled();
        config.enable_sni = false;
        Ok(Self {
            config: Arc::new(config),
            expected: Arc::new(expected),
        })
    }
}

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let config = self.config.clone();
        let host = uri
            .host()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned());
        let port = uri.port_u16();
        let span = tracing::debug_span!(
            "dial",
            peer.addr = %uri,
            peer.expected = %self.expected,
        );
        Box::pin(
            async move {
                match (host, port) {
                    (Some(host), Some(port)) => dial(host, port, config).await,
                    _ => Err(Error::InvalidEndpoint {
                        endpoint: uri.to_string(),
                        reason: "has no host or port",
                    }),
                }
            }
            .instrument(span),
        )
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_host_port_and_https() {
        assert_eq!(authority("127.0.0.1:50051").unwrap(), "127.0.0.1:50051");
        assert_eq!(authority("https://agent.b:443/").unwrap(), "agent.b:443");
        assert_eq!(authority("[::1]:8443").unwrap(), "[::1]:8443");
    }

    #[test]
    fn rejects_other_endpoints() {
        for (endpoint, reason) in [
            ("http://127.0.0.1:1", "scheme"),
            ("127.0.0.1", "no port"),
            ("https://h:1/path", "without path"),
            ("user@h:1", "user info"),
            (":1", "host"),
        ] {
            let err = authority(endpoint).unwrap_err();
            assert!(err.to_string().contains(reason), "{endpoint}: {err}");
        }
    }
}
