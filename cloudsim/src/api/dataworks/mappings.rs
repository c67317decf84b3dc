//! DataWorks 2024-05-18 account mappings of EMR compute resources:
//! `GetComputeResourceAuthUserMappings` and `UpdateComputeResourceAuthUserMappings`. A
//! mapping belongs to the cluster (its owner account and ID), so every compute resource
//! registered for that cluster, in any workspace, shows and changes the same mappings (user
//! guide rule, facts §5.4). Passwords are kept only to report that one was set.

use crossbind_aliyun::dataworks::codes;
use crossbind_aliyun::ids::AccountUid;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::super::Ctx;
use super::{property, resource};
use crate::reply::{ApiError, Reply};
use crate::request::Params;
use crate::sim::state::{AuthMapping, State};
use crate::world::{Cluster, SecurityMode};

/// `GetComputeResourceAuthUserMappings` (`ProjectId`, `ComputeResourceId`).
pub(crate) fn get(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let (owner, cluster_id) = target(state, ctx, params)?;
    let account = state.account(&owner);
    let cluster = account.and_then(|a| a.cluster_any_region(&cluster_id));
    let accounts: Vec<Value> = account
        .and_then(|a| a.changes(&cluster_id))
        .map(|c| {
            c.mappings
                .iter()
                .map(|(uid, m)| json!({ "UserId": uid, "Username": m.username }))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "Success": true,
        "Data": {
            "HadoopAuthType": cluster.map_or("simple", auth_type),
            "Accounts": accounts,
        }
    }))
}

/// `UpdateComputeResourceAuthUserMappings` (`ProjectId`, `ComputeResourceId`, `Upserts` and
/// `RemoveUserIds` as JSON lists): upserts then removals, all or nothing. Refused with 400
/// `InvalidParameter.AuthUserMappingNotAllowed` (an emulator-chosen code) when the cluster
/// has both LDAP and Kerberos on.
pub(crate) fn update(state: &mut State, ctx: &Ctx<'_>, params: &Params) -> Reply {
    let (owner, cluster_id) = target(state, ctx, params)?;
    let upserts = upserts(params)?;
    let removals = removals(params)?;
    let cluster = state
        .account(&owner)
        .and_then(|a| a.cluster_any_region(&cluster_id));
    if let Some(c) = cluster.filter(|c| c.ldap && c.security_mode == SecurityMode::Kerberos) {
        return Err(ApiError::new(
            400,
            codes::AUTH_USER_MAPPING_NOT_ALLOWED,
            format!(
                "Cluster {} has both LDAP and Kerberos enabled; account mappings must not be configured for it.",
                c.id.as_str()
            ),
        ));
    }
    let Some(account) = state.account_mut(&owner) else {
        return Err(ApiError::internal_error());
    };
    let changes = account.changes_mut(&cluster_id);
    let (added, removed) = (upserts.len(), removals.len());
    for (uid, mapping) in upserts {
        changes.mappings.insert(uid, mapping);
    }
    for uid in &removals {
        changes.mappings.remove(uid);
    }
    let caller = ctx.caller.uid.clone();
    let sequence = state.mutations.len() + 1;
    state.record(
        &caller,
        "UpdateComputeResourceAuthUserMappings",
        ctx.now,
        format!("cluster/{owner}/{cluster_id} auth-user-mappings (+{added} -{removed})"),
    );
    Ok(json!({
        "Success": true,
        "Data": { "ChangeRecordId": sequence, "Status": "success" },
    }))
}

/// The cluster (owner account, ID) behind the named compute resource of the caller.
fn target(state: &State, ctx: &Ctx<'_>, params: &Params) -> Result<(AccountUid, String), ApiError> {
    let project_id = params.required_id("ProjectId")?;
    let id = params.required_id("ComputeResourceId")?;
    let (_, r) = resource(state, ctx, id, Some(project_id))?;
    let Value::Object(properties) = &r.properties else {
        return Err(ApiError::internal_error());
    };
    let cluster_id = property(properties, "clusterId")
        .ok_or_else(ApiError::internal_error)?
        .to_owned();
    let owner = match property(properties, "crossAccountOwnerId").filter(|v| !v.is_empty()) {
        Some(raw) => AccountUid::new(raw).map_err(|_| ApiError::internal_error())?,
        None => ctx.caller.uid.clone(),
    };
    Ok((owner, cluster_id))
}

fn upserts(params: &Params) -> Result<Vec<(String, AuthMapping)>, ApiError> {
    let bad = || {
        ApiError::invalid(
            "Upserts",
            "It must be a JSON array of {UserId, Username, Password} objects with non-empty UserId and Username.",
        )
    };
    let items = params.json_list("Upserts")?.unwrap_or_default();
    items
        .iter()
        .map(|item| {
            let text = |key: &str| item.get(key).and_then(Value::as_str);
            let uid = text("UserId").filter(|s| !s.is_empty()).ok_or_else(bad)?;
            let username = text("Username").filter(|s| !s.is_empty()).ok_or_else(bad)?;
            let password = match item.get("Password") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.is_empty() => None,
                Some(Value::String(p)) => Some(SecretString::from(p.clone())),
                Some(_) => return Err(bad()),
            };
            Ok((
                uid.to_owned(),
                AuthMapping {
                    username: username.to_owned(),
                    password,
                },
            ))
        })
        .collect()
}

fn removals(params: &Params) -> Result<Vec<String>, ApiError> {
    let items = params.json_list("RemoveUserIds")?.unwrap_or_default();
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| ApiError::invalid("RemoveUserIds", "It must be a JSON array of UIDs."))
}

/// `HadoopAuthType` as the emulator reports it: `ldap`, `kerberos` or `simple` (the cloud's
/// words other than `ldap` are unpublished).
fn auth_type(cluster: &Cluster) -> &'static str {
    if cluster.ldap {
        "ldap"
    } else if cluster.security_mode == SecurityMode::Kerberos {
        "kerberos"
    } else {
        "simple"
    }
}
