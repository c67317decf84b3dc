//! `crossbind-coordinator`: parses flags, loads the configuration, binds and serves.

use std::{io::Write, net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::Parser;
use crossbind_coordinator::{CoordinatorConfig, error::chain};

/// The crossbind coordinator: drives associations between agents; holds no cloud credentials.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Configuration file (TOML).
    #[arg(long, env = "CROSSBIND_COORDINATOR_CONFIG")]
    config: PathBuf,
    /// Address to listen on; overrides `listen` in the file.
    #[arg(long)]
    listen: Option<SocketAddr>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    crossbind_tls::install_crypto_provider();

    let mut config = match CoordinatorConfig::load(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("crossbind-coordinator: {}", chain(&e));
            return ExitCode::from(64);
        }
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "crossbind-coordinator: cannot listen on {}: {e}",
                config.listen
            );
            return ExitCode::FAILURE;
        }
    };
    if let Ok(address) = listener.local_addr() {
        // The first line of stdout is the bound address, for scripts and the quickstart.
        println!("{address}");
        let _ = std::io::stdout().flush();
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match crossbind_coordinator::serve(config, listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crossbind-coordinator: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}
