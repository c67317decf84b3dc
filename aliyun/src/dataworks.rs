//! DataWorks 2024-05-18 typed calls: reading a workspace and creating, reading, listing and
//! deleting compute resources (facts §5). Resource groups, account mappings and the 2020-05-18
//! API are not wrapped.

use serde::Deserialize;
use serde_json::Value;
use tracing::instrument;

use crate::client::{Client, Method, RpcRequest};
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
}
