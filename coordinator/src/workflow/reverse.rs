//! Dissociation, the reverse saga: the consumer removes the account mappings this association
//! added (while a compute resource still reaches them) and deletes its compute resources, then
//! the provider removes the consumer's principal from the trust policy and, only when crossbind
//! created the role and no other principal remains, detaches the policy and deletes it. The
//! resource group stays bound to the workspace: other tasks may run on it by then.
//!
//! Each agent verifies its deletes by reading back, so "already gone" is success and "still
//! there" is a failure. Only what the association set up is undone: an environment that was
//! never registered is not touched, and the trust is revoked only when the trust step ran.

use crossbind_proto::{
    Association, AssociationState, Environment, EventKind, RevokeTrustRequest, StepState,
    UnregisterClusterRequest, UnregisterClusterResponse,
};

use super::{Engine, Spec, Stop, is_reverse, pending_step, state_word, steps, support::*};
use crate::error::RequestError;

// === impl Engine ===

impl Engine {
    /// Starts undoing an association that is at rest.
    pub fn dissociate(&self, id: &str, client: &str) -> Result<Association, RequestError> {
        let association = self.get(id)?;
        match association.state() {
            AssociationState::Succeeded
            | AssociationState::Failed
            | AssociationState::Cancelled => {}
            // Already undone: asking again is success, and changes nothing.
            AssociationState::Dissociated => return Ok(association),
            state => {
                return Err(RequestError::FailedPrecondition(format!(
                    "association {id} is {}: cancel it or wait until it has finished, then dissociate",
                    state_word(state)
                )));
            }
        }
        let updated = self
            .records
            .update(id, |a| {
                a.failure = None;
                a.cancel_requested = false;
                a.set_state(AssociationState::Dissociating);
                if !is_reverse(a) {
                    a.steps
                        .extend(steps::REVERSE.iter().map(|name| pending_step(name)));
                }
                for step in &mut a.steps {
                    if steps::REVERSE.contains(&step.name.as_str())
                        && step.state() != StepState::Succeeded
                    {
                        step.set_state(StepState::Pending);
                    }
                }
            })
            .unwrap_or(association);
        self.event(
            id,
            EventKind::Info,
            "",
            format!("dissociation requested by {client}"),
        );
        self.spawn(id.to_string(), super::Saga::Reverse);
        Ok(updated)
    }

