//! The `ConsumerAgent` gRPC service: validates each request, applies the owner's consent, and
//! hands registration work to `register`. Who may call is decided before a request gets here
//! (the coordinator-only interceptor).

use std::sync::Arc;

use crossbind_agent_common::StartedAgent;
use crossbind_aliyun::client::Client;
use crossbind_aliyun::ids::{AccountUid, ClusterId, InvalidId, RegionId, RoleName, WorkspaceId};
use crossbind_proto::consumer_agent_server::ConsumerAgent;
use crossbind_proto::{
    CheckWorkspaceRequest, Environment, GetIdentityRequest, Identity, RegisterClusterRequest,
    RegisterClusterResponse, UnregisterClusterRequest, UnregisterClusterResponse, WorkspaceCheck,
    WorkspaceMode,
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::config::{Consent, Registration};
use crate::connection_properties::Params;
use crate::error::{Error, Result, cloud};
use crate::register::{self, Registering};

/// The DataWorks project status of a usable workspace.
const AVAILABLE: &str = "Available";

/// The longest compute-resource name DataWorks accepts.
const MAX_NAME_LEN: usize = 255;

/// The consumer agent's service; cheap to clone.
#[derive(Clone)]
pub struct ConsumerService {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    account: AccountUid,
    identity: Identity,
    consent: Consent,
    registration: Registration,
}

// === impl ConsumerService ===

impl ConsumerService {
    /// A service acting with `agent`'s client, within `consent`, registering per `registration`.
    pub fn new(agent: &StartedAgent, consent: Consent, registration: Registration) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: agent.client.clone(),
                account: agent.identity.account_id.clone(),
                identity: agent.identity_message(),
                consent,
                registration,
            }),
        }
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "CheckWorkspace",
            workspace.id = %req.workspace_id,
            provider.uid = %req.provider_account_uid,
        )
    )]
    async fn check(&self, req: CheckWorkspaceRequest) -> Result<WorkspaceCheck> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let provider: AccountUid = required("provider_account_uid", &req.provider_account_uid)?;
        self.require_provider(&provider)?;
        self.require_workspace(&workspace)?;
        let client = &self.inner.client;
        let project = client
            .get_project(&workspace)
            .await
            .map_err(cloud("GetProject"))?
            .ok_or_else(|| Error::WorkspaceNotFound {
                workspace: workspace.to_string(),
                region: client.region().to_string(),
                account: self.inner.account.to_string(),
            })?;
        if !project.status.eq_ignore_ascii_case(AVAILABLE) {
            return Err(Error::WorkspaceUnavailable {
                workspace: workspace.to_string(),
                status: project.status,
            });
        }
        let (mode, environments) = if project.dev_environment_enabled {
            (
                WorkspaceMode::Standard,
                vec![Environment::Dev as i32, Environment::Prod as i32],
            )
        } else {
            (WorkspaceMode::Basic, vec![Environment::Prod as i32])
        };
        tracing::debug!(mode = mode.as_str_name(), "workspace checked");
        Ok(WorkspaceCheck {
            workspace_id: workspace.to_string(),
            name: project.name,
            status: project.status,
            mode: mode as i32,
            environments,
        })
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "RegisterCluster",
            workspace.id = %req.workspace_id,
            env = req.environment().dataworks_name(),
            cluster.id = %req.cluster_id,
            dry_run = req.dry_run,
        )
    )]
    async fn register(&self, req: RegisterClusterRequest) -> Result<RegisterClusterResponse> {
        let dry_run = req.dry_run;
        check_resource_name(&req.compute_resource_name)?;
        let registering = self.validate_registration(req)?;
        self.require_provider(&registering.provider)?;
        self.require_workspace(&registering.workspace)?;
        register::register(
            &self.inner.client,
            &self.inner.registration,
            &registering,
            dry_run,
        )
        .await
    }

    fn validate_registration(&self, req: RegisterClusterRequest) -> Result<Registering> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let environment = environment(req.environment)?.ok_or(Error::MissingArgument {
            field: "environment",
        })?;
        let provider: AccountUid = required("provider_account_uid", &req.provider_account_uid)?;
        let role: RoleName = required("role_name", &req.role_name)?;
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        let region = if req.region.is_empty() {
            self.inner.client.region().clone()
        } else {
            required::<RegionId>("region", &req.region)?
        };
        let params = Params {
            env_type: environment.dataworks_name().to_owned(),
            region_id: region.to_string(),
            cluster_id: cluster.to_string(),
            owner_id: provider.to_string(),
            role_name: role.to_string(),
        };
        Ok(Registering {
            workspace,
            environment,
            name: req.compute_resource_name,
            provider,
            role,
            cluster,
            params,
        })
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "UnregisterCluster",
            workspace.id = %req.workspace_id,
            resource.id = %req.compute_resource_id,
            dry_run = req.dry_run,
        )
    )]
    async fn unregister(&self, req: UnregisterClusterRequest) -> Result<UnregisterClusterResponse> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let environment = environment(req.environment)?;
        self.require_workspace(&workspace)?;
        let id = if req.compute_resource_id.is_empty() {
            // No id recorded: find the resource by what it connects to.
            let registering = self.validate_registration(RegisterClusterRequest {
                workspace_id: req.workspace_id.clone(),
                environment: req.environment,
                provider_account_uid: req.provider_account_uid.clone(),
                role_name: req.role_name.clone(),
                cluster_id: req.cluster_id.clone(),
                region: String::new(),
                compute_resource_name: String::new(),
                dry_run: req.dry_run,
            })?;
            match register::find_match(&self.inner.client, &self.inner.registration, &registering)
                .await?
            {
                Some(id) => id,
                None => return Ok(UnregisterClusterResponse { deleted: false }),
            }
        } else {
            resource_id(&req.compute_resource_id)?
        };
        register::unregister(
            &self.inner.client,
            &self.inner.registration,
            &workspace,
            environment,
            id,
            req.dry_run,
        )
        .await
    }

    fn require_provider(&self, provider: &AccountUid) -> Result<()> {
        if self.inner.consent.allows_provider(provider) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "provider account",
            value: provider.to_string(),
            key: "consent.provider_accounts",
        })
    }

    fn require_workspace(&self, workspace: &WorkspaceId) -> Result<()> {
        if self.inner.consent.allows_workspace(workspace) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "workspace",
            value: workspace.to_string(),
            key: "consent.workspaces",
        })
    }
}

