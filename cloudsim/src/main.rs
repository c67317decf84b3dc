//! The `crossbind-cloudsim` binary: parses flags, loads the world, binds, prints the bound
//! address as the first stdout line, and serves until SIGTERM or ctrl-c. All logic is in the
//! library.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use crossbind_aliyun::clock::SystemClock;
use crossbind_cloudsim::{DEFAULT_WORLD_TOML, Sim, World, serve};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Default listen address: loopback, a port chosen by the OS.
const DEFAULT_LISTEN: &str = "127.0.0.1:0";

/// Emulator of the Alibaba Cloud RAM, STS, EMR and DataWorks APIs used by crossbind.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; the bound address is printed as the first line of stdout.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// World file (TOML); the embedded default world when absent.
    #[arg(long)]
    world: Option<PathBuf>,
    /// Print the embedded default world and exit.
    #[arg(long)]
    print_default_world: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.print_default_world {
        print!("{DEFAULT_WORLD_TOML}");
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let world = match &args.world {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading world file {}", path.display()))?;
            World::from_toml(&text).with_context(|| format!("loading {}", path.display()))?
        }
        None => World::default_world(),
    };
    let shutdown = shutdown_signal().context("installing signal handlers")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{addr}").context("writing the bound address")?;
        stdout.flush().context("flushing stdout")?;
    }

    let sim = Sim::new(world, Arc::new(SystemClock));
    tokio::select! {
        served = serve(listener, sim) => served.context("serving")?,
        () = shutdown => info!("cloudsim stopping"),
    }
    Ok(())
}

/// Registers SIGTERM and SIGINT (ctrl-c) now, so that none is missed once the address is
/// printed; the future resolves on the first of them. (Unix only, like the rest of crossbind.)
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}
