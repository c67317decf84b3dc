//! DataWorks 2024-05-18 typed calls: reading a workspace; creating, reading, listing and
//! deleting compute resources; listing resource groups and binding them to or unbinding them
//! from a workspace; reading and changing the account mappings of an EMR compute resource
//! (facts §5); listing data sources and testing their connectivity (`data_sources`). Creating
//! resource groups or data sources and the 2020-05-18 API are not wrapped.

mod data_sources;

pub use data_sources::{
    ConnectState, Connectivity, ConnectivityStep, DataSource, DataSourceGroup, DataSourcePage,
    ListDataSources,
};

use serde::Deserialize;
use serde_json::Value;
use tracing::instrument;

use crate::client::{Client, Method, RpcRequest};
use crate::credentials::Secret;
use crate::endpoint::Product;
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::wire;

/// The DataWorks API version.
pub const VERSION: &str = "2024-05-18";

/// The page size used when listing everything.
const LIST_ALL_PAGE_SIZE: u32 = 100;
/// A bound on pages followed.
const MAX_PAGES: u32 = 1000;

/// DataWorks error codes.
///
/// DataWorks does not publish these; they are chosen by crossbind's emulator and this client
/// together, and are UNCONFIRMED against the real cloud.
pub mod codes {
    /// No compute resource with that ID (404).
    pub const COMPUTE_RESOURCE_NOT_FOUND: &str = "ComputeResource.NotFound";
    /// A compute resource with that name and environment already exists (409).
    pub const COMPUTE_RESOURCE_ALREADY_EXISTS: &str = "ComputeResource.AlreadyExists";
    /// No workspace with that ID (404).
    pub const PROJECT_NOT_FOUND: &str = "Project.NotFound";
    /// The cross-account role is missing, does not trust the caller's DataWorks principal,
    /// lacks the policy, or is not in effect yet (403).
    pub const CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED: &str = "Forbidden.CrossAccountRole";
    /// The cluster cannot be registered across accounts (400).
    pub const CLUSTER_NOT_SUPPORTED: &str = "InvalidParameter.ClusterNotSupported";
    /// No resource group with that ID (404).
    pub const RESOURCE_GROUP_NOT_FOUND: &str = "ResourceGroup.NotFound";
    /// The resource group is not bound to that workspace, so it cannot be unbound (404).
    pub const RESOURCE_GROUP_NOT_ASSOCIATED: &str = "ResourceGroup.NotAssociated";
    /// No data source with that ID in the workspace (404).
    pub const DATA_SOURCE_NOT_FOUND: &str = "DataSource.NotFound";
    /// Account mappings are refused for this cluster, e.g. with both LDAP and Kerberos on (400).
    pub const AUTH_USER_MAPPING_NOT_ALLOWED: &str = "InvalidParameter.AuthUserMappingNotAllowed";
}

/// A DataWorks workspace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Project {
    /// The workspace ID.
    #[serde(deserialize_with = "wire::i64_lenient")]
    pub id: i64,
    /// The unique name.
    #[serde(default)]
    pub name: String,
    /// The display name.
    #[serde(default)]
    pub display_name: String,
    /// The description.
    #[serde(default)]
    pub description: String,
    /// The owner's account UID.
    #[serde(default)]
    pub owner: String,
    /// `Available`, `Initializing`, `Forbidden`, ….
    #[serde(default)]
    pub status: String,
    /// True for a standard-mode workspace (DEV and PROD), false for basic mode (PROD only).
    #[serde(default, deserialize_with = "wire::bool_lenient")]
    pub dev_environment_enabled: bool,
    /// Whether the development role is disabled.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    pub dev_role_disabled: Option<bool>,
}

/// The filters of `ListComputeResources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListComputeResources {
    /// The workspace.
    pub project_id: WorkspaceId,
    /// Only resources with this name.
    pub name: Option<String>,
    /// Only this environment, `Dev` or `Prod`.
    pub env_type: Option<String>,
    /// Only these types (sent comma-separated).
    pub types: Vec<String>,
    /// The page, from 1.
    pub page_number: u32,
    /// The page size (at most 100).
    pub page_size: u32,
}

/// One page of `ListComputeResources`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeResourcePage {
    /// The page number.
    #[serde(default, deserialize_with = "wire::u32_lenient")]
    pub page_number: u32,
    /// The page size.
    #[serde(default, deserialize_with = "wire::u32_lenient")]
    pub page_size: u32,
    /// How many groups match in all.
    #[serde(default, deserialize_with = "wire::u64_lenient")]
    pub total_count: u64,
    /// One group per name and type, each holding one entry per environment.
    #[serde(default, rename = "ComputeResources")]
    pub groups: Vec<ComputeResourceGroup>,
}

