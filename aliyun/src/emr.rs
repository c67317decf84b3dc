//! EMR typed calls for reading clusters: 2021-03-20 `GetCluster`, `ListClusters`,
//! `ListApplicationConfigs`, and the legacy 2016-04-08 `DescribeClusterV2` (facts §4).
//! Nothing here changes a cluster.

use serde::Deserialize;
use tracing::instrument;

use crate::client::{Client, RpcRequest};
use crate::endpoint::Product;
use crate::error::{ApiError, Result};
use crate::ids::ClusterId;
use crate::wire;

/// The current EMR API version.
pub const VERSION: &str = "2021-03-20";
/// The legacy EMR API version, used for `DescribeClusterV2`.
pub const LEGACY_VERSION: &str = "2016-04-08";

/// The largest page `ListApplicationConfigs` is asked for.
const CONFIG_PAGE_SIZE: u32 = 100;
/// A bound on pages followed, in case a server keeps returning a `NextToken`.
const MAX_PAGES: usize = 1000;

/// EMR error codes.
///
/// EMR does not publish the code for "cluster not found" (facts §4.2, UNCONFIRMED), so this
/// client treats HTTP 404, or any code starting with one of [`codes::NOT_FOUND_PREFIXES`], as
/// "no such cluster". The emulator answers [`codes::CLUSTER_NOT_FOUND`] with HTTP 404.
pub mod codes {
    /// Code prefixes read as "no such cluster".
    pub const NOT_FOUND_PREFIXES: &[&str] = &["NotFound", "InvalidClusterId", "ClusterNotFound"];
    /// The code the emulator uses for an unknown cluster (HTTP 404); emulator-chosen.
    pub const CLUSTER_NOT_FOUND: &str = "NotFound.Cluster";
    /// Conflicting parameters (400).
    pub const CONFLICT_PARAMETERS: &str = "ConflictParameters";
    /// Unknown action (400).
    pub const INVALID_ACTION: &str = "InvalidAction";
}

/// A cluster as `GetCluster` describes it (times are epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    /// The cluster ID.
    pub cluster_id: String,
    /// The cluster name.
    #[serde(default)]
    pub cluster_name: String,
    /// `HADOOP` (legacy data lake), `DATALAKE`, `OLAP`, `DATAFLOW`, `DATASERVING`, `CUSTOM`.
    #[serde(default)]
    pub cluster_type: String,
    /// `RUNNING`, `STARTING`, `TERMINATED`, ….
    #[serde(default)]
    pub cluster_state: String,
    /// E.g. `EMR-3.38.3`.
    #[serde(default)]
    pub release_version: String,
    /// `NORMAL` or `KERBEROS`.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub security_mode: Option<String>,
    /// `NORMAL` or `HA`.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub deploy_mode: Option<String>,
    /// `PayAsYouGo` or `Subscription`.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub payment_type: Option<String>,
    /// The region.
    #[serde(default)]
    pub region_id: String,
    /// The resource group.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub resource_group_id: Option<String>,
    /// The description.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub description: Option<String>,
    /// Network and node settings.
    #[serde(default)]
    pub node_attributes: Option<NodeAttributes>,
    /// When it was created.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub create_time: Option<i64>,
    /// When it became ready.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub ready_time: Option<i64>,
    /// When it ended.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub end_time: Option<i64>,
    /// The tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Network and node settings of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeAttributes {
    /// The VPC.
    #[serde(default)]
    pub vpc_id: String,
    /// The zone.
    #[serde(default)]
    pub zone_id: String,
    /// The security group.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub security_group_id: Option<String>,
    /// The ECS role of the nodes.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub ram_role: Option<String>,
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    #[serde(default)]
    pub value: String,
}

/// A cluster as `ListClusters` summarises it (no security mode or node attributes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSummary {
    /// The cluster ID.
    pub cluster_id: String,
    /// The cluster name.
    #[serde(default)]
    pub cluster_name: String,
    /// The cluster type.
    #[serde(default)]
    pub cluster_type: String,
    /// The state.
    #[serde(default)]
    pub cluster_state: String,
    /// The release.
    #[serde(default)]
    pub release_version: String,
    /// The payment type.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub payment_type: Option<String>,
    /// The description.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub description: Option<String>,
    /// When it was created.
    #[serde(default, deserialize_with = "wire::opt_i64")]
    pub create_time: Option<i64>,
    /// The tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The filters of `ListClusters`; empty lists filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListClusters {
    /// Only these clusters.
    pub cluster_ids: Vec<ClusterId>,
    /// Only these types, e.g. `HADOOP`.
    pub cluster_types: Vec<String>,
    /// Only these states, e.g. `RUNNING`.
    pub cluster_states: Vec<String>,
    /// Page size (1–100).
    pub max_results: Option<u32>,
    /// The token of the page to read.
    pub next_token: Option<String>,
}

/// One page of `ListClusters`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterPage {
    /// The clusters on this page.
    #[serde(default)]
    pub clusters: Vec<ClusterSummary>,
    /// The token of the next page; `None` on the last.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub next_token: Option<String>,
    /// How many clusters match in all.
    #[serde(default, deserialize_with = "wire::u64_lenient")]
    pub total_count: u64,
}

