//! The association workflow: identify both accounts, preflight both sides (cluster, workspace
//! and resource group), grant trust in the provider account, register the cluster in every
//! environment of the workspace, bind the resource group, map member accounts, and finally
//! have the resource group initialized for the cluster through an operator gate (no public API
//! does it): the association waits for the consumer's off-peak window, asks the operator with
//! the exact console steps, and carries on when they confirm.
//!
//! Nothing is changed in either account until both preflights have passed. Independent
//! steps (the two identities, the two preflights, the environments) run concurrently. Every
//! agent call is idempotent on the agent's side (it reads the cloud before it writes), so a
//! step cut off by a crash is simply run again: on start the coordinator resumes every
//! unfinished association, skipping the steps whose results are already recorded.
//!
//! Failures are classified once ([`support::retryable`]): an unavailable agent, or one that
//! reports the cloud throttling or failing transiently, is retried with backoff and jitter
//! until the step's deadline, each wait an event; anything else stops the association as
//! `FAILED` with the agent's reason. A cancel stops it at the next step boundary.
//!
//! The reverse saga (dissociation) lives in `reverse`, the read-only plan and drift check
//! in `inspect`, the initialization gate in `gate`, account mappings in `mappings` and the
//! diagnosis in `diagnose`.

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use crossbind_aliyun::clock::Clock;
use crossbind_aliyun::ids::{AccountUid, ClusterId, RoleName, WorkspaceId};
use crossbind_proto::{
    AccountMapping, Association, AssociationState, BindResourceGroupRequest, CheckClusterRequest,
    CheckResourceGroupRequest, CheckWorkspaceRequest, CreateAssociationRequest, Environment,
    EventKind, Failure, GetIdentityRequest, GrantTrustRequest, RegisterClusterRequest,
    RegisteredResource, Step, StepState,
};
use tokio::sync::Semaphore;
use tonic::Status;
use tracing::{Instrument, info, info_span, warn};

use crate::{
    agents::Agents,
    error::RequestError,
    store::{self, Attempt, AuditEntry, NewEvent, Records},
};

mod diagnose;
mod gate;
mod inspect;
mod mappings;
mod reverse;
mod support;

use support::*;
pub use support::{code_name, default_resource_name};

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
    /// The resource group in the consumer account: exists, usable, its network.
    pub const PREFLIGHT_RESOURCE_GROUP: &str = "preflight.resource_group";
    /// Role and trust policy in the provider account.
    pub const TRUST: &str = "trust";
    /// Compute resource of the development environment.
    pub const REGISTER_DEV: &str = "register.dev";
    /// Compute resource of the production environment.
    pub const REGISTER_PROD: &str = "register.prod";
    /// The resource group bound to the workspace.
    pub const BIND_RESOURCE_GROUP: &str = "bind.resource_group";
    /// Member accounts mapped to cluster accounts.
    pub const MAP_ACCOUNTS: &str = "map.accounts";
    /// The operator gate: the resource group initialized for the cluster, off-peak.
    pub const INITIALIZE: &str = "initialize";
    /// Dissociation: the mappings this association added.
    pub const UNMAP_ACCOUNTS: &str = "unmap.accounts";
    /// Dissociation: compute resource of the development environment.
    pub const UNREGISTER_DEV: &str = "unregister.dev";
    /// Dissociation: compute resource of the production environment.
    pub const UNREGISTER_PROD: &str = "unregister.prod";
    /// Dissociation: the consumer's principal (and the role crossbind created).
    pub const REVOKE: &str = "revoke";

    /// Every step of an association, in order.
    pub const FORWARD: [&str; 11] = [
        IDENTIFY_PROVIDER,
        IDENTIFY_CONSUMER,
        PREFLIGHT_CLUSTER,
        PREFLIGHT_WORKSPACE,
        PREFLIGHT_RESOURCE_GROUP,
        TRUST,
        REGISTER_DEV,
        REGISTER_PROD,
        BIND_RESOURCE_GROUP,
        MAP_ACCOUNTS,
        INITIALIZE,
    ];

    /// Every step of a dissociation, in order.
    pub const REVERSE: [&str; 4] = [UNMAP_ACCOUNTS, UNREGISTER_DEV, UNREGISTER_PROD, REVOKE];
}

/// Runs associations.
#[derive(Clone, Debug)]
pub struct Engine {
    records: Records,
    agents: Agents,
    slots: Arc<Semaphore>,
    step_deadline: Duration,
    /// Associations with a task driving them right now, so that none is driven twice.
    active: Arc<Mutex<HashSet<String>>>,
    /// The time off-peak windows are judged by.
    clock: Arc<dyn Clock>,
    /// One lock per cluster: its account mappings (shared by every workspace that registered
    /// it) are changed by one association at a time.
    mapping_locks: Arc<Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
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
    /// The resource group to bind and initialize, when the request names one.
    resource_group: Option<String>,
    mappings: Vec<AccountMapping>,
    initialize_now: bool,
}

