//! DataWorks 2024-05-18 data sources: `ListDataSources` over the world file's data sources of
//! the caller's workspaces, and `TestDataSourceConnectivity` from one of the caller's resource
//! groups. Data sources cannot be created, changed or deleted, and a connectivity test changes
//! nothing.
//!
//! The connectivity verdict is this emulator's model, not the cloud's published behaviour (which
//! is unpublished beyond the four `ConnectState` words). Steps run in order and the first that
//! fails decides:
//!
//! 1. `ResourceGroupCheck`: the group must be bound to the workspace and `Normal`, else
//!    `ConfigError`;
//! 2. `ClusterCheck`: the cluster the data source points at must exist (in any account) and be
//!    `RUNNING`, else `Unreachable`;
//! 3. `NetworkCheck`: the group's VPC must be the cluster's, else `Unreachable` ("... in VPC x
//!    cannot reach VPC y ...");
//!
//! and then the answer is `Connectable` with an empty `ConnectMessage`.

use crossbind_aliyun::dataworks::codes;
use serde_json::{Map, Value, json};

use super::super::{Ctx, own};
use super::groups;
use super::{Listing, project};
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{State, epoch_millis};
use crate::world::{ClusterState, DataSource, Environment, ResourceGroupStatus};

/// The mode every emulated data source is in (instance mode: it names an EMR cluster).
const MODE: &str = "InstanceMode";

/// One step of a connectivity test: its code and name, and why it failed (if it did).
struct Step {
    code: &'static str,
    name: &'static str,
    failure: Option<(&'static str, String)>,
}

/// `ListDataSources` (GET): one entry per `Name` + `Type`, one inner entry per environment,
/// filtered by `Name` (a substring), `Types` (comma list, case ignored) and `EnvType`, sorted by
/// `SortBy` (`CreateTime` default, `Id`, `Name`) and `Order` (`Desc` default, `Asc`), paged by
/// `PageNumber` / `PageSize` (default 10, at most 100). `Tags` is accepted and ignored.
pub(crate) fn list(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let listing = Listing::parse(params, &["CreateTime", "Id"])?;
    let env = match params.opt("EnvType") {
        None => None,
        Some(e) => Some(
            Environment::ALL
                .iter()
                .copied()
                .find(|v| v.as_str().eq_ignore_ascii_case(e))
                .ok_or_else(|| ApiError::invalid("EnvType", "Use Dev or Prod."))?,
        ),
    };
    let region = project(state, ctx, project_id)?.info.region.as_str();
    let selected = own(state, ctx)?.data_sources.iter().filter(|d| {
        d.workspace == project_id
            && env.is_none_or(|e| e == d.environment)
            && listing.wants(&d.name, &d.source_type)
    });
    Ok(listing.page(
        selected,
        |d| (&d.name, &d.source_type, d.id),
        "DataSources",
        |name, source_type, members| {
            json!({
                "Name": name,
                "Type": source_type,
                "DataSource": members
                    .into_iter()
                    .map(|d| entry_json(state, ctx, d, region))
                    .collect::<Vec<_>>(),
            })
        },
    ))
}

/// `TestDataSourceConnectivity` (`ProjectId`, `DataSourceId`, `ResourceGroupId`, all
/// required): the module's connectivity model. An unknown workspace, data source or group is
/// 404 (`Project.NotFound`, `DataSource.NotFound`, `ResourceGroup.NotFound`).
pub(crate) fn test_connectivity(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let source_id = params.required_id("DataSourceId")?;
    let group_id = params.required("ResourceGroupId")?;
    project(state, ctx, project_id)?;
    let account = own(state, ctx)?;
    let source = account.data_source(project_id, source_id).ok_or_else(|| {
        ApiError::new(
            404,
            codes::DATA_SOURCE_NOT_FOUND,
            format!("The data source {source_id} does not exist in workspace {project_id}."),
        )
    })?;
    let group = account
        .resource_group(group_id)
        .ok_or_else(|| groups::not_found(group_id))?;
    let cluster_id = source.cluster_id.as_str();
    let cluster = state.find_cluster(cluster_id).map(|(_, c)| c);

    let group_problem = if !group.workspaces.contains(&project_id) {
        Some(format!(
            "Resource group {group_id} is not bound to workspace {project_id}; bind it with AssociateProjectToResourceGroup."
        ))
    } else if group.info.status != ResourceGroupStatus::Normal {
        Some(format!(
            "Resource group {group_id} is {}, not Normal.",
            group.info.status
        ))
    } else {
        None
    };
    let cluster_problem = match cluster {
        None => Some(format!(
            "Cluster {cluster_id} that data source {} points at does not exist.",
            source.name
        )),
        Some(c) if c.state != ClusterState::Running => {
            Some(format!("Cluster {cluster_id} is {}, not RUNNING.", c.state))
        }
        Some(_) => None,
    };
    let network_problem = cluster.filter(|c| c.vpc_id != group.info.vpc_id).map(|c| {
        format!(
            "Resource group {group_id} in VPC {} cannot reach VPC {} of cluster {cluster_id}.",
            group.info.vpc_id, c.vpc_id
        )
    });
    let steps = [
        Step {
            code: "ResourceGroupCheck",
            name: "Check the resource group",
            failure: group_problem.map(|m| ("ConfigError", m)),
        },
        Step {
            code: "ClusterCheck",
            name: "Check the cluster the data source points at",
            failure: cluster_problem.map(|m| ("Unreachable", m)),
        },
        Step {
            code: "NetworkCheck",
            name: "Check the network from the resource group to the cluster",
            failure: network_problem.map(|m| ("Unreachable", m)),
        },
    ];

    let at = epoch_millis(ctx.now);
    let mut logs = Vec::new();
    let mut verdict = ("Connectable", String::new());
    for step in steps {
        logs.push(json!({
            "Code": step.code,
            "Message": step.name,
            "StartTime": at,
            "EndTime": at,
        }));
        if let Some(failure) = step.failure {
            verdict = failure;
            break;
        }
    }
    Ok(json!({
        "Connectivity": {
            "ConnectState": verdict.0,
            "ConnectMessage": verdict.1,
            "DetailLogs": logs,
        }
    }))
}

/// One environment's entry: the connection properties name the cluster, its region and, when
/// another account owns it, that account (`crossAccountOwnerId`).
fn entry_json(state: &State, ctx: &Ctx<'_>, d: &DataSource, workspace_region: &str) -> Value {
    let created = epoch_millis(state.started);
    let cluster = state.find_cluster(d.cluster_id.as_str());
    let region = cluster.map_or(workspace_region, |(_, c)| c.region.as_str());
    let mut properties = Map::new();
    properties.insert("envType".into(), d.environment.as_str().into());
    properties.insert("regionId".into(), region.into());
    properties.insert("clusterId".into(), d.cluster_id.as_str().into());
    if let Some((owner, _)) = cluster.filter(|(owner, _)| **owner != ctx.caller.uid) {
        properties.insert("crossAccountOwnerId".into(), owner.as_str().into());
    }
    let caller = ctx.caller.uid.as_str();
    json!({
        "Id": d.id,
        "ConnectionProperties": properties,
        "ConnectionPropertiesMode": MODE,
        "CreateTime": created,
        "CreateUser": caller,
        "Description": "",
        "ModifyTime": created,
        "ModifyUser": caller,
        "QualifiedName": format!("{caller}:{region}:{}:{}", d.source_type, d.cluster_id.as_str()),
    })
}
