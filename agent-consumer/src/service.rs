//! The `ConsumerAgent` gRPC service: validates each request, applies the owner's consent, and
//! hands the work to `register`, `resource_group`, `initialization`, `mappings` and
//! `diagnose`. Who may call is decided before a request gets here (the coordinator-only
//! interceptor).

use std::sync::Arc;

use crossbind_agent_common::StartedAgent;
use crossbind_aliyun::client::Client;
use crossbind_aliyun::dataworks::Project;
use crossbind_aliyun::ids::{AccountUid, ClusterId, InvalidId, RegionId, RoleName, WorkspaceId};
use crossbind_proto::consumer_agent_server::ConsumerAgent;
use crossbind_proto::{
    ApplyAccountMappingsRequest, ApplyAccountMappingsResponse, BindResourceGroupRequest,
    BindResourceGroupResponse, CheckResourceGroupRequest, CheckWorkspaceRequest,
    DiagnoseWorkspaceRequest, Environment, GetIdentityRequest, Identity, InitializationPlan,
    PlanInitializationRequest, RegisterClusterRequest, RegisterClusterResponse,
    RemoveAccountMappingsRequest, RemoveAccountMappingsResponse, ResourceGroupCheck,
    UnregisterClusterRequest, UnregisterClusterResponse, WorkspaceCheck, WorkspaceDiagnosis,
    WorkspaceMode,
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::config::{
    Consent, ConsumerConfig, Initialization, Registration, check_resource_group_id,
};
use crate::connection_properties::Params;
use crate::diagnose::{Diagnosing, Reader, ResourceRef};
use crate::error::{Error, Result, cloud};
use crate::initialization::{self, Subject};
use crate::mappings::{Current, Passwords, Target, Wanted, check_cluster_account};
use crate::register::{self, Registering};
use crate::resource_group::Groups;

/// The DataWorks project status of a usable workspace.
const AVAILABLE: &str = "Available";

/// The longest compute-resource name DataWorks accepts.
const MAX_NAME_LEN: usize = 255;

/// The longest `reason` of a plan accepted.
const MAX_REASON_LEN: usize = 500;

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
    initialization: Initialization,
    passwords: Passwords,
}

// === impl ConsumerService ===

