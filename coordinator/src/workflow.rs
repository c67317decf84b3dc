//! The association workflow: identify both accounts, preflight both sides, grant trust in
//! the provider account, then register the cluster in every environment of the workspace.
//!
//! Nothing is changed in either account until both preflights have passed. Independent
//! steps (the two identities, the two preflights, the environments) run concurrently. Each
//! agent call is idempotent on the agent's side (it reads the cloud before it writes), so a
//! step may be repeated safely; an agent that is unreachable is retried with backoff until
//! the step's deadline. Every wait and every outcome is an event.

use std::{future::Future, sync::Arc, time::Duration};

use crossbind_aliyun::ids::{AccountUid, ClusterId, RoleName, WorkspaceId};
use crossbind_proto::{
    Association, AssociationState, CheckClusterRequest, CheckWorkspaceRequest, ClusterCheck,
    CreateAssociationRequest, Environment, EventKind, Failure, GetIdentityRequest,
    GrantTrustRequest, Identity, IneligibilityReason, RegisterClusterRequest, RegisteredResource,
    Step, StepState, WorkspaceCheck,
};
use tokio::sync::Semaphore;
use tonic::{Code, Status};
use tracing::{Instrument, info, info_span, warn};

use crate::{
    agents::Agents,
    error::RequestError,
    store::{self, NewEvent, Store},
};

/// The role name used when a request leaves it empty (the documented example name).
pub const DEFAULT_ROLE_NAME: &str = "EMRRole";

/// Step names, in the order they run.
pub mod steps {
    /// STS identity of the provider account.
    pub const IDENTIFY_PROVIDER: &str = "identify.provider";
    /// STS identity of the consumer account.
    pub const IDENTIFY_CONSUMER: &str = "identify.consumer";
    /// Cluster eligibility in the provider account.
    pub const PREFLIGHT_CLUSTER: &str = "preflight.cluster";
    /// Workspace existence and mode in the consumer account.
    pub const PREFLIGHT_WORKSPACE: &str = "preflight.workspace";
    /// Role and trust policy in the provider account.
    pub const TRUST: &str = "trust";
    /// Compute resource of the development environment.
    pub const REGISTER_DEV: &str = "register.dev";
    /// Compute resource of the production environment.
    pub const REGISTER_PROD: &str = "register.prod";

    /// Every step, in order.
    pub const ALL: [&str; 7] = [
        IDENTIFY_PROVIDER,
        IDENTIFY_CONSUMER,
        PREFLIGHT_CLUSTER,
        PREFLIGHT_WORKSPACE,
        TRUST,
        REGISTER_DEV,
        REGISTER_PROD,
    ];
}

/// Runs associations.
#[derive(Clone, Debug)]
pub struct Engine {
    store: Store,
    agents: Agents,
    slots: Arc<Semaphore>,
    step_deadline: Duration,
}

/// A validated association request.
#[derive(Clone, Debug)]
struct Spec {
    provider: AccountUid,
    cluster: ClusterId,
    role: RoleName,
    consumer: AccountUid,
    workspace: WorkspaceId,
    resource_name: String,
}

// === impl Engine ===

impl Engine {
    /// An engine that runs at most `max_in_flight` associations at once.
    pub fn new(
        store: Store,
        agents: Agents,
        max_in_flight: usize,
        step_deadline: Duration,
    ) -> Self {
        Self {
            store,
            agents,
            slots: Arc::new(Semaphore::new(max_in_flight)),
            step_deadline,
        }
    }

    /// The store the engine writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Validates the request, records the association and starts it in the background.
    pub fn start(&self, request: CreateAssociationRequest) -> Result<Association, RequestError> {
        let spec = Spec::parse(&request)?;
        self.agents
            .check_configured(&spec.provider, &spec.consumer)?;

        let id = uuid::Uuid::new_v4().to_string();
        let now = store::now();
        let association = Association {
            id: id.clone(),
            request: Some(CreateAssociationRequest {
                role_name: spec.role.to_string(),
                compute_resource_name: spec.resource_name.clone(),
                ..request
            }),
            state: AssociationState::Pending as i32,
            steps: steps::ALL
                .iter()
                .map(|name| Step {
                    name: (*name).to_string(),
                    state: StepState::Pending as i32,
                    message: String::new(),
                })
                .collect(),
            created_at: now.clone(),
            updated_at: now,
            ..Default::default()
        };
        self.store.insert(association.clone());
        info!(association.id = %id, provider = %spec.provider, consumer = %spec.consumer,
            cluster = %spec.cluster, workspace = %spec.workspace, "association created");

        let engine = self.clone();
        let span = info_span!("workflow", association.id = %id);
        tokio::spawn(async move { engine.run(id, spec).await }.instrument(span));
        Ok(association)
    }