/// A run's place among the `max_in_flight` that may work at once. A run gives it up while it
/// waits for an operator or a window (which can take days) and takes it again to carry on.
#[derive(Debug)]
struct Slot {
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    slots: Arc<Semaphore>,
}

// === impl Slot ===

impl Slot {
    /// Takes a place, waiting for one; false when the engine is shutting down.
    async fn take(&mut self) -> bool {
        if self.permit.is_none() {
            self.permit = self.slots.clone().acquire_owned().await.ok();
        }
        self.permit.is_some()
    }

    /// Gives the place to another run for the length of a wait.
    fn release(&mut self) {
        self.permit = None;
    }
}

/// Why a run stopped early.
enum Stop {
    Failed(Failure),
    Cancelled,
}

impl From<Failure> for Stop {
    fn from(failure: Failure) -> Self {
        Stop::Failed(failure)
    }
}

/// Which saga a task drives.
#[derive(Clone, Copy, Debug)]
enum Saga {
    Forward,
    Reverse,
}

// === impl Engine ===

impl Engine {
    /// An engine that runs at most `max_in_flight` associations at once.
    pub fn new(
        records: Records,
        agents: Agents,
        max_in_flight: usize,
        step_deadline: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            records,
            agents,
            slots: Arc::new(Semaphore::new(max_in_flight)),
            step_deadline,
            active: Arc::default(),
            clock,
            mapping_locks: Arc::default(),
        }
    }

    /// The lock of one cluster's account mappings.
    fn mapping_lock(&self, cluster: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.mapping_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(cluster.to_string()).or_default().clone()
    }

    /// The records the engine writes to.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Carries on every association a previous coordinator left unfinished.
    pub fn resume_all(&self) -> usize {
        let mut resumed = 0;
        for association in self.records.list() {
            let saga = match association.state() {
                AssociationState::Pending
                | AssociationState::Running
                | AssociationState::Waiting => Saga::Forward,
                AssociationState::Dissociating => Saga::Reverse,
                _ => continue,
            };
            info!(association.id = %association.id, ?saga, "resuming an unfinished association");
            self.spawn(association.id, saga);
            resumed += 1;
        }
        resumed
    }

    /// Validates the request and starts (or finds) its association.
    ///
    /// A repeat with the same idempotency key returns the association it created. A request
    /// for a cluster and workspace that an association already holds, with the same
    /// parameters, applies that association again (each step reads the cloud first, so
    /// nothing changes unless something drifted); with different parameters it is refused.
    pub fn create(
        &self,
        request: CreateAssociationRequest,
        client: &str,
    ) -> Result<Association, RequestError> {
        let spec = Spec::parse(&request)?;
        self.agents
            .check_configured(&spec.provider, &spec.consumer)?;
        let normalized = spec.request(request.idempotency_key.trim());
        let idempotency_key = Some(normalized.idempotency_key.clone()).filter(|k| !k.is_empty());

        if let Some(key) = &idempotency_key
            && let Some(existing) = self.records.by_idempotency_key(key)
        {
            if existing.state() == AssociationState::Dissociated {
                return Err(RequestError::FailedPrecondition(format!(
                    "idempotency key {key:?} belongs to association {}, which has been dissociated: \
                     use a new key to associate again",
                    existing.id
                )));
            }
            if same_parameters(existing.request.as_ref(), &normalized) {
                if same_settings(existing.request.as_ref(), &normalized) {
                    return Ok(existing);
                }
                return Err(RequestError::AlreadyExists(format!(
                    "idempotency key {key:?} was used for association {} with another resource \
                     group or other account mappings: repeat without the key (or with a new one) \
                     to apply the new ones",
                    existing.id
                )));
            }
            return Err(RequestError::AlreadyExists(format!(
                "idempotency key {key:?} was used for association {} with other parameters: use a new key",
                existing.id
            )));
        }
        let business_key = spec.business_key();
        if let Some(existing) = self.records.by_business_key(&business_key) {
            if !same_parameters(existing.request.as_ref(), &normalized) {
                return Err(RequestError::AlreadyExists(format!(
                    "association {} already holds cluster {} of account {} for workspace {} of account {} \
                     with other parameters (role or compute resource name): use the same parameters, \
                     or dissociate it first",
                    existing.id, spec.cluster, spec.provider, spec.workspace, spec.consumer
                )));
            }
            // A key given for an association that exists is remembered for it (or refused when
            // it already has another), so that a repeat with the key finds it.
            if let Some(key) = &idempotency_key {
                let held = self
                    .records
                    .adopt_idempotency_key(&existing.id, key)
                    .map_err(|e| RequestError::Unavailable(crate::error::chain(&e)))?;
                if held.as_deref().is_some_and(|held| held != key) {
                    return Err(RequestError::AlreadyExists(format!(
                        "association {} already holds cluster {} for workspace {} with another \
                         idempotency key: repeat with that key, or without one",
                        existing.id, spec.cluster, spec.workspace
                    )));
                }
            }
            return match existing.state() {
                AssociationState::Dissociating => Err(RequestError::FailedPrecondition(format!(
                    "association {} is being dissociated: wait for it to finish, then create again",
                    existing.id
                ))),
                state if store::is_at_rest(state) => {
                    // The resource group, the mappings and `initialize_now` may change on a
                    // repeat: the new values are what this run applies.
                    self.records.update(&existing.id, |a| {
                        if let Some(stored) = a.request.as_mut() {
                            stored.resource_group_id = normalized.resource_group_id.clone();
                            stored.account_mappings = normalized.account_mappings.clone();
                            stored.initialize_now = normalized.initialize_now;
                        }
                    });
                    let again = self.reset_for_rerun(&existing.id, client, "applied again");
                    self.spawn(existing.id.clone(), Saga::Forward);
                    Ok(again.unwrap_or(existing))
                }
                AssociationState::Waiting
                    if normalized.initialize_now
                        && gate::waits_for_window(&existing)
                        && same_settings(existing.request.as_ref(), &normalized) =>
                {
                    // A repeat with `initialize_now` while the association waits for its
                    // window means "now": the same as `confirm --now`.
                    match self.confirm(&existing.id, client, true, None) {
                        Ok(updated) => Ok(updated),
                        Err(_) => Ok(existing),
                    }
                }
                _ if !same_settings(existing.request.as_ref(), &normalized) => {
                    Err(RequestError::FailedPrecondition(format!(
                        "association {} is {} with another resource group or other account mappings: \
                         wait until it has finished (or cancel it), then apply the new ones",
                        existing.id,
                        state_word(existing.state())
                    )))
                }
                _ => Ok(existing),
            };
        }

        let id = uuid::Uuid::new_v4().to_string();
        let now = store::now();
        let association = Association {
            id: id.clone(),
            request: Some(normalized),
            state: AssociationState::Pending as i32,
            steps: steps::FORWARD
                .iter()
                .map(|name| pending_step(name))
                .collect(),
            created_at: now.clone(),
            updated_at: now,
            requested_by: client.to_string(),
            ..Default::default()
        };
        self.records
            .insert(association.clone(), business_key, idempotency_key)
            .map_err(|e| RequestError::Unavailable(crate::error::chain(&e)))?;
        info!(association.id = %id, provider = %spec.provider, consumer = %spec.consumer,
            cluster = %spec.cluster, workspace = %spec.workspace, client, "association created");
        self.spawn(id, Saga::Forward);
        Ok(association)
    }

    /// Asks a pending or running association to stop at the next step boundary.
    pub fn cancel(&self, id: &str, client: &str) -> Result<Association, RequestError> {
        let association = self.get(id)?;
        match association.state() {
            AssociationState::Pending | AssociationState::Running | AssociationState::Waiting => {}
            state => {
                return Err(RequestError::FailedPrecondition(format!(
                    "association {id} is {} and has nothing to cancel",
                    state_word(state)
                )));
            }
        }
        let updated = self
            .records
            .update(id, |a| a.cancel_requested = true)
            .unwrap_or(association);
        self.event(
            id,
            EventKind::Info,
            "",
            format!("cancel requested by {client}; stopping at the next step boundary"),
        );
        Ok(updated)
    }

    /// Re-drives a failed or cancelled association (or dissociation) from its first
    /// unfinished step.
    pub fn retry(&self, id: &str, client: &str) -> Result<Association, RequestError> {
        let association = self.get(id)?;
        if association.state() == AssociationState::Waiting {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} waits for an operator, it has not failed: answer with \
                 `crossbind confirm {id}` (the steps are in `crossbind status {id}`), or cancel it"
            )));
        }
        if !matches!(
            association.state(),
            AssociationState::Failed | AssociationState::Cancelled
        ) {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} is {}: only a failed or cancelled association can be retried",
                state_word(association.state())
            )));
        }
        let reverse = is_reverse(&association);
        // A failed initialization is retried against the cluster as it is now: its state and
        // configuration may have changed since the preflight.
        let recheck_cluster = association
            .failure
            .as_ref()
            .is_some_and(|f| f.step == steps::INITIALIZE);
        let updated = self
            .records
            .update(id, |a| {
                if recheck_cluster
                    && let Some(step) = a
                        .steps
                        .iter_mut()
                        .find(|s| s.name == steps::PREFLIGHT_CLUSTER)
                {
                    step.set_state(StepState::Pending);
                }
                a.failure = None;
                a.cancel_requested = false;
                a.pending = None;
                a.set_state(if reverse {
                    AssociationState::Dissociating
                } else {
                    AssociationState::Pending
                });
                for step in &mut a.steps {
                    if matches!(step.state(), StepState::Failed | StepState::Running) {
                        step.set_state(StepState::Pending);
                    }
                }
            })
            .unwrap_or(association);
        self.event(
            id,
            EventKind::Info,
            "",
            format!("retry requested by {client}"),
        );
        self.spawn(
            id.to_string(),
            if reverse {
                Saga::Reverse
            } else {
                Saga::Forward
            },
        );
        Ok(updated)
    }

    fn get(&self, id: &str) -> Result<Association, RequestError> {
        self.records
            .get(id)
            .ok_or_else(|| RequestError::NotFound(id.to_string()))
    }

    /// Marks every step pending again so that a finished association runs once more.
    fn reset_for_rerun(&self, id: &str, client: &str, why: &str) -> Option<Association> {
        let updated = self.records.update(id, |a| {
            a.failure = None;
            a.cancel_requested = false;
            a.pending = None;
            a.set_state(AssociationState::Pending);
            a.steps = steps::FORWARD
                .iter()
                .map(|name| pending_step(name))
                .collect();
        });
        self.event(
            id,
            EventKind::Info,
            "",
            format!("{why} at the request of {client}"),
        );
        updated
    }

    fn spawn(&self, id: String, saga: Saga) {
        {
            let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
            if !active.insert(id.clone()) {
                return;
            }
        }
        let engine = self.clone();
        let span = info_span!("workflow", association.id = %id, saga = ?saga);
        tokio::spawn(
            async move {
                engine.run(&id, saga).await;
                engine
                    .active
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
            }
            .instrument(span),
        );
    }

    async fn run(&self, id: &str, saga: Saga) {
        let mut slot = Slot {
            permit: None,
            slots: self.slots.clone(),
        };
        if !slot.take().await {
            return;
        }
        let Some(association) = self.records.get(id) else {
            return;
        };
        let spec = match association.request.as_ref().map(Spec::parse) {
            Some(Ok(spec)) => spec,
            _ => {
                warn!("stored request does not parse; leaving the association as it is");
                return;
            }
        };
        let outcome = match saga {
            Saga::Forward => {
                self.records
                    .update(id, |a| a.set_state(AssociationState::Running));
                self.drive(id, &spec, &mut slot).await
            }
            Saga::Reverse => self.dissociate_steps(id, &spec).await,
        };
        // A failed registration or initialization is explained at once: the diagnosis is on
        // the association before anyone sees it failed.
        let outcome = match outcome {
            Err(Stop::Failed(mut failure))
                if matches!(saga, Saga::Forward)
                    && (failure.step.starts_with("register.")
                        || failure.step == steps::INITIALIZE) =>
            {
                if let Some(summary) = self.diagnose_after_failure(id, &failure.step).await {
                    failure.message = format!("{}; diagnosis: {summary}", failure.message);
                }
                Err(Stop::Failed(failure))
            }
            other => other,
        };
        let (state, message, failure) = match (saga, outcome) {
            (Saga::Forward, Ok(())) => (
                AssociationState::Succeeded,
                "association succeeded".to_string(),
                None,
            ),
            (Saga::Reverse, Ok(())) => (
                AssociationState::Dissociated,
                "dissociation finished: everything the association set up is gone".to_string(),
                None,
            ),
            (_, Err(Stop::Cancelled)) => (
                AssociationState::Cancelled,
                "cancelled at a step boundary; retry carries on from there".to_string(),
                None,
            ),
            (_, Err(Stop::Failed(failure))) => (
                AssociationState::Failed,
                format!("failed at {}: {}", failure.step, failure.message),
                Some(failure),
            ),
        };
        info!(state = state_word(state), "{message}");
        self.records.change_and_emit(
            id,
            |a| {
                a.set_state(state);
                a.failure = failure;
                a.cancel_requested = false;
                a.pending = None;
            },
            NewEvent {
                kind: EventKind::AssociationFinished,
                step: "",
                message,
            },
        );
    }

    /// Stops with `Cancelled` when a cancel was asked for.
    fn checkpoint(&self, id: &str) -> Result<(), Stop> {
        match self.records.get(id) {
            Some(a) if a.cancel_requested => Err(Stop::Cancelled),
            _ => Ok(()),
        }
    }

    async fn drive(&self, id: &str, spec: &Spec, slot: &mut Slot) -> Result<(), Stop> {
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
        let done = self.records.get(id).unwrap_or_default();

        // 1. Both identities, concurrently.
        self.checkpoint(id)?;
        let (provider_identity, consumer_identity) = join_steps(
            self.reuse_or_step(
                id,
                steps::IDENTIFY_PROVIDER,
                done.provider.clone(),
                describe_identity,
                || {
                    let mut client = provider.clone();
                    async move { client.get_identity(GetIdentityRequest {}).await }
                },
            ),
            self.reuse_or_step(
                id,
                steps::IDENTIFY_CONSUMER,
                done.consumer.clone(),
                describe_identity,
                || {
                    let mut client = consumer.clone();
                    async move { client.get_identity(GetIdentityRequest {}).await }
                },
            ),
        )
        .await?;
        check_account(steps::IDENTIFY_PROVIDER, &provider_identity, &spec.provider)?;
        check_account(steps::IDENTIFY_CONSUMER, &consumer_identity, &spec.consumer)?;
        self.records.update(id, |a| {
            a.provider = Some(provider_identity.clone());
            a.consumer = Some(consumer_identity.clone());
        });

        // 2. The preflights, concurrently. The trusted UID is the consumer agent's
        //    authenticated identity, never free text from the request.
        self.checkpoint(id)?;
        let resource_group_check = async {
            let Some(group) = &spec.resource_group else {
                self.skip(
                    id,
                    steps::PREFLIGHT_RESOURCE_GROUP,
                    "the association names no resource group: none is checked, bound or initialized",
                );
                return Ok(None);
            };
            self.reuse_or_step(
                id,
                steps::PREFLIGHT_RESOURCE_GROUP,
                done.resource_group
                    .clone()
                    .filter(|g| &g.resource_group_id == group),
                describe_resource_group,
                || {
                    let mut client = consumer.clone();
                    let request = CheckResourceGroupRequest {
                        workspace_id: spec.workspace.to_string(),
                        resource_group_id: group.clone(),
                    };
                    async move { client.check_resource_group(request).await }
                },
            )
            .await
            .map(Some)
        };
        let ((cluster, workspace), resource_group) = join_steps(
            join_steps(
                self.reuse_or_step(
                    id,
                    steps::PREFLIGHT_CLUSTER,
                    done.cluster.clone(),
                    describe_cluster,
                    || {
                        let mut client = provider.clone();
                        let request = CheckClusterRequest {
                            cluster_id: spec.cluster.to_string(),
                            consumer_account_uid: consumer_identity.account_uid.clone(),
                            role_name: spec.role.to_string(),
                        };
                        async move { client.check_cluster(request).await }
                    },
                ),
                self.reuse_or_step(
                    id,
                    steps::PREFLIGHT_WORKSPACE,
                    done.workspace.clone(),
                    describe_workspace,
                    || {
                        let mut client = consumer.clone();
                        let request = CheckWorkspaceRequest {
                            workspace_id: spec.workspace.to_string(),
                            provider_account_uid: provider_identity.account_uid.clone(),
                        };
                        async move { client.check_workspace(request).await }
                    },
                ),
            ),
            resource_group_check,
        )
        .await?;
        self.records.update(id, |a| {
            a.cluster = Some(cluster.clone());
            a.workspace = Some(workspace.clone());
            if resource_group.is_some() {
                a.resource_group = resource_group.clone();
            }
        });
        if !cluster.eligible || !cluster.reasons.is_empty() {
            // The step itself was recorded as failed when the agent's answer came back.
            let mut failure = ineligible(&cluster);
            if let Err(refusal) = mappings::allowed(&spec.mappings, &cluster) {
                failure.reasons.extend(refusal.reasons);
                failure.message = format!("{}; {}", failure.message, refusal.message);
            }
            return Err(failure.into());
        }
        if let Some(warning) = resource_group
            .as_ref()
            .and_then(|group| network_warning(&cluster, group))
        {
            self.event(
                id,
                EventKind::Warning,
                steps::PREFLIGHT_RESOURCE_GROUP,
                warning,
            );
        }
        if let Err(refusal) = mappings::allowed(&spec.mappings, &cluster) {
            self.set_step(
                id,
                steps::PREFLIGHT_CLUSTER,
                StepState::Failed,
                &refusal.message,
            );
            self.event(
                id,
                EventKind::StepFailed,
                steps::PREFLIGHT_CLUSTER,
                refusal.message.clone(),
            );
            return Err(refusal.into());
        }

        // A mapping another association of the cluster holds with another cluster account
        // would undo it: refused before anything changes (and again, locked, when mapping).
        if let Some(failure) = self.conflict(id, spec) {
            self.set_step(id, steps::MAP_ACCOUNTS, StepState::Failed, &failure.message);
            self.event(
                id,
                EventKind::StepFailed,
                steps::MAP_ACCOUNTS,
                failure.message.clone(),
            );
            return Err(failure.into());
        }

        // 3. Trust in the provider account.
        self.checkpoint(id)?;
        let recorded_trust = (step_done(&done, steps::TRUST) && !done.role_arn.is_empty())
            .then(|| (done.role_arn.clone(), spec.role.to_string()));
        let role_name = match recorded_trust {
            Some((_, role)) => role,
            None => {
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
                for change in &grant.changes {
                    self.audit(
                        id,
                        &provider_identity.account_uid,
                        &change.action,
                        &change.description,
                    );
                }
                self.records.update(id, |a| {
                    a.role_arn = grant.role_arn.clone();
                    a.trust_policy = grant.trust_policy.clone();
                    // Remember that crossbind created the role even when a later run found it.
                    a.role_created |= grant.role_created;
                });
                grant.role_name
            }
        };

        // 4. Registration, every environment in parallel.
        self.checkpoint(id)?;
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
        let pending: Vec<Environment> = environments
            .into_iter()
            .filter(|&env| {
                !(step_done(&done, register_step(env))
                    && done.resources.iter().any(|r| r.environment() == env))
            })
            .collect();
        let registrations = pending.iter().map(|&environment| {
            let consumer = consumer.clone();
            let request = RegisterClusterRequest {
                workspace_id: spec.workspace.to_string(),
                environment: environment as i32,
                provider_account_uid: provider_identity.account_uid.clone(),
                role_name: role_name.clone(),
                cluster_id: cluster.cluster_id.clone(),
                region: cluster.region.clone(),
                compute_resource_name: spec.resource_name.clone(),
                dry_run: false,
            };
            self.step(
                id,
                register_step(environment),
                describe_registration,
                move || {
                    let mut client = consumer.clone();
                    let request = request.clone();
                    async move { client.register_cluster(request).await }
                },
            )
        });
        let results = futures::future::join_all(registrations).await;
        let mut first_stop = None;
        for result in results {
            match result {
                Ok(registered) => {
                    if registered.created {
                        self.audit(
                            id,
                            &consumer_identity.account_uid,
                            "CreateComputeResource",
                            &describe_registration(&registered),
                        );
                    }
                    self.records.update(id, |a| {
                        a.resources
                            .retain(|r| r.environment != registered.environment);
                        a.resources.push(RegisteredResource {
                            environment: registered.environment,
                            compute_resource_id: registered.compute_resource_id.clone(),
                            compute_resource_name: registered.compute_resource_name.clone(),
                            created: registered.created,
                        });
                        a.resources.sort_by_key(|r| r.environment);
                    });
                }
                Err(stop) => {
                    first_stop.get_or_insert(stop);
                }
            }
        }
        if let Some(stop) = first_stop {
            return Err(stop);
        }

        // 5. The resource group bound to the workspace.
        self.checkpoint(id)?;
        match &spec.resource_group {
            None => self.skip(id, steps::BIND_RESOURCE_GROUP, "no resource group named"),
            Some(_) if step_done(&done, steps::BIND_RESOURCE_GROUP) => {}
            Some(group) => {
                let bound = self
                    .step(id, steps::BIND_RESOURCE_GROUP, describe_binding, || {
                        let mut client = consumer.clone();
                        let request = BindResourceGroupRequest {
                            workspace_id: spec.workspace.to_string(),
                            resource_group_id: group.clone(),
                            dry_run: false,
                        };
                        async move { client.bind_resource_group(request).await }
                    })
                    .await?;
                if bound.bound_now {
                    self.audit(
                        id,
                        &consumer_identity.account_uid,
                        "AssociateProjectToResourceGroup",
                        &describe_binding(&bound),
                    );
                }
                self.records.update(id, |a| {
                    a.resource_group_bound |= bound.bound_now;
                    if bound.resource_group.is_some() {
                        a.resource_group = bound.resource_group.clone();
                    }
                });
            }
        }

        // 6. Account mappings.
        self.checkpoint(id)?;
        if !step_done(&done, steps::MAP_ACCOUNTS) {
            self.map_accounts(id, spec, &consumer, &cluster).await?;
        }

        // 7. The initialization gate (last: it can wait for hours).
        self.checkpoint(id)?;
        match &spec.resource_group {
            None => {
                self.skip(id, steps::INITIALIZE, "no resource group named");
                Ok(())
            }
            Some(_) if step_done(&done, steps::INITIALIZE) => Ok(()),
            Some(_) => {
                self.initialize(id, spec, &consumer, &cluster, &workspace, slot)
                    .await
            }
        }
    }

    /// Marks a step skipped, with the reason, as an event too.
    fn skip(&self, id: &str, name: &str, message: &str) {
        self.set_step(id, name, StepState::Skipped, message);
        self.event(id, EventKind::StepSkipped, name, message.to_string());
    }

    /// Returns the recorded result of a step that already succeeded, or runs it.
    async fn reuse_or_step<T, F, Fut>(
        &self,
        id: &str,
        name: &'static str,
        recorded: Option<T>,
        describe: fn(&T) -> String,
        call: F,
    ) -> Result<T, Stop>
    where
        T: Verdict,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        if let Some(value) = recorded
            && self.records.get(id).is_some_and(|a| step_done(&a, name))
        {
            return Ok(value);
        }
        self.step(id, name, describe, call).await
    }

    /// Runs one step: marks it running, calls the agent (retrying while the failure is
    /// transient, up to the step deadline) and records every attempt and the outcome. A
    /// cancel asked for during a retry wait stops the step there: no call is in flight.
    async fn step<T, F, Fut>(
        &self,
        id: &str,
        name: &'static str,
        describe: fn(&T) -> String,
        mut call: F,
    ) -> Result<T, Stop>
    where
        T: Verdict,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.set_step(id, name, StepState::Running, "");
        self.event(id, EventKind::StepStarted, name, "started".to_string());
        let deadline = tokio::time::Instant::now() + self.step_deadline;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let started_at = store::now();
            let status = match call().await {
                Ok(response) => {
                    let value = response.into_inner();
                    self.attempt(id, name, attempt, started_at, "ok", None);
                    // An answer can still be a refusal (an ineligible cluster): the caller
                    // turns it into the association's failure.
                    let (state, kind, message) = match value.refusal() {
                        Some(reason) => (StepState::Failed, EventKind::StepFailed, reason),
                        None => (
                            StepState::Succeeded,
                            EventKind::StepSucceeded,
                            describe(&value),
                        ),
                    };
                    info!(step.name = name, "{message}");
                    self.set_step(id, name, state, &message);
                    self.event(id, kind, name, message);
                    return Ok(value);
                }
                Err(status) => status,
            };
            let delay = backoff(attempt);
            if retryable(&status) && tokio::time::Instant::now() + delay < deadline {
                self.attempt(id, name, attempt, started_at, "retry", Some(&status));
                let message = format!(
                    "{} ({}); retrying in {:.1}s (attempt {attempt})",
                    status.message(),
                    code_name(status.code()),
                    delay.as_secs_f64()
                );
                warn!(step.name = name, attempt, "{message}");
                self.event(id, EventKind::StepRetrying, name, message);
                tokio::time::sleep(delay).await;
                if let Err(stop) = self.checkpoint(id) {
                    self.set_step(
                        id,
                        name,
                        StepState::Pending,
                        "cancelled while waiting to retry",
                    );
                    return Err(stop);
                }
                continue;
            }
            self.attempt(id, name, attempt, started_at, "failed", Some(&status));
            let mut failure = step_failure(name, &status);
            if attempt > 1 {
                failure.message = format!(
                    "{} (gave up after {attempt} attempts over {}s; the step deadline is {}s)",
                    failure.message,
                    self.step_deadline.as_secs()
                        - deadline
                            .saturating_duration_since(tokio::time::Instant::now())
                            .as_secs(),
                    self.step_deadline.as_secs()
                );
            }
            self.set_step(id, name, StepState::Failed, &failure.message);
            self.event(id, EventKind::StepFailed, name, failure.message.clone());
            return Err(failure.into());
        }
    }

    fn attempt(
        &self,
        id: &str,
        step: &str,
        attempt: u32,
        started_at: String,
        outcome: &str,
        status: Option<&Status>,
    ) {
        self.records.record_attempt(&Attempt {
            association_id: id.to_string(),
            step: step.to_string(),
            attempt,
            started_at,
            finished_at: store::now(),
            outcome: outcome.to_string(),
            code: status.map(|s| code_name(s.code()).to_string()),
            message: status.map(|s| s.message().to_string()),
            request_ids: status.map(|s| request_ids(s.message())).unwrap_or_default(),
        });
    }

    fn audit(&self, id: &str, account: &str, action: &str, detail: &str) {
        let client = self
            .records
            .get(id)
            .map(|a| a.requested_by)
            .unwrap_or_default();
        self.records.audit(&AuditEntry {
            time: store::now(),
            client,
            association_id: id.to_string(),
            account_uid: account.to_string(),
            action: action.to_string(),
            detail: detail.to_string(),
        });
    }

    fn set_step(&self, id: &str, name: &str, state: StepState, message: &str) {
        self.records
            .update(id, |a| match a.steps.iter_mut().find(|s| s.name == name) {
                Some(step) => {
                    step.set_state(state);
                    step.message = message.to_string();
                }
                None => a.steps.push(Step {
                    name: name.to_string(),
                    state: state as i32,
                    message: message.to_string(),
                }),
            });
    }

    fn event(&self, id: &str, kind: EventKind, step: &str, message: String) {
        self.records.emit(
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
        if request.idempotency_key.len() > 256 {
            return Err(invalid(
                "idempotency_key",
                &"must be at most 256 characters",
            ));
        }
        let resource_group = match request.resource_group_id.trim() {
            "" => None,
            group => {
                check_resource_group_id(group).map_err(|e| invalid("resource_group_id", &e))?;
                Some(group.to_string())
            }
        };
        let mappings = mappings::parse(&request.account_mappings)?;
        if request.initialize_now && resource_group.is_none() {
            return Err(invalid(
                "initialize_now",
                &"there is nothing to initialize without resource_group_id",
            ));
        }
        Ok(Self {
            provider,
            cluster,
            role,
            consumer,
            workspace,
            resource_name,
            resource_group,
            mappings,
            initialize_now: request.initialize_now,
        })
    }

    /// The request with every default filled in, as it is stored.
    fn request(&self, idempotency_key: &str) -> CreateAssociationRequest {
        CreateAssociationRequest {
            provider_account_uid: self.provider.to_string(),
            cluster_id: self.cluster.to_string(),
            role_name: self.role.to_string(),
            consumer_account_uid: self.consumer.to_string(),
            workspace_id: self.workspace.to_string(),
            compute_resource_name: self.resource_name.clone(),
            idempotency_key: idempotency_key.to_string(),
            resource_group_id: self.resource_group.clone().unwrap_or_default(),
            account_mappings: self.mappings.clone(),
            initialize_now: self.initialize_now,
        }
    }

    /// One live association per consumer account, workspace, provider account and cluster.
    fn business_key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.consumer,
            self.workspace,
            self.provider,
            self.cluster.as_str().to_ascii_lowercase()
        )
    }
}

