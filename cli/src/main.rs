//! `crossbind`: parses the command line and runs one command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crossbind_cli::{
    AssociateArgs, ConfirmArgs, Connection, IdArgs, PkiInitArgs, PkiIssueArgs, Verb,
    quickstart::QuickstartArgs,
};

/// crossbind: register an EMR cluster of one Alibaba Cloud account in the DataWorks
/// workspace of another, with no team handing its keys to the other.
#[derive(Debug, Parser)]
#[command(name = "crossbind", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the whole procedure on this machine against the embedded cloud emulator.
    Quickstart(QuickstartArgs),
    /// Certificates for the coordinator, the agents and automation clients.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Starts an association and follows it to its end.
    Associate(AssociateArgs),
    /// Shows what an association would change in which account, changing nothing.
    Plan(AssociateArgs),
    /// Stops an association at the next step boundary.
    Cancel(IdArgs),
    /// Re-drives a failed or cancelled association from its failed step.
    Retry(IdArgs),
    /// Undoes an association: deletes the compute resources, then removes the trust.
    Dissociate(IdArgs),
    /// Checks whether the role, its trust policy, the attachment and the compute resources
    /// are still as the association set them up (exit code 2 when they are not).
    Drift(IdArgs),
    /// Answers an association that waits to have its resource group initialized: done,
    /// `--failed REASON`, or `--now` to stop waiting for the off-peak window.
    Confirm(ConfirmArgs),
    /// Runs both agents' checks and prints findings with what to fix (exit code 2 on errors).
    Diagnose(IdArgs),
    /// Shows one association.
    Status(IdArgs),
    /// Follows one association's events.
    Watch(IdArgs),
    /// Lists associations.
    List(Connection),
}

#[derive(Debug, Subcommand)]
enum PkiCommand {
    /// Creates a CA and issues certificates whose URI SANs carry the identities.
    Init(PkiInitArgs),
    /// Issues more certificates from an existing CA (a new account's agent, a new client).
    Issue(PkiIssueArgs),
}

// === impl Command ===

impl Command {
    /// True when the user asked for `--output json`.
    fn wants_json(&self) -> bool {
        use crossbind_cli::output::Format::Json;
        match self {
            Command::Quickstart(args) => args.output == Json,
            Command::Pki(_) => false,
            Command::Associate(args) | Command::Plan(args) => args.connection.output == Json,
            Command::Status(args)
            | Command::Watch(args)
            | Command::Cancel(args)
            | Command::Retry(args)
            | Command::Dissociate(args)
            | Command::Drift(args)
            | Command::Diagnose(args) => args.connection.output == Json,
            Command::Confirm(args) => args.connection.output == Json,
            Command::List(connection) => connection.output == Json,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    crossbind_tls::install_crypto_provider();
    let json = cli.command.wants_json();
    let result = match cli.command {
        Command::Quickstart(args) => crossbind_cli::quickstart::run(args).await,
        Command::Pki(PkiCommand::Init(args)) => crossbind_cli::pki_init(args),
        Command::Pki(PkiCommand::Issue(args)) => crossbind_cli::pki_issue(args),
        Command::Associate(args) => crossbind_cli::associate(args).await,
        Command::Plan(args) => crossbind_cli::plan(args).await,
        Command::Cancel(args) => crossbind_cli::act(args, Verb::Cancel).await,
        Command::Retry(args) => crossbind_cli::act(args, Verb::Retry).await,
        Command::Dissociate(args) => crossbind_cli::act(args, Verb::Dissociate).await,
        Command::Drift(args) => crossbind_cli::drift(args).await,
        Command::Confirm(args) => crossbind_cli::confirm(args).await,
        Command::Diagnose(args) => crossbind_cli::diagnose(args).await,
        Command::Status(args) => crossbind_cli::status(args).await,
        Command::Watch(args) => crossbind_cli::watch(args).await,
        Command::List(args) => crossbind_cli::list(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let message = crossbind_cli::error::chain(&e);
            if json {
                // Automation asked for JSON: the failure is one JSON object on stdout too.
                let error = serde_json::json!({"error": {"code": e.code(), "message": message}});
                println!("{error}");
            }
            eprintln!("crossbind: {message}");
            ExitCode::FAILURE
        }
    }
}
