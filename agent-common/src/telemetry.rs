//! Logging set-up for the agent binaries, and the chain printer they log errors with. It does
//! not decide what is logged; the agents do.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Writes an error and each of its causes, `outer: cause: root cause`.
///
/// This is `crossbind_aliyun`'s helper, re-exported so that the workspace has exactly one;
/// error messages themselves name one layer and leave their causes to it.
pub use crossbind_aliyun::error::display_chain;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Installs a tracing subscriber that writes to stderr, filtered by `RUST_LOG` (default
/// `info`), with ANSI colours only when stderr is a terminal (a log file gets plain text).
/// Calling it again is harmless.
pub fn init_tracing() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
