//! DataWorks 2024-05-18 data sources as crossbind reads them: `ListDataSources` (one page, or
//! every page) and `TestDataSourceConnectivity` from a resource group (facts §5.7). Creating,
//! changing or deleting data sources is not wrapped.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use tracing::instrument;

use super::{LIST_ALL_PAGE_SIZE, MAX_PAGES, VERSION};
use crate::client::{Client, Method, RpcRequest};
use crate::endpoint::Product;
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::wire;

/// The filters of `ListDataSources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDataSources {
    /// The workspace.
    pub project_id: WorkspaceId,
    /// Only data sources whose name contains this.
    pub name: Option<String>,
    /// Only these types, e.g. `hive` (sent comma-separated).
    pub types: Vec<String>,
    /// Only this environment, `Dev` or `Prod`.
    pub env_type: Option<String>,
    /// The page, from 1; `None` for the server's default (1).
    pub page_number: Option<u32>,
    /// The page size (at most 100); `None` for the server's default (10).
    pub page_size: Option<u32>,
}

/// One page of `ListDataSources`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSourcePage {
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
    #[serde(default, rename = "DataSources")]
    pub groups: Vec<DataSourceGroup>,
}

/// The data sources sharing one name and type (one per environment).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSourceGroup {
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The type, e.g. `hive`.
    #[serde(default)]
    pub r#type: String,
    /// One entry per environment.
    #[serde(default, rename = "DataSource")]
    pub data_sources: Vec<DataSource>,
}

/// One environment's data source. `name` and `type` are copied from its group; `env_type`,
/// `cluster_id` and `cross_account_owner_id` are read from the connection properties
/// (`envType`, `clusterId`, `crossAccountOwnerId`, keys matched ignoring case). The connection
/// properties can hold a database password, so `Debug` shows only their keys.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSource {
    /// The data source ID.
    #[serde(deserialize_with = "wire::i64_lenient")]
    pub id: i64,
    /// The name (from the group).
    #[serde(skip)]
    pub name: String,
    /// The type, e.g. `hive` (from the group).
    #[serde(skip)]
    pub r#type: String,
    /// `Dev` or `Prod`, from `envType` of the connection properties.
    #[serde(skip)]
    pub env_type: Option<String>,
    /// The EMR cluster the data source points at, from `clusterId` of the connection properties.
    #[serde(skip)]
    pub cluster_id: Option<String>,
    /// The account owning that cluster when it is another one, from `crossAccountOwnerId`.
    #[serde(skip)]
    pub cross_account_owner_id: Option<String>,
    /// The connection properties, decoded to JSON whether sent as an object or as a string.
    #[serde(default, deserialize_with = "wire::json_object_or_string")]
    pub connection_properties: Value,
    /// E.g. `InstanceMode`.
    #[serde(default)]
    pub connection_properties_mode: String,
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
    /// Who changed it last.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub modify_user: Option<String>,
}

impl std::fmt::Debug for DataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .connection_properties
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        f.debug_struct("DataSource")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("type", &self.r#type)
            .field("env_type", &self.env_type)
            .field("cluster_id", &self.cluster_id)
            .field("cross_account_owner_id", &self.cross_account_owner_id)
            .field("connection_properties_keys", &keys)
            .field(
                "connection_properties_mode",
                &self.connection_properties_mode,
            )
            .finish_non_exhaustive()
    }
}

/// The outcome of `TestDataSourceConnectivity`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Connectivity {
    /// The verdict.
    pub connect_state: ConnectState,
    /// Why it failed; `None` on success.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub connect_message: Option<String>,
    /// One entry per step of the test, in order.
    #[serde(default)]
    pub detail_logs: Vec<ConnectivityStep>,
}

/// The `ConnectState` of a connectivity test.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum ConnectState {
    /// The network is reachable and the configuration works.
    Connectable,
    /// The network is reachable but the configuration is wrong.
    ConfigError,
    /// The network cannot be reached.
    Unreachable,
    /// The scenario is not supported, e.g. the resource group is being initialised.
    Unsupport,
    /// A word this client does not know, kept as sent.
    Other(String),
}

/// One step of a connectivity test.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectivityStep {
    /// The code of the step.
    #[serde(default)]
    pub code: String,
    /// The step's name or message.
    #[serde(default)]
    pub message: String,
    /// When it started.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub start_time: Option<i64>,
    /// When it ended.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub end_time: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PagingBody {
    paging_info: DataSourcePage,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConnectivityBody {
    connectivity: Connectivity,
}

// === impl ListDataSources ===