    async fn run(self, id: String, spec: Spec) {
        let Ok(_slot) = self.slots.clone().acquire_owned().await else {
            return;
        };
        self.store
            .update(&id, |a| a.set_state(AssociationState::Running));
        let outcome = self.drive(&id, &spec).await;
        let (state, message) = match outcome {
            Ok(()) => (
                AssociationState::Succeeded,
                "association succeeded".to_string(),
            ),
            Err(failure) => {
                let message = format!(
                    "association failed at {}: {}",
                    failure.step, failure.message
                );
                self.store.update(&id, |a| a.failure = Some(failure));
                (AssociationState::Failed, message)
            }
        };
        self.store.update(&id, |a| a.set_state(state));
        info!(state = state.as_str_name(), "{message}");
        self.store.emit(
            &id,
            NewEvent {
                kind: EventKind::AssociationFinished,
                step: "",
                message,
            },
        );
    }

    async fn drive(&self, id: &str, spec: &Spec) -> Result<(), Failure> {
        let provider = self
            .agents
            .provider(&spec.provider)
            .await
            .map_err(|e| setup_failure(steps::IDENTIFY_PROVIDER, e))?;
        let consumer = self
            .agents
            .consumer(&spec.consumer)
            .await
            .map_err(|e| setup_failure(steps::IDENTIFY_CONSUMER, e))?;

        // 1. Both identities, concurrently.
        let (provider_identity, consumer_identity) = join_steps(
            self.step(id, steps::IDENTIFY_PROVIDER, describe_identity, || {
                let mut client = provider.clone();
                async move { client.get_identity(GetIdentityRequest {}).await }
            }),
            self.step(id, steps::IDENTIFY_CONSUMER, describe_identity, || {
                let mut client = consumer.clone();
                async move { client.get_identity(GetIdentityRequest {}).await }
            }),
        )
        .await?;
        check_account(steps::IDENTIFY_PROVIDER, &provider_identity, &spec.provider)?;
        check_account(steps::IDENTIFY_CONSUMER, &consumer_identity, &spec.consumer)?;
        self.store.update(id, |a| {
            a.provider = Some(provider_identity.clone());
            a.consumer = Some(consumer_identity.clone());
        });

        // 2. Both preflights, concurrently. The trusted UID is the consumer agent's
        //    authenticated identity, never free text from the request.
        let (cluster, workspace) = join_steps(
            self.step(id, steps::PREFLIGHT_CLUSTER, describe_cluster, || {
                let mut client = provider.clone();
                let request = CheckClusterRequest {
                    cluster_id: spec.cluster.to_string(),
                    consumer_account_uid: consumer_identity.account_uid.clone(),
                    role_name: spec.role.to_string(),
                };
                async move { client.check_cluster(request).await }
            }),
            self.step(id, steps::PREFLIGHT_WORKSPACE, describe_workspace, || {
                let mut client = consumer.clone();
                let request = CheckWorkspaceRequest {
                    workspace_id: spec.workspace.to_string(),
                    provider_account_uid: provider_identity.account_uid.clone(),
                };
                async move { client.check_workspace(request).await }
            }),
        )
        .await?;
        self.store.update(id, |a| a.cluster = Some(cluster.clone()));
        if !cluster.eligible || !cluster.reasons.is_empty() {
            let failure = ineligible(&cluster);
            self.set_step(
                id,
                steps::PREFLIGHT_CLUSTER,
                StepState::Failed,
                &failure.message,
            );
            self.event(
                id,
                EventKind::StepFailed,
                steps::PREFLIGHT_CLUSTER,
                failure.message.clone(),
            );
            return Err(failure);
        }

        // 3. Trust in the provider account.
        let grant = self
            .step(id, steps::TRUST, describe_grant, || {
                let mut client = provider.clone();
                let request = GrantTrustRequest {
                    consumer_account_uid: consumer_identity.account_uid.clone(),
                    role_name: spec.role.to_string(),
                    cluster_id: spec.cluster.to_string(),
                    dry_run: false,
                };
                async move { client.grant_trust(request).await }
            })
            .await?;
        self.store.update(id, |a| {
            a.role_arn = grant.role_arn.clone();
            a.trust_policy = grant.trust_policy.clone();
            a.role_created = grant.role_created;
        });

        // 4. Registration, one environment at a time in parallel.
        let environments: Vec<Environment> = workspace.environments().collect();
        if !environments.contains(&Environment::Dev) {
            let message = "the workspace is in basic mode: it has no development environment";
            self.set_step(id, steps::REGISTER_DEV, StepState::Skipped, message);
            self.event(
                id,
                EventKind::StepSkipped,
                steps::REGISTER_DEV,
                message.to_string(),
            );
        }
        let registrations = environments.iter().map(|&environment| {
            let step = register_step(environment);
            let consumer = consumer.clone();
            let request = RegisterClusterRequest {
                workspace_id: spec.workspace.to_string(),
                environment: environment as i32,
                provider_account_uid: provider_identity.account_uid.clone(),
                role_name: grant.role_name.clone(),
                cluster_id: cluster.cluster_id.clone(),
                region: cluster.region.clone(),
                compute_resource_name: spec.resource_name.clone(),
                dry_run: false,
            };
            self.step(id, step, describe_registration, move || {
                let mut client = consumer.clone();
                let request = request.clone();
                async move { client.register_cluster(request).await }
            })
        });
        let results = futures::future::join_all(registrations).await;
        let mut first_failure = None;
        for result in results {
            match result {
                Ok(registered) => self.store.update(id, |a| {
                    a.resources.push(RegisteredResource {
                        environment: registered.environment,
                        compute_resource_id: registered.compute_resource_id.clone(),
                        compute_resource_name: registered.compute_resource_name.clone(),
                        created: registered.created,
                    });
                    a.resources.sort_by_key(|r| r.environment);
                }),
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        match first_failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Runs one step: marks it running, calls the agent (retrying while it is unavailable,
    /// up to the step deadline) and records the outcome.
    async fn step<T, F, Fut>(
        &self,
        id: &str,
        name: &'static str,
        describe: fn(&T) -> String,
        mut call: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.set_step(id, name, StepState::Running, "");
        self.event(id, EventKind::StepStarted, name, "started".to_string());
        let deadline = tokio::time::Instant::now() + self.step_deadline;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let status = match call().await {
                Ok(response) => {
                    let value = response.into_inner();
                    let message = describe(&value);
                    info!(step.name = name, "{message}");
                    self.set_step(id, name, StepState::Succeeded, &message);
                    self.event(id, EventKind::StepSucceeded, name, message);
                    return Ok(value);
                }
                Err(status) => status,
            };
            let delay = backoff(attempt);
            if retryable(&status) && tokio::time::Instant::now() + delay < deadline {
                let message = format!(
                    "{name}: agent unavailable ({}), retrying in {:.1}s (attempt {attempt})",
                    status.message(),
                    delay.as_secs_f64()
                );
                warn!(step.name = name, attempt, "{message}");
                self.event(id, EventKind::Info, name, message);
                tokio::time::sleep(delay).await;
                continue;
            }
            let failure = step_failure(name, &status);
            self.set_step(id, name, StepState::Failed, &failure.message);
            self.event(id, EventKind::StepFailed, name, failure.message.clone());
            return Err(failure);
        }
    }

    fn set_step(&self, id: &str, name: &str, state: StepState, message: &str) {
        self.store.update(id, |a| {
            if let Some(step) = a.steps.iter_mut().find(|s| s.name == name) {
                step.set_state(state);
                step.message = message.to_string();
            }
        });
    }

    fn event(&self, id: &str, kind: EventKind, step: &str, message: String) {
        self.store.emit(
            id,
            NewEvent {
                kind,
                step,
                message,
            },
        );
    }
}

// === impl Spec ===

impl Spec {
    fn parse(request: &CreateAssociationRequest) -> Result<Self, RequestError> {
        let invalid = |field: &str, e: &dyn std::fmt::Display| {
            RequestError::InvalidArgument(format!("{field}: {e}"))
        };
        let provider = AccountUid::new(request.provider_account_uid.trim())
            .map_err(|e| invalid("provider_account_uid", &e))?;
        let consumer = AccountUid::new(request.consumer_account_uid.trim())
            .map_err(|e| invalid("consumer_account_uid", &e))?;
        let cluster =
            ClusterId::new(request.cluster_id.trim()).map_err(|e| invalid("cluster_id", &e))?;
        let workspace = WorkspaceId::new(request.workspace_id.trim())
            .map_err(|e| invalid("workspace_id", &e))?;
        let role = match request.role_name.trim() {
            "" => DEFAULT_ROLE_NAME,
            name => name,
        };
        let role = RoleName::new(role).map_err(|e| invalid("role_name", &e))?;
        let resource_name = match request.compute_resource_name.trim() {
            "" => default_resource_name(&cluster),
            name => {
                check_resource_name(name).map_err(|e| invalid("compute_resource_name", &e))?;
                name.to_string()
            }
        };
        Ok(Self {
            provider,
            cluster,
            role,
            consumer,
            workspace,
            resource_name,
        })
    }
}

/// The compute resource name used when a request gives none: `crossbind_<cluster id>`,
/// lower-cased, with `-` turned into `_` (DataWorks allows letters, digits and `_`).
pub fn default_resource_name(cluster: &ClusterId) -> String {
    let id: String = cluster
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("crossbind_{id}")
}

/// DataWorks' rule for compute resource names: letters, digits and `_`, not starting with
/// a digit or `_`, at most 255 characters.
fn check_resource_name(name: &str) -> Result<(), String> {
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.len() > 255 || !starts_well || !chars_ok {
        return Err(format!(
            "{name:?} must be 1 to 255 letters, digits or underscores and start with a letter"
        ));
    }
    Ok(())
}

fn register_step(environment: Environment) -> &'static str {
    match environment {
        Environment::Dev => steps::REGISTER_DEV,
        _ => steps::REGISTER_PROD,
    }
}

/// Awaits two steps together; when both fail, the failures are combined.
async fn join_steps<A, B>(
    a: impl Future<Output = Result<A, Failure>>,
    b: impl Future<Output = Result<B, Failure>>,
) -> Result<(A, B), Failure> {
    match tokio::join!(a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(f), Ok(_)) | (Ok(_), Err(f)) => Err(f),
        (Err(first), Err(second)) => Err(Failure {
            step: format!("{}, {}", first.step, second.step),
            code: first.code,
            reasons: first.reasons.into_iter().chain(second.reasons).collect(),
            message: format!("{}; {}", first.message, second.message),
        }),
    }
}

fn retryable(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted
    )
}

