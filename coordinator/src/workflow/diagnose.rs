//! The `Diagnose` verb: asks both agents to read their side (concurrently, read-only), combines
//! the answers into findings (`crate::diagnosis`) and records the result on the association. It
//! runs on demand and, automatically, when registration or initialization fails.

use std::time::Duration;

use crossbind_proto::{
    Association, ComputeResourceRef, DiagnoseTrustRequest, DiagnoseWorkspaceRequest, Diagnosis,
    Environment, EventKind, Severity, StepState,
};

use super::{Engine, Spec, inspect::patiently, steps};
use crate::{diagnosis, error::RequestError, store};

/// How long a diagnosis waits for an unreachable agent.
const DIAGNOSIS_DEADLINE: Duration = Duration::from_secs(15);

// === impl Engine ===

impl Engine {
    /// Diagnoses an association on demand.
    pub async fn diagnose(&self, id: &str) -> Result<Diagnosis, RequestError> {
        let association = self.get(id)?;
        if association.state() == crossbind_proto::AssociationState::Dissociated {
            return Err(RequestError::FailedPrecondition(format!(
                "association {id} is dissociated: nothing it set up is left to diagnose; \
                 associate again to set it up anew"
            )));
        }
        self.run_diagnosis(&association, "on demand").await
    }

    /// Diagnoses after a failed step; returns a one-line summary for the failure message.
    pub(super) async fn diagnose_after_failure(&self, id: &str, step: &str) -> Option<String> {
        let association = self.records.get(id)?;
        let diagnosis = self
            .run_diagnosis(&association, &format!("{step} failed"))
            .await
            .ok()?;
        Some(summary(&diagnosis))
    }

    async fn run_diagnosis(
        &self,
        association: &Association,
        trigger: &str,
    ) -> Result<Diagnosis, RequestError> {
        let id = association.id.as_str();
        let request = association.request.clone().unwrap_or_default();
        let spec = Spec::parse(&request)?;
        let consumer_uid = association
            .consumer
            .as_ref()
            .map(|c| c.account_uid.clone())
            .unwrap_or_else(|| spec.consumer.to_string());
        let deadline = self.step_deadline.min(DIAGNOSIS_DEADLINE);
        let mut errors = Vec::new();

        let provider = async {
            let client = self.agents.provider(&spec.provider).await?;
            let request = DiagnoseTrustRequest {
                consumer_account_uid: consumer_uid.clone(),
                role_name: spec.role.to_string(),
                cluster_id: spec.cluster.to_string(),
            };
            patiently(deadline, || {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.diagnose_trust(request).await }
            })
            .await
            .map_err(|s| RequestError::from_agent(steps::TRUST, &s))
        };
        let consumer = async {
            let client = self.agents.consumer(&spec.consumer).await?;
            let request = DiagnoseWorkspaceRequest {
                workspace_id: spec.workspace.to_string(),
                provider_account_uid: spec.provider.to_string(),
                role_name: spec.role.to_string(),
                cluster_id: spec.cluster.to_string(),
                resource_group_id: spec.resource_group.clone().unwrap_or_default(),
                compute_resources: expected_resources(association, &spec),
            };
            patiently(deadline, || {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.diagnose_workspace(request).await }
            })
            .await
            .map_err(|s| RequestError::from_agent(steps::REGISTER_PROD, &s))
        };
        let (provider, consumer) = tokio::join!(provider, consumer);
        let provider = provider
            .map_err(|e| errors.push(format!("the provider agent could not be asked: {e}")))
            .ok();
        let consumer = consumer
            .map_err(|e| errors.push(format!("the consumer agent could not be asked: {e}")))
            .ok();
        let (findings, unchecked) =
            diagnosis::findings(association, provider.as_ref(), consumer.as_ref());
        let diagnosis = Diagnosis {
            association_id: id.to_string(),
            checked_at: store::now(),
            trigger: trigger.to_string(),
            findings,
            unchecked,
            provider,
            consumer,
            errors,
        };
        self.records
            .update(id, |a| a.diagnosis = Some(diagnosis.clone()));
        self.event(
            id,
            EventKind::Diagnosis,
            "",
            format!("diagnosis ({trigger}): {}", summary(&diagnosis)),
        );
        Ok(diagnosis)
    }
}

/// The compute resources the association should have: the recorded ones, and for every
/// environment whose registration ran without a recorded resource, one to find by name.
fn expected_resources(association: &Association, spec: &Spec) -> Vec<ComputeResourceRef> {
    let mut out: Vec<ComputeResourceRef> = association
        .resources
        .iter()
        .map(|r| ComputeResourceRef {
            environment: r.environment,
            compute_resource_id: r.compute_resource_id.clone(),
            compute_resource_name: r.compute_resource_name.clone(),
        })
        .collect();
    for (environment, step) in [
        (Environment::Dev, steps::REGISTER_DEV),
        (Environment::Prod, steps::REGISTER_PROD),
    ] {
        let ran = association.steps.iter().any(|s| {
            s.name == step && !matches!(s.state(), StepState::Pending | StepState::Skipped)
        });
        if ran && !out.iter().any(|r| r.environment() == environment) {
            out.push(ComputeResourceRef {
                environment: environment as i32,
                compute_resource_id: String::new(),
                compute_resource_name: spec.resource_name.clone(),
            });
        }
    }
    out
}

/// `2 errors, 1 warning: role EMRRole: the trust policy ...`
pub(super) fn summary(diagnosis: &Diagnosis) -> String {
    let count = |severity: Severity| {
        diagnosis
            .findings
            .iter()
            .filter(|f| f.severity() == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let mut text = format!("{errors} error(s), {warnings} warning(s)");
    if let Some(first) = diagnosis
        .findings
        .iter()
        .find(|f| f.severity() >= Severity::Warning)
    {
        text.push_str(&format!(
            "; first: {}: {} — fix: {}",
            first.subject, first.message, first.fix
        ));
    }
    for error in &diagnosis.errors {
        text.push_str(&format!("; {error}"));
    }
    text
}
