//! The read-only verbs: a plan (dry run) of a new association and a drift check of an
//! existing one. Both ask the agents for dry runs, so the cloud is read and never changed.
//!
//! A drift check compares by meaning: the provider agent judges the trust policy through its
//! parsed form (key order, whitespace, a string versus a one-element list and the case of
//! principal keys do not count), and the consumer agent matches compute resources by what
//! they connect to, not by their text.

use std::time::Duration;

use crossbind_proto::{
    ApplyAccountMappingsRequest, AssociationState, CheckClusterRequest, CheckResourceGroupRequest,
    CheckWorkspaceRequest, CreateAssociationRequest, Drift, DriftReport, EventKind,
    GetIdentityRequest, GrantTrustRequest, Plan, PlanInitializationRequest, PlannedChange,
    RegisterClusterRequest,
};
use tonic::{Response, Status};
use tracing::{Instrument, info, info_span, warn};

use super::{Engine, Spec, state_word, steps, support::*};
use crate::{error::RequestError, store};

/// How long a plan retries an unreachable agent.
const PLAN_DEADLINE: Duration = Duration::from_secs(15);

// === impl Engine ===

impl Engine {
    /// What an association with `request` would change, step by step; changes nothing.
    pub async fn plan(&self, request: CreateAssociationRequest) -> Result<Plan, RequestError> {
        let spec = Spec::parse(&request)?;
        self.agents
            .check_configured(&spec.provider, &spec.consumer)?;
        let mut provider = self.agents.provider(&spec.provider).await?;
        let mut consumer = self.agents.consumer(&spec.consumer).await?;
        // A plan is read-only and someone waits for it: give up on an unreachable agent sooner.
        let deadline = self.step_deadline.min(PLAN_DEADLINE);

        let (provider_identity, consumer_identity) = tokio::join!(
            patiently(deadline, || {
                let mut c = provider.clone();
                async move { c.get_identity(GetIdentityRequest {}).await }
            }),
            patiently(deadline, || {
                let mut c = consumer.clone();
                async move { c.get_identity(GetIdentityRequest {}).await }
            }),
        );
        let provider_identity = provider_identity
            .map_err(|s| RequestError::from_agent(steps::IDENTIFY_PROVIDER, &s))?;
        let consumer_identity = consumer_identity
            .map_err(|s| RequestError::from_agent(steps::IDENTIFY_CONSUMER, &s))?;
        let mut plan = Plan {
            provider: Some(provider_identity.clone()),
            consumer: Some(consumer_identity.clone()),
            ..Default::default()
        };
        if let Err(failure) =
            check_account(steps::IDENTIFY_PROVIDER, &provider_identity, &spec.provider).and_then(
                |()| check_account(steps::IDENTIFY_CONSUMER, &consumer_identity, &spec.consumer),
            )
        {
            plan.failure = Some(failure);
            return Ok(plan);
        }

        let (cluster, workspace) = tokio::join!(
            patiently(deadline, || {
                let mut c = provider.clone();
                let request = CheckClusterRequest {
                    cluster_id: spec.cluster.to_string(),
                    consumer_account_uid: consumer_identity.account_uid.clone(),
                    role_name: spec.role.to_string(),
                };
                async move { c.check_cluster(request).await }
            }),
            patiently(deadline, || {
                let mut c = consumer.clone();
                let request = CheckWorkspaceRequest {
                    workspace_id: spec.workspace.to_string(),
                    provider_account_uid: provider_identity.account_uid.clone(),
                };
                async move { c.check_workspace(request).await }
            }),
        );
        let cluster = match cluster {
            Ok(cluster) => cluster,
            Err(status) => {
                plan.failure = Some(step_failure(steps::PREFLIGHT_CLUSTER, &status));
                return Ok(plan);
            }
        };
        plan.cluster = Some(cluster.clone());
        let workspace = match workspace {
            Ok(workspace) => workspace,
            Err(status) => {
                plan.failure = Some(step_failure(steps::PREFLIGHT_WORKSPACE, &status));
                return Ok(plan);
            }
        };
        if !cluster.eligible || !cluster.reasons.is_empty() {
            plan.failure = Some(ineligible(&cluster));
            return Ok(plan);
        }
        if let Err(refusal) = super::mappings::allowed(&spec.mappings, &cluster) {
            plan.failure = Some(refusal);
            return Ok(plan);
        }
        let existing = self
            .records
            .by_business_key(&spec.business_key())
            .map(|a| a.id)
            .unwrap_or_default();
        if let Some(conflict) = self.conflict(&existing, &spec) {
            plan.failure = Some(conflict);
            return Ok(plan);
        }
        if let Some(group) = &spec.resource_group {
            let check = patiently(deadline, || {
                let mut c = consumer.clone();
                let request = CheckResourceGroupRequest {
                    workspace_id: spec.workspace.to_string(),
                    resource_group_id: group.clone(),
                };
                async move { c.check_resource_group(request).await }
            })
            .await;
            match check {
                Ok(check) => {
                    plan.warnings.extend(network_warning(&cluster, &check));
                    plan.resource_group = Some(check);
                }
                Err(status) => {
                    plan.failure = Some(step_failure(steps::PREFLIGHT_RESOURCE_GROUP, &status));
                    return Ok(plan);
                }
            }
        }

        let grant = provider
            .grant_trust(GrantTrustRequest {
                consumer_account_uid: consumer_identity.account_uid.clone(),
                role_name: spec.role.to_string(),
                cluster_id: spec.cluster.to_string(),
                dry_run: true,
            })
            .await
            .map_err(|s| RequestError::from_agent(steps::TRUST, &s))?
            .into_inner();
        plan.changes
            .extend(grant.changes.iter().map(|change| PlannedChange {
                step: steps::TRUST.to_string(),
                account_uid: provider_identity.account_uid.clone(),
                action: change.action.clone(),
                description: change.description.clone(),
            }));
        let mut existing_resource = None;
        for environment in workspace.environments() {
            let registered = consumer
                .register_cluster(RegisterClusterRequest {
                    workspace_id: spec.workspace.to_string(),
                    environment: environment as i32,
                    provider_account_uid: provider_identity.account_uid.clone(),
                    role_name: grant.role_name.clone(),
                    cluster_id: cluster.cluster_id.clone(),
                    region: cluster.region.clone(),
                    compute_resource_name: spec.resource_name.clone(),
                    dry_run: true,
                })
                .await
                .map_err(|s| RequestError::from_agent(register_step(environment), &s))?
                .into_inner();
            if registered.created {
                plan.changes.push(PlannedChange {
                    step: register_step(environment).to_string(),
                    account_uid: consumer_identity.account_uid.clone(),
                    action: "CreateComputeResource".to_string(),
                    description: format!(
                        "register cluster {} of account {} as compute resource {} ({}) through role {}",
                        cluster.cluster_id,
                        provider_identity.account_uid,
                        spec.resource_name,
                        environment.dataworks_name(),
                        grant.role_name
                    ),
                });
            } else if !registered.compute_resource_id.is_empty() {
                existing_resource.get_or_insert(registered.compute_resource_id.clone());
            }
        }
        self.plan_after_registration(
            &spec,
            &mut plan,
            &mut consumer,
            existing_resource,
            &workspace,
        )
        .await?;
        Ok(plan)
    }

