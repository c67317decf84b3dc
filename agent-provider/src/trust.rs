//! Granting and revoking the consumer's DataWorks principal on a RAM role. Each operation reads
//! the role first, plans only the changes that differ, and (unless it is a dry run) applies
//! them, so a repeat or a resumed attempt after a crash changes nothing more.
//!
//! Consent and input checks are the caller's; this module trusts its arguments.

use std::time::Duration;

use crossbind_aliyun::client::Client;
use crossbind_aliyun::ids::{AccountUid, RoleName};
use crossbind_aliyun::ram::{self, CreateRole, DATAWORKS_EMR_POLICY, PolicyType, Role, UpdateRole};
use crossbind_aliyun::trust_policy::{TrustPolicy, dataworks_principal};
use crossbind_proto::{Change, GrantTrustResponse, RevokeTrustResponse};

use crate::error::{Error, Result, cloud};

/// How often DeleteRole is tried while RAM still reports the detached policy.
const DELETE_ATTEMPTS: u32 = 5;

/// The first pause between DeleteRole attempts; doubled after each.
const DELETE_BACKOFF: Duration = Duration::from_millis(200);

/// One change to the role, planned before anything is applied.
#[derive(Clone, Debug)]
enum Step {
    CreateRole(TrustPolicy),
    UpdateRole(TrustPolicy),
    AttachPolicy,
    DetachPolicy,
    DeleteRole,
}

/// What a grant or revoke will do.
#[derive(Debug)]
struct Plan {
    /// The role as read, if it exists.
    current: Option<Role>,
    /// The trust policy once the plan is applied.
    policy_after: Option<TrustPolicy>,
    steps: Vec<Step>,
}

/// One grant or revoke: which role, for which consumer, in which account.
#[derive(Clone, Debug)]
pub(crate) struct TrustTarget {
    /// The consumer account whose DataWorks principal is granted or revoked.
    pub(crate) consumer: AccountUid,
    /// The role.
    pub(crate) role: RoleName,
    /// The provider account (for ARNs of roles not yet created).
    pub(crate) account: AccountUid,
}

/// Makes `target.role` trust the consumer's DataWorks principal and carry
/// `AliyunDataWorksAccessingEMRReadOnlyPolicy`. With `dry_run`, reports the changes only.
pub(crate) async fn grant(
    client: &Client,
    target: &TrustTarget,
    dry_run: bool,
) -> Result<GrantTrustResponse> {
    let principal = dataworks_principal(&target.consumer);
    let mut plan = plan_grant(client, target, &principal).await?;
    if dry_run {
        return Ok(grant_response(target, &principal, &plan));
    }
    let mut changes = Vec::new();
    let mut role_created = false;
    let mut raced = false;
    let mut steps = std::mem::take(&mut plan.steps).into_iter();
    while let Some(step) = steps.next() {
        match step {
            Step::CreateRole(policy) => match create_role(client, target, &policy).await? {
                true => {
                    role_created = true;
                    changes.push(describe(&Step::CreateRole(policy), target, &principal));
                }
                false if !raced => {
                    // Someone created the role since we looked: plan again against it.
                    raced = true;
                    plan = plan_grant(client, target, &principal).await?;
                    steps = std::mem::take(&mut plan.steps).into_iter();
                }
                false => {
                    return Err(Error::RoleVanished {
                        role: target.role.to_string(),
                    });
                }
            },
            Step::UpdateRole(policy) => {
                update_role(client, target, &policy).await?;
                changes.push(describe(&Step::UpdateRole(policy), target, &principal));
            }
            Step::AttachPolicy => {
                if attach_policy(client, target).await? {
                    changes.push(describe(&Step::AttachPolicy, target, &principal));
                }
            }
            Step::DetachPolicy | Step::DeleteRole => {}
        }
    }
    let stored = client
        .get_role(&target.role)
        .await
        .map_err(cloud("GetRole"))?
        .ok_or_else(|| Error::RoleVanished {
            role: target.role.to_string(),
        })?;
    Ok(GrantTrustResponse {
        role_name: stored.role_name.clone(),
        role_arn: stored.arn.clone(),
        trust_policy: stored.assume_role_policy_document.clone(),
        principal,
        role_created,
        changes,
    })
}