fn same_parameters(
    stored: Option<&CreateAssociationRequest>,
    new: &CreateAssociationRequest,
) -> bool {
    stored.is_some_and(|old| {
        old.provider_account_uid == new.provider_account_uid
            && old.cluster_id.eq_ignore_ascii_case(&new.cluster_id)
            && old.consumer_account_uid == new.consumer_account_uid
            && old.workspace_id == new.workspace_id
            && old.role_name == new.role_name
            && old.compute_resource_name == new.compute_resource_name
    })
}

/// Whether a repeat asks for the same resource group and mappings (`same_parameters` leaves
/// them out: a repeat of an association at rest may change them).
fn same_settings(
    stored: Option<&CreateAssociationRequest>,
    new: &CreateAssociationRequest,
) -> bool {
    stored.is_some_and(|old| {
        old.resource_group_id == new.resource_group_id
            && old.account_mappings == new.account_mappings
    })
}

fn pending_step(name: &str) -> Step {
    Step {
        name: name.to_string(),
        state: StepState::Pending as i32,
        message: String::new(),
    }
}

fn step_done(association: &Association, name: &str) -> bool {
    association
        .steps
        .iter()
        .any(|s| s.name == name && s.state() == StepState::Succeeded)
}

/// True when the association's latest saga is a dissociation.
fn is_reverse(association: &Association) -> bool {
    association
        .steps
        .iter()
        .any(|s| steps::REVERSE.contains(&s.name.as_str()))
}

