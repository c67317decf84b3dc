//! The one error type of `crossbind-tls`: PKI files, identities, TLS configuration and dialing.
//!
//! Messages describe this layer only and say what to fix; causes are kept as `#[source]` and
//! never interpolated. No variant holds private-key bytes: a key that cannot be parsed is
//! reported by path alone.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::identity::SpiffeId;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while creating, loading or using TLS material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A SPIFFE id (or one of its parts) is malformed.
    #[error("invalid SPIFFE id {input:?}: {reason}")]
    InvalidSpiffeId {
        /// The text that was rejected.
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A certificate is not DER-encoded X.509.
    #[error("certificate is not valid X.509 DER")]
    CertificateDer(#[source] x509_parser::error::X509Error),

    /// A certificate carries no `spiffe://` URI SAN.
    #[error("certificate has no spiffe:// URI SAN; crossbind certificates carry exactly one")]
    NoSpiffeId,

    /// A certificate carries more than one `spiffe://` URI SAN.
    #[error("certificate has {count} spiffe:// URI SANs; exactly one is required")]
    ManySpiffeIds {
        /// How many were found.
        count: usize,
    },

    /// An identity does not belong to the trust domain it is used with.
    #[error("{id} is not in trust domain {trust_domain:?}")]
    WrongTrustDomain {
        /// The identity.
        id: SpiffeId,
        /// The trust domain that was required.
        trust_domain: String,
    },

    /// A file could not be read.
    #[error("cannot read {what} {path}")]
    Read {
        /// What the file should hold, for example "certificate".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },

    /// A file or directory could not be written.
    #[error("cannot write {what} {path}")]
    Write {
        /// What the file holds, for example "private key".
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },

    /// A PEM file holds no usable certificate.
    #[error("{path} holds no PEM certificate (expected a \"BEGIN CERTIFICATE\" block)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },

    /// A PEM certificate file is malformed.
    #[error("{path} is not a valid PEM certificate file")]
    BadCertificatePem {
        /// The file.
        path: PathBuf,
        /// The PEM failure.
        #[source]
        source: rustls_pki_types::pem::Error,
    },

    /// A private-key file holds no usable key. The cause is dropped on purpose: PEM errors can
    /// quote the file's content.
    #[error("{path} holds no valid PEM private key (PKCS#8, SEC1 or PKCS#1)")]
    BadPrivateKey {
        /// The file.
        path: PathBuf,
    },

    /// A private key does not belong to the certificate it is paired with.
    #[error("private key {key} does not match certificate {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },

    /// `pki::init` found an existing CA.
    #[error(
        "a CA already exists at {path}: issue more certificates from it with \
         `crossbind pki issue {dir} ...`, or remove the directory to start over"
    )]
    CaExists {
        /// The existing `ca.pem` or `ca.key`.
        path: PathBuf,
        /// The PKI directory holding it.
        dir: PathBuf,
    },

    /// A client certificate (`client-<name>.pem`) to load does not exist.
    #[error(
        "no certificate for client `{name}` in {dir}{}; issue one with \
         `crossbind pki issue {dir} --client {name}`",
        ClientList(existing)
    )]
    NoClientCertificate {
        /// The client name the file name asked for.
        name: String,
        /// The directory that was searched.
        dir: PathBuf,
        /// The client names that do have a certificate there (`client-*.pem`), sorted.
        existing: Vec<String>,
    },

    /// The CA files of a PKI directory do not agree with each other or with its trust domain.
    #[error("CA in {dir} is inconsistent: {reason}")]
    CaInconsistent {
        /// The PKI directory.
        dir: PathBuf,
        /// What does not agree.
        reason: String,
    },

    /// rcgen failed to generate a key or a certificate.
    #[error("cannot generate {what}")]
    Generate {
        /// What was being generated.
        what: &'static str,
        /// The rcgen failure.
        #[source]
        source: rcgen::Error,
    },

    /// rustls rejected the loaded material while building a configuration.
    #[error("cannot build the TLS configuration")]
    Config(#[source] rustls::Error),

    /// An endpoint string is not `host:port` or `https://host:port`.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The TCP connection could not be opened.
    #[error("cannot open a TCP connection to {addr}")]
    Dial {
        /// `host:port`.
        addr: String,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },

    /// The TLS handshake failed (unknown CA, expired certificate, plaintext peer, ...).
    #[error("TLS handshake with {addr} failed")]
    Handshake {
        /// `host:port`.
        addr: String,
        /// The failure as reported by rustls through tokio-rustls.
        #[source]
        source: io::Error,
    },

    /// The peer's certificate is valid but names another identity.
    #[error("peer is {found}, expected {expected}")]
    WrongPeer {
        /// The identity in the peer's certificate.
        found: SpiffeId,
        /// The identity the caller asked for.
        expected: SpiffeId,
    },

    /// The peer completed the handshake without agreeing to HTTP/2.
    #[error("{addr} did not negotiate HTTP/2 (ALPN \"h2\"); is it a gRPC server?")]
    NoHttp2 {
        /// `host:port`.
        addr: String,
    },

    /// The gRPC channel could not be established.
    #[error("cannot connect to {endpoint}")]
    Connect {
        /// The endpoint as given.
        endpoint: String,
        /// The transport failure; its chain holds the handshake cause.
        #[source]
        source: tonic::transport::Error,
    },
}

/// Renders the client names found next to a missing client certificate.
struct ClientList<'a>(&'a [String]);

// === impl ClientList ===

impl fmt::Display for ClientList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(" (no client certificates there)")
        } else {
            write!(f, " (clients there: {})", self.0.join(", "))
        }
    }
}