/// Removes the consumer's principal from `target.role`; deletes the role (after detaching the
/// DataWorks policy) when `created_by_crossbind` and no principal remains. A role that does
/// not exist is already revoked. With `dry_run`, reports the changes only.
pub(crate) async fn revoke(
    client: &Client,
    target: &TrustTarget,
    created_by_crossbind: bool,
    dry_run: bool,
) -> Result<RevokeTrustResponse> {
    let principal = dataworks_principal(&target.consumer);
    let plan = plan_revoke(client, target, &principal, created_by_crossbind).await?;
    let changes: Vec<Change> = plan
        .steps
        .iter()
        .map(|s| describe(s, target, &principal))
        .collect();
    let deletes = plan.steps.iter().any(|s| matches!(s, Step::DeleteRole));
    if dry_run {
        return Ok(RevokeTrustResponse {
            role_deleted: deletes,
            changes,
        });
    }
    let mut applied = Vec::new();
    for (step, change) in plan.steps.into_iter().zip(changes) {
        let made = match &step {
            Step::UpdateRole(policy) => {
                update_role(client, target, policy).await?;
                true
            }
            Step::DetachPolicy => detach_policy(client, target).await?,
            Step::DeleteRole => delete_role(client, target).await?,
            Step::CreateRole(_) | Step::AttachPolicy => false,
        };
        if made {
            applied.push(change);
        }
    }
    if deletes
        && client
            .get_role(&target.role)
            .await
            .map_err(cloud("GetRole"))?
            .is_some()
    {
        return Err(Error::RoleStillExists {
            role: target.role.to_string(),
        });
    }
    Ok(RevokeTrustResponse {
        role_deleted: deletes,
        changes: applied,
    })
}

/// Reads the role and its attachments and plans the grant.
async fn plan_grant(client: &Client, target: &TrustTarget, principal: &str) -> Result<Plan> {
    let Some(role) = client
        .get_role(&target.role)
        .await
        .map_err(cloud("GetRole"))?
    else {
        let policy = TrustPolicy::for_service_principal(principal);
        return Ok(Plan {
            current: None,
            policy_after: Some(policy.clone()),
            steps: vec![Step::CreateRole(policy), Step::AttachPolicy],
        });
    };
    let policy = parse_policy(&role)?;
    let mut steps = Vec::new();
    let policy_after = if trusts(&policy, principal) {
        policy
    } else {
        let (merged, changed) = policy.with_service_principal(principal);
        if !changed || !trusts(&merged, principal) {
            return Err(Error::PrincipalDenied {
                role: target.role.to_string(),
                principal: principal.to_owned(),
            });
        }
        steps.push(Step::UpdateRole(merged.clone()));
        merged
    };
    if !has_dataworks_policy(client, &target.role).await? {
        steps.push(Step::AttachPolicy);
    }
    Ok(Plan {
        current: Some(role),
        policy_after: Some(policy_after),
        steps,
    })
}

/// How the description of a role crossbind created begins; a role whose description no
/// longer begins so (someone edited it) is never deleted by crossbind.
pub(crate) const CREATED_BY_CROSSBIND: &str = "Created by crossbind";

