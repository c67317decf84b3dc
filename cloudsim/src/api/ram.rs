//! RAM 2015-05-01 role actions: create, read, update, delete and list roles, attach, detach
//! and list their policies, with RAM's codes and statuses. Users, groups, custom policies and
//! policy evaluation are not emulated.

use crossbind_aliyun::ids::RoleName;
use crossbind_aliyun::ram::codes;
use crossbind_aliyun::trust_policy::TrustPolicy;
use serde_json::{Value, json};

use super::{Ctx, own, own_mut};
use crate::policies;
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{Attachment, RoleState, State, ram_date};
use crate::world::PolicyType;

/// `CreateRole`.
pub(super) fn create_role(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let name = role_name(params, "RoleName")?;
    let document = params.required("AssumeRolePolicyDocument")?;
    check_document(document)?;
    let description = description(params, "Description")?;
    let max_session = max_session_duration(params, "MaxSessionDuration")?.unwrap_or(3600);
    let console_login = params.bool("AllowConsoleLogin")?.unwrap_or(false);
    let id = state.new_role_id();
    let in_effect_at = state.in_effect_after(ctx.now);
    let uid = ctx.caller.uid.clone();
    let account = own_mut(state, ctx)?;
    if account.role(name.as_str()).is_some() {
        return Err(ApiError::new(
            409,
            codes::ENTITY_ALREADY_EXISTS_ROLE,
            "The role does already EXIST.",
        ));
    }
    let role = RoleState {
        id,
        name,
        description: description.unwrap_or_default(),
        trust_policy: document.to_owned(),
        max_session_duration: max_session,
        allow_console_login: console_login,
        created: ctx.now,
        updated: ctx.now,
        in_effect_at,
        policies: Vec::new(),
    };
    let body = json!({
        "Role": {
            "RoleId": role.id,
            "RoleName": role.name.as_str(),
            "Arn": role.arn(&uid),
            "Description": role.description,
            "AssumeRolePolicyDocument": role.trust_policy,
            "CreateDate": ram_date(role.created),
            "MaxSessionDuration": role.max_session_duration,
            "AllowConsoleLogin": role.allow_console_login,
        }
    });
    let target = format!("role/{}", role.name);
    account.roles.push(role);
    state.record(&uid, "CreateRole", ctx.now, target);
    Ok(body)
}

/// `GetRole`.
pub(super) fn get_role(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let name = role_name(params, "RoleName")?;
    let role = existing(own(state, ctx)?.role(name.as_str()))?;
    let uid = &ctx.caller.uid;
    let mut body = role_json(role, uid);
    body["RolePrincipalName"] =
        Value::from(format!("{}@role.{uid}.onaliyunservice.com", role.name));
    body["IsServiceLinkedRole"] = Value::from(false);
    Ok(json!({ "Role": body }))
}

/// `UpdateRole`: any of `NewAssumeRolePolicyDocument`, `NewDescription`,
/// `NewMaxSessionDuration`, `NewAllowConsoleLogin`.
pub(super) fn update_role(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let name = role_name(params, "RoleName")?;
    let document = params.opt("NewAssumeRolePolicyDocument");
    if let Some(doc) = document {
        check_document(doc)?;
    }
    let description = description(params, "NewDescription")?;
    let max_session = max_session_duration(params, "NewMaxSessionDuration")?;
    let console_login = params.bool("NewAllowConsoleLogin")?;
    let in_effect_at = state.in_effect_after(ctx.now);
    let uid = ctx.caller.uid.clone();
    let role = existing(own_mut(state, ctx)?.role_mut(name.as_str()))?;
    if let Some(doc) = document {
        role.trust_policy = doc.to_owned();
    }
    if let Some(d) = description {
        role.description = d;
    }
    if let Some(m) = max_session {
        role.max_session_duration = m;
    }
    if let Some(c) = console_login {
        role.allow_console_login = c;
    }
    role.updated = ctx.now;
    role.in_effect_at = in_effect_at;
    let body = json!({ "Role": role_json(role, &uid) });
    let target = format!("role/{}", role.name);
    state.record(&uid, "UpdateRole", ctx.now, target);
    Ok(body)
}