/// The compute resources sharing one name and type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeResourceGroup {
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The type, e.g. `emr`.
    #[serde(default)]
    pub r#type: String,
    /// One entry per environment.
    #[serde(default, rename = "ComputeResource")]
    pub resources: Vec<ComputeResourceEntry>,
}

/// One environment's compute resource in a listing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeResourceEntry {
    /// The compute resource ID.
    #[serde(deserialize_with = "wire::i64_lenient")]
    pub id: i64,
    /// `Dev` or `Prod`: the `EnvType` field when present, else `envType` of the properties.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub env_type: Option<String>,
    /// The connection properties, decoded to JSON whether sent as an object or as a string.
    #[serde(default, deserialize_with = "wire::json_object_or_string")]
    pub connection_properties: Value,
    /// E.g. `InstanceMode`.
    #[serde(default)]
    pub connection_properties_mode: String,
    /// The description.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub description: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub create_time: Option<i64>,
    /// Who created it.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub create_user: Option<String>,
    /// When it was last changed.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub modify_time: Option<i64>,
    /// Whether it is the workspace's default.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    pub whether_default: Option<bool>,
}

/// The parameters of `CreateComputeResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateComputeResource {
    /// The workspace.
    pub project_id: WorkspaceId,
    /// The name: letters, digits and `_`, not starting with a digit or `_`.
    pub name: String,
    /// The type, e.g. `emr`.
    pub r#type: String,
    /// E.g. `InstanceMode`.
    pub connection_properties_mode: String,
    /// The connection properties as JSON text, including `envType`.
    pub connection_properties: String,
    /// A description.
    pub description: Option<String>,
}

/// A compute resource as `GetComputeResource` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeResource {
    /// The ID.
    #[serde(deserialize_with = "wire::i64_lenient")]
    pub id: i64,
    /// The workspace (0 if the answer omits it).
    #[serde(default, deserialize_with = "wire::i64_or_zero")]
    pub project_id: i64,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The type.
    #[serde(default)]
    pub r#type: String,
    /// E.g. `InstanceMode`.
    #[serde(default)]
    pub connection_properties_mode: String,
    /// The connection properties, decoded to JSON.
    #[serde(default, deserialize_with = "wire::json_object_or_string")]
    pub connection_properties: Value,
    /// The description.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub description: Option<String>,
    /// The business key.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub qualified_name: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub create_time: Option<i64>,
    /// Who created it.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub create_user: Option<String>,
    /// When it was last changed.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub modify_time: Option<i64>,
}

/// The filters of `ListResourceGroups` (all optional; paging from 1, at most 100 a page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResourceGroups {
    /// Only groups bound to this workspace.
    pub project_id: Option<WorkspaceId>,
    /// Only groups with this name.
    pub name: Option<String>,
    /// Only these types, e.g. `CommonV2` (sent as a JSON list).
    pub resource_group_types: Vec<String>,
    /// Only these statuses, e.g. `Normal` (sent as a JSON list).
    pub statuses: Vec<String>,
    /// The page, from 1; `None` for the server's default.
    pub page_number: Option<u32>,
    /// The page size; `None` for the server's default.
    pub page_size: Option<u32>,
}

/// A DataWorks resource group as `ListResourceGroups` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceGroup {
    /// The ID, e.g. `Serverless_res_group_524257424564736_6831777003****`.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The remark.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub remark: Option<String>,
    /// `CommonV2`, `ExclusiveDataIntegration`, `ExclusiveScheduler` or `ExclusiveDataService`.
    #[serde(default)]
    pub resource_group_type: String,
    /// `Normal`, `Stop`, `Deleted`, `Creating`, ….
    #[serde(default)]
    pub status: String,
    /// `PrePaid` or `PostPaid`.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub payment_type: Option<String>,
    /// The VPC the group's network is in.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub default_vpc_id: Option<String>,
    /// The vSwitch (the wire field is misspelled `DefaultVswicthId`).
    #[serde(
        default,
        rename = "DefaultVswicthId",
        alias = "DefaultVswitchId",
        deserialize_with = "wire::non_empty_string"
    )]
    pub default_vswitch_id: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub create_time: Option<i64>,
}