    /// The plan of the steps after registration: binding, mappings, initialization.
    async fn plan_after_registration(
        &self,
        spec: &Spec,
        plan: &mut Plan,
        consumer: &mut crossbind_proto::consumer_agent_client::ConsumerAgentClient<
            tonic::transport::Channel,
        >,
        existing_resource: Option<String>,
        workspace: &crossbind_proto::WorkspaceCheck,
    ) -> Result<(), RequestError> {
        let consumer_uid = spec.consumer.to_string();
        // The preflight already read whether the group is bound: nothing to ask again.
        if let Some(group) = plan.resource_group.as_ref().filter(|g| !g.bound) {
            plan.changes.push(PlannedChange {
                step: steps::BIND_RESOURCE_GROUP.to_string(),
                account_uid: consumer_uid.clone(),
                action: "AssociateProjectToResourceGroup".to_string(),
                description: format!(
                    "bind resource group {} to workspace {}",
                    group.resource_group_id, spec.workspace
                ),
            });
        }
        if !spec.mappings.is_empty() {
            let description = match existing_resource {
                Some(resource) => {
                    let planned = consumer
                        .apply_account_mappings(ApplyAccountMappingsRequest {
                            workspace_id: spec.workspace.to_string(),
                            compute_resource_id: resource,
                            cluster_id: spec.cluster.to_string(),
                            mappings: spec.mappings.clone(),
                            dry_run: true,
                        })
                        .await
                        .map_err(|s| RequestError::from_agent(steps::MAP_ACCOUNTS, &s))?
                        .into_inner();
                    let changed: Vec<String> = planned
                        .changed
                        .iter()
                        .map(|member| {
                            let before = planned
                                .mappings
                                .iter()
                                .find(|m| &m.member_uid == member)
                                .map_or("?", |m| m.cluster_account.as_str());
                            let after = spec
                                .mappings
                                .iter()
                                .find(|m| &m.member_uid == member)
                                .map_or("?", |m| m.cluster_account.as_str());
                            format!("{member} from {before} to {after}")
                        })
                        .collect();
                    (!planned.added.is_empty() || !changed.is_empty()).then(|| {
                        format!(
                            "map members: add {}, change {}",
                            or_none(&planned.added),
                            or_none(&changed)
                        )
                    })
                }
                None => Some(format!(
                    "map {} once the cluster is registered",
                    spec.mappings
                        .iter()
                        .map(|m| format!(
                            "member {} to cluster account {}",
                            m.member_uid, m.cluster_account
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            if let Some(description) = description {
                plan.changes.push(PlannedChange {
                    step: steps::MAP_ACCOUNTS.to_string(),
                    account_uid: consumer_uid.clone(),
                    action: "UpdateComputeResourceAuthUserMappings".to_string(),
                    description,
                });
            }
        }
        let Some(group) = &spec.resource_group else {
            return Ok(());
        };
        let last = self
            .records
            .by_business_key(&spec.business_key())
            .and_then(|a| a.initialization);
        let Some(cluster) = plan.cluster.clone() else {
            return Ok(());
        };
        let Some(reason) = super::gate::due_reason(last.as_ref(), group, &cluster) else {
            return Ok(());
        };
        let initialization = consumer
            .plan_initialization(PlanInitializationRequest {
                workspace_id: spec.workspace.to_string(),
                resource_group_id: group.clone(),
                provider_account_uid: spec.provider.to_string(),
                cluster_id: spec.cluster.to_string(),
                compute_resource_name: spec.resource_name.clone(),
                environments: workspace.environments.clone(),
                after: super::gate::rfc3339(self.clock.now()),
                reason: reason.clone(),
            })
            .await
            .map_err(|s| RequestError::from_agent(steps::INITIALIZE, &s))?
            .into_inner();
        let when = if spec.initialize_now || initialization.window_start.is_empty() {
            "now (outside any off-peak window: running tasks on the group may fail)".to_string()
        } else {
            format!(
                "in the off-peak window {} to {} (windows: {})",
                initialization.window_start, initialization.window_end, initialization.windows
            )
        };
        plan.changes.push(PlannedChange {
            step: steps::INITIALIZE.to_string(),
            account_uid: consumer_uid,
            action: "console: Initialize Resource Group".to_string(),
            description: format!(
                "{reason}: an operator initializes resource group {group} for the cluster {when} \
                 and confirms with `crossbind confirm`"
            ),
        });
        plan.initialization = Some(initialization);
        Ok(())
    }

    /// Re-reads what a succeeded association set up and reports every difference.
    pub async fn check_drift(&self, id: &str) -> Result<DriftReport, RequestError> {
        let association = self.get(id)?;
        if association.state() != AssociationState::Succeeded {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} is {}: drift is checked only on a succeeded association",
                state_word(association.state())
            )));
        }
        let request = association.request.clone().unwrap_or_default();
        let spec = Spec::parse(&request)?;
        let mut provider = self.agents.provider(&spec.provider).await?;
        let mut consumer = self.agents.consumer(&spec.consumer).await?;
        let consumer_uid = association
            .consumer
            .as_ref()
            .map(|c| c.account_uid.clone())
            .unwrap_or_else(|| spec.consumer.to_string());
        let mut drifts = Vec::new();

        let grant = provider
            .grant_trust(GrantTrustRequest {
                consumer_account_uid: consumer_uid.clone(),
                role_name: spec.role.to_string(),
                cluster_id: spec.cluster.to_string(),
                dry_run: true,
            })
            .await
            .map_err(|s| RequestError::from_agent(steps::TRUST, &s))?
            .into_inner();
        drifts.extend(grant.changes.iter().map(|change| Drift {
            account_uid: spec.provider.to_string(),
            resource: format!("role {}", spec.role),
            description: format!("needs {}: {}", change.action, change.description),
        }));

        let region = association
            .cluster
            .as_ref()
            .map(|c| c.region.clone())
            .unwrap_or_default();
        for resource in &association.resources {
            let environment = resource.environment();
            let found = consumer
                .register_cluster(RegisterClusterRequest {
                    workspace_id: spec.workspace.to_string(),
                    environment: environment as i32,
                    provider_account_uid: spec.provider.to_string(),
                    role_name: spec.role.to_string(),
                    cluster_id: spec.cluster.to_string(),
                    region: region.clone(),
                    compute_resource_name: spec.resource_name.clone(),
                    dry_run: true,
                })
                .await
                .map_err(|s| RequestError::from_agent(register_step(environment), &s))?
                .into_inner();
            let name = format!(
                "compute resource {} ({})",
                resource.compute_resource_id,
                environment.dataworks_name()
            );
            if found.created {
                drifts.push(Drift {
                    account_uid: spec.consumer.to_string(),
                    resource: name,
                    description: format!(
                        "is gone or no longer connects to cluster {} of account {} through role {}",
                        spec.cluster, spec.provider, spec.role
                    ),
                });
            } else if found.compute_resource_id != resource.compute_resource_id {
                drifts.push(Drift {
                    account_uid: spec.consumer.to_string(),
                    resource: name,
                    description: format!(
                        "was replaced by compute resource {}",
                        found.compute_resource_id
                    ),
                });
            }
        }

        if let Some(group) = &spec.resource_group {
            let check = consumer
                .check_resource_group(CheckResourceGroupRequest {
                    workspace_id: spec.workspace.to_string(),
                    resource_group_id: group.clone(),
                })
                .await
                .map_err(|s| RequestError::from_agent(steps::PREFLIGHT_RESOURCE_GROUP, &s))?
                .into_inner();
            if !check.bound {
                drifts.push(Drift {
                    account_uid: spec.consumer.to_string(),
                    resource: format!("resource group {group}"),
                    description: format!("is no longer bound to workspace {}", spec.workspace),
                });
            }
        }
        if let Some(resource) = association
            .resources
            .iter()
            .find(|r| !r.compute_resource_id.is_empty())
            .filter(|_| !spec.mappings.is_empty())
        {
            let planned = consumer
                .apply_account_mappings(ApplyAccountMappingsRequest {
                    workspace_id: spec.workspace.to_string(),
                    compute_resource_id: resource.compute_resource_id.clone(),
                    cluster_id: spec.cluster.to_string(),
                    mappings: spec.mappings.clone(),
                    dry_run: true,
                })
                .await
                .map_err(|s| RequestError::from_agent(steps::MAP_ACCOUNTS, &s))?
                .into_inner();
            for member in planned.added.iter().chain(&planned.changed) {
                drifts.push(Drift {
                    account_uid: spec.consumer.to_string(),
                    resource: format!("account mapping of member {member}"),
                    description: "is missing or names another cluster account".to_string(),
                });
            }
        }

        // Not a drift: the cluster moved on, and the resource group must follow.
        let reinitialization_due = match (&spec.resource_group, &association.initialization) {
            (Some(group), Some(last)) => {
                let cluster = provider
                    .check_cluster(CheckClusterRequest {
                        cluster_id: spec.cluster.to_string(),
                        consumer_account_uid: consumer_uid.clone(),
                        role_name: spec.role.to_string(),
                    })
                    .await
                    .map_err(|s| RequestError::from_agent(steps::PREFLIGHT_CLUSTER, &s))?
                    .into_inner();
                super::gate::due_reason(Some(last), group, &cluster).unwrap_or_default()
            }
            _ => String::new(),
        };

        let report = DriftReport {
            association_id: id.to_string(),
            drifted: !drifts.is_empty(),
            drifts,
            checked_at: store::now(),
            reinitialization_due: reinitialization_due.clone(),
        };
        let newly_due = !reinitialization_due.is_empty()
            && association.reinitialization_due != reinitialization_due;
        self.records.update(id, |a| {
            a.drift = Some(report.clone());
            a.reinitialization_due = reinitialization_due.clone();
        });
        if newly_due {
            warn!(
                association.id = id,
                "re-initialization due: {reinitialization_due}"
            );
            self.event(
                id,
                EventKind::ReinitializationDue,
                steps::INITIALIZE,
                format!(
                    "the resource group must be initialized again: {reinitialization_due}; apply \
                     the association again (it waits for the off-peak window and asks for the \
                     console step)"
                ),
            );
        }
        if report.drifted {
            let summary: Vec<String> = report
                .drifts
                .iter()
                .map(|d| {
                    format!(
                        "{} in account {} {}",
                        d.resource, d.account_uid, d.description
                    )
                })
                .collect();
            warn!(association.id = id, "drift: {}", summary.join("; "));
            self.event(
                id,
                EventKind::DriftDetected,
                "",
                format!("drift: {}", summary.join("; ")),
            );
        }
        Ok(report)
    }

    /// Checks every succeeded association for drift every `interval`, forever.
    pub fn spawn_drift_checks(&self, interval: Duration) {
        let engine = self.clone();
        tokio::spawn(
            async move {
                let mut ticker = tokio::time::interval(interval);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    for association in engine.records.list() {
                        if association.state() != AssociationState::Succeeded {
                            continue;
                        }
                        if let Err(e) = engine.check_drift(&association.id).await {
                            info!(association.id = %association.id, "drift check failed: {e}");
                        }
                    }
                }
            }
            .instrument(info_span!("drift")),
        );
    }
}

/// Calls an agent, retrying transient failures up to `deadline` (for the read-only verbs,
/// which record no attempts).
pub(super) async fn patiently<T, F, Fut>(deadline: Duration, mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Response<T>, Status>>,
{
    let until = tokio::time::Instant::now() + deadline;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status) => {
                let delay = backoff(attempt);
                if !retryable(&status) || tokio::time::Instant::now() + delay >= until {
                    return Err(status);
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// `a, b` or `none`.
fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
