//! The `crossbind` command-line tool: PKI set-up, the quickstart, and the automation verbs
//! that talk to a coordinator.
//!
//! The library half exists so that the end-to-end tests drive exactly the same local
//! deployment ([`stack::Stack`]) as `crossbind quickstart`.

use std::{path::PathBuf, process::ExitCode};

use crossbind_proto::{
    AccountMapping, AssociationState, CancelAssociationRequest, CheckDriftRequest,
    ConfirmInitializationRequest, CreateAssociationRequest, DiagnoseRequest,
    DissociateAssociationRequest, GetAssociationRequest, ListAssociationsRequest,
    RetryAssociationRequest, Severity, WatchAssociationRequest,
};
use crossbind_tls::{identity::SpiffeId, pki};
use tokio_stream::StreamExt;

pub mod client;
pub mod error;
pub mod output;
pub mod quickstart;
pub mod stack;

use error::Result;
use output::Format;

/// How to reach the coordinator.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// Coordinator address (`host:port`).
    #[arg(long, env = "CROSSBIND_COORDINATOR")]
    pub coordinator: String,
    /// PKI directory holding `ca.pem` and the client's `client-<name>.pem` / `.key`.
    #[arg(long, env = "CROSSBIND_PKI")]
    pub pki: PathBuf,
    /// Client identity name (`spiffe://<trust domain>/client/<name>`).
    #[arg(long, env = "CROSSBIND_CLIENT", default_value = "admin")]
    pub client: String,
    /// SPIFFE trust domain.
    #[arg(long, env = "CROSSBIND_TRUST_DOMAIN", default_value = pki::DEFAULT_TRUST_DOMAIN)]
    pub trust_domain: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub output: Format,
}

/// `crossbind pki init`.
#[derive(Debug, clap::Args)]
pub struct PkiInitArgs {
    /// Directory to create the CA and certificates in.
    pub dir: PathBuf,
    /// SPIFFE trust domain.
    #[arg(long, default_value = pki::DEFAULT_TRUST_DOMAIN)]
    pub trust_domain: String,
    /// Provider account UIDs to issue agent certificates for.
    #[arg(long = "provider", value_name = "UID")]
    pub providers: Vec<String>,
    /// Consumer account UIDs to issue agent certificates for.
    #[arg(long = "consumer", value_name = "UID")]
    pub consumers: Vec<String>,
    /// Automation client names to issue certificates for.
    #[arg(long = "client", value_name = "NAME", default_values_t = ["admin".to_string()])]
    pub clients: Vec<String>,
}

/// `crossbind pki issue`.
#[derive(Debug, clap::Args)]
pub struct PkiIssueArgs {
    /// PKI directory made by `crossbind pki init`.
    pub dir: PathBuf,
    /// Provider account UIDs to issue agent certificates for.
    #[arg(long = "provider", value_name = "UID")]
    pub providers: Vec<String>,
    /// Consumer account UIDs to issue agent certificates for.
    #[arg(long = "consumer", value_name = "UID")]
    pub consumers: Vec<String>,
    /// Automation client names to issue certificates for.
    #[arg(long = "client", value_name = "NAME")]
    pub clients: Vec<String>,
}

/// `crossbind associate` and `crossbind plan`.
#[derive(Debug, clap::Args)]
pub struct AssociateArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A key of your choosing: repeating the command with the same key returns the
    /// association it created instead of starting another.
    #[arg(long, default_value = "", hide_default_value = true)]
    pub idempotency_key: String,
    /// Provider account (B) that owns the cluster.
    #[arg(long)]
    pub provider_account: String,
    /// The EMR cluster id.
    #[arg(long)]
    pub cluster: String,
    /// Consumer account (A) that owns the workspace.
    #[arg(long)]
    pub consumer_account: String,
    /// The DataWorks workspace id.
    #[arg(long)]
    pub workspace: String,
    /// Role to create or update in the provider account.
    #[arg(long, default_value = "EMRRole")]
    pub role: String,
    /// Compute resource name (default: `crossbind_<cluster id>`).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub compute_resource_name: String,
    /// The DataWorks resource group that runs the cluster's tasks: bound to the workspace and
    /// initialized for the cluster (an operator step, off-peak). Without it, neither happens.
    #[arg(long, value_name = "ID", default_value = "", hide_default_value = true)]
    pub resource_group: String,
    /// Maps a member account to a cluster account (repeatable), e.g. `--map 2000000000000001=etl`.
    #[arg(long = "map", value_name = "UID=ACCOUNT", value_parser = parse_mapping)]
    pub mappings: Vec<AccountMapping>,
    /// Initialize the resource group at once instead of in the consumer's next off-peak
    /// window. Tasks running on the group may fail.
    #[arg(long)]
    pub now: bool,
    /// Return at once instead of following the association to its end.
    #[arg(long)]
    pub no_wait: bool,
}

