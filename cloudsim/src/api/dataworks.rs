//! DataWorks 2024-05-18: `GetProject`, `ListProjects` and the EMR compute-resource actions (create, get, list,
//! delete), including the cross-account rule: registering another account's cluster needs a
//! role there that trusts the caller's DataWorks service, carries the EMR read policy and has
//! propagated, and a cluster that qualifies. Resource groups (`groups`), account mappings
//! (`mappings`) and data sources with their connectivity test (`data_sources`) are
//! submodules. Other resource types are not emulated.

pub(super) mod data_sources;
pub(super) mod groups;
pub(super) mod mappings;

use crossbind_aliyun::dataworks::codes;
use crossbind_aliyun::ids::AccountUid;
use crossbind_aliyun::ram::DATAWORKS_EMR_POLICY;
use crossbind_aliyun::trust_policy::{TrustPolicy, dataworks_principal};
use serde_json::{Map, Value, json};

use super::{Ctx, own, own_mut};
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::seconds_until;
use crate::sim::state::{ComputeResource, EnvType, State, WorkspaceState, epoch_millis};
use crate::world::{ClusterState, ClusterType, Metastore, PolicyType, SecurityMode, WorkspaceMode};

/// The only compute-resource type this emulator registers.
const EMR_TYPE: &str = "emr";
/// Releases another account's Hadoop cluster may run.
const CROSS_ACCOUNT_RELEASES: [&str; 2] = ["EMR-3.38.2", "EMR-3.38.3"];

/// `GetProject` (`Id`).
pub(super) fn get_project(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let id = params.required_id("Id")?;
    let ws = project(state, ctx, id)?;
    Ok(json!({ "Project": project_json(ws, &ctx.caller.uid) }))
}

/// `ListProjects`: the caller's workspaces in ID order, filtered by `Ids` and `Names` (JSON
/// lists, facts §5.9), `Status` and `DevEnvironmentEnabled`, paged by `PageNumber` /
/// `PageSize`. The other filters (resource group, tags, roles) are accepted and ignored.
pub(super) fn list_projects(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let ids = match params.json_list("Ids")? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| ApiError::invalid("Ids", "It must be a JSON array of IDs."))?,
        ),
    };
    let names = match params.json_list("Names")? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| ApiError::invalid("Names", "It must be a JSON array of names."))?,
        ),
    };
    let status = params.opt("Status");
    let dev = params.bool("DevEnvironmentEnabled")?;
    let page_number = params
        .int_in("PageNumber", 1..=i64::from(u32::MAX))?
        .unwrap_or(1);
    let page_size = params.int_in("PageSize", 1..=100)?.unwrap_or(10);
    let mut matching: Vec<&WorkspaceState> = own(state, ctx)?
        .workspaces
        .iter()
        .filter(|w| ids.as_ref().is_none_or(|ids| ids.contains(&w.info.id)))
        .filter(|w| names.as_ref().is_none_or(|n| n.contains(&w.info.name)))
        .filter(|w| status.is_none_or(|s| s == w.info.status))
        .filter(|w| dev.is_none_or(|d| d == (w.info.mode == WorkspaceMode::Standard)))
        .collect();
    matching.sort_by_key(|w| w.info.id);
    let skip = usize::try_from((page_number - 1) * page_size).unwrap_or(usize::MAX);
    let projects: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(page_size as usize)
        .map(|w| project_json(w, &ctx.caller.uid))
        .collect();
    Ok(json!({
        "PagingInfo": {
            "PageNumber": page_number,
            "PageSize": page_size,
            "TotalCount": matching.len(),
            "Projects": projects,
        }
    }))
}