/// `DeleteRole`: refused while policies are attached.
pub(super) fn delete_role(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let name = role_name(params, "RoleName")?;
    let uid = ctx.caller.uid.clone();
    let account = own_mut(state, ctx)?;
    let role = existing(account.role(name.as_str()))?;
    if !role.policies.is_empty() {
        return Err(ApiError::new(
            409,
            codes::DELETE_CONFLICT_ROLE_POLICY,
            "The role CAN NOT has any attached policy while deleting the role.",
        ));
    }
    let target = format!("role/{}", role.name);
    account
        .roles
        .retain(|r| !r.name.as_str().eq_ignore_ascii_case(name.as_str()));
    state.record(&uid, "DeleteRole", ctx.now, target);
    Ok(json!({}))
}

/// `ListRoles`, paged by `Marker` / `MaxItems`.
pub(super) fn list_roles(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let max_items = params.int_in("MaxItems", 1..=1000)?.unwrap_or(100) as usize;
    let start = match params.opt("Marker") {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("Marker", "Use the Marker of the previous page."))?,
    };
    let account = own(state, ctx)?;
    let uid = &ctx.caller.uid;
    let page: Vec<Value> = account
        .roles
        .iter()
        .skip(start)
        .take(max_items)
        .map(|r| {
            // ListRoles leaves the trust policy out of its items.
            let mut item = role_json(r, uid);
            if let Some(fields) = item.as_object_mut() {
                fields.remove("AssumeRolePolicyDocument");
            }
            item
        })
        .collect();
    let next = start + page.len();
    let truncated = next < account.roles.len();
    let mut body = json!({
        "IsTruncated": truncated,
        "Roles": { "Role": page },
    });
    if truncated {
        body["Marker"] = Value::from(next.to_string());
    }
    Ok(body)
}

/// `AttachPolicyToRole`.
pub(super) fn attach_policy(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let (policy_type, policy_name, name) = policy_params(params)?;
    let in_effect_at = state.in_effect_after(ctx.now);
    let uid = ctx.caller.uid.clone();
    let role = existing(own_mut(state, ctx)?.role_mut(name.as_str()))?;
    let Some(policy) = policies::find(policy_type, policy_name) else {
        return Err(no_such_policy());
    };
    if role.has_policy(policy_type, policy_name) {
        return Err(ApiError::new(
            409,
            codes::ENTITY_ALREADY_EXISTS_ROLE_POLICY,
            "The policy has already been attached to the role.",
        ));
    }
    role.policies.push(Attachment {
        policy_type,
        name: policy.name.to_owned(),
        attached: ctx.now,
    });
    role.in_effect_at = in_effect_at;
    let target = format!("role/{}/policy/{policy_type}/{policy_name}", role.name);
    state.record(&uid, "AttachPolicyToRole", ctx.now, target);
    Ok(json!({}))
}

/// `DetachPolicyFromRole`.
pub(super) fn detach_policy(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let (policy_type, policy_name, name) = policy_params(params)?;
    let in_effect_at = state.in_effect_after(ctx.now);
    let uid = ctx.caller.uid.clone();
    let role = existing(own_mut(state, ctx)?.role_mut(name.as_str()))?;
    if policies::find(policy_type, policy_name).is_none() {
        return Err(no_such_policy());
    }
    if !role.has_policy(policy_type, policy_name) {
        return Err(ApiError::new(
            404,
            codes::ENTITY_NOT_EXIST_ROLE_POLICY,
            "The policy has not been attached to the role.",
        ));
    }
    role.policies
        .retain(|p| !(p.policy_type == policy_type && p.name == policy_name));
    role.in_effect_at = in_effect_at;
    let target = format!("role/{}/policy/{policy_type}/{policy_name}", role.name);
    state.record(&uid, "DetachPolicyFromRole", ctx.now, target);
    Ok(json!({}))
}