/// `succeeded`, `failed` ... for messages.
pub fn state_word(state: AssociationState) -> &'static str {
    match state {
        AssociationState::Unspecified => "unknown",
        AssociationState::Pending => "pending",
        AssociationState::Running => "running",
        AssociationState::Succeeded => "succeeded",
        AssociationState::Failed => "failed",
        AssociationState::Cancelled => "cancelled",
        AssociationState::Dissociating => "dissociating",
        AssociationState::Dissociated => "dissociated",
        AssociationState::Waiting => "waiting",
    }
}

/// Cloud RequestIds quoted in an agent's message (`RequestId <id>`).
fn request_ids(message: &str) -> Vec<String> {
    message
        .match_indices("RequestId")
        .filter_map(|(at, _)| {
            let rest = message[at + "RequestId".len()..].trim_start_matches([' ', ':', '=']);
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!id.is_empty()).then_some(id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbind_proto::{ClusterCheck, IneligibilityReason};

    fn request() -> CreateAssociationRequest {
        CreateAssociationRequest {
            provider_account_uid: "1688000000000002".into(),
            cluster_id: "C-4F2A9B1C8D3E7A60".into(),
            role_name: String::new(),
            consumer_account_uid: "1688000000000001".into(),
            workspace_id: "10001".into(),
            compute_resource_name: String::new(),
            idempotency_key: String::new(),
            ..Default::default()
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
    fn request_ids_are_found_in_agent_messages() {
        let message =
            "Throttling: slow down (HTTP 400, RequestId 7463B73D-35CC-4D19) and RequestId: AB12";
        assert_eq!(request_ids(message), ["7463B73D-35CC-4D19", "AB12"]);
        assert!(request_ids("no ids here").is_empty());
    }

    #[test]
    fn same_business_key_with_other_parameters_is_not_the_same() {
        let spec = Spec::parse(&request()).unwrap();
        let stored = spec.request("");
        let mut other = stored.clone();
        assert!(same_parameters(Some(&stored), &other));
        other.cluster_id = other.cluster_id.to_lowercase();
        assert!(
            same_parameters(Some(&stored), &other),
            "cluster ids compare case-insensitively"
        );
        other.role_name = "OtherRole".into();
        assert!(!same_parameters(Some(&stored), &other));
        assert!(!same_parameters(None, &stored));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(backoff_ceiling(2), Duration::from_secs(1));
        assert_eq!(backoff_ceiling(10), Duration::from_secs(8));
        for attempt in 1..8 {
            let wait = backoff(attempt);
            let ceiling = backoff_ceiling(attempt);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{attempt}: {wait:?}"
            );
        }
        assert!(retryable(&Status::unavailable("x")));
        assert!(!retryable(&Status::failed_precondition("x")));
    }
}