/// `CreateComputeResource`: registers an EMR cluster for one environment of a workspace.
pub(super) fn create(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let name = params.required("Name")?;
    let resource_type = params.required("Type")?;
    let mode = params.required("ConnectionPropertiesMode")?;
    let raw_properties = params.required("ConnectionProperties")?;
    let description = params.get("Description").unwrap_or_default();
    if description.chars().count() > 3000 {
        return Err(ApiError::invalid(
            "Description",
            "It must be at most 3000 characters long.",
        ));
    }
    check_name(name)?;
    if resource_type != EMR_TYPE {
        return Err(ApiError::invalid(
            "Type",
            "This emulator registers only EMR compute resources (Type=emr).",
        ));
    }
    let properties = parse_properties(raw_properties)?;
    let env = match property(&properties, "envType") {
        None => {
            return Err(ApiError::invalid(
                "ConnectionProperties.envType",
                "It is required.",
            ));
        }
        Some(v) => EnvType::parse(v)
            .ok_or_else(|| ApiError::invalid("ConnectionProperties.envType", "Use Dev or Prod."))?,
    };
    let ws = project(state, ctx, project_id)?;
    if env == EnvType::Dev && ws.info.mode == WorkspaceMode::Basic {
        return Err(ApiError::invalid(
            "envType",
            format!("Workspace {project_id} is in basic mode and has only a Prod environment."),
        ));
    }
    if ws.resources.iter().any(|r| r.name == name && r.env == env) {
        return Err(ApiError::new(
            409,
            codes::COMPUTE_RESOURCE_ALREADY_EXISTS,
            format!(
                "A compute resource named {name} already exists for the {} environment of workspace {project_id}.",
                env.as_str()
            ),
        ));
    }
    let region = ws.info.region.clone();
    let cluster_id = check_connection(state, ctx, &properties)?;

    let id = state.new_resource_id();
    let caller = ctx.caller.uid.clone();
    let resource = ComputeResource {
        id,
        name: name.to_owned(),
        resource_type: EMR_TYPE.to_owned(),
        env,
        mode: mode.to_owned(),
        properties: Value::Object(properties),
        description: description.to_owned(),
        created: ctx.now,
        created_by: caller.clone(),
        qualified_name: format!("{caller}:{region}:{EMR_TYPE}:{cluster_id}"),
    };
    let target = format!(
        "project/{project_id}/compute-resource/{id} ({name}, {})",
        env.as_str()
    );
    own_mut(state, ctx)?
        .workspace_mut(project_id)
        .ok_or_else(|| not_found_project(project_id))?
        .resources
        .push(resource);
    state.record(&caller, "CreateComputeResource", ctx.now, target);
    Ok(json!({ "Id": id }))
}

/// `GetComputeResource` (`Id`, optional `ProjectId`).
pub(super) fn get(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let id = params.required_id("Id")?;
    let project_id = optional_project(params)?;
    let (ws, r) = resource(state, ctx, id, project_id)?;
    let mut body = entry_json(r);
    body["ProjectId"] = Value::from(ws.info.id);
    body["Name"] = Value::from(r.name.as_str());
    body["Type"] = Value::from(r.resource_type.as_str());
    body["QualifiedName"] = Value::from(r.qualified_name.as_str());
    Ok(json!({ "ComputeResource": body }))
}

/// `DeleteComputeResource` (`Id`, optional `ProjectId`).
pub(super) fn delete(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let id = params.required_id("Id")?;
    let project_id = optional_project(params)?;
    let (ws, r) = resource(state, ctx, id, project_id)?;
    let (ws_id, target) = (
        ws.info.id,
        format!(
            "project/{}/compute-resource/{id} ({}, {})",
            ws.info.id,
            r.name,
            r.env.as_str()
        ),
    );
    let caller = ctx.caller.uid.clone();
    if let Some(ws) = own_mut(state, ctx)?.workspace_mut(ws_id) {
        ws.resources.retain(|r| r.id != id);
    }
    state.record(&caller, "DeleteComputeResource", ctx.now, target);
    Ok(json!({ "Success": true }))
}