/// The account mappings of a compute resource (`GetComputeResourceAuthUserMappings`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthUserMappings {
    /// The cluster's authentication, e.g. `ldap`.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub hadoop_auth_type: Option<String>,
    /// One entry per mapped member.
    #[serde(default)]
    pub accounts: Vec<AuthUserMapping>,
}

/// One member mapped to a cluster account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthUserMapping {
    /// The member's Alibaba Cloud UID.
    pub user_id: String,
    /// The cluster (or LDAP) account it runs as.
    #[serde(default)]
    pub username: String,
}

/// One mapping to create or change with `UpdateComputeResourceAuthUserMappings`. Holds a
/// password, so its `Debug` is written by hand and shows only whether one is set.
#[derive(Clone)]
pub struct AuthUserUpsert {
    /// The member's Alibaba Cloud UID.
    pub user_id: String,
    /// The cluster account.
    pub username: String,
    /// The cluster account's password, when the cluster needs one (e.g. LDAP).
    pub password: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProjectBody {
    project: Project,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PagingBody {
    paging_info: ComputeResourcePage,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdBody {
    #[serde(deserialize_with = "wire::i64_lenient")]
    id: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ComputeResourceBody {
    compute_resource: ComputeResource,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SuccessBody {
    #[serde(default, deserialize_with = "wire::opt_bool")]
    success: Option<bool>,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceGroupPagingBody {
    paging_info: ResourceGroupPage,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceGroupPage {
    #[serde(default)]
    resource_group_list: Vec<ResourceGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProjectIdListBody {
    #[serde(default)]
    project_id_list: Vec<LenientId>,
}

#[derive(Deserialize)]
struct LenientId(#[serde(deserialize_with = "wire::i64_lenient")] i64);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthUserMappingsBody {
    data: AuthUserMappings,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeRecordBody {
    #[serde(default, deserialize_with = "wire::opt_bool")]
    success: Option<bool>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    data: Option<ChangeRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeRecord {
    #[serde(default)]
    status: Option<String>,
}

// === impl AuthUserUpsert ===

impl std::fmt::Debug for AuthUserUpsert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthUserUpsert")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("has_password", &self.password.is_some())
            .finish()
    }
}

// === impl ComputeResourceEntry ===

impl ComputeResourceEntry {
    fn fill_env_type(&mut self) {
        if self.env_type.is_some() {
            return;
        }
        self.env_type = self
            .connection_properties
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("envType")))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned);
    }
}

// === impl Client ===

impl Client {
    /// Reads a workspace; `None` when it does not exist.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %id))]
    pub async fn get_project(&self, id: &WorkspaceId) -> Result<Option<Project>> {
        let req = RpcRequest::new(Product::DataWorks, "GetProject", VERSION)
            .with_method(Method::Get)
            .param("Id", id.as_str());
        let body: Option<ProjectBody> = self
            .call_optional(req, |e| e.code == codes::PROJECT_NOT_FOUND)
            .await?;
        Ok(body.map(|b| b.project))
    }

    /// Lists one page of a workspace's compute resources.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %filter.project_id))]
    pub async fn list_compute_resources(
        &self,
        filter: &ListComputeResources,
    ) -> Result<ComputeResourcePage> {
        let types = (!filter.types.is_empty()).then(|| filter.types.join(","));
        let req = RpcRequest::new(Product::DataWorks, "ListComputeResources", VERSION)
            .param("ProjectId", filter.project_id.as_str())
            .opt_param("Name", filter.name.as_ref())
            .opt_param("EnvType", filter.env_type.as_ref())
            .opt_param("Types", types)
            .param("PageNumber", filter.page_number.to_string())
            .param("PageSize", filter.page_size.to_string());
        let mut page = self.call_as::<PagingBody>(req).await?.paging_info;
        for entry in page.groups.iter_mut().flat_map(|g| g.resources.iter_mut()) {
            entry.fill_env_type();
        }
        Ok(page)
    }

    /// Lists every compute resource of a workspace (optionally of one name), as
    /// (group name, type, entry) triples, reading page after page.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id))]
    pub async fn list_all_compute_resources(
        &self,
        project_id: &WorkspaceId,
        name: Option<&str>,
    ) -> Result<Vec<(String, String, ComputeResourceEntry)>> {
        let mut out = Vec::new();
        let mut groups_seen: u64 = 0;
        for page_number in 1..=MAX_PAGES {
            let page = self
                .list_compute_resources(&ListComputeResources {
                    project_id: project_id.clone(),
                    name: name.map(str::to_owned),
                    env_type: None,
                    types: Vec::new(),
                    page_number,
                    page_size: LIST_ALL_PAGE_SIZE,
                })
                .await?;
            let count = page.groups.len();
            groups_seen += count as u64;
            for group in page.groups {
                for entry in group.resources {
                    out.push((group.name.clone(), group.r#type.clone(), entry));
                }
            }
            if count == 0 || groups_seen >= page.total_count {
                break;
            }
        }
        Ok(out)
    }

    /// Registers a compute resource and returns its ID.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %req.project_id, resource.name = %req.name))]
    pub async fn create_compute_resource(&self, req: &CreateComputeResource) -> Result<i64> {
        let rpc = RpcRequest::new(Product::DataWorks, "CreateComputeResource", VERSION)
            .param("ProjectId", req.project_id.as_str())
            .param("Name", &req.name)
            .param("Type", &req.r#type)
            .param("ConnectionPropertiesMode", &req.connection_properties_mode)
            .param("ConnectionProperties", &req.connection_properties)
            .opt_param("Description", req.description.as_ref());
        let body: IdBody = self.call_as(rpc).await?;
        tracing::info!(resource.id = body.id, "compute resource created");
        Ok(body.id)
    }

    /// Reads a compute resource; `None` when it does not exist.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource.id = id))]
    pub async fn get_compute_resource(
        &self,
        project_id: &WorkspaceId,
        id: i64,
    ) -> Result<Option<ComputeResource>> {
        let req = RpcRequest::new(Product::DataWorks, "GetComputeResource", VERSION)
            .param("Id", id.to_string())
            .param("ProjectId", project_id.as_str());
        let body: Option<ComputeResourceBody> = self
            .call_optional(req, |e| e.code == codes::COMPUTE_RESOURCE_NOT_FOUND)
            .await?;
        Ok(body.map(|b| b.compute_resource))
    }

    /// Deletes a compute resource.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource.id = id))]
    pub async fn delete_compute_resource(&self, project_id: &WorkspaceId, id: i64) -> Result<()> {
        const ACTION: &str = "DeleteComputeResource";
        let req = RpcRequest::new(Product::DataWorks, ACTION, VERSION)
            .param("Id", id.to_string())
            .param("ProjectId", project_id.as_str());
        let body: SuccessBody = self.call_as(req).await?;
        if body.success == Some(false) {
            return Err(Error::NotApplied {
                action: ACTION,
                request_id: body.request_id,
            });
        }
        tracing::info!("compute resource deleted");
        Ok(())
    }

    /// Lists the resource groups matching `filter` (one page; the defaults give the first).
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = filter.project_id.as_ref().map(WorkspaceId::as_str)))]
    pub async fn list_resource_groups(
        &self,
        filter: &ListResourceGroups,
    ) -> Result<Vec<ResourceGroup>> {
        let json_list =
            |v: &Vec<String>| (!v.is_empty()).then(|| Value::from(v.clone()).to_string());
        let req = RpcRequest::new(Product::DataWorks, "ListResourceGroups", VERSION)
            .with_method(Method::Get)
            .opt_param(
                "ProjectId",
                filter.project_id.as_ref().map(WorkspaceId::as_str),
            )
            .opt_param("Name", filter.name.as_ref())
            .opt_param(
                "ResourceGroupTypes",
                json_list(&filter.resource_group_types),
            )
            .opt_param("Statuses", json_list(&filter.statuses))
            .opt_param("PageNumber", filter.page_number)
            .opt_param("PageSize", filter.page_size);
        let body: ResourceGroupPagingBody = self.call_as(req).await?;
        Ok(body.paging_info.resource_group_list)
    }

    /// Binds a resource group to a workspace.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource_group.id = resource_group_id))]
    pub async fn associate_project_to_resource_group(
        &self,
        project_id: &WorkspaceId,
        resource_group_id: &str,
    ) -> Result<()> {
        const ACTION: &str = "AssociateProjectToResourceGroup";
        let req = RpcRequest::new(Product::DataWorks, ACTION, VERSION)
            .form_param("ProjectId", project_id.as_str())
            .form_param("ResourceGroupId", resource_group_id);
        let body: SuccessBody = self.call_as(req).await?;
        if body.success == Some(false) {
            return Err(Error::NotApplied {
                action: ACTION,
                request_id: body.request_id,
            });
        }
        tracing::info!("resource group bound to workspace");
        Ok(())
    }

    /// Unbinds a resource group from a workspace. Unbinding a group that is not bound fails
    /// with [`codes::RESOURCE_GROUP_NOT_ASSOCIATED`] (emulator-chosen; the cloud's is unpublished).
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource_group.id = resource_group_id))]
    pub async fn dissociate_project_from_resource_group(
        &self,
        project_id: &WorkspaceId,
        resource_group_id: &str,
    ) -> Result<()> {
        const ACTION: &str = "DissociateProjectFromResourceGroup";
        let req = RpcRequest::new(Product::DataWorks, ACTION, VERSION)
            .form_param("ProjectId", project_id.as_str())
            .form_param("ResourceGroupId", resource_group_id);
        let body: SuccessBody = self.call_as(req).await?;
        if body.success == Some(false) {
            return Err(Error::NotApplied {
                action: ACTION,
                request_id: body.request_id,
            });
        }
        tracing::info!("resource group unbound from workspace");
        Ok(())
    }

    /// The IDs of the workspaces a resource group is bound to.
    #[instrument(name = "dataworks", skip_all, fields(resource_group.id = resource_group_id))]
    pub async fn list_resource_group_associate_projects(
        &self,
        resource_group_id: &str,
    ) -> Result<Vec<i64>> {
        const ACTION: &str = "ListResourceGroupAssociateProjects";
        let req = RpcRequest::new(Product::DataWorks, ACTION, VERSION)
            .param("ResourceGroupId", resource_group_id);
        let body: ProjectIdListBody = self.call_as(req).await?;
        Ok(body.project_id_list.into_iter().map(|id| id.0).collect())
    }

    /// Reads the account mappings of a compute resource.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource.id = compute_resource_id))]
    pub async fn get_compute_resource_auth_user_mappings(
        &self,
        project_id: &WorkspaceId,
        compute_resource_id: i64,
    ) -> Result<AuthUserMappings> {
        let req = RpcRequest::new(
            Product::DataWorks,
            "GetComputeResourceAuthUserMappings",
            VERSION,
        )
        .param("ProjectId", project_id.as_str())
        .param("ComputeResourceId", compute_resource_id.to_string());
        let body: AuthUserMappingsBody = self.call_as(req).await?;
        Ok(body.data)
    }

    /// Creates or changes (`upserts`) and removes (`remove_user_ids`) account mappings of a
    /// compute resource; safe to repeat. Passwords go only into the signed form body.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, resource.id = compute_resource_id, upserts = upserts.len(), removals = remove_user_ids.len()))]
    pub async fn update_compute_resource_auth_user_mappings(
        &self,
        project_id: &WorkspaceId,
        compute_resource_id: i64,
        upserts: &[AuthUserUpsert],
        remove_user_ids: &[String],
    ) -> Result<()> {
        const ACTION: &str = "UpdateComputeResourceAuthUserMappings";
        let upserts: Vec<Value> = upserts
            .iter()
            .map(|u| {
                let mut entry = serde_json::Map::new();
                entry.insert("UserId".into(), Value::from(u.user_id.as_str()));
                entry.insert("Username".into(), Value::from(u.username.as_str()));
                if let Some(password) = &u.password {
                    entry.insert("Password".into(), Value::from(password.expose()));
                }
                Value::Object(entry)
            })
            .collect();
        let mut req = RpcRequest::new(Product::DataWorks, ACTION, VERSION)
            .sensitive()
            .form_param("ProjectId", project_id.as_str())
            .form_param("ComputeResourceId", compute_resource_id.to_string());
        if !upserts.is_empty() {
            req = req.form_param("Upserts", Value::Array(upserts).to_string());
        }
        if !remove_user_ids.is_empty() {
            req = req.form_param(
                "RemoveUserIds",
                Value::from(remove_user_ids.to_vec()).to_string(),
            );
        }
        let body: ChangeRecordBody = self.call_as(req).await?;
        let failed = body
            .data
            .as_ref()
            .and_then(|d| d.status.as_deref())
            .is_some_and(|s| s.eq_ignore_ascii_case("fail"));
        if body.success == Some(false) || failed {
            return Err(Error::NotApplied {
                action: ACTION,
                request_id: body.request_id,
            });
        }
        tracing::info!("account mappings updated");
        Ok(())
    }
}