/// Reads the role and plans the revocation.
async fn plan_revoke(
    client: &Client,
    target: &TrustTarget,
    principal: &str,
    created_by_crossbind: bool,
) -> Result<Plan> {
    let Some(role) = client
        .get_role(&target.role)
        .await
        .map_err(cloud("GetRole"))?
    else {
        tracing::debug!(role.name = %target.role, "role does not exist; nothing to revoke");
        return Ok(Plan {
            current: None,
            policy_after: None,
            steps: Vec::new(),
        });
    };
    let (after, changed) = parse_policy(&role)?.without_service_principal(principal);
    let remaining = after.principals();
    let mut steps = Vec::new();
    // The coordinator knows whether *its* association created the role; the description
    // crossbind writes at creation tells the same for a role another association created
    // (for a second consumer that found the role already there).
    let created_by_crossbind = created_by_crossbind
        || role
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with(CREATED_BY_CROSSBIND));
    if created_by_crossbind && remaining.is_empty() {
        let attached = client
            .list_policies_for_role(&target.role)
            .await
            .map_err(cloud("ListPoliciesForRole"))?;
        let others = attached.iter().filter(|p| !is_dataworks_policy(p)).count();
        if others == 0 {
            if attached.iter().any(is_dataworks_policy) {
                steps.push(Step::DetachPolicy);
            }
            steps.push(Step::DeleteRole);
        } else {
            tracing::info!(
                role.name = %target.role,
                policies = others,
                "role keeps other attached policies, so it is not deleted"
            );
        }
    }
    if changed && !steps.iter().any(|s| matches!(s, Step::DeleteRole)) {
        steps.push(Step::UpdateRole(after.clone()));
    }
    Ok(Plan {
        current: Some(role),
        policy_after: Some(after),
        steps,
    })
}

/// The grant's answer computed from the plan alone (dry runs).
fn grant_response(target: &TrustTarget, principal: &str, plan: &Plan) -> GrantTrustResponse {
    let (role_name, role_arn) = match &plan.current {
        Some(role) => (role.role_name.clone(), role.arn.clone()),
        None => (
            target.role.to_string(),
            format!(
                "acs:ram::{}:role/{}",
                target.account,
                target.role.as_str().to_ascii_lowercase()
            ),
        ),
    };
    GrantTrustResponse {
        role_name,
        role_arn,
        trust_policy: plan
            .policy_after
            .as_ref()
            .map(TrustPolicy::to_json)
            .unwrap_or_default(),
        principal: principal.to_owned(),
        role_created: plan.steps.iter().any(|s| matches!(s, Step::CreateRole(_))),
        changes: plan
            .steps
            .iter()
            .map(|s| describe(s, target, principal))
            .collect(),
    }
}

fn describe(step: &Step, target: &TrustTarget, principal: &str) -> Change {
    let role = &target.role;
    let (action, description) = match step {
        Step::CreateRole(_) => (
            "CreateRole",
            format!("create role {role} whose trust policy allows only {principal}"),
        ),
        Step::UpdateRole(_) => (
            "UpdateRole",
            format!(
                "update the trust policy of role {role} for {principal} (every other statement \
                 kept)"
            ),
        ),
        Step::AttachPolicy => (
            "AttachPolicyToRole",
            format!("attach system policy {DATAWORKS_EMR_POLICY} to role {role}"),
        ),
        Step::DetachPolicy => (
            "DetachPolicyFromRole",
            format!("detach system policy {DATAWORKS_EMR_POLICY} from role {role}"),
        ),
        Step::DeleteRole => (
            "DeleteRole",
            format!("delete role {role}, which crossbind created and no one else is trusted by"),
        ),
    };
    Change {
        action: action.to_owned(),
        description,
    }
}

fn parse_policy(role: &Role) -> Result<TrustPolicy> {
    TrustPolicy::parse(&role.assume_role_policy_document).map_err(|source| Error::BadTrustPolicy {
        role: role.role_name.clone(),
        source,
    })
}

/// Whether `policy` lets the service principal `principal` assume the role: the one judgment
/// behind the grant's plan (and so its dry run) and the diagnosis.
pub(crate) fn trusts(policy: &TrustPolicy, principal: &str) -> bool {
    policy.allows_service(principal)
}

/// Whether `p` is the system policy `AliyunDataWorksAccessingEMRReadOnlyPolicy`.
pub(crate) fn is_dataworks_policy(p: &ram::AttachedPolicy) -> bool {
    p.policy_name.eq_ignore_ascii_case(DATAWORKS_EMR_POLICY)
        && p.policy_type
            .eq_ignore_ascii_case(PolicyType::System.as_str())
}

async fn has_dataworks_policy(client: &Client, role: &RoleName) -> Result<bool> {
    let attached = client
        .list_policies_for_role(role)
        .await
        .map_err(cloud("ListPoliciesForRole"))?;
    Ok(attached.iter().any(is_dataworks_policy))
}

