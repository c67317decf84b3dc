//! `crossbind-provider`: reads its configuration, binds, starts up (credentials, STS identity, TLS),
//! then prints the bound address as the first line of stdout and serves until ctrl-c or
//! SIGTERM. An agent that cannot start prints nothing on stdout. `crossbind-provider rules`
//! instead prints the eligibility table and exits, needing no configuration or credentials.
//! All logic is in the library.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use crossbind_agent_common::cli::{AgentArgs, EXIT_CONFIG, announce, bind};
use crossbind_agent_common::{display_chain, init_tracing, shutdown_signal};
use crossbind_provider::ProviderConfig;
use crossbind_provider::rules::{self, RulesArgs};

/// The crossbind provider agent.
#[derive(Parser)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    agent: Option<AgentArgs>,
}

#[derive(Subcommand)]
enum Command {
    /// Prints the eligibility rules (with their version) and exits.
    Rules(RulesArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match (cli.command, cli.agent) {
        (Some(Command::Rules(r)), _) => return print_rules(&r),
        (None, Some(args)) => args,
        (None, None) => Cli::command()
            .error(
                ErrorKind::MissingRequiredArgument,
                "--config <FILE> is required",
            )
            .exit(),
    };
    init_tracing();
    let config = match ProviderConfig::load(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("crossbind-provider: {}", display_chain(&e));
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let listen = args.listen.unwrap_or(config.listen);
    let result = async {
        let listener = bind(listen).await?;
        let server = crossbind_provider::start(config, listener).await?;
        announce(server.local_addr())?;
        server.serve(shutdown_signal()).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %display_chain(&e), "crossbind-provider stopped");
            ExitCode::FAILURE
        }
    }
}

fn print_rules(args: &RulesArgs) -> ExitCode {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(rules::render(args.output).as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