/// Exponential backoff with a deterministic spread: 0.5 s, 1 s, 2 s ... capped at 8 s.
fn backoff(attempt: u32) -> Duration {
    let millis = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    Duration::from_millis(millis)
}

fn check_account(step: &str, identity: &Identity, expected: &AccountUid) -> Result<(), Failure> {
    if identity.account_uid == expected.as_str() {
        return Ok(());
    }
    Err(Failure {
        step: step.to_string(),
        code: Code::FailedPrecondition.description().to_string(),
        reasons: vec!["ACCOUNT_MISMATCH".to_string()],
        message: format!(
            "the agent's credentials belong to account {}, but the association names account {expected}",
            identity.account_uid
        ),
    })
}

fn ineligible(cluster: &ClusterCheck) -> Failure {
    let reasons = cluster
        .reasons()
        .map(|r| r.as_str_name().to_string())
        .collect::<Vec<_>>();
    let reasons = if reasons.is_empty() {
        vec![IneligibilityReason::Unspecified.as_str_name().to_string()]
    } else {
        reasons
    };
    Failure {
        step: steps::PREFLIGHT_CLUSTER.to_string(),
        code: code_name(Code::FailedPrecondition).to_string(),
        message: format!(
            "cluster {} cannot be registered across accounts: {}",
            cluster.cluster_id,
            cluster.messages.join("; ")
        ),
        reasons,
    }
}