/// `UID=ACCOUNT` for `--map`.
fn parse_mapping(text: &str) -> std::result::Result<AccountMapping, String> {
    match text.split_once('=') {
        Some((uid, account)) if !uid.trim().is_empty() && !account.trim().is_empty() => {
            Ok(AccountMapping {
                member_uid: uid.trim().to_string(),
                cluster_account: account.trim().to_string(),
            })
        }
        _ => Err(format!(
            "{text:?} must be MEMBER_UID=CLUSTER_ACCOUNT, e.g. 2000000000000001=etl"
        )),
    }
}

/// `crossbind confirm`.
#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Association id.
    pub id: String,
    /// While the association waits for the off-peak window: ask for the initialization now.
    /// Tasks running on the resource group may fail.
    #[arg(long, conflicts_with = "failed")]
    pub now: bool,
    /// The initialization failed in the console, for this reason: the association fails at
    /// its initialize step and a diagnosis runs.
    #[arg(long, value_name = "REASON", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub failed: Option<String>,
    /// Return at once instead of following the association.
    #[arg(long)]
    pub no_wait: bool,
}

/// `crossbind status`, `watch`, `cancel`, `retry`, `dissociate`, `drift`.
#[derive(Debug, clap::Args)]
pub struct IdArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Association id.
    pub id: String,
    /// For cancel, retry and dissociate: return at once instead of following the association.
    #[arg(long)]
    pub no_wait: bool,
}

/// What an [`IdArgs`] command does to the association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Stop at the next step boundary.
    Cancel,
    /// Re-drive from the failed step.
    Retry,
    /// Undo it.
    Dissociate,
}

