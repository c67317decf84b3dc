//! The trust diagnosis of one association: what the provider account holds for it, as its
//! own credentials read it. It reads the role (`GetRole`), its attached policies
//! (`ListPoliciesForRole`) and the cluster (the same check as `CheckCluster`) concurrently,
//! and changes nothing.
//!
//! Consent and input checks are the caller's; this module trusts its arguments. A missing
//! role, a missing cluster and an unparsable trust policy are findings, not errors; any other
//! cloud failure fails the diagnosis.

use crossbind_aliyun::client::Client;
use crossbind_aliyun::ids::ClusterId;
use crossbind_aliyun::ram::{self, AttachedPolicy, Role};
use crossbind_aliyun::trust_policy::{TrustPolicy, dataworks_principal};
use crossbind_proto::{ClusterCheck, TrustDiagnosis};

use crate::error::{Error, Result, cloud};
use crate::inspect;
use crate::trust::{self, TrustTarget};

/// Diagnoses `target` together with cluster `cluster`, logging one info line with the
/// verdict.
pub(crate) async fn diagnose(
    client: &Client,
    target: &TrustTarget,
    cluster: &ClusterId,
) -> Result<TrustDiagnosis> {
    let principal = dataworks_principal(&target.consumer);
    let role = async {
        client
            .get_role(&target.role)
            .await
            .map_err(cloud("GetRole"))
    };
    let policies = async {
        match client.list_policies_for_role(&target.role).await {
            Ok(policies) => Ok(policies),
            // The role is missing; GetRole says so too.
            Err(e) if e.is_code(ram::codes::ENTITY_NOT_EXIST_ROLE) => Ok(Vec::new()),
            Err(e) => Err(cloud("ListPoliciesForRole")(e)),
        }
    };
    let check = async {
        match inspect::check_cluster(client, &target.account, cluster).await {
            Ok(check) => Ok(Some(check)),
            Err(Error::ClusterNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (role, policies, check) = futures::future::try_join3(role, policies, check).await?;
    let diagnosis = assemble(target, &principal, role.as_ref(), &policies, check);
    tracing::info!(
        consumer.uid = %target.consumer,
        role.name = %diagnosis.role_name,
        cluster.id = %cluster,
        role.exists = diagnosis.role_exists,
        principal.trusted = diagnosis.principal_trusted,
        policy.attached = diagnosis.policy_attached,
        cluster.found = diagnosis.cluster_found,
        cluster.eligible = diagnosis.cluster.as_ref().is_some_and(|c| c.eligible),
        "trust diagnosed"
    );
    Ok(diagnosis)
}

/// The diagnosis from what was read: `role` as `GetRole` returned it, `policies` attached to
/// it, and the cluster's check (`None` when the cluster was not found).
fn assemble(
    target: &TrustTarget,
    principal: &str,
    role: Option<&Role>,
    policies: &[AttachedPolicy],
    check: Option<ClusterCheck>,
) -> TrustDiagnosis {
    let (role_name, role_arn, trust_policy, principal_trusted, policy_attached) = match role {
        Some(role) => (
            role.role_name.clone(),
            role.arn.clone(),
            role.assume_role_policy_document.clone(),
            policy_trusts(role, principal),
            policies.iter().any(trust::is_dataworks_policy),
        ),
        None => (
            target.role.to_string(),
            String::new(),
            String::new(),
            false,
            false,
        ),
    };
    TrustDiagnosis {
        role_name,
        role_exists: role.is_some(),
        role_arn,
        principal: principal.to_owned(),
        principal_trusted,
        policy_attached,
        trust_policy,
        cluster_found: check.is_some(),
        cluster: check,
    }
}

/// Whether the role's stored trust policy lets `principal` assume it; `false` when the
/// document cannot be parsed.
fn policy_trusts(role: &Role, principal: &str) -> bool {
    match TrustPolicy::parse(&role.assume_role_policy_document) {
        Ok(policy) => trust::trusts(&policy, principal),
        Err(e) => {
            tracing::debug!(
                role.name = %role.role_name,
                error = %crossbind_agent_common::display_chain(&e),
                "the trust policy is not a policy document; the principal counts as untrusted"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use crossbind_aliyun::ids::{AccountUid, RoleName};

    use super::*;

    const CONSUMER: &str = "1688000000000001";
    const PRINCIPAL: &str = "1688000000000001@emr.dataworks.aliyuncs.com";

    fn target() -> TrustTarget {
        TrustTarget {
            consumer: AccountUid::new(CONSUMER).expect("uid"),
            role: RoleName::new("EMRRole").expect("role"),
            account: AccountUid::new("1688000000000002").expect("uid"),
        }
    }

    fn role(policy: &str) -> Role {
        serde_json::from_value(serde_json::json!({
            "RoleId": "1",
            "RoleName": "EMRRole",
            "Arn": "acs:ram::1688000000000002:role/emrrole",
            "AssumeRolePolicyDocument": policy,
            "CreateDate": "2026-12-03T00:00:00Z",
        }))
        .expect("a role")
    }

    fn attached(name: &str, kind: &str) -> AttachedPolicy {
        serde_json::from_value(serde_json::json!({
            "PolicyName": name,
            "PolicyType": kind,
            "Description": "",
            "DefaultVersion": "v1",
            "AttachDate": "2026-12-03T00:00:00Z",
        }))
        .expect("a policy")
    }

    #[test]
    fn an_unparsable_policy_is_untrusted_and_returned_verbatim() {
        let bad = role("{not json");
        let d = assemble(&target(), PRINCIPAL, Some(&bad), &[], None);
        assert!(d.role_exists);
        assert!(!d.principal_trusted);
        assert_eq!(d.trust_policy, "{not json");
        assert!(!d.cluster_found && d.cluster.is_none());
    }

    #[test]
    fn only_the_system_dataworks_policy_counts_as_attached() {
        let trusted = role(&TrustPolicy::for_service_principal(PRINCIPAL).to_json());
        let custom = [attached(ram::DATAWORKS_EMR_POLICY, "Custom")];
        let d = assemble(&target(), PRINCIPAL, Some(&trusted), &custom, None);
        assert!(d.principal_trusted);
        assert!(!d.policy_attached);
        let system = [attached(ram::DATAWORKS_EMR_POLICY, "System")];
        let d = assemble(&target(), PRINCIPAL, Some(&trusted), &system, None);
        assert!(d.policy_attached);
        assert_eq!(d.role_arn, "acs:ram::1688000000000002:role/emrrole");
    }

    #[test]
    fn a_missing_role_leaves_the_role_fields_empty_but_names_the_principal() {
        let d = assemble(&target(), PRINCIPAL, None, &[], None);
        assert!(!d.role_exists && !d.principal_trusted && !d.policy_attached);
        assert_eq!(d.role_name, "EMRRole");
        assert!(d.role_arn.is_empty() && d.trust_policy.is_empty());
        assert_eq!(d.principal, PRINCIPAL);
    }
}