    pub(super) async fn dissociate_steps(&self, id: &str, spec: &Spec) -> Result<(), Stop> {
        let done = self.records.get(id).unwrap_or_default();
        let consumer = self
            .agents
            .consumer(&spec.consumer)
            .await
            .map_err(|e| setup_failure(steps::UNREGISTER_PROD, e))?;
        let provider = self
            .agents
            .provider(&spec.provider)
            .await
            .map_err(|e| setup_failure(steps::REVOKE, e))?;

        // 1. The mappings this association added (they need a compute resource to go through).
        self.checkpoint(id)?;
        self.unmap_accounts(id, spec, &consumer).await?;

        // 2. The compute resources, every environment that registration reached.
        self.checkpoint(id)?;
        let mut work = Vec::new();
        for (environment, forward, reverse) in [
            (Environment::Dev, steps::REGISTER_DEV, steps::UNREGISTER_DEV),
            (
                Environment::Prod,
                steps::REGISTER_PROD,
                steps::UNREGISTER_PROD,
            ),
        ] {
            let reached = done.steps.iter().any(|s| {
                s.name == forward && !matches!(s.state(), StepState::Pending | StepState::Skipped)
            });
            if !reached || super::step_done(&done, reverse) {
                if !reached {
                    let message = "registration never ran for this environment; nothing to remove";
                    self.set_step(id, reverse, StepState::Skipped, message);
                }
                continue;
            }
            let recorded = done
                .resources
                .iter()
                .find(|r| r.environment() == environment)
                .map(|r| r.compute_resource_id.clone())
                .unwrap_or_default();
            let request = UnregisterClusterRequest {
                workspace_id: spec.workspace.to_string(),
                environment: environment as i32,
                compute_resource_id: recorded,
                dry_run: false,
                provider_account_uid: spec.provider.to_string(),
                role_name: spec.role.to_string(),
                cluster_id: spec.cluster.to_string(),
            };
            let consumer = consumer.clone();
            work.push(async move {
                let result = self
                    .step(id, reverse, describe_unregistration, move || {
                        let mut client = consumer.clone();
                        let request = request.clone();
                        async move { client.unregister_cluster(request).await }
                    })
                    .await;
                (environment, result)
            });
        }
        let mut first_stop = None;
        for (environment, result) in futures::future::join_all(work).await {
            match result {
                Ok(response) => {
                    if response.deleted {
                        self.audit(
                            id,
                            spec.consumer.as_str(),
                            "DeleteComputeResource",
                            &format!(
                                "deleted the {} compute resource",
                                environment.dataworks_name()
                            ),
                        );
                    }
                    self.records.update(id, |a| {
                        a.resources.retain(|r| r.environment() != environment)
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

        // 3. The trust, only when the association's trust step ran.
        self.checkpoint(id)?;
        let trust_ran = done
            .steps
            .iter()
            .any(|s| s.name == steps::TRUST && s.state() != StepState::Pending);
        if !trust_ran {
            self.set_step(
                id,
                steps::REVOKE,
                StepState::Skipped,
                "trust was never granted by this association; nothing to revoke",
            );
            return Ok(());
        }
        if super::step_done(&done, steps::REVOKE) {
            return Ok(());
        }
        let consumer_uid = done
            .consumer
            .as_ref()
            .map(|c| c.account_uid.clone())
            .unwrap_or_else(|| spec.consumer.to_string());
        // The principal is per consumer account, not per cluster or workspace: another live
        // association between the same accounts through the same role still needs it.
        if let Some(other) = self.records.list().into_iter().find(|other| {
            other.id != id
                && shares_trust(other, spec)
                && other.state() != AssociationState::Dissociated
        }) {
            let message = format!(
                "kept the trust: association {} still uses role {} for account {}",
                other.id, spec.role, spec.consumer
            );
            self.set_step(id, steps::REVOKE, StepState::Skipped, &message);
            self.event(id, EventKind::StepSkipped, steps::REVOKE, message);
            return Ok(());
        }
        let revoked = self
            .step(id, steps::REVOKE, describe_revocation, || {
                let mut client = provider.clone();
                let request = RevokeTrustRequest {
                    consumer_account_uid: consumer_uid.clone(),
                    role_name: spec.role.to_string(),
                    role_created_by_crossbind: done.role_created,
                    dry_run: false,
                };
                async move { client.revoke_trust(request).await }
            })
            .await?;
        for change in &revoked.changes {
            self.audit(
                id,
                spec.provider.as_str(),
                &change.action,
                &change.description,
            );
        }
        Ok(())
    }
}

/// True when `other` was set up between the same two accounts through the same role.
fn shares_trust(other: &Association, spec: &Spec) -> bool {
    other.request.as_ref().is_some_and(|r| {
        r.provider_account_uid == spec.provider.as_str()
            && r.consumer_account_uid == spec.consumer.as_str()
            && r.role_name.eq_ignore_ascii_case(spec.role.as_str())
    }) && other
        .steps
        .iter()
        .any(|s| s.name == steps::TRUST && s.state() != StepState::Pending)
}

fn describe_unregistration(response: &UnregisterClusterResponse) -> String {
    if response.deleted {
        "deleted the compute resource".to_string()
    } else {
        "the compute resource was already gone".to_string()
    }
}

fn describe_revocation(response: &crossbind_proto::RevokeTrustResponse) -> String {
    if response.changes.is_empty() {
        return "the role no longer trusted the consumer; nothing changed".to_string();
    }
    let changes: Vec<&str> = response
        .changes
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    changes.join("; ")
}
