//! DataWorks 2024-05-18 resource groups: `ListResourceGroups`,
//! `AssociateProjectToResourceGroup`, `DissociateProjectFromResourceGroup` and
//! `ListResourceGroupAssociateProjects`, over the caller's own groups from the world file.
//! Groups cannot be created, changed or deleted.

use crossbind_aliyun::dataworks::codes;
use serde_json::{Value, json};

use super::super::{Ctx, own, own_mut};
use super::project;
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{ResourceGroupState, State, epoch_millis};
use crate::world::ResourceGroupType;

/// `ListResourceGroups` (GET): filtered by `ProjectId` (groups bound to it), `Name` (a
/// substring), `ResourceGroupTypes` (JSON list; general-purpose `CommonV2` only when absent,
/// facts §5.6) and `Statuses` (JSON list), in ID order, paged by `PageNumber` / `PageSize`
/// (default 10, at most 100). `PaymentType`, tags and `SortBy` are accepted and ignored.
pub(crate) fn list(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = match params.opt("ProjectId") {
        None => None,
        Some(_) => Some(params.required_id("ProjectId")?),
    };
    let name = params.opt("Name");
    let types = string_list(params, "ResourceGroupTypes")?
        .unwrap_or_else(|| vec![ResourceGroupType::CommonV2.as_str().to_owned()]);
    let statuses = string_list(params, "Statuses")?;
    let page_number = params
        .int_in("PageNumber", 1..=i64::from(u32::MAX))?
        .unwrap_or(1);
    let page_size = params.int_in("PageSize", 1..=100)?.unwrap_or(10);
    if let Some(id) = project_id {
        project(state, ctx, id)?;
    }
    let mut matching: Vec<&ResourceGroupState> = own(state, ctx)?
        .resource_groups
        .iter()
        .filter(|g| project_id.is_none_or(|p| g.workspaces.contains(&p)))
        .filter(|g| name.is_none_or(|n| g.info.name.contains(n)))
        .filter(|g| {
            types
                .iter()
                .any(|t| t == g.info.resource_group_type.as_str())
        })
        .filter(|g| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|s| s == g.info.status.as_str()))
        })
        .collect();
    matching.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    let skip = usize::try_from((page_number - 1) * page_size).unwrap_or(usize::MAX);
    let items: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(page_size as usize)
        .map(|g| group_json(g, ctx))
        .collect();
    Ok(json!({
        "Success": true,
        "PagingInfo": {
            "PageNumber": page_number,
            "PageSize": page_size,
            "TotalCount": matching.len(),
            "ResourceGroupList": items,
        }
    }))
}

/// `AssociateProjectToResourceGroup` (`ProjectId`, `ResourceGroupId`): binds the group to
/// the workspace; binding it again succeeds (and is still a write call).
pub(crate) fn associate(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let group_id = params.required("ResourceGroupId")?;
    project(state, ctx, project_id)?;
    let group = own_mut(state, ctx)?
        .resource_group_mut(group_id)
        .ok_or_else(|| not_found(group_id))?;
    if !group.workspaces.contains(&project_id) {
        group.workspaces.push(project_id);
    }
    let caller = ctx.caller.uid.clone();
    state.record(
        &caller,
        "AssociateProjectToResourceGroup",
        ctx.now,
        format!("resource-group/{group_id} -> project/{project_id}"),
    );
    Ok(json!({ "Success": true }))
}

/// `DissociateProjectFromResourceGroup` (`ProjectId`, `ResourceGroupId`): unbinds the group
/// from the workspace. Unbinding a group that is not bound to it is 404
/// `ResourceGroup.NotAssociated` (an emulator-chosen code, like `ResourceGroup.NotFound`).
pub(crate) fn dissociate(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let project_id = params.required_id("ProjectId")?;
    let group_id = params.required("ResourceGroupId")?;
    project(state, ctx, project_id)?;
    let group = own_mut(state, ctx)?
        .resource_group_mut(group_id)
        .ok_or_else(|| not_found(group_id))?;
    let Some(at) = group.workspaces.iter().position(|w| *w == project_id) else {
        return Err(ApiError::new(
            404,
            codes::RESOURCE_GROUP_NOT_ASSOCIATED,
            format!("The resource group {group_id} is not bound to workspace {project_id}."),
        ));
    };
    group.workspaces.remove(at);
    let caller = ctx.caller.uid.clone();
    state.record(
        &caller,
        "DissociateProjectFromResourceGroup",
        ctx.now,
        format!("resource-group/{group_id} -x- project/{project_id}"),
    );
    Ok(json!({ "Success": true }))
}

/// `ListResourceGroupAssociateProjects` (`ResourceGroupId`): the bound workspace IDs, in the
/// order they were bound.
pub(crate) fn associated_projects(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let group_id = params.required("ResourceGroupId")?;
    let group = own(state, ctx)?
        .resource_group(group_id)
        .ok_or_else(|| not_found(group_id))?;
    Ok(json!({ "Success": true, "ProjectIdList": group.workspaces }))
}

/// 404 `ResourceGroup.NotFound` (an emulator-chosen code; the cloud's is unpublished).
pub(super) fn not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        codes::RESOURCE_GROUP_NOT_FOUND,
        format!("The resource group {id} does not exist."),
    )
}

/// A JSON list of strings (facts §5.9).
fn string_list(params: &Params, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(items) = params.json_list(name)? else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .map(Some)
        .ok_or_else(|| ApiError::invalid(name, "It must be a JSON array of strings."))
}

/// A group as `ListResourceGroups` describes it, with the misspelled `DefaultVswicthId`.
fn group_json(g: &ResourceGroupState, ctx: &Ctx<'_>) -> Value {
    json!({
        "Id": g.info.id,
        "Name": g.info.name,
        "Remark": "",
        "ResourceGroupType": g.info.resource_group_type.as_str(),
        "Status": g.info.status.as_str(),
        "PaymentType": "PostPaid",
        "Spec": { "Amount": 1, "Standard": "2CU" },
        "DefaultVpcId": g.info.vpc_id,
        "DefaultVswicthId": g.info.vswitch_id,
        "OrderInstanceId": "",
        "CreateTime": epoch_millis(g.created),
        "CreateUser": ctx.caller.uid.as_str(),
        "AliyunResourceGroupId": "rg-acfmcloudsim000001",
        "AliyunResourceTags": [],
    })
}