impl ListDataSources {
    /// Every data source of `project_id`, first page, server-default size.
    pub fn new(project_id: WorkspaceId) -> Self {
        Self {
            project_id,
            name: None,
            types: Vec::new(),
            env_type: None,
            page_number: None,
            page_size: None,
        }
    }
}

// === impl DataSourcePage ===

impl DataSourcePage {
    /// Every data source on the page, group after group.
    pub fn data_sources(&self) -> impl Iterator<Item = &DataSource> {
        self.groups.iter().flat_map(|g| g.data_sources.iter())
    }

    fn fill_entries(&mut self) {
        for group in &mut self.groups {
            for entry in &mut group.data_sources {
                entry.name.clone_from(&group.name);
                entry.r#type.clone_from(&group.r#type);
                entry.env_type = property(&entry.connection_properties, "envType");
                entry.cluster_id = property(&entry.connection_properties, "clusterId");
                entry.cross_account_owner_id =
                    property(&entry.connection_properties, "crossAccountOwnerId");
            }
        }
    }
}

// === impl ConnectState ===

impl ConnectState {
    /// The word as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Connectable => "Connectable",
            Self::ConfigError => "ConfigError",
            Self::Unreachable => "Unreachable",
            Self::Unsupport => "Unsupport",
            Self::Other(s) => s,
        }
    }

    /// Whether the test passed.
    pub fn is_connectable(&self) -> bool {
        *self == Self::Connectable
    }
}

impl From<String> for ConnectState {
    fn from(s: String) -> Self {
        match s.as_str() {
            "Connectable" => Self::Connectable,
            "ConfigError" => Self::ConfigError,
            "Unreachable" => Self::Unreachable,
            "Unsupport" => Self::Unsupport,
            _ => Self::Other(s),
        }
    }
}

impl fmt::Display for ConnectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Client ===

impl Client {
    /// Lists one page of a workspace's data sources (`ListDataSources`, GET).
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %filter.project_id))]
    pub async fn list_data_sources(&self, filter: &ListDataSources) -> Result<DataSourcePage> {
        let types = (!filter.types.is_empty()).then(|| filter.types.join(","));
        let req = RpcRequest::new(Product::DataWorks, "ListDataSources", VERSION)
            .with_method(Method::Get)
            .param("ProjectId", filter.project_id.as_str())
            .opt_param("Name", filter.name.as_ref())
            .opt_param("Types", types)
            .opt_param("EnvType", filter.env_type.as_ref())
            .opt_param("PageNumber", filter.page_number)
            .opt_param("PageSize", filter.page_size);
        let mut page = self.call_as::<PagingBody>(req).await?.paging_info;
        page.fill_entries();
        Ok(page)
    }

    /// Lists every data source matching `filter` (its paging ignored), reading page after
    /// page.
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %filter.project_id))]
    pub async fn list_all_data_sources(&self, filter: &ListDataSources) -> Result<Vec<DataSource>> {
        let mut out = Vec::new();
        let mut groups_seen: u64 = 0;
        for page_number in 1..=MAX_PAGES {
            let page = self
                .list_data_sources(&ListDataSources {
                    page_number: Some(page_number),
                    page_size: Some(LIST_ALL_PAGE_SIZE),
                    ..filter.clone()
                })
                .await?;
            let count = page.groups.len();
            groups_seen += count as u64;
            out.extend(page.groups.into_iter().flat_map(|g| g.data_sources));
            if count == 0 || groups_seen >= page.total_count {
                break;
            }
        }
        Ok(out)
    }

    /// Tests whether `resource_group_id` can reach data source `data_source_id` of a
    /// workspace. Changes nothing; a failed test is an `Ok` answer with a state other than
    /// [`ConnectState::Connectable`].
    #[instrument(name = "dataworks", skip_all, fields(workspace.id = %project_id, data_source.id = data_source_id, resource_group.id = resource_group_id))]
    pub async fn test_data_source_connectivity(
        &self,
        project_id: &WorkspaceId,
        data_source_id: i64,
        resource_group_id: &str,
    ) -> Result<Connectivity> {
        let req = RpcRequest::new(Product::DataWorks, "TestDataSourceConnectivity", VERSION)
            .param("ProjectId", project_id.as_str())
            .param("DataSourceId", data_source_id.to_string())
            .param("ResourceGroupId", resource_group_id);
        let body: ConnectivityBody = self.call_as(req).await?;
        tracing::debug!(
            connect_state = %body.connectivity.connect_state,
            "connectivity tested"
        );
        Ok(body.connectivity)
    }
}

/// A string property of a JSON object, its key matched ignoring case.
fn property(properties: &Value, key: &str) -> Option<String> {
    properties
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
