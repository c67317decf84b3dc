//! The `crossbind-cloudsim` binary: parses flags, loads the world (fault flags override its
//! settings), binds, prints the bound address as the first stdout line, and serves until
//! SIGTERM or ctrl-c. All logic is in the library.
//!
//! Failures are one line on stderr, `crossbind-cloudsim: <error chain>`, never a backtrace;
//! the exit code is 64 for bad flags or a bad world file, 1 for anything else.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use crossbind_aliyun::clock::SystemClock;
use crossbind_aliyun::error::display_chain;
use crossbind_cloudsim::{DEFAULT_WORLD_TOML, Sim, World, serve};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Default listen address: loopback, a port chosen by the OS.
const DEFAULT_LISTEN: &str = "127.0.0.1:0";

/// The exit code for bad flags or a bad world file (`EX_USAGE`).
const EXIT_USAGE: u8 = 64;

/// Emulator of the Alibaba Cloud RAM, STS, EMR and DataWorks APIs used by crossbind.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Besides the cloud APIs (signed requests on /), it serves, unsigned, for tests and rehearsals:\n  \
        GET  /_cloudsim/state                  everything it holds (no secrets), mutations, requests, faults\n  \
        POST /_cloudsim/clusters/<id>/config   {\"file\": \"core-site.xml\", \"key\": \"k\", \"value\": \"v\"}: change a cluster's configuration\n  \
        POST /_cloudsim/clusters/<id>/state    {\"State\": \"TERMINATED\"}: put a cluster into an EMR ClusterState"
)]
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
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // clap's own rendering: the bad flag, the usage line and a pointer to --help.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if args.print_default_world {
        print!("{DEFAULT_WORLD_TOML}");
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let mut world = match load_world(&args) {
        Ok(world) => world,
        Err(e) => return fail(&e, EXIT_USAGE),
    };
    override_settings(&mut world, &args);
    match run(world, args.listen).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, 1),
    }
}

/// Prints `crossbind-cloudsim: <error chain>` on stderr and gives exit code `code`.
fn fail(error: &anyhow::Error, code: u8) -> ExitCode {
    eprintln!("crossbind-cloudsim: {}", display_chain(error.as_ref()));
    ExitCode::from(code)
}

/// The world of `--world`, or the embedded default world.
fn load_world(args: &Args) -> anyhow::Result<World> {
    let Some(path) = &args.world else {
        return Ok(World::default_world());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read world file {}", path.display()))?;
    World::from_toml(&text).with_context(|| format!("world file {} is not valid", path.display()))
}

/// Binds `listen`, prints the bound address, and serves `world` until a signal.
async fn run(world: World, listen: SocketAddr) -> anyhow::Result<()> {
    let shutdown = shutdown_signal().context("cannot install signal handlers")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{addr}")
            .and_then(|()| stdout.flush())
            .context("cannot print the bound address on stdout")?;
    }

    let sim = Sim::new(world, Arc::new(SystemClock));
    tokio::select! {
        served = serve(listener, sim) => served.context("the server failed")?,
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
