//! `crossbind quickstart`: the whole cross-account procedure on this machine, against the
//! embedded cloud emulator, with every component a separate process.

use std::{path::PathBuf, process::ExitCode};

use crossbind_proto::{
    AccountMapping, AssociationState, ConfirmInitializationRequest, CreateAssociationRequest,
    EventKind, GetAssociationRequest, WatchAssociationRequest,
};
use tokio_stream::StreamExt;

use crate::say;

use crate::{
    error::{CliError, Result},
    output::{self, Format},
    stack::{self, Stack, StackOptions},
};

/// Options of the quickstart.
#[derive(Debug, clap::Args)]
pub struct QuickstartArgs {
    /// Output format of the result.
    #[arg(long, value_enum, default_value = "human")]
    pub output: Format,
    /// World file for the emulator (default: its built-in world; see
    /// `crossbind-cloudsim --print-default-world`).
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// Cluster of the provider account to associate.
    #[arg(long, default_value = stack::DEFAULT_CLUSTER_ID)]
    pub cluster: String,
    /// Workspace of the consumer account to register it in.
    #[arg(long, default_value = stack::DEFAULT_WORKSPACE_ID)]
    pub workspace: String,
    /// Resource group to bind and initialize (`""`: none).
    #[arg(long, default_value = stack::DEFAULT_RESOURCE_GROUP_ID)]
    pub resource_group: String,
    /// Directory holding the crossbind binaries (default: next to this executable).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
}

/// Runs the quickstart; the exit code is zero only when the association succeeded.
pub async fn run(args: QuickstartArgs) -> Result<ExitCode> {
    let human = args.output == Format::Human;
    let work = tempfile::Builder::new()
        .prefix("crossbind-quickstart-")
        .tempdir()
        .map_err(|e| CliError::Setup(format!("cannot create a temporary directory: {e}")))?;
    let bin_dir = match args.bin_dir.clone() {
        Some(dir) => dir,
        None => stack::sibling_bin_dir()?,
    };
    let mut options = StackOptions::new(bin_dir, work.path().to_path_buf());
    options.world = args.world.clone();

    if human {
        say!(
            "crossbind quickstart: two accounts, three processes and mutual TLS, all on this machine"
        );
        say!(
            "against the embedded cloud emulator. Files and logs: {}",
            work.path().display()
        );
    }
    let stack = match Stack::start(&options).await {
        Ok(stack) => stack,
        Err(e) => {
            let kept = work.keep();
            eprintln!(
                "quickstart: start-up failed; logs kept in {}",
                kept.display()
            );
            return Err(e);
        }
    };
    if human {
        say!(
            "  cloudsim     {}  (RAM, STS, EMR, DataWorks)",
            stack.cloudsim
        );
        say!(
            "  provider     {}  agent of account {} (B, owns the cluster)",
            stack.provider,
            options.provider_uid
        );
        say!(
            "  consumer     {}  agent of account {} (A, owns the workspace)",
            stack.consumer,
            options.consumer_uid
        );
        say!(
            "  coordinator  {}  (no cloud credentials)",
            stack.coordinator
        );
        say!();
    }

    let outcome = associate(&stack, &options, &args, human).await;
    stack.stop().await;
    let association = match outcome {
        Ok(association) => association,
        Err(e) => {
            let kept = work.keep();
            eprintln!("quickstart: failed; logs kept in {}", kept.display());
            return Err(e);
        }
    };

    let succeeded = association.state() == AssociationState::Succeeded;
    match args.output {
        Format::Json => say!("{}", output::association_json(&association)),
        Format::Human => {
            say!();
            say!("{}", output::association_text(&association));
        }
    }
    if succeeded {
        Ok(ExitCode::SUCCESS)
    } else {
        let kept = work.keep();
        eprintln!(
            "quickstart: the association failed; logs kept in {}",
            kept.display()
        );
        Ok(ExitCode::FAILURE)
    }
}

async fn associate(
    stack: &Stack,
    options: &StackOptions,
    args: &QuickstartArgs,
    human: bool,
) -> Result<crossbind_proto::Association> {
    let mut client = stack.client().await?;
    let created = client
        .create_association(CreateAssociationRequest {
            provider_account_uid: options.provider_uid.clone(),
            cluster_id: args.cluster.clone(),
            role_name: String::new(),
            consumer_account_uid: options.consumer_uid.clone(),
            workspace_id: args.workspace.clone(),
            compute_resource_name: String::new(),
            idempotency_key: String::new(),
            resource_group_id: args.resource_group.clone(),
            // The consumer's root account always needs an explicit mapping to run as a
            // cluster account; map it to the cluster's `hadoop` account.
            account_mappings: vec![AccountMapping {
                member_uid: options.consumer_uid.clone(),
                cluster_account: "hadoop".to_string(),
            }],
            // Nothing runs in the emulator: no need to wait for an off-peak window.
            initialize_now: !args.resource_group.is_empty(),
        })
        .await?
        .into_inner();
    if human {
        say!("association {} started", created.id);
    }
    let mut events = client
        .watch_association(WatchAssociationRequest {
            id: created.id.clone(),
        })
        .await?
        .into_inner();
    while let Some(event) = events.next().await {
        let event = event?;
        if human {
            say!("{}", output::event_line(&event));
        }
        if event.kind() == EventKind::ActionRequired {
            // The emulator has no console to click in: the quickstart answers as the operator
            // would once the console step is done (`crossbind confirm ID`).
            if human {
                say!(
                    "  (the emulator has no console: the quickstart confirms on the operator's behalf)"
                );
            }
            client
                .confirm_initialization(ConfirmInitializationRequest {
                    id: created.id.clone(),
                    now: false,
                    failed: None,
                })
                .await?;
        }
    }
    let association = client
        .get_association(GetAssociationRequest { id: created.id })
        .await?
        .into_inner();
    Ok(association)
}