/// Creates the role; `false` when it already exists (someone raced us).
async fn create_role(client: &Client, target: &TrustTarget, policy: &TrustPolicy) -> Result<bool> {
    let req = CreateRole {
        role_name: target.role.clone(),
        assume_role_policy_document: policy.to_json(),
        description: Some(format!(
            "{CREATED_BY_CROSSBIND} for account {}: lets that account's DataWorks use this \
             account's EMR clusters.",
            target.consumer
        )),
        max_session_duration: None,
    };
    match client.create_role(&req).await {
        Ok(role) => {
            tracing::info!(
                role.name = %target.role,
                role.arn = %role.arn,
                consumer.uid = %target.consumer,
                "created role trusting the consumer's DataWorks"
            );
            Ok(true)
        }
        Err(e) if e.is_code(ram::codes::ENTITY_ALREADY_EXISTS_ROLE) => {
            tracing::debug!(role.name = %target.role, "role appeared concurrently; re-planning");
            Ok(false)
        }
        Err(e) => Err(cloud("CreateRole")(e)),
    }
}

async fn update_role(client: &Client, target: &TrustTarget, policy: &TrustPolicy) -> Result<()> {
    let req = UpdateRole {
        role_name: target.role.clone(),
        new_assume_role_policy_document: Some(policy.to_json()),
        new_description: None,
        new_max_session_duration: None,
    };
    match client.update_role(&req).await {
        Ok(_) => {
            tracing::info!(
                role.name = %target.role,
                consumer.uid = %target.consumer,
                "updated the role's trust policy"
            );
            Ok(())
        }
        Err(e) if e.is_code(ram::codes::ENTITY_NOT_EXIST_ROLE) => Err(Error::RoleVanished {
            role: target.role.to_string(),
        }),
        Err(e) => Err(cloud("UpdateRole")(e)),
    }
}

/// Attaches the DataWorks policy; `false` when it was already attached.
async fn attach_policy(client: &Client, target: &TrustTarget) -> Result<bool> {
    match client
        .attach_policy_to_role(PolicyType::System, DATAWORKS_EMR_POLICY, &target.role)
        .await
    {
        Ok(()) => {
            tracing::info!(
                role.name = %target.role,
                policy.name = DATAWORKS_EMR_POLICY,
                "attached policy"
            );
            Ok(true)
        }
        Err(e) if e.is_code(ram::codes::ENTITY_ALREADY_EXISTS_ROLE_POLICY) => Ok(false),
        Err(e) => Err(cloud("AttachPolicyToRole")(e)),
    }
}

/// Detaches the DataWorks policy; `false` when it was not attached.
async fn detach_policy(client: &Client, target: &TrustTarget) -> Result<bool> {
    match client
        .detach_policy_from_role(PolicyType::System, DATAWORKS_EMR_POLICY, &target.role)
        .await
    {
        Ok(()) => {
            tracing::info!(
                role.name = %target.role,
                policy.name = DATAWORKS_EMR_POLICY,
                "detached policy"
            );
            Ok(true)
        }
        Err(e) if e.is_code(ram::codes::ENTITY_NOT_EXIST_ROLE_POLICY) => Ok(false),
        Err(e) => Err(cloud("DetachPolicyFromRole")(e)),
    }
}

/// Deletes the role, retrying briefly while RAM still sees the detached policy; `false` when
/// the role was already gone.
async fn delete_role(client: &Client, target: &TrustTarget) -> Result<bool> {
    let mut pause = DELETE_BACKOFF;
    let mut attempt = 1;
    loop {
        match client.delete_role(&target.role).await {
            Ok(()) => {
                tracing::info!(role.name = %target.role, "deleted role");
                return Ok(true);
            }
            Err(e) if e.is_code(ram::codes::ENTITY_NOT_EXIST_ROLE) => return Ok(false),
            Err(e)
                if e.is_code(ram::codes::DELETE_CONFLICT_ROLE_POLICY)
                    && attempt < DELETE_ATTEMPTS =>
            {
                tracing::debug!(
                    role.name = %target.role,
                    attempt,
                    "policy detach not yet visible; retrying DeleteRole"
                );
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            Err(e) => return Err(cloud("DeleteRole")(e)),
        }
    }
}