/// `ListComputeResources`: one entry per `Name` + `Type`, one inner entry per environment,
/// filtered by `Name`, `EnvType`, `Types` (comma list) and paged by `PageNumber` / `PageSize`.
pub(super) fn list(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let listing = Listing::parse(params, &["CreateTime", "Id", "CreateTimeWithDefaultFirst"])?;
    let env = match params.opt("EnvType") {
        None => None,
        Some(e) => Some(
            EnvType::parse(e).ok_or_else(|| ApiError::invalid("EnvType", "Use Dev or Prod."))?,
        ),
    };
    let ws = project(state, ctx, project_id)?;
    let selected = ws
        .resources
        .iter()
        .filter(|r| env.is_none_or(|e| e == r.env) && listing.wants(&r.name, &r.resource_type));
    Ok(listing.page(
        selected,
        |r| (&r.name, &r.resource_type, r.id),
        "ComputeResources",
        |name, resource_type, members| {
            json!({
                "Name": name,
                "Type": resource_type,
                "ComputeResource": members.into_iter().map(entry_json).collect::<Vec<_>>(),
            })
        },
    ))
}

/// What `ListComputeResources` and `ListDataSources` share: paging (`PageNumber` from 1,
/// `PageSize` 1 to 100, default 10), `Types` (comma list, case ignored), `Name` (a substring),
/// `SortBy` (`Name`, or one of the id-like orders each action names) and `Order` (`Desc`
/// default, `Asc`); entries grouped by name and type, one group an item.
pub(super) struct Listing<'p> {
    page_number: i64,
    page_size: i64,
    types: Vec<String>,
    name: Option<&'p str>,
    by_name: bool,
    ascending: bool,
}

impl<'p> Listing<'p> {
    /// Reads the shared parameters; `by_id` are the `SortBy` values that order by creation.
    pub(super) fn parse(params: &'p Params, by_id: &[&str]) -> Result<Self, ApiError> {
        let page_number = params
            .int_in("PageNumber", 1..=i64::from(u32::MAX))?
            .unwrap_or(1);
        let page_size = params.int_in("PageSize", 1..=100)?.unwrap_or(10);
        let types = params
            .opt("Types")
            .map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let by_name = match params.opt("SortBy").unwrap_or("CreateTime") {
            "Name" => true,
            other if by_id.contains(&other) => false,
            _ => {
                return Err(ApiError::invalid(
                    "SortBy",
                    format!("Use {} or Name.", by_id.join(", ")),
                ));
            }
        };
        let ascending = match params.opt("Order").unwrap_or("Desc") {
            "Asc" => true,
            "Desc" => false,
            _ => return Err(ApiError::invalid("Order", "Use Asc or Desc.")),
        };
        Ok(Self {
            page_number,
            page_size,
            types,
            name: params.opt("Name"),
            by_name,
            ascending,
        })
    }

    /// Whether an entry of this name and type passes the `Name` and `Types` filters.
    pub(super) fn wants(&self, name: &str, entry_type: &str) -> bool {
        (self.types.is_empty() || self.types.contains(&entry_type.to_ascii_lowercase()))
            && self.name.is_none_or(|n| name.contains(n))
    }