impl ConsumerService {
    /// A service acting with `agent`'s client, within `config`'s consent and settings, with
    /// `passwords` for the cluster accounts of LDAP clusters.
    pub fn new(agent: &StartedAgent, config: ConsumerConfig, passwords: Passwords) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: agent.client.clone(),
                account: agent.identity.account_id.clone(),
                identity: agent.identity_message(),
                consent: config.consent,
                registration: config.registration,
                initialization: config.initialization,
                passwords,
            }),
        }
    }

    fn groups(&self) -> Groups<'_> {
        Groups {
            client: &self.inner.client,
            account: &self.inner.account,
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
        let check = workspace_check(&workspace, project);
        tracing::debug!(mode = check.mode().as_str_name(), "workspace checked");
        Ok(check)
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

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "CheckResourceGroup",
            workspace.id = %req.workspace_id,
            resource_group.id = %req.resource_group_id,
        )
    )]
    async fn check_group(&self, req: CheckResourceGroupRequest) -> Result<ResourceGroupCheck> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let group = group_id(&req.resource_group_id)?;
        self.require_workspace(&workspace)?;
        self.require_group(&group)?;
        self.groups().check(&workspace, &group).await
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "BindResourceGroup",
            workspace.id = %req.workspace_id,
            resource_group.id = %req.resource_group_id,
            dry_run = req.dry_run,
        )
    )]
    async fn bind_group(&self, req: BindResourceGroupRequest) -> Result<BindResourceGroupResponse> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let group = group_id(&req.resource_group_id)?;
        self.require_workspace(&workspace)?;
        self.require_group(&group)?;
        self.groups().bind(&workspace, &group, req.dry_run).await
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "PlanInitialization",
            workspace.id = %req.workspace_id,
            resource_group.id = %req.resource_group_id,
            cluster.id = %req.cluster_id,
        )
    )]
    async fn plan(&self, req: PlanInitializationRequest) -> Result<InitializationPlan> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let group = group_id(&req.resource_group_id)?;
        let provider: AccountUid = required("provider_account_uid", &req.provider_account_uid)?;
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        check_resource_name(&req.compute_resource_name)?;
        let environments = environments(&req.environments)?;
        let after = instant("after", &req.after)?;
        let reason = reason(&req.reason)?;
        self.require_provider(&provider)?;
        self.require_workspace(&workspace)?;
        self.require_group(&group)?;
        let client = &self.inner.client;
        let groups = self.groups();
        let (project, checked) = tokio::join!(
            client.get_project(&workspace),
            groups.check(&workspace, &group)
        );
        let project = project
            .map_err(cloud("GetProject"))?
            .ok_or_else(|| self.workspace_not_found(&workspace))?;
        let checked = checked?;
        let region = client.region().to_string();
        let subject = Subject {
            region: &region,
            workspace: &workspace,
            workspace_name: &project.name,
            group_id: &group,
            group_name: &checked.name,
            provider: &provider,
            cluster: &cluster,
            resource_name: &req.compute_resource_name,
            environments: &environments,
            reason,
        };
        let plan = initialization::plan(&self.inner.initialization, &subject, after)?;
        tracing::debug!(
            window.start = %plan.window_start,
            window.end = %plan.window_end,
            "initialization planned"
        );
        Ok(plan)
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "ApplyAccountMappings",
            workspace.id = %req.workspace_id,
            resource.id = %req.compute_resource_id,
            cluster.id = %req.cluster_id,
            mappings = req.mappings.len(),
            dry_run = req.dry_run,
        )
    )]
    async fn apply_mappings(
        &self,
        req: ApplyAccountMappingsRequest,
    ) -> Result<ApplyAccountMappingsResponse> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let resource = resource_id(&req.compute_resource_id)?;
        let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
        let wanted = wanted_mappings(&req.mappings)?;
        let (target, current) = self.mapping_target(&workspace, resource).await?;
        if !current.cluster.eq_ignore_case(&cluster) {
            return Err(Error::OtherCluster {
                id: resource,
                workspace: workspace.to_string(),
                found: current.cluster.to_string(),
                asked: cluster.to_string(),
            });
        }
        target
            .apply(&self.inner.passwords, &current, &wanted, req.dry_run)
            .await
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "RemoveAccountMappings",
            workspace.id = %req.workspace_id,
            resource.id = %req.compute_resource_id,
            members = req.member_uids.len(),
            dry_run = req.dry_run,
        )
    )]
    async fn remove_mappings(
        &self,
        req: RemoveAccountMappingsRequest,
    ) -> Result<RemoveAccountMappingsResponse> {
        let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
        let resource = resource_id(&req.compute_resource_id)?;
        let members = member_uids(&req.member_uids)?;
        let (target, current) = self.mapping_target(&workspace, resource).await?;
        target.remove(&current, &members, req.dry_run).await
    }

    /// The compute resource mappings go through, read, once the workspace and the cluster's
    /// owner are both within consent.
    async fn mapping_target<'a>(
        &'a self,
        workspace: &'a WorkspaceId,
        resource: i64,
    ) -> Result<(Target<'a>, Current)> {
        self.require_workspace(workspace)?;
        let target = Target {
            client: &self.inner.client,
            workspace,
            resource,
        };
        let current = target.read(&self.inner.registration.template).await?;
        self.require_provider(&current.owner)?;
        Ok((target, current))
    }

    #[instrument(
        name = "consumer",
        skip_all,
        fields(
            rpc = "DiagnoseWorkspace",
            workspace.id = %req.workspace_id,
            cluster.id = %req.cluster_id,
            resource_group.id = %req.resource_group_id,
        )
    )]
    async fn diagnose(&self, req: DiagnoseWorkspaceRequest) -> Result<WorkspaceDiagnosis> {
        let d = validate_diagnosis(req)?;
        self.require_provider(&d.provider)?;
        self.require_workspace(&d.workspace)?;
        if let Some(group) = &d.group {
            self.require_group(group)?;
        }
        let reader = Reader {
            client: &self.inner.client,
            account: &self.inner.account,
            registration: &self.inner.registration,
        };
        reader.diagnose(&d).await
    }

    fn workspace_not_found(&self, workspace: &WorkspaceId) -> Error {
        Error::WorkspaceNotFound {
            workspace: workspace.to_string(),
            region: self.inner.client.region().to_string(),
            account: self.inner.account.to_string(),
        }
    }

    fn require_group(&self, group: &str) -> Result<()> {
        if self.inner.consent.allows_resource_group(group) {
            return Ok(());
        }
        Err(Error::NotConsented {
            what: "resource group",
            value: group.to_owned(),
            key: "consent.resource_groups",
        })
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

    async fn check_resource_group(
        &self,
        request: Request<CheckResourceGroupRequest>,
    ) -> Result<Response<ResourceGroupCheck>, Status> {
        answer(self.check_group(request.into_inner()).await)
    }

    async fn bind_resource_group(
        &self,
        request: Request<BindResourceGroupRequest>,
    ) -> Result<Response<BindResourceGroupResponse>, Status> {
        answer(self.bind_group(request.into_inner()).await)
    }

    async fn plan_initialization(
        &self,
        request: Request<PlanInitializationRequest>,
    ) -> Result<Response<InitializationPlan>, Status> {
        answer(self.plan(request.into_inner()).await)
    }

    async fn apply_account_mappings(
        &self,
        request: Request<ApplyAccountMappingsRequest>,
    ) -> Result<Response<ApplyAccountMappingsResponse>, Status> {
        answer(self.apply_mappings(request.into_inner()).await)
    }

    async fn remove_account_mappings(
        &self,
        request: Request<RemoveAccountMappingsRequest>,
    ) -> Result<Response<RemoveAccountMappingsResponse>, Status> {
        answer(self.remove_mappings(request.into_inner()).await)
    }

    async fn diagnose_workspace(
        &self,
        request: Request<DiagnoseWorkspaceRequest>,
    ) -> Result<Response<WorkspaceDiagnosis>, Status> {
        answer(self.diagnose(request.into_inner()).await)
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

/// A workspace as `CheckWorkspace` and `DiagnoseWorkspace` report it; its mode comes from
/// `DevEnvironmentEnabled`.
pub(crate) fn workspace_check(workspace: &WorkspaceId, project: Project) -> WorkspaceCheck {
    let (mode, environments) = if project.dev_environment_enabled {
        (
            WorkspaceMode::Standard,
            vec![Environment::Dev as i32, Environment::Prod as i32],
        )
    } else {
        (WorkspaceMode::Basic, vec![Environment::Prod as i32])
    };
    WorkspaceCheck {
        workspace_id: workspace.to_string(),
        name: project.name,
        status: project.status,
        mode: mode as i32,
        environments,
    }
}

/// A required `resource_group_id`.
fn group_id(value: &str) -> Result<String> {
    const FIELD: &str = "resource_group_id";
    if value.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    check_resource_group_id(value).map_err(|problem| Error::BadField {
        field: FIELD,
        problem,
    })?;
    Ok(value.to_owned())
}

/// The environments of a plan: at least one, each Dev or Prod, repeats dropped.
fn environments(values: &[i32]) -> Result<Vec<Environment>> {
    const FIELD: &str = "environments";
    if values.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    let mut out = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let env = environment(*value)
            .ok()
            .flatten()
            .ok_or_else(|| Error::BadEntry {
                field: FIELD,
                index,
                problem: format!("is {value}; use ENVIRONMENT_DEV or ENVIRONMENT_PROD"),
            })?;
        if !out.contains(&env) {
            out.push(env);
        }
    }
    Ok(out)
}

/// A required RFC 3339 instant.
fn instant(field: &'static str, value: &str) -> Result<jiff::Timestamp> {
    if value.is_empty() {
        return Err(Error::MissingArgument { field });
    }
    value.parse().map_err(|_| Error::BadField {
        field,
        problem: format!(
            "{value:?} is not an RFC 3339 instant such as 2026-01-15T08:30:00Z or \
             2026-01-15T16:30:00+08:00"
        ),
    })
}

/// A required, printable `reason` of reasonable length.
fn reason(value: &str) -> Result<&str> {
    const FIELD: &str = "reason";
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    if value.chars().count() > MAX_REASON_LEN {
        return Err(Error::BadField {
            field: FIELD,
            problem: format!("is longer than {MAX_REASON_LEN} characters"),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(Error::BadField {
            field: FIELD,
            problem: "must not contain control characters such as line breaks".to_owned(),
        });
    }
    Ok(value)
}

/// The mappings of an apply: at least one, valid UIDs and account names, one per member.
fn wanted_mappings(mappings: &[crossbind_proto::AccountMapping]) -> Result<Vec<Wanted>> {
    const FIELD: &str = "mappings";
    if mappings.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    let mut out: Vec<Wanted> = Vec::with_capacity(mappings.len());
    for (index, m) in mappings.iter().enumerate() {
        let bad = |problem: String| Error::BadEntry {
            field: FIELD,
            index,
            problem,
        };
        let member = AccountUid::new(m.member_uid.as_str())
            .map_err(|e| bad(format!("member_uid must be an Alibaba Cloud UID: {e}")))?;
        check_cluster_account(&m.cluster_account).map_err(|problem| {
            bad(format!(
                "cluster_account {:?} {problem} (letters, digits, '_', '-' and '.', 1 to 64, not \
                 starting with '-')",
                m.cluster_account
            ))
        })?;
        if out.iter().any(|w| w.member == member) {
            return Err(bad(format!(
                "maps member {member} again; give each member one cluster account"
            )));
        }
        out.push(Wanted {
            member,
            account: m.cluster_account.clone(),
        });
    }
    Ok(out)
}

/// The members of a removal: at least one, each a UID, repeats dropped.
fn member_uids(values: &[String]) -> Result<Vec<AccountUid>> {
    const FIELD: &str = "member_uids";
    if values.is_empty() {
        return Err(Error::MissingArgument { field: FIELD });
    }
    let mut out: Vec<AccountUid> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let uid = AccountUid::new(value.as_str()).map_err(|e| Error::BadEntry {
            field: FIELD,
            index,
            problem: format!("must be an Alibaba Cloud UID: {e}"),
        })?;
        if !out.contains(&uid) {
            out.push(uid);
        }
    }
    Ok(out)
}

/// A diagnosis request, validated.
fn validate_diagnosis(req: DiagnoseWorkspaceRequest) -> Result<Diagnosing> {
    const FIELD: &str = "compute_resources";
    let workspace: WorkspaceId = required("workspace_id", &req.workspace_id)?;
    let provider: AccountUid = required("provider_account_uid", &req.provider_account_uid)?;
    let role: RoleName = required("role_name", &req.role_name)?;
    let cluster: ClusterId = required("cluster_id", &req.cluster_id)?;
    let group = match req.resource_group_id.as_str() {
        "" => None,
        id => Some(group_id(id)?),
    };
    let mut resources = Vec::with_capacity(req.compute_resources.len());
    for (index, r) in req.compute_resources.iter().enumerate() {
        let bad = |problem: String| Error::BadEntry {
            field: FIELD,
            index,
            problem,
        };
        let environment = environment(r.environment)
            .ok()
            .flatten()
            .ok_or_else(|| bad("environment must be ENVIRONMENT_DEV or ENVIRONMENT_PROD".into()))?;
        let id = match r.compute_resource_id.as_str() {
            "" => None,
            id => Some(resource_id(id).map_err(|_| {
                bad(format!(
                    "compute_resource_id {id:?} must be a positive decimal number"
                ))
            })?),
        };
        let name = match r.compute_resource_name.as_str() {
            "" => None,
            name => {
                check_resource_name(name).map_err(|_| {
                    bad(format!(
                        "compute_resource_name {name:?} must follow DataWorks' rule: letters, \
                         digits and '_', starting with a letter, at most 255 characters"
                    ))
                })?;
                Some(name.to_owned())
            }
        };
        resources.push(ResourceRef {
            environment,
            id,
            name,
        });
    }
    Ok(Diagnosing {
        workspace,
        provider,
        role,
        cluster,
        group,
        resources,
    })
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