#[tonic::async_trait]
impl ConsumerAgent for ConsumerService {
    async fn get_identity(
        &self,
        _request: Request<GetIdentityRequest>,
    ) -> Result<Response<Identity>, Status> {
        Ok(Response::new(self.inner.identity.clone()))
    }

    async fn check_workspace(
        &self,
        request: Request<CheckWorkspaceRequest>,
    ) -> Result<Response<WorkspaceCheck>, Status> {
        answer(self.check(request.into_inner()).await)
    }

    async fn register_cluster(
        &self,
        request: Request<RegisterClusterRequest>,
    ) -> Result<Response<RegisterClusterResponse>, Status> {
        answer(self.register(request.into_inner()).await)
    }

    async fn unregister_cluster(
        &self,
        request: Request<UnregisterClusterRequest>,
    ) -> Result<Response<UnregisterClusterResponse>, Status> {
        answer(self.unregister(request.into_inner()).await)
    }
}

impl std::fmt::Debug for ConsumerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerService")
            .field("account", &self.inner.account)
            .field("consent", &self.inner.consent)
            .finish_non_exhaustive()
    }
}

/// Parses a required request field, naming it when it is empty or malformed.
fn required<T>(field: &'static str, value: &str) -> Result<T>
where
    T: std::str::FromStr<Err = InvalidId>,
{
    if value.is_empty() {
        return Err(Error::MissingArgument { field });
    }
    value
        .parse()
        .map_err(|source| Error::InvalidArgument { field, source })
}

/// The request's environment; `None` when unspecified.
fn environment(value: i32) -> Result<Option<Environment>> {
    match Environment::try_from(value) {
        Ok(Environment::Unspecified) => Ok(None),
        Ok(env) => Ok(Some(env)),
        Err(_) => Err(Error::BadField {
            field: "environment",
            problem: format!(
                "has the unknown value {value}; use ENVIRONMENT_DEV or ENVIRONMENT_PROD"
            ),
        }),
    }
}

/// A compute-resource ID: a positive decimal number.
fn resource_id(value: &str) -> Result<i64> {
    if value.is_empty() {
        return Err(Error::MissingArgument {
            field: "compute_resource_id",
        });
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Error::BadField {
            field: "compute_resource_id",
            problem: format!("{value:?} must be a positive decimal number"),
        })
}

/// DataWorks' name rule (facts §5.2): letters, digits and `_`, not starting with a digit or
/// `_`, at most 255 characters.
fn check_resource_name(name: &str) -> Result<()> {
    const FIELD: &str = "compute_resource_name";
    let bad = |problem: &str| {
        Err(Error::BadField {
            field: FIELD,
            problem: format!("{name:?} {problem}"),
        })
    };
    if name.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    if name.len() > MAX_NAME_LEN {
        return bad("is longer than 255 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return bad("may contain only letters, digits and '_'");
    }
    if !name.as_bytes()[0].is_ascii_alphabetic() {
        return bad("must start with a letter");
    }
    Ok(())
}

fn answer<T>(result: Result<T>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|e| {
        tracing::debug!(error = %crossbind_agent_common::display_chain(&e), "request failed");
        Status::from(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_follow_the_dataworks_rule() {
        assert!(check_resource_name("emr_cross_prod").is_ok());
        for bad in ["", "1emr", "_emr", "emr-x", "emr x", &"a".repeat(256)] {
            assert!(check_resource_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resource_ids_are_positive_numbers() {
        assert_eq!(resource_id("42").expect("valid"), 42);
        for bad in ["", "0", "-1", "x1"] {
            assert!(resource_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn environments_map_from_the_wire() {
        assert_eq!(environment(0).expect("valid"), None);
        assert_eq!(environment(1).expect("valid"), Some(Environment::Dev));
        assert!(environment(9).is_err());
    }
}
