//! `crossbind-consumer`: reads its configuration, binds, starts up (credentials, STS identity, TLS),
//! then prints the bound address as the first line of stdout and serves until ctrl-c or
//! SIGTERM. An agent that cannot start prints nothing on stdout. All logic is in the library.

use std::process::ExitCode;

use clap::Parser;
use crossbind_agent_common::cli::{AgentArgs, EXIT_CONFIG, announce, bind};
use crossbind_agent_common::{display_chain, init_tracing, shutdown_signal};
use crossbind_aliyun::credentials::ProcessEnv;
use crossbind_consumer::{ConsumerConfig, Passwords};

#[tokio::main]
async fn main() -> ExitCode {
    let args = AgentArgs::parse();
    init_tracing();
    let config = match ConsumerConfig::load(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("crossbind-consumer: {}", display_chain(&e));
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // A password variable the configuration names but the environment lacks is a
    // configuration error, reported before anything starts.
    if let Err(e) = Passwords::require(&config.mappings, &ProcessEnv) {
        eprintln!("crossbind-consumer: {}", display_chain(&e));
        return ExitCode::from(EXIT_CONFIG);
    }
    let listen = args.listen.unwrap_or(config.listen);
    let result = async {
        let listener = bind(listen).await?;
        let server = crossbind_consumer::start(config, listener).await?;
        announce(server.local_addr())?;
        server.serve(shutdown_signal()).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %display_chain(&e), "crossbind-consumer stopped");
            ExitCode::FAILURE
        }
    }
}
