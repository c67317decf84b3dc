//! The errors of the agents' shared plumbing: [`ConfigError`] for reading configuration and
//! [`Error`] for starting up and serving. Messages describe this layer only; causes stay in
//! `#[source]` fields and are printed by [`crate::telemetry::display_chain`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Result alias of the start-up and serving layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One bad, missing or unknown configuration key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The dotted key, e.g. `cloud.region` or `consent.clusters[1]`.
    pub key: String,
    /// What is wrong and, where it helps, what a good value looks like.
    pub message: String,
}

/// A configuration that cannot be used. The binaries exit with code 64 on it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read configuration file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },
    /// The configuration was read and has problems; all of them are listed.
    #[error("{source_name} is not valid:{}", ProblemList(problems))]
    Invalid {
        /// `configuration file <path>`, or `configuration` for text from memory.
        source_name: String,
        /// Every problem found, in reading order.
        problems: Vec<ConfigProblem>,
    },
}

/// Why an agent could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The credential chain gave nothing usable.
    #[error("cannot resolve the agent's Alibaba Cloud credentials")]
    Credentials(#[source] crossbind_aliyun::credentials::Error),
    /// The TLS files could not be loaded, or the server TLS configuration could not be built.
    #[error("cannot use the agent's TLS material")]
    Tls(#[source] crossbind_tls::error::Error),
    /// The certificate does not name an agent of the expected kind.
    #[error(
        "the agent's certificate names {found}, but a {expected} agent needs the identity \
         spiffe://<trust-domain>/{expected}/<account-uid>; issue it from the crossbind CA"
    )]
    WrongCertificateRole {
        /// The SPIFFE id in the certificate.
        found: String,
        /// `provider` or `consumer`.
        expected: &'static str,
    },
    /// The certificate's trust domain is not the configured one.
    #[error(
        "the agent's certificate is in trust domain {found:?}, but the configuration says \
         trust_domain = {configured:?}; make them the same"
    )]
    WrongTrustDomain {
        /// The trust domain in the certificate.
        found: String,
        /// The `trust_domain` key.
        configured: String,
    },
    /// The cloud client could not be built.
    #[error("cannot create the Alibaba Cloud client")]
    Client(#[source] Box<crossbind_aliyun::Error>),
    /// STS GetCallerIdentity failed, so the agent cannot know its own account.
    #[error("cannot learn the agent's own account: STS GetCallerIdentity failed")]
    Identity(#[source] Box<crossbind_aliyun::Error>),
    /// The credentials belong to another account than the certificate names.
    #[error(
        "refusing to start: the credentials belong to account {sts_uid}, but the certificate \
         ({cert_id}) names account {cert_uid}; run the agent with account {cert_uid}'s \
         credentials, or give it a certificate for account {sts_uid}"
    )]
    AccountMismatch {
        /// The account of the certificate.
        cert_uid: String,
        /// The account STS reported for the credentials.
        sts_uid: String,
        /// The certificate's SPIFFE id.
        cert_id: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },
    /// The bound address of the listener could not be read.
    #[error("cannot read the address the agent listens on")]
    LocalAddr(#[source] io::Error),
    /// The bound address could not be printed on stdout.
    #[error("cannot print the listen address on stdout")]
    Announce(#[source] io::Error),
    /// The gRPC server could not be configured, or failed while serving.
    #[error("the gRPC server failed")]
    Serve(#[source] tonic::transport::Error),
}

/// Renders problems as an indented list, one per line.
struct ProblemList<'a>(&'a [ConfigProblem]);

// === impl ConfigProblem ===

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

// === impl ProblemList ===

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

// === impl ConfigError ===

impl ConfigError {
    /// The problems, when the configuration was read (empty when it could not be).
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } => &[],
        }
    }
}