/// `ListPoliciesForRole`: `Policies.Policy[]`.
pub(super) fn list_policies(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let name = role_name(params, "RoleName")?;
    let role = existing(own(state, ctx)?.role(name.as_str()))?;
    let items: Vec<Value> = role
        .policies
        .iter()
        .map(|p| {
            let description =
                policies::find(p.policy_type, &p.name).map_or("", |known| known.description);
            json!({
                "PolicyName": p.name,
                "PolicyType": p.policy_type.as_str(),
                "Description": description,
                "DefaultVersion": "v1",
                "AttachDate": ram_date(p.attached),
            })
        })
        .collect();
    Ok(json!({ "Policies": { "Policy": items } }))
}

/// The role fields every action that returns a role shares (`ListRoles` drops the trust
/// policy).
fn role_json(role: &RoleState, uid: &crossbind_aliyun::ids::AccountUid) -> Value {
    json!({
        "RoleId": role.id,
        "RoleName": role.name.as_str(),
        "Arn": role.arn(uid),
        "Description": role.description,
        "AssumeRolePolicyDocument": role.trust_policy,
        "CreateDate": ram_date(role.created),
        "UpdateDate": ram_date(role.updated),
        "MaxSessionDuration": role.max_session_duration,
        "AllowConsoleLogin": role.allow_console_login,
    })
}

/// A role name per RAM's rules: 1-64 characters, letters, digits, `.`, `-`, `@`.
fn role_name(params: &Params, key: &str) -> Result<RoleName, ApiError> {
    let raw = params.required(key)?;
    if raw.chars().count() > 64 {
        return Err(ApiError::new(
            400,
            codes::INVALID_ROLE_NAME_LENGTH,
            "The parameter RoleName is beyond the length limit of 64 characters.",
        ));
    }
    RoleName::new(raw).map_err(|_| {
        ApiError::new(
            400,
            codes::INVALID_ROLE_NAME_CHARS,
            "The parameter RoleName contains invalid chars; use letters, digits, '.', '-' and '@'.",
        )
    })
}

fn check_document(doc: &str) -> Result<(), ApiError> {
    TrustPolicy::parse(doc).map(|_| ()).map_err(|e| {
        ApiError::new(
            400,
            codes::MALFORMED_POLICY_DOCUMENT,
            format!("The policy document is malformed: {e}."),
        )
    })
}

fn description(params: &Params, key: &str) -> Result<Option<String>, ApiError> {
    match params.get(key) {
        Some(d) if d.chars().count() > 1024 => Err(ApiError::invalid(
            key,
            "It must be at most 1024 characters long.",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

fn max_session_duration(params: &Params, key: &str) -> Result<Option<u32>, ApiError> {
    Ok(params
        .int_in(key, 3600..=43200)?
        .and_then(|n| u32::try_from(n).ok()))
}

fn policy_params(params: &Params) -> Result<(PolicyType, &str, RoleName), ApiError> {
    let policy_type = match params.required("PolicyType")? {
        "System" => PolicyType::System,
        "Custom" => PolicyType::Custom,
        _ => {
            return Err(ApiError::new(
                400,
                codes::INVALID_POLICY_TYPE,
                "The parameter PolicyType must be System or Custom.",
            ));
        }
    };
    let policy_name = params.required("PolicyName")?;
    let name = role_name(params, "RoleName")?;
    Ok((policy_type, policy_name, name))
}

fn existing<R>(role: Option<R>) -> Result<R, ApiError> {
    role.ok_or_else(|| {
        ApiError::new(
            404,
            codes::ENTITY_NOT_EXIST_ROLE,
            "The role does not exist.",
        )
    })
}

fn no_such_policy() -> ApiError {
    ApiError::new(
        404,
        codes::ENTITY_NOT_EXIST_POLICY,
        "The policy does not exist.",
    )
}
