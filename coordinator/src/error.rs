//! Errors of the coordinator, one enum per layer.

use std::io;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}")]
    Read {
        /// The path that was tried.
        path: String,
        /// Why reading failed.
        #[source]
        source: io::Error,
    },
    /// The file was read but some values are wrong; each problem names its key.
    #[error("invalid configuration: {}", problems.join("; "))]
    Invalid {
        /// One sentence per bad key.
        problems: Vec<String>,
    },
}

/// Why the coordinator could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The TLS material could not be loaded or is unusable.
    #[error("TLS set-up failed")]
    Tls(#[from] crossbind_tls::error::Error),
    /// The database could not be opened or read.
    #[error("the coordinator's records are unusable")]
    Store(#[from] crate::store::StoreError),
    /// The gRPC server stopped with an error.
    #[error("gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
    /// The coordinator's certificate does not carry the coordinator identity.
    #[error("the certificate names {found}, but the coordinator needs {expected}")]
    WrongIdentity {
        /// The identity found in the certificate.
        found: String,
        /// The identity the coordinator needs.
        expected: String,
    },
}

/// Why an automation request was refused before any work started.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A request field is missing or malformed; the message names the field.
    #[error("{0}")]
    InvalidArgument(String),
    /// The request is well-formed but the coordinator cannot serve it as configured.
    #[error("{0}")]
    FailedPrecondition(String),
    /// No association has this id.
    #[error("association {0} not found")]
    NotFound(String),
    /// Another association already holds what the request asks for; the message names it.
    #[error("{0}")]
    AlreadyExists(String),
    /// The coordinator cannot serve the request now (its database failed).
    #[error("{0}")]
    Unavailable(String),
    /// An agent refused a read-only call made for the request.
    #[error("{step}: {message}")]
    Agent {
        /// The step the call belongs to.
        step: &'static str,
        /// The agent's status code.
        code: tonic::Code,
        /// The agent's message.
        message: String,
    },
}

// === impl RequestError ===

impl RequestError {
    /// Wraps an agent's refusal of a call made for `step`.
    pub fn from_agent(step: &'static str, status: &tonic::Status) -> Self {
        RequestError::Agent {
            step,
            code: status.code(),
            message: status.message().to_string(),
        }
    }
}

pub use crossbind_aliyun::error::display_chain as chain;
