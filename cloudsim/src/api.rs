//! Dispatch from (`Version`, `Action`) to the emulated actions of STS, RAM, EMR and DataWorks,
//! each in its own module, through one table of the emulated actions. Authentication (and
//! fault injection) has already happened; these only apply the rules.

mod dataworks;
mod emr;
mod ram;
mod sts;

pub(crate) use emr::application_of;

use time::OffsetDateTime;

use crate::auth::{Api, Caller};
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{AccountState, State};

/// STS 2015-04-01.
pub(crate) const STS_VERSION: &str = "2015-04-01";
/// RAM 2015-05-01.
pub(crate) const RAM_VERSION: &str = "2015-05-01";
/// EMR 2021-03-20.
pub(crate) const EMR_VERSION: &str = "2021-03-20";
/// EMR 2016-04-08 (legacy).
pub(crate) const EMR_LEGACY_VERSION: &str = "2016-04-08";
/// DataWorks 2024-05-18.
pub(crate) const DATAWORKS_VERSION: &str = "2024-05-18";

/// What every action gets besides its parameters.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) now: OffsetDateTime,
    pub(crate) caller: &'a Caller,
}

/// One emulated action's handler.
type Handler = fn(&mut State, &Ctx<'_>, &Params) -> Reply;

/// Every emulated action: (`Version`, `Action`, handler). Dispatch, the fault-injection scope
/// and the world file's `settings.faults.actions` check all read this one table.
const ACTIONS: [(&str, &str, Handler); 27] = [
    (STS_VERSION, "GetCallerIdentity", sts::get_caller_identity),
    (RAM_VERSION, "GetRole", ram::get_role),
    (RAM_VERSION, "CreateRole", ram::create_role),
    (RAM_VERSION, "UpdateRole", ram::update_role),
    (RAM_VERSION, "DeleteRole", ram::delete_role),
    (RAM_VERSION, "ListRoles", ram::list_roles),
    (RAM_VERSION, "AttachPolicyToRole", ram::attach_policy),
    (RAM_VERSION, "DetachPolicyFromRole", ram::detach_policy),
    (RAM_VERSION, "ListPoliciesForRole", ram::list_policies),
    (EMR_VERSION, "GetCluster", emr::get_cluster),
    (EMR_VERSION, "ListClusters", emr::list_clusters),
    (
        EMR_VERSION,
        "ListApplicationConfigs",
        emr::list_application_configs,
    ),
    (
        EMR_LEGACY_VERSION,
        "DescribeClusterV2",
        emr::describe_cluster_v2,
    ),
    (DATAWORKS_VERSION, "GetProject", dataworks::get_project),
    (DATAWORKS_VERSION, "ListProjects", dataworks::list_projects),
    (DATAWORKS_VERSION, "ListComputeResources", dataworks::list),
    (
        DATAWORKS_VERSION,
        "CreateComputeResource",
        dataworks::create,
    ),
    (DATAWORKS_VERSION, "GetComputeResource", dataworks::get),
    (
        DATAWORKS_VERSION,
        "DeleteComputeResource",
        dataworks::delete,
    ),
    (
        DATAWORKS_VERSION,
        "ListResourceGroups",
        dataworks::groups::list,
    ),
    (
        DATAWORKS_VERSION,
        "AssociateProjectToResourceGroup",
        dataworks::groups::associate,
    ),
    (
        DATAWORKS_VERSION,
        "DissociateProjectFromResourceGroup",
        dataworks::groups::dissociate,
    ),
    (
        DATAWORKS_VERSION,
        "ListResourceGroupAssociateProjects",
        dataworks::groups::associated_projects,
    ),
    (
        DATAWORKS_VERSION,
        "GetComputeResourceAuthUserMappings",
        dataworks::mappings::get,
    ),
    (
        DATAWORKS_VERSION,
        "UpdateComputeResourceAuthUserMappings",
        dataworks::mappings::update,
    ),
    (
        DATAWORKS_VERSION,
        "ListDataSources",
        dataworks::data_sources::list,
    ),
    (
        DATAWORKS_VERSION,
        "TestDataSourceConnectivity",
        dataworks::data_sources::test_connectivity,
    ),
];

/// Runs the action named by `api`.
pub(crate) fn dispatch(state: &mut State, ctx: &Ctx<'_>, api: &Api, params: &Params) -> Reply {
    match handler(&api.version, &api.action) {
        Some(run) => run(state, ctx, params),
        None => Err(ApiError::unknown_api()),
    }
}

/// Whether (`version`, `action`) is an emulated action.
pub(crate) fn is_emulated(version: &str, action: &str) -> bool {
    handler(version, action).is_some()
}

/// Whether some version of the emulator serves an action called `action`.
pub(crate) fn is_action_name(action: &str) -> bool {
    ACTIONS.iter().any(|(_, a, _)| *a == action)
}

fn handler(version: &str, action: &str) -> Option<Handler> {
    ACTIONS
        .iter()
        .find(|(v, a, _)| *v == version && *a == action)
        .map(|(_, _, run)| *run)
}

/// The caller's account; every key belongs to one, so a miss is an emulator defect.
fn own<'s>(state: &'s State, ctx: &Ctx<'_>) -> Result<&'s AccountState, ApiError> {
    state.account(&ctx.caller.uid).ok_or_else(internal)
}

fn own_mut<'s>(state: &'s mut State, ctx: &Ctx<'_>) -> Result<&'s mut AccountState, ApiError> {
    state.account_mut(&ctx.caller.uid).ok_or_else(internal)
}

fn internal() -> ApiError {
    ApiError::internal_error()
}
