//! EMR reads: 2021-03-20 `GetCluster`, `ListClusters`, `ListApplicationConfigs` and 2016-04-08
//! `DescribeClusterV2`, over the caller's own clusters in the request's region. Clusters
//! cannot be created or changed through the API; they come from the world file, and only
//! their state and configuration items change, through the unsigned test endpoints.

use crossbind_aliyun::emr::codes;
use serde_json::{Value, json};
use time::Duration;

use super::{Ctx, own};
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{ClusterChanges, State, epoch_millis};
use crate::world::{Cluster, ClusterState, DeployMode, Metastore, SecurityMode};

/// Default and maximum page size of the 2021 list actions.
const DEFAULT_MAX_RESULTS: i64 = 20;
const MAX_RESULTS: i64 = 100;

/// Times shown for a cluster: it was created a day before the emulator started.
struct Times {
    created: time::OffsetDateTime,
    now: time::OffsetDateTime,
}

/// One configuration item.
struct Config {
    application: String,
    file: String,
    key: String,
    value: String,
}

// === impl Times ===

impl Times {
    fn new(state: &State, ctx: &Ctx<'_>) -> Self {
        Self {
            created: state.started - Duration::days(1),
            now: ctx.now,
        }
    }
}

/// `GetCluster` (2021-03-20).
pub(super) fn get_cluster(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let region = params.required("RegionId")?;
    let id = params.required("ClusterId")?;
    let cluster = find(state, ctx, id, Some(region))?;
    let times = Times::new(state, ctx);
    let mut body = summary(cluster, &times);
    body["SecurityMode"] = Value::from(cluster.security_mode.as_str());
    body["DeployMode"] = Value::from(cluster.deploy_mode.as_str());
    body["RegionId"] = Value::from(cluster.region.as_str());
    body["NodeAttributes"] = json!({
        "VpcId": cluster.vpc_id,
        "ZoneId": cluster.zone_id,
        "SecurityGroupId": security_group(cluster),
        "RamRole": "AliyunECSInstanceForEMRRole",
        "KeyPairName": "",
        "MasterRootPassword": "",
        "DataDiskEncrypted": false,
        "DataDiskKMSKeyId": "",
        "SystemDiskEncrypted": false,
        "SystemDiskKMSKeyId": "",
    });
    Ok(json!({ "Cluster": body }))
}

/// `ListClusters` (2021-03-20) with the `ClusterIds`, `ClusterTypes`, `ClusterStates` and
/// `ClusterName` filters, paged by `MaxResults` / `NextToken`.
pub(super) fn list_clusters(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let region = params.required("RegionId")?;
    let ids = params.repeat_list("ClusterIds");
    let types = params.repeat_list("ClusterTypes");
    let states = params.repeat_list("ClusterStates");
    let name = params.opt("ClusterName");
    let (start, max) = page(params)?;
    let matching: Vec<&Cluster> = own(state, ctx)?
        .clusters
        .iter()
        .filter(|c| c.region.as_str() == region)
        .filter(|c| ids.is_empty() || ids.iter().any(|i| i.eq_ignore_ascii_case(c.id.as_str())))
        .filter(|c| types.is_empty() || types.contains(&c.cluster_type.as_str()))
        .filter(|c| states.is_empty() || states.contains(&c.state.as_str()))
        .filter(|c| name.is_none_or(|n| c.name.contains(n)))
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max)
        .map(|c| summary(c, &Times::new(state, ctx)))
        .collect();
    Ok(paged("Clusters", items, start, max, matching.len()))
}

/// `ListApplicationConfigs` (2021-03-20): cluster-level configuration items, filtered by
/// `ApplicationName`, `ConfigFileName`, `ConfigItemKey` and `ConfigItemValue`. Among them,
/// `HIVE` / `hive-site.xml` / `hive.server2.authentication` is `LDAP` for a cluster with
/// `ldap = true` and `NONE` (Hive's default) otherwise.
pub(super) fn list_application_configs(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let region = params.required("RegionId")?;
    let id = params.required("ClusterId")?;
    let (start, max) = page(params)?;
    let cluster = find(state, ctx, id, Some(region))?;
    let created = epoch_millis(Times::new(state, ctx).created);
    let application = params.opt("ApplicationName");
    let file = params.opt("ConfigFileName");
    let key = params.opt("ConfigItemKey");
    let value = params.opt("ConfigItemValue");
    let changes = own(state, ctx)?.changes(cluster.id.as_str());
    let matching: Vec<Value> = configs(cluster, ctx.caller.uid.as_str(), changes)
        .into_iter()
        .filter(|c| application.is_none_or(|a| a.eq_ignore_ascii_case(&c.application)))
        .filter(|c| file.is_none_or(|f| f == c.file))
        .filter(|c| key.is_none_or(|k| k == c.key))
        .filter(|c| value.is_none_or(|v| v == c.value))
        .map(|c| {
            json!({
                "ApplicationName": c.application,
                "ConfigFileName": c.file,
                "ConfigItemKey": c.key,
                "ConfigItemValue": c.value,
                "Description": "",
                "ConfigEffectState": "EFFECT",
                "Custom": false,
                "NodeGroupId": "",
                "NodeId": "",
                "CreateTime": created,
                "UpdateTime": created,
            })
        })
        .collect();
    let total = matching.len();
    let items = matching.into_iter().skip(start).take(max).collect();
    Ok(paged("ApplicationConfigs", items, start, max, total))
}