fn step_failure(step: &str, status: &Status) -> Failure {
    let reason = match (step, status.code()) {
        (steps::PREFLIGHT_CLUSTER, Code::NotFound) => "CLUSTER_NOT_FOUND",
        (steps::PREFLIGHT_WORKSPACE, Code::NotFound) => "WORKSPACE_NOT_FOUND",
        (_, Code::PermissionDenied) => "PERMISSION_DENIED",
        (_, Code::Unauthenticated) => "UNAUTHENTICATED",
        (_, Code::InvalidArgument) => "INVALID_ARGUMENT",
        (_, Code::Unavailable | Code::DeadlineExceeded) => "AGENT_UNAVAILABLE",
        (_, Code::FailedPrecondition) => "FAILED_PRECONDITION",
        _ => "INTERNAL",
    };
    Failure {
        step: step.to_string(),
        code: code_name(status.code()).to_string(),
        reasons: vec![reason.to_string()],
        message: status.message().to_string(),
    }
}

fn setup_failure(step: &str, error: RequestError) -> Failure {
    Failure {
        step: step.to_string(),
        code: code_name(Code::FailedPrecondition).to_string(),
        reasons: vec!["AGENT_NOT_CONFIGURED".to_string()],
        message: error.to_string(),
    }
}

/// The canonical upper-case name of a gRPC code (`FAILED_PRECONDITION`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn describe_identity(identity: &Identity) -> String {
    format!(
        "account {} ({}, {}) in {}",
        identity.account_uid, identity.identity_type, identity.arn, identity.region
    )
}

