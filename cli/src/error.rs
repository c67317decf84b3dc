//! Errors of the command-line tool.

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Local set-up failed (files, binaries, processes); the message says what to do.
    #[error("{0}")]
    Setup(String),
    /// A process of the local stack exited or stayed silent instead of printing its address.
    #[error("{name} did not start; its log is {log}; last lines:\n{tail}")]
    Start {
        /// Which process.
        name: String,
        /// Path of its log file.
        log: String,
        /// The end of the log.
        tail: String,
    },
    /// TLS or PKI trouble.
    #[error("TLS")]
    Tls(#[from] crossbind_tls::error::Error),
    /// The coordinator refused a call. The status is not a `source`: its text is the message.
    #[error("the coordinator answered {}: {}", code_name(.0.code()), .0.message())]
    Rpc(tonic::Status),
}

impl From<tonic::Status> for CliError {
    fn from(status: tonic::Status) -> Self {
        CliError::Rpc(status)
    }
}

// === impl CliError ===

impl CliError {
    /// A short machine-readable name for `--output json`: the gRPC code name, or `SETUP`/`TLS`.
    pub fn code(&self) -> String {
        match self {
            CliError::Setup(_) | CliError::Start { .. } => "SETUP".to_string(),
            CliError::Tls(_) => "TLS".to_string(),
            CliError::Rpc(status) => code_name(status.code()),
        }
    }
}

/// Result alias of the CLI.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

fn code_name(code: tonic::Code) -> String {
    // `FailedPrecondition` -> `FAILED_PRECONDITION`, the spelling gRPC documents.
    let mut out = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

pub use crossbind_aliyun::error::display_chain as chain;
