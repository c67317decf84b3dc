//! Mutual TLS with SPIFFE identities for every crossbind gRPC connection.
//!
//! Each certificate carries exactly one identity as a URI SAN (`spiffe://<td>/coordinator`,
//! `.../provider/<uid>`, `.../consumer/<uid>`, `.../client/<name>`), see [`identity`].
//! [`pki`] creates a CA and issues certificates; [`config`] loads a process's files;
//! [`server`] configures tonic servers and checks callers with an interceptor; [`client`] opens
//! channels that verify the server's identity, not just its CA. Cryptography is rustls with
//! the ring provider only.
//!
//! # Limitations
//!
//! - One CA per trust domain, no intermediates, no revocation lists: to withdraw a certificate,
//!   create a new CA and re-issue every identity. Leaves are valid for one year and are not
//!   renewed automatically.
//! - Material is loaded once; a running process does not notice certificate files changing.
//! - The CA key lies unencrypted (mode 0600) next to the certificates it signs; keep the PKI
//!   directory on the machine of whoever issues certificates, and copy out only leaves.

pub mod client;
pub mod config;
pub mod error;
pub mod identity;
pub mod pki;
pub mod server;

pub use client::{connect, connect_lazy};
pub use config::{TlsFiles, TlsMaterial};
pub use error::{Error, Result};
pub use identity::{PeerRole, SpiffeId, spiffe_id_from_cert};
pub use pki::{DEFAULT_TRUST_DOMAIN, IssuedPaths, Pki};
pub use server::{PeerIdentity, RequirePeer, peer_identity, require_peer, server_tls_config};

/// Installs rustls's ring provider as the process-wide default. Idempotent: when a provider is
/// already installed (by an earlier call or by anyone else), that one is kept.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // A concurrent installer may win the race; either way a provider is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