fn describe_cluster(cluster: &ClusterCheck) -> String {
    let verdict = if cluster.eligible && cluster.reasons.is_empty() {
        "eligible"
    } else {
        "not eligible"
    };
    format!(
        "cluster {} ({}, {} {}, metastore {}, {}) is {verdict}",
        cluster.cluster_id,
        cluster.cluster_name,
        cluster.cluster_type,
        cluster.release_version,
        cluster.metastore_type,
        cluster.state
    )
}

fn describe_workspace(workspace: &WorkspaceCheck) -> String {
    let environments: Vec<&str> = workspace
        .environments()
        .map(|e| e.dataworks_name())
        .collect();
    format!(
        "workspace {} ({}) is {}, {} mode: environments {}",
        workspace.workspace_id,
        workspace.name,
        workspace.status,
        match workspace.mode() {
            crossbind_proto::WorkspaceMode::Standard => "standard",
            crossbind_proto::WorkspaceMode::Basic => "basic",
            crossbind_proto::WorkspaceMode::Unspecified => "unknown",
        },
        environments.join(" and ")
    )
}

fn describe_grant(grant: &crossbind_proto::GrantTrustResponse) -> String {
    if grant.changes.is_empty() {
        return format!(
            "role {} already trusts {}; nothing changed",
            grant.role_arn, grant.principal
        );
    }
    let changes: Vec<&str> = grant
        .changes
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    format!("role {}: {}", grant.role_arn, changes.join("; "))
}

fn describe_registration(registered: &crossbind_proto::RegisterClusterResponse) -> String {
    let environment = registered.environment().dataworks_name();
    let retries = match registered.propagation_retries {
        0 => String::new(),
        n => format!(" after waiting {n} time(s) for the new role to take effect"),
    };
    if registered.created {
        format!(
            "created compute resource {} ({environment}) with id {}{retries}",
            registered.compute_resource_name, registered.compute_resource_id
        )
    } else {
        format!(
            "compute resource {} ({environment}) already registered with id {}; nothing changed",
            registered.compute_resource_name, registered.compute_resource_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateAssociationRequest {
        CreateAssociationRequest {
            provider_account_uid: "1688000000000002".into(),
            cluster_id: "C-4F2A9B1C8D3E7A60".into(),
            role_name: String::new(),
            consumer_account_uid: "1688000000000001".into(),
            workspace_id: "10001".into(),
            compute_resource_name: String::new(),
        }
    }

    #[test]
    fn defaults_fill_role_and_resource_name() {
        let spec = Spec::parse(&request()).unwrap();
        assert_eq!(spec.role.as_str(), DEFAULT_ROLE_NAME);
        assert_eq!(spec.resource_name, "crossbind_c_4f2a9b1c8d3e7a60");
        assert!(check_resource_name(&spec.resource_name).is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        type Mutation = fn(&mut CreateAssociationRequest);
        let cases: [(Mutation, &str); 5] = [
            (
                |r| r.provider_account_uid = "12ab".into(),
                "provider_account_uid",
            ),
            (
                |r| r.consumer_account_uid = String::new(),
                "consumer_account_uid",
            ),
            (|r| r.workspace_id = "ws-1".into(), "workspace_id"),
            (|r| r.role_name = "bad role!".into(), "role_name"),
            (
                |r| r.compute_resource_name = "9lives".into(),
                "compute_resource_name",
            ),
        ];
        for (mutate, field) in cases {
            let mut r = request();
            mutate(&mut r);
            let err = Spec::parse(&r).unwrap_err();
            assert!(
                matches!(&err, RequestError::InvalidArgument(m) if m.starts_with(field)),
                "{field}: {err}"
            );
        }
    }

    #[test]
    fn failures_name_their_reason() {
        let status = Status::not_found("workspace 9 not found");
        let failure = step_failure(steps::PREFLIGHT_WORKSPACE, &status);
        assert_eq!(failure.reasons, ["WORKSPACE_NOT_FOUND"]);
        assert_eq!(failure.code, "NOT_FOUND");
        let cluster = ClusterCheck {
            cluster_id: "C-1".into(),
            reasons: vec![IneligibilityReason::KerberosEnabled as i32],
            messages: vec!["Kerberos is enabled".into()],
            ..Default::default()
        };
        let failure = ineligible(&cluster);
        assert_eq!(failure.reasons, ["KERBEROS_ENABLED"]);
        assert!(failure.message.contains("Kerberos is enabled"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(10), Duration::from_secs(8));
        assert!(retryable(&Status::unavailable("x")));
        assert!(!retryable(&Status::failed_precondition("x")));
    }
}