/// One configuration item of an application on a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationConfig {
    /// E.g. `HIVE`.
    #[serde(default)]
    pub application_name: String,
    /// E.g. `hivemetastore-site.xml`.
    #[serde(default)]
    pub config_file_name: String,
    /// E.g. `hive.metastore.type`.
    #[serde(default)]
    pub config_item_key: String,
    /// E.g. `DLF`.
    #[serde(default)]
    pub config_item_value: String,
}

/// A cluster as the legacy `DescribeClusterV2` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyClusterInfo {
    /// The cluster ID.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The region.
    #[serde(default)]
    pub region_id: String,
    /// The legacy status, e.g. `IDLE` or `RUNNING`.
    #[serde(default)]
    pub status: String,
    /// The metastore kind (values UNCONFIRMED; DLF-backed clusters say so here).
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub meta_store_type: Option<String>,
    /// Whether the metastore is the cluster-local database.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    pub local_meta_db: Option<bool>,
    /// Whether the cluster is a high-security (Kerberos) cluster.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    pub eas_enable: Option<bool>,
    /// Whether the cluster is highly available.
    #[serde(default, deserialize_with = "wire::opt_bool")]
    pub high_availability_enable: Option<bool>,
    /// The VPC.
    #[serde(default)]
    pub vpc_id: String,
    /// The vSwitch.
    #[serde(default, rename = "VSwitchId")]
    pub vswitch_id: String,
    /// The software release.
    #[serde(default)]
    pub software_info: Option<SoftwareInfo>,
}

/// The software release of a legacy cluster.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SoftwareInfo {
    /// E.g. `EMR-3.38.3`.
    #[serde(default)]
    pub emr_ver: String,
    /// E.g. `HADOOP`.
    #[serde(default)]
    pub cluster_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ClusterBody {
    cluster: Cluster,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigsBody {
    #[serde(default)]
    application_configs: Vec<ApplicationConfig>,
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LegacyBody {
    cluster_info: LegacyClusterInfo,
}

/// Whether an error answer means "no such cluster"; see [`codes`].
pub fn is_cluster_not_found(error: &ApiError) -> bool {
    error.http_status == 404
        || codes::NOT_FOUND_PREFIXES
            .iter()
            .any(|p| error.code.starts_with(p))
}

// === impl Client ===

impl Client {
    /// Reads a cluster in the client's region; `None` when it does not exist.
    #[instrument(name = "emr", skip_all, fields(cluster.id = %cluster_id))]
    pub async fn get_cluster(&self, cluster_id: &ClusterId) -> Result<Option<Cluster>> {
        let req = RpcRequest::new(Product::Emr, "GetCluster", VERSION)
            .param("RegionId", self.region().as_str())
            .param("ClusterId", cluster_id.as_str());
        let body: Option<ClusterBody> = self.call_optional(req, is_cluster_not_found).await?;
        Ok(body.map(|b| b.cluster))
    }

    /// Lists clusters in the client's region (one page).
    #[instrument(name = "emr", skip_all)]
    pub async fn list_clusters(&self, filter: &ListClusters) -> Result<ClusterPage> {
        let req = RpcRequest::new(Product::Emr, "ListClusters", VERSION)
            .param("RegionId", self.region().as_str())
            .list_param(
                "ClusterIds",
                filter.cluster_ids.iter().map(ClusterId::as_str),
            )
            .list_param(
                "ClusterTypes",
                filter.cluster_types.iter().map(String::as_str),
            )
            .list_param(
                "ClusterStates",
                filter.cluster_states.iter().map(String::as_str),
            )
            .opt_param("MaxResults", filter.max_results)
            .opt_param("NextToken", filter.next_token.as_ref());
        self.call_as(req).await
    }

    /// Lists a cluster's application configuration, every page, optionally filtered.
    #[instrument(name = "emr", skip_all, fields(cluster.id = %cluster_id))]
    pub async fn list_application_configs(
        &self,
        cluster_id: &ClusterId,
        application_name: Option<&str>,
        config_file_name: Option<&str>,
        config_item_key: Option<&str>,
    ) -> Result<Vec<ApplicationConfig>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let req = RpcRequest::new(Product::Emr, "ListApplicationConfigs", VERSION)
                .param("RegionId", self.region().as_str())
                .param("ClusterId", cluster_id.as_str())
                .opt_param("ApplicationName", application_name)
                .opt_param("ConfigFileName", config_file_name)
                .opt_param("ConfigItemKey", config_item_key)
                .param("MaxResults", CONFIG_PAGE_SIZE.to_string())
                .opt_param("NextToken", token.as_ref());
            let body: ConfigsBody = self.call_as(req).await?;
            out.extend(body.application_configs);
            match body.next_token {
                Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Reads a cluster through the legacy 2016-04-08 API; `None` when it does not exist.
    #[instrument(name = "emr", skip_all, fields(cluster.id = %cluster_id))]
    pub async fn describe_cluster_v2(
        &self,
        cluster_id: &ClusterId,
    ) -> Result<Option<LegacyClusterInfo>> {
        let req = RpcRequest::new(Product::Emr, "DescribeClusterV2", LEGACY_VERSION)
            .param("RegionId", self.region().as_str())
            .param("Id", cluster_id.as_str());
        let body: Option<LegacyBody> = self.call_optional(req, is_cluster_not_found).await?;
        Ok(body.map(|b| b.cluster_info))
    }
}
