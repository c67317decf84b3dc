//! The `crossbind-cloudsim` binary: parses flags, loads the world (fault flags override its
//! settings), binds, prints the bound address as the first stdout line, and serves until
//! SIGTERM or ctrl-c. All logic is in the library.

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
    /// Share of calls answered 400 Throttling.User, 0 to 1 (overrides
    /// `settings.faults.throttle_rate`).
    #[arg(long, value_name = "RATE", value_parser = rate)]
    throttle_rate: Option<f64>,
    /// Share of calls answered 503 ServiceUnavailable or 500 InternalError, 0 to 1 (overrides
    /// `settings.faults.server_error_rate`).
    #[arg(long, value_name = "RATE", value_parser = rate)]
    server_error_rate: Option<f64>,
    /// Milliseconds to wait before answering each call in scope (overrides
    /// `settings.faults.latency_ms`).
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Seed of the fault RNG (overrides `settings.faults.seed`).
    #[arg(long, value_name = "SEED")]
    fault_seed: Option<u64>,
    /// Seconds before a RAM role change is in effect for DataWorks (overrides
    /// `settings.role_propagation_seconds`).
    #[arg(long, value_name = "SECONDS")]
    role_propagation_seconds: Option<u64>,
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

    let mut world = match &args.world {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading world file {}", path.display()))?;
            World::from_toml(&text).with_context(|| format!("loading {}", path.display()))?
        }
        None => World::default_world(),
    };
    override_settings(&mut world, &args);
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

/// Applies the fault and propagation flags given on top of the world's settings.
fn override_settings(world: &mut World, args: &Args) {
    let settings = &mut world.settings;
    let faults = &mut settings.faults;
    faults.throttle_rate = args.throttle_rate.unwrap_or(faults.throttle_rate);
    faults.server_error_rate = args.server_error_rate.unwrap_or(faults.server_error_rate);
    faults.latency_ms = args.latency_ms.unwrap_or(faults.latency_ms);
    faults.seed = args.fault_seed.unwrap_or(faults.seed);
    settings.role_propagation_seconds = args
        .role_propagation_seconds
        .unwrap_or(settings.role_propagation_seconds);
}

/// A rate flag: a number from 0 to 1.
fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(String::from("must be a number from 0 to 1")),
    }
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