    /// The `PagingInfo` answer: `entries` grouped by the name and type `key` gives (with the
    /// id groups are ordered by), sorted, one page of them under `list_key`.
    pub(super) fn page<'a, T: 'a>(
        &self,
        entries: impl Iterator<Item = &'a T>,
        key: impl Fn(&'a T) -> (&'a str, &'a str, i64),
        list_key: &str,
        item: impl Fn(&'a str, &'a str, Vec<&'a T>) -> Value,
    ) -> Value {
        let mut groups: Vec<(&'a str, &'a str, i64, Vec<&'a T>)> = Vec::new();
        for entry in entries {
            let (name, entry_type, id) = key(entry);
            match groups
                .iter_mut()
                .find(|(n, t, _, _)| *n == name && *t == entry_type)
            {
                Some((_, _, first, members)) => {
                    *first = (*first).min(id);
                    members.push(entry);
                }
                None => groups.push((name, entry_type, id, vec![entry])),
            }
        }
        groups.sort_by(|a, b| {
            let order = if self.by_name {
                a.0.cmp(b.0)
            } else {
                a.2.cmp(&b.2)
            };
            if self.ascending {
                order
            } else {
                order.reverse()
            }
        });
        let total = groups.len();
        let skip = usize::try_from((self.page_number - 1) * self.page_size).unwrap_or(usize::MAX);
        let items: Vec<Value> = groups
            .into_iter()
            .skip(skip)
            .take(usize::try_from(self.page_size).unwrap_or(usize::MAX))
            .map(|(name, entry_type, _, members)| item(name, entry_type, members))
            .collect();
        json!({
            "PagingInfo": {
                "PageNumber": self.page_number,
                "PageSize": self.page_size,
                "TotalCount": total,
                list_key: items,
            }
        })
    }
}

/// Checks the cluster named by the connection properties and, when it belongs to another
/// account, the role that lets DataWorks reach it. Returns the cluster ID.
fn check_connection(
    state: &State,
    ctx: &Ctx<'_>,
    properties: &Map<String, Value>,
) -> Result<String, ApiError> {
    let need = |key: &str| {
        property(properties, key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::invalid(&format!("ConnectionProperties.{key}"), "It is required.")
            })
    };
    let cluster_id = need("clusterId")?;
    let region = need("regionId")?;
    let owner = match property(properties, "crossAccountOwnerId").filter(|v| !v.is_empty()) {
        None => ctx.caller.uid.clone(),
        Some(raw) => AccountUid::new(raw).map_err(|_| {
            ApiError::invalid(
                "ConnectionProperties.crossAccountOwnerId",
                "It must be an account UID.",
            )
        })?,
    };
    let cross_account = owner != ctx.caller.uid;
    if cross_account {
        let role_name = need("crossAccountRoleName")?;
        let auth_type = need("authType")?;
        if !auth_type.eq_ignore_ascii_case("RamRole") {
            return Err(ApiError::invalid(
                "ConnectionProperties.authType",
                "A cross-account cluster needs authType RamRole.",
            ));
        }
        check_role(state, ctx, &owner, role_name)?;
    }
    check_cluster(state, &owner, cluster_id, region, cross_account)?;
    Ok(cluster_id.to_owned())
}

/// The cross-account role rule, one condition at a time.
fn check_role(
    state: &State,
    ctx: &Ctx<'_>,
    owner: &AccountUid,
    role_name: &str,
) -> Result<(), ApiError> {
    let denied = |why: String| {
        ApiError::new(
            403,
            codes::CROSS_ACCOUNT_ROLE_NOT_AUTHORIZED,
            format!("DataWorks cannot assume role {role_name} in account {owner}: {why}"),
        )
    };
    let Some(role) = state.account(owner).and_then(|a| a.role(role_name)) else {
        return Err(denied(String::from("the role does not exist.")));
    };
    let principal = dataworks_principal(&ctx.caller.uid);
    let trusted =
        TrustPolicy::parse(&role.trust_policy).is_ok_and(|p| p.allows_service(&principal));
    if !trusted {
        return Err(denied(format!(
            "its trust policy does not allow the service principal {principal}."
        )));
    }
    if !role.has_policy(PolicyType::System, DATAWORKS_EMR_POLICY) {
        return Err(denied(format!(
            "the system policy {DATAWORKS_EMR_POLICY} is not attached to it."
        )));
    }
    if role.in_effect_at > ctx.now {
        return Err(denied(format!(
            "the role was changed recently and the change is not in effect yet ({} s left).",
            seconds_until(ctx.now, role.in_effect_at)
        )));
    }
    Ok(())
}

/// The cluster rule: it must exist in the owner's account and region and, across accounts,
/// be a RUNNING HADOOP cluster on EMR-3.38.2/3.38.3 without DLF metadata or Kerberos.
fn check_cluster(
    state: &State,
    owner: &AccountUid,
    cluster_id: &str,
    region: &str,
    cross_account: bool,
) -> Result<(), ApiError> {
    let unsupported = |why: String| {
        ApiError::new(
            400,
            codes::CLUSTER_NOT_SUPPORTED,
            format!("Cluster {cluster_id} cannot be registered: {why}"),
        )
    };
    let Some(cluster) = state
        .account(owner)
        .and_then(|a| a.cluster(cluster_id, region))
    else {
        return Err(unsupported(format!(
            "it does not exist in region {region} of account {owner}."
        )));
    };
    if cross_account {
        if cluster.cluster_type != ClusterType::Hadoop {
            return Err(unsupported(format!(
                "it is a {} cluster; only HADOOP clusters can be registered from another account.",
                cluster.cluster_type
            )));
        }
        if !CROSS_ACCOUNT_RELEASES.contains(&cluster.release.as_str()) {
            return Err(unsupported(format!(
                "it runs {}; only EMR-3.38.2 and EMR-3.38.3 can be registered from another account.",
                cluster.release
            )));
        }
        if cluster.metastore == Metastore::Dlf {
            return Err(unsupported(String::from(
                "it keeps its metadata in DLF, which cross-account registration does not support.",
            )));
        }
        if cluster.security_mode == SecurityMode::Kerberos {
            return Err(unsupported(String::from(
                "it has Kerberos enabled, which cross-account registration does not support.",
            )));
        }
    }
    if cluster.state != ClusterState::Running {
        return Err(unsupported(format!(
            "it is {}; it must be RUNNING.",
            cluster.state
        )));
    }
    Ok(())
}

/// Letters, digits and `_`, starting with a letter, at most 255 characters.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = name.len() <= 255
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "Name",
            "Use letters, digits and underscores, starting with a letter, at most 255 characters.",
        ))
    }
}

