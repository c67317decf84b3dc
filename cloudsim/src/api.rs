//! Dispatch from (`Version`, `Action`) to the emulated actions of STS, RAM, EMR and DataWorks,
//! each in its own module. Authentication has already happened; these only apply the rules.

mod dataworks;
mod emr;
mod ram;
mod sts;

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

/// Runs the action named by `api`.
pub(crate) fn dispatch(state: &mut State, ctx: &Ctx<'_>, api: &Api, params: &Params) -> Reply {
    match (api.version.as_str(), api.action.as_str()) {
        (STS_VERSION, "GetCallerIdentity") => sts::get_caller_identity(ctx),
        (RAM_VERSION, "GetRole") => ram::get_role(state, ctx, params),
        (RAM_VERSION, "CreateRole") => ram::create_role(state, ctx, params),
        (RAM_VERSION, "UpdateRole") => ram::update_role(state, ctx, params),
        (RAM_VERSION, "DeleteRole") => ram::delete_role(state, ctx, params),
        (RAM_VERSION, "ListRoles") => ram::list_roles(state, ctx, params),
        (RAM_VERSION, "AttachPolicyToRole") => ram::attach_policy(state, ctx, params),
        (RAM_VERSION, "DetachPolicyFromRole") => ram::detach_policy(state, ctx, params),
        (RAM_VERSION, "ListPoliciesForRole") => ram::list_policies(state, ctx, params),
        (EMR_VERSION, "GetCluster") => emr::get_cluster(state, ctx, params),
        (EMR_VERSION, "ListClusters") => emr::list_clusters(state, ctx, params),
        (EMR_VERSION, "ListApplicationConfigs") => {
            emr::list_application_configs(state, ctx, params)
        }
        (EMR_LEGACY_VERSION, "DescribeClusterV2") => emr::describe_cluster_v2(state, ctx, params),
        (DATAWORKS_VERSION, "GetProject") => dataworks::get_project(state, ctx, params),
        (DATAWORKS_VERSION, "ListProjects") => dataworks::list_projects(state, ctx, params),
        (DATAWORKS_VERSION, "ListComputeResources") => dataworks::list(state, ctx, params),
        (DATAWORKS_VERSION, "CreateComputeResource") => dataworks::create(state, ctx, params),
        (DATAWORKS_VERSION, "GetComputeResource") => dataworks::get(state, ctx, params),
        (DATAWORKS_VERSION, "DeleteComputeResource") => dataworks::delete(state, ctx, params),
        _ => Err(ApiError::unknown_api()),
    }
}

/// The caller's account; every key belongs to one, so a miss is an emulator defect.
fn own<'s>(state: &'s State, ctx: &Ctx<'_>) -> Result<&'s AccountState, ApiError> {
    state.account(&ctx.caller.uid).ok_or_else(internal)
}

fn own_mut<'s>(state: &'s mut State, ctx: &Ctx<'_>) -> Result<&'s mut AccountState, ApiError> {
    state.account_mut(&ctx.caller.uid).ok_or_else(internal)
}

fn internal() -> ApiError {
    ApiError::new(
        500,
        "InternalError",
        "The request processing has failed due to some unknown error, exception or failure.",
    )
}