/// `DescribeClusterV2` (2016-04-08): the legacy view, with `MetaStoreType`, `LocalMetaDb` and
/// `EasEnable` (Kerberos).
pub(super) fn describe_cluster_v2(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let id = params.required("Id")?;
    let cluster = find(state, ctx, id, params.opt("RegionId"))?;
    let times = Times::new(state, ctx);
    let softwares: Vec<Value> = softwares(&cluster.release)
        .iter()
        .map(|(name, version)| {
            json!({
                "Name": name,
                "DisplayName": name,
                "Version": version,
                "OnlyDisplay": false,
                "StartTpe": 1,
            })
        })
        .collect();
    Ok(json!({
        "ClusterInfo": {
            "Id": cluster.id.as_str(),
            "Name": cluster.name,
            "RegionId": cluster.region.as_str(),
            "ZoneId": cluster.zone_id,
            "Status": legacy_status(cluster.state),
            "CreateType": "ON-DEMAND",
            "ChargeType": "PostPaid",
            "StartTime": epoch_millis(times.created),
            "RunningTime": (times.now - times.created).whole_seconds().max(0),
            "HighAvailabilityEnable": cluster.deploy_mode == DeployMode::Ha,
            "LocalMetaDb": cluster.metastore == Metastore::Local,
            "MetaStoreType": cluster.metastore.as_str(),
            "EasEnable": cluster.security_mode == SecurityMode::Kerberos,
            "VpcId": cluster.vpc_id,
            "VSwitchId": cluster.vswitch_id,
            "SecurityGroupId": security_group(cluster),
            "NetType": "vpc",
            "UserId": ctx.caller.uid.as_str(),
            "SoftwareInfo": {
                "EmrVer": cluster.release,
                "ClusterType": cluster.cluster_type.as_str(),
                "Softwares": { "Software": softwares },
            },
        }
    }))
}

fn find<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    id: &str,
    region: Option<&str>,
) -> Result<&'s Cluster, ApiError> {
    own(state, ctx)?
        .clusters
        .iter()
        .find(|c| {
            c.id.as_str().eq_ignore_ascii_case(id) && region.is_none_or(|r| r == c.region.as_str())
        })
        .ok_or_else(|| {
            ApiError::new(
                404,
                codes::CLUSTER_NOT_FOUND,
                format!("The specified cluster {id} does not exist."),
            )
        })
}

/// The `ClusterSummary` fields (what `ListClusters` returns; `GetCluster` adds more).
fn summary(cluster: &Cluster, times: &Times) -> Value {
    let ready = times.created + Duration::minutes(10);
    let mut body = json!({
        "ClusterId": cluster.id.as_str(),
        "ClusterName": cluster.name,
        "ClusterType": cluster.cluster_type.as_str(),
        "ClusterState": cluster.state.as_str(),
        "ReleaseVersion": cluster.release,
        "PaymentType": "PayAsYouGo",
        "ResourceGroupId": "rg-acfmcloudsim000001",
        "Description": "",
        "DeletionProtection": false,
        "EmrDefaultRole": "AliyunEMRDefaultRole",
        "CreateTime": epoch_millis(times.created),
        "ReadyTime": epoch_millis(ready),
        "StateChangeReason": { "Code": "", "Message": "" },
        "Tags": [],
    });
    if matches!(
        cluster.state,
        ClusterState::Terminated | ClusterState::TerminatedWithErrors
    ) {
        body["EndTime"] = Value::from(epoch_millis(ready + Duration::hours(1)));
        body["StateChangeReason"] = json!({ "Code": "UserRequest", "Message": "released by user" });
    }
    body
}

/// The configuration items of a cluster: the ones derived from the world file, with the
/// items set through the test endpoint replacing or added to them.
fn configs(cluster: &Cluster, uid: &str, changes: Option<&ClusterChanges>) -> Vec<Config> {
    let mut out = base_configs(cluster, uid);
    for set in changes.map(|c| c.config.as_slice()).unwrap_or_default() {
        match out
            .iter_mut()
            .find(|c| c.file == set.file && c.key == set.key)
        {
            Some(existing) => existing.value.clone_from(&set.value),
            None => out.push(Config {
                application: set.application.clone(),
                file: set.file.clone(),
                key: set.key.clone(),
                value: set.value.clone(),
            }),
        }
    }
    out
}