fn parse_properties(raw: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::invalid(
            "ConnectionProperties",
            "It must be a JSON object.",
        )),
    }
}

/// A string property, its key matched ignoring case (`envType` and `EnvType` both occur).
fn property<'m>(properties: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    properties
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
}

fn project<'s>(state: &'s State, ctx: &Ctx<'_>, id: i64) -> Result<&'s WorkspaceState, ApiError> {
    own(state, ctx)?
        .workspace(id)
        .ok_or_else(|| not_found_project(id))
}

fn not_found_project(id: i64) -> ApiError {
    ApiError::new(
        404,
        codes::PROJECT_NOT_FOUND,
        format!("The workspace {id} does not exist."),
    )
}

fn optional_project(params: &Params) -> Result<Option<i64>, ApiError> {
    match params.opt("ProjectId") {
        None => Ok(None),
        Some(_) => params.required_id("ProjectId").map(Some),
    }
}

fn resource<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    id: i64,
    project_id: Option<i64>,
) -> Result<(&'s WorkspaceState, &'s ComputeResource), ApiError> {
    own(state, ctx)?
        .workspaces
        .iter()
        .filter(|w| project_id.is_none_or(|p| p == w.info.id))
        .find_map(|w| w.resources.iter().find(|r| r.id == id).map(|r| (w, r)))
        .ok_or_else(|| {
            ApiError::new(
                404,
                codes::COMPUTE_RESOURCE_NOT_FOUND,
                format!("The compute resource {id} does not exist."),
            )
        })
}

/// A workspace as `GetProject` and `ListProjects` describe it.
fn project_json(ws: &WorkspaceState, owner: &AccountUid) -> Value {
    let info = &ws.info;
    json!({
        "Id": info.id,
        "Name": info.name,
        "DisplayName": info.display_name.as_deref().unwrap_or(&info.name),
        "Description": info.description,
        "Owner": owner.as_str(),
        "Status": info.status,
        "DevEnvironmentEnabled": info.mode == WorkspaceMode::Standard,
        "DevRoleDisabled": false,
        "PaiTaskEnabled": false,
        "AliyunResourceGroupId": "rg-acfmcloudsim000001",
        "AliyunResourceTags": [],
    })
}

/// The fields of one environment's entry.
fn entry_json(r: &ComputeResource) -> Value {
    let created = epoch_millis(r.created);
    json!({
        "Id": r.id,
        "ConnectionProperties": r.properties,
        "ConnectionPropertiesMode": r.mode,
        "CreateTime": created,
        "CreateUser": r.created_by.as_str(),
        "Description": r.description,
        "ModifyTime": created,
        "ModifyUser": r.created_by.as_str(),
        "WhetherDefault": false,
    })
}
