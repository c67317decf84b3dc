//! What the two agent binaries share on the command line: the flags, the exit code for bad
//! configuration, binding the listener, and announcing the bound address on stdout once the
//! agent is ready. It does not read the configuration file; each agent does.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// The exit code for an unusable configuration (`EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;

/// The flags of `crossbind-provider` and `crossbind-consumer`.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    version,
    about = "A crossbind agent: serves its account's part of the procedure to the coordinator."
)]
pub struct AgentArgs {
    /// The agent's TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The address to listen on; overrides `listen` in the file (whose default is
    /// 127.0.0.1:0, any free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// Binds `addr` without announcing it: the port of `--listen 127.0.0.1:0` is known from here
/// on, but nothing is printed until [`announce`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })
}

/// Prints `addr` (e.g. `127.0.0.1:40123`) as one line on stdout and flushes it. Scripts and
/// tests take that first line to mean the agent is up, so call it only after start-up
/// succeeded, right before serving.
pub fn announce(addr: SocketAddr) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{addr}")
        .and_then(|()| stdout.flush())
        .map_err(Error::Announce)
}