/// The application a configuration file belongs to, for items added by tests.
pub(crate) fn application_of(file: &str) -> &'static str {
    match file {
        "hivemetastore-site.xml" | "hive-site.xml" => "HIVE",
        "yarn-site.xml" => "YARN",
        "hdfs-site.xml" => "HDFS",
        "spark-defaults.conf" => "SPARK",
        _ => "HADOOP-COMMON",
    }
}

fn base_configs(cluster: &Cluster, uid: &str) -> Vec<Config> {
    let item = |application: &str, file: &str, key: &str, value: &str| Config {
        application: application.to_owned(),
        file: file.to_owned(),
        key: key.to_owned(),
        value: value.to_owned(),
    };
    let kerberos = cluster.security_mode == SecurityMode::Kerberos;
    let mut out = vec![
        item(
            "HIVE",
            "hivemetastore-site.xml",
            "hive.metastore.type",
            cluster.metastore.as_str(),
        ),
        item(
            "HADOOP-COMMON",
            "core-site.xml",
            "fs.defaultFS",
            &format!("hdfs://{}", cluster.id.as_str().to_ascii_lowercase()),
        ),
        item(
            "HADOOP-COMMON",
            "core-site.xml",
            "hadoop.security.authentication",
            if kerberos { "kerberos" } else { "simple" },
        ),
        item(
            "YARN",
            "yarn-site.xml",
            "yarn.resourcemanager.ha.enabled",
            if cluster.deploy_mode == DeployMode::Ha {
                "true"
            } else {
                "false"
            },
        ),
        item(
            "HIVE",
            "hive-site.xml",
            "hive.server2.authentication",
            if cluster.ldap { "LDAP" } else { "NONE" },
        ),
        item("SPARK", "spark-defaults.conf", "spark.master", "yarn"),
    ];
    if cluster.metastore == Metastore::Dlf {
        out.push(item(
            "HIVE",
            "hivemetastore-site.xml",
            "dlf.catalog.id",
            uid,
        ));
    } else {
        out.push(item(
            "HIVE",
            "hive-site.xml",
            "hive.metastore.uris",
            "thrift://master-1-1:9083",
        ));
    }
    out
}

/// The software list of a release: Hadoop 2 stacks for EMR-3.x, Hadoop 3 stacks otherwise.
fn softwares(release: &str) -> &'static [(&'static str, &'static str)] {
    if release.starts_with("EMR-3.") {
        &[
            ("HDFS", "2.8.5"),
            ("YARN", "2.8.5"),
            ("HIVE", "2.3.7"),
            ("SPARK", "2.4.7"),
            ("ZOOKEEPER", "3.6.3"),
        ]
    } else {
        &[
            ("HDFS", "3.2.1"),
            ("YARN", "3.2.1"),
            ("HIVE", "3.1.3"),
            ("SPARK3", "3.3.1"),
            ("ZOOKEEPER", "3.8.1"),
        ]
    }
}

/// The 2016 API's status words for the 2021 states.
fn legacy_status(state: ClusterState) -> &'static str {
    match state {
        ClusterState::Starting | ClusterState::Bootstrapping => "CREATING",
        ClusterState::StartFailed => "CREATE_FAILED",
        ClusterState::Running => "RUNNING",
        ClusterState::Terminating => "RELEASING",
        ClusterState::Terminated | ClusterState::TerminatedWithErrors => "RELEASED",
        ClusterState::TerminateFailed => "RELEASE_FAILED",
    }
}

fn security_group(cluster: &Cluster) -> String {
    format!(
        "sg-{}",
        cluster
            .id
            .as_str()
            .trim_start_matches(['c', 'C', '-'])
            .to_ascii_lowercase()
    )
}

/// `(start, max)` from `NextToken` (an offset) and `MaxResults`.
fn page(params: &Params) -> Result<(usize, usize), ApiError> {
    let max = params
        .int_in("MaxResults", 1..=MAX_RESULTS)?
        .unwrap_or(DEFAULT_MAX_RESULTS) as usize;
    let start = match params.opt("NextToken") {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::invalid("NextToken", "Use the NextToken of the previous page.")
        })?,
    };
    Ok((start, max))
}

fn paged(key: &str, items: Vec<Value>, start: usize, max: usize, total: usize) -> Value {
    let next = start + items.len();
    let mut body = json!({
        key: items,
        "MaxResults": max,
        "TotalCount": total,
    });
    if next < total {
        body["NextToken"] = Value::from(next.to_string());
    }
    body
}
