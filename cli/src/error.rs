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
    /// The coordinator refused a call.
    #[error("the coordinator answered {}: {}", code_name(.0.code()), .0.message())]
    Rpc(#[from] tonic::Status),
}

/// Result alias of the CLI.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

fn code_name(code: tonic::Code) -> String {
    format!("{code:?}")
}

pub use crossbind_aliyun::error::display_chain as chain;