/// Creates the PKI directory.
pub fn pki_init(args: PkiInitArgs) -> Result<ExitCode> {
    let td = &args.trust_domain;
    let mut identities = vec![SpiffeId::coordinator(td)?];
    for uid in &args.providers {
        identities.push(SpiffeId::provider(td, uid)?);
    }
    for uid in &args.consumers {
        identities.push(SpiffeId::consumer(td, uid)?);
    }
    for name in &args.clients {
        identities.push(SpiffeId::client(td, name)?);
    }
    let pki = pki::init(&args.dir, td, &identities)?;
    say!("created CA {}", args.dir.join("ca.pem").display());
    for id in &identities {
        let paths = pki.paths(id);
        say!(
            "issued {id}: {} {}",
            paths.cert.display(),
            paths.key.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

impl AssociateArgs {
    fn request(&self) -> CreateAssociationRequest {
        CreateAssociationRequest {
            provider_account_uid: self.provider_account.clone(),
            cluster_id: self.cluster.clone(),
            role_name: self.role.clone(),
            consumer_account_uid: self.consumer_account.clone(),
            workspace_id: self.workspace.clone(),
            compute_resource_name: self.compute_resource_name.clone(),
            idempotency_key: self.idempotency_key.clone(),
            resource_group_id: self.resource_group.clone(),
            account_mappings: self.mappings.clone(),
            initialize_now: self.now,
        }
    }
}

/// Issues certificates for more identities from the CA in an existing PKI directory.
pub fn pki_issue(args: PkiIssueArgs) -> Result<ExitCode> {
    let pki = pki::Pki::open(&args.dir)?;
    let td = pki.trust_domain().to_string();
    let mut identities = Vec::new();
    for uid in &args.providers {
        identities.push(SpiffeId::provider(&td, uid)?);
    }
    for uid in &args.consumers {
        identities.push(SpiffeId::consumer(&td, uid)?);
    }
    for name in &args.clients {
        identities.push(SpiffeId::client(&td, name)?);
    }
    if identities.is_empty() {
        return Err(error::CliError::Setup(
            "name at least one identity: --provider UID, --consumer UID or --client NAME".into(),
        ));
    }
    for id in &identities {
        if pki.paths(id).cert.exists() {
            return Err(error::CliError::Setup(format!(
                "{} already exists: remove it first to re-issue {id}",
                pki.paths(id).cert.display()
            )));
        }
    }
    for id in &identities {
        let paths = pki.issue(id)?;
        say!(
            "issued {id}: {} {}",
            paths.cert.display(),
            paths.key.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts an association and, unless `--no-wait`, follows it to its end.
pub async fn associate(args: AssociateArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let association = client
        .create_association(args.request())
        .await?
        .into_inner();
    if args.no_wait {
        print_association(&association, c.output);
        return Ok(ExitCode::SUCCESS);
    }
    if c.output == Format::Human {
        // The id first, so that an interrupted run can still be followed with `watch ID`.
        say!("association {}", association.id);
    }
    if association.state() == AssociationState::Waiting {
        // Already waiting for an operator: nothing new will happen until they act.
        print_association(&association, c.output);
        return Ok(ExitCode::from(EXIT_WAITING));
    }
    let after = association.last_event_sequence;
    follow(&mut client, association.id, after, c.output).await
}

/// Prints one association.
pub async fn status(args: IdArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let association = client
        .get_association(GetAssociationRequest { id: args.id })
        .await?
        .into_inner();
    print_association(&association, c.output);
    Ok(ExitCode::SUCCESS)
}

/// Follows one association's events to its end.
pub async fn watch(args: IdArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    follow_all(&mut client, args.id, c.output).await
}

/// Shows what an association would change, changing nothing. Exits 0 when the plan has
/// no failure.
pub async fn plan(args: AssociateArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let plan = client.plan_association(args.request()).await?.into_inner();
    match c.output {
        Format::Json => say!("{}", output::plan_json(&plan)),
        Format::Human => say!("{}", output::plan_text(&plan)),
    }
    Ok(if plan.failure.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Cancels, retries or dissociates one association and, unless `--no-wait`, follows it.
pub async fn act(args: IdArgs, verb: Verb) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let id = args.id.clone();
    let association = match verb {
        Verb::Cancel => {
            client
                .cancel_association(CancelAssociationRequest { id })
                .await?
        }
        Verb::Retry => {
            client
                .retry_association(RetryAssociationRequest { id })
                .await?
        }
        Verb::Dissociate => {
            client
                .dissociate_association(DissociateAssociationRequest { id })
                .await?
        }
    }
    .into_inner();
    if args.no_wait {
        print_association(&association, c.output);
        return Ok(ExitCode::SUCCESS);
    }
    let wanted = match verb {
        Verb::Cancel => crossbind_proto::AssociationState::Cancelled,
        Verb::Retry => crossbind_proto::AssociationState::Succeeded,
        Verb::Dissociate => crossbind_proto::AssociationState::Dissociated,
    };
    let after = association.last_event_sequence;
    follow_to(&mut client, association.id, after, c.output, &[wanted]).await
}

/// Checks one association for drift. Exits 0 when nothing drifted, 2 when something did or
/// a re-initialization of the resource group is due.
pub async fn drift(args: IdArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let report = client
        .check_drift(CheckDriftRequest { id: args.id })
        .await?
        .into_inner();
    match c.output {
        Format::Json => say!("{}", output::drift_json(&report)),
        Format::Human => say!("{}", output::drift_text(&report)),
    }
    Ok(
        if report.drifted || !report.reinitialization_due.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Answers a waiting initialization and, unless `--no-wait`, follows the association.
pub async fn confirm(args: ConfirmArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let association = client
        .confirm_initialization(ConfirmInitializationRequest {
            id: args.id.clone(),
            now: args.now,
            failed: args.failed.clone(),
        })
        .await?
        .into_inner();
    if args.no_wait {
        print_association(&association, c.output);
        return Ok(ExitCode::SUCCESS);
    }
    // A confirmed window skip waits for the next answer: following stops there again.
    let wanted = if args.failed.is_some() {
        AssociationState::Failed
    } else {
        AssociationState::Succeeded
    };
    let after = association.last_event_sequence;
    follow_to(&mut client, association.id, after, c.output, &[wanted]).await
}

/// Diagnoses one association. Exits 0 when no finding is an error, 2 when one is.
pub async fn diagnose(args: IdArgs) -> Result<ExitCode> {
    let c = &args.connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let diagnosis = client
        .diagnose(DiagnoseRequest { id: args.id })
        .await?
        .into_inner();
    match c.output {
        Format::Json => say!("{}", output::diagnosis_json(&diagnosis)),
        Format::Human => say!("{}", output::diagnosis_text(&diagnosis)),
    }
    let broken = diagnosis
        .findings
        .iter()
        .any(|f| f.severity() == Severity::Error);
    Ok(if broken {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Lists every association.
pub async fn list(connection: Connection) -> Result<ExitCode> {
    let c = &connection;
    let mut client = client::connect(&c.coordinator, &c.pki, &c.trust_domain, &c.client).await?;
    let all = client
        .list_associations(ListAssociationsRequest {})
        .await?
        .into_inner()
        .associations;
    match c.output {
        Format::Json => {
            let items: Vec<_> = all.iter().map(output::association_json).collect();
            say!("{}", serde_json::Value::Array(items));
        }
        Format::Human => {
            if all.is_empty() {
                say!("no associations yet: start one with `crossbind associate`");
            }
            for a in &all {
                let r = a.request.clone().unwrap_or_default();
                say!(
                    "{}  {:<12}  {} ({}) -> workspace {} ({})",
                    a.id,
                    output::state_name(a.state()),
                    r.cluster_id,
                    r.provider_account_uid,
                    r.workspace_id,
                    r.consumer_account_uid
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn follow(
    client: &mut crossbind_proto::coordinator_client::CoordinatorClient<tonic::transport::Channel>,
    id: String,
    after: u64,
    format: Format,
) -> Result<ExitCode> {
    let wanted = [crossbind_proto::AssociationState::Succeeded];
    follow_to(client, id, after, format, &wanted).await
}

/// Follows one association's events through its waits too, to its end.
async fn follow_all(
    client: &mut crossbind_proto::coordinator_client::CoordinatorClient<tonic::transport::Channel>,
    id: String,
    format: Format,
) -> Result<ExitCode> {
    follow_events(client, id, 0, format, &[AssociationState::Succeeded], false).await
}

/// The exit code of a command that stopped following because the association waits for an
/// operator (an off-peak window or a confirmation).
pub const EXIT_WAITING: u8 = 3;

/// Follows an association to rest, or until it waits for an operator after event `after`
/// (the last one before the command acted; earlier waits are history); the exit code is zero
/// when it ends in one of `wanted`, [`EXIT_WAITING`] when it waits.
async fn follow_to(
    client: &mut crossbind_proto::coordinator_client::CoordinatorClient<tonic::transport::Channel>,
    id: String,
    after: u64,
    format: Format,
    wanted: &[crossbind_proto::AssociationState],
) -> Result<ExitCode> {
    follow_events(client, id, after, format, wanted, true).await
}

async fn follow_events(
    client: &mut crossbind_proto::coordinator_client::CoordinatorClient<tonic::transport::Channel>,
    id: String,
    after: u64,
    format: Format,
    wanted: &[crossbind_proto::AssociationState],
    stop_when_waiting: bool,
) -> Result<ExitCode> {
    let mut events = client
        .watch_association(WatchAssociationRequest { id: id.clone() })
        .await?
        .into_inner();
    while let Some(event) = events.next().await {
        let event = event.map_err(|status| match status.code() {
            tonic::Code::Unknown | tonic::Code::Unavailable | tonic::Code::Internal => {
                error::CliError::Setup(format!(
                    "lost the coordinator while following association {id} ({}); the \
                     association carries on there: run `crossbind watch {id}` again once it \
                     answers",
                    status.message()
                ))
            }
            _ => status.into(),
        })?;
        // What came before the command acted is history: `watch` (after = 0) shows it all.
        if format == Format::Human && event.sequence > after {
            say!("{}", output::event_line(&event));
        }
        // Only a wait that starts after the command acted stops it (not the confirmation's
        // own event, nor a wait of an earlier run).
        let starts_a_wait = matches!(
            event.kind(),
            crossbind_proto::EventKind::Waiting | crossbind_proto::EventKind::ActionRequired
        );
        if stop_when_waiting && event.sequence > after && starts_a_wait {
            break;
        }
    }
    let association = client
        .get_association(GetAssociationRequest { id })
        .await?
        .into_inner();
    print_association(&association, format);
    Ok(if wanted.contains(&association.state()) {
        ExitCode::SUCCESS
    } else if association.state() == AssociationState::Waiting {
        ExitCode::from(EXIT_WAITING)
    } else {
        ExitCode::FAILURE
    })
}

fn print_association(association: &crossbind_proto::Association, format: Format) {
    match format {
        Format::Json => say!("{}", output::association_json(association)),
        Format::Human => say!("{}", output::association_text(association)),
    }
}
