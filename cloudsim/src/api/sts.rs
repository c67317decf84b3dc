//! STS 2015-04-01: `GetCallerIdentity` for root-account keys. AssumeRole and STS
//! credentials are not emulated.

use serde_json::json;

use super::Ctx;
use crate::reply::Reply;
use crate::request::Params;
use crate::sim::state::State;

/// `GetCallerIdentity`: the world has only root-account keys, so the identity is the account.
pub(super) fn get_caller_identity(_: &mut State, ctx: &Ctx<'_>, _: &Params) -> Reply {
    let uid = ctx.caller.uid.as_str();
    Ok(json!({
        "AccountId": uid,
        "UserId": uid,
        "PrincipalId": uid,
        "Arn": format!("acs:ram::{uid}:root"),
        "IdentityType": "Account",
    }))
}
