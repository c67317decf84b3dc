//! Turns what the two agents read into findings: each says what is wrong, in which account, how
//! bad it is, and one sentence on what to fix.
//!
//! Each agent reads only what its own credentials allow (the provider the role, its trust
//! policy and attachment, and the cluster; the consumer the workspace, the compute resources,
//! the resource group and, where a data source of the cluster exists, a connectivity test).
//! Only here are the two sides put together, for example to compare the two networks. This
//! module is pure: it reads no cloud and holds no state, so every rule is unit-tested.

use crossbind_proto::{
    Association, ClusterCheck, ComputeResourceDiagnosis, Finding, Severity, TrustDiagnosis,
    WorkspaceDiagnosis,
};

/// The system policy the role must carry.
const POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

/// What could never be checked through the APIs crossbind calls.
const ALWAYS_UNCHECKED: [&str; 2] = [
    "the CIDR blocks of the two VPCs: the VPC API is not among those crossbind calls, so \
     overlapping address ranges are not detected; compare them in the VPC console",
    "the route and security-group rules between the resource group and the cluster's nodes: no \
     public API reads them for a DataWorks resource group",
];

/// The association's parameters the findings refer to.
struct Subject<'a> {
    provider: &'a str,
    consumer: &'a str,
    role: &'a str,
    cluster: &'a str,
    workspace: &'a str,
    group: &'a str,
}

/// Findings (errors first) and what could not be checked, from the agents' reports. A missing
/// report (the agent could not be asked) yields no findings for its side.
pub fn findings(
    association: &Association,
    provider: Option<&TrustDiagnosis>,
    consumer: Option<&WorkspaceDiagnosis>,
) -> (Vec<Finding>, Vec<String>) {
    let request = association.request.clone().unwrap_or_default();
    let subject = Subject {
        provider: &request.provider_account_uid,
        consumer: &request.consumer_account_uid,
        role: &request.role_name,
        cluster: &request.cluster_id,
        workspace: &request.workspace_id,
        group: &request.resource_group_id,
    };
    let mut out = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();
    if let Some(provider) = provider {
        provider_findings(&subject, association, provider, &mut out);
    }
    if let Some(consumer) = consumer {
        let cluster = provider
            .filter(|p| p.cluster_found)
            .and_then(|p| p.cluster.as_ref());
        consumer_findings(&subject, consumer, cluster, &mut out);
        unchecked.extend(consumer.unchecked.iter().cloned());
    }
    if let (Some(provider), Some(consumer)) = (provider, consumer) {
        network_findings(&subject, provider, consumer, &mut out);
    }
    unchecked.extend(ALWAYS_UNCHECKED.iter().map(|s| s.to_string()));
    if provider.is_some()
        && consumer.is_some()
        && !out.iter().any(|f| f.severity() >= Severity::Warning)
    {
        out.push(finding(
            Severity::Info,
            "ALL_CHECKS_PASSED",
            subject.consumer,
            "association",
            "every check both agents can make passed".to_string(),
            "nothing to fix; see the unchecked items for what the APIs cannot show".to_string(),
        ));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    (out, unchecked)
}

fn finding(
    severity: Severity,
    code: &str,
    account: &str,
    subject: impl Into<String>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        severity: severity as i32,
        code: code.to_string(),
        account_uid: account.to_string(),
        subject: subject.into(),
        message,
        fix,
    }
}

fn provider_findings(
    s: &Subject<'_>,
    association: &Association,
    provider: &TrustDiagnosis,
    out: &mut Vec<Finding>,
) {
    let role = format!("role {}", s.role);
    let again = "apply the association again (`crossbind associate` with the same arguments)";
    if !provider.role_exists {
        out.push(finding(
            Severity::Error,
            "ROLE_MISSING",
            s.provider,
            &role,
            format!("role {} does not exist in account {}", s.role, s.provider),
            format!(
                "{again} to create it, or create it in account {}'s RAM console",
                s.provider
            ),
        ));
    } else {
        if !provider.principal_trusted {
            out.push(finding(
                Severity::Error,
                "PRINCIPAL_NOT_TRUSTED",
                s.provider,
                &role,
                format!(
                    "the trust policy of role {} does not let {} (account {}'s DataWorks service) \
                     assume it",
                    s.role, provider.principal, s.consumer
                ),
                format!(
                    "{again} to add the principal back (other statements are kept), or add {} to \
                     the policy's Service principals in account {}'s RAM console",
                    provider.principal, s.provider
                ),
            ));
        }
        if !provider.policy_attached {
            out.push(finding(
                Severity::Error,
                "POLICY_NOT_ATTACHED",
                s.provider,
                &role,
                format!("the system policy {POLICY} is not attached to role {}", s.role),
                format!(
                    "{again} to attach it, or attach {POLICY} to role {} in account {}'s RAM console",
                    s.role, s.provider
                ),
            ));
        }
    }
    let cluster_subject = format!("cluster {}", s.cluster);
    let Some(cluster) = provider.cluster.as_ref().filter(|_| provider.cluster_found) else {
        out.push(finding(
            Severity::Error,
            "CLUSTER_NOT_FOUND",
            s.provider,
            cluster_subject,
            format!(
                "cluster {} no longer exists in account {}",
                s.cluster, s.provider
            ),
            "dissociate this association and associate a cluster that exists".to_string(),
        ));
        return;
    };
    if cluster.state != "RUNNING" {
        out.push(finding(
            Severity::Error,
            "CLUSTER_NOT_RUNNING",
            s.provider,
            &cluster_subject,
            format!("cluster {} is {}, not RUNNING", s.cluster, cluster.state),
            format!(
                "start or restore the cluster in account {}'s EMR console; tasks cannot reach it \
                 until it runs",
                s.provider
            ),
        ));
    }
    let other_reasons: Vec<&String> = cluster
        .messages
        .iter()
        .zip(cluster.reasons())
        .filter(|(_, r)| *r != crossbind_proto::IneligibilityReason::ClusterNotRunning)
        .map(|(m, _)| m)
        .collect();
    if !other_reasons.is_empty() {
        out.push(finding(
            Severity::Error,
            "CLUSTER_NOT_ELIGIBLE",
            s.provider,
            &cluster_subject,
            format!(
                "cluster {} no longer qualifies for cross-account registration: {}",
                s.cluster,
                other_reasons
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "bring the cluster back to a supported release and configuration \
             (`crossbind-provider rules` lists them), or dissociate"
                .to_string(),
        ));
    }
    if let Some(reason) = reinitialization(association, cluster) {
        out.push(finding(
            Severity::Warning,
            "REINITIALIZATION_DUE",
            s.consumer,
            format!("resource group {}", s.group),
            format!("the resource group must be initialized again: {reason}"),
            "apply the association again: it waits for the off-peak window and asks for the \
             console step"
                .to_string(),
        ));
    }
}

/// Why the resource group must be initialized again, comparing the cluster now with the last
/// confirmed initialization.
fn reinitialization(association: &Association, cluster: &ClusterCheck) -> Option<String> {
    let last = association.initialization.as_ref()?;
    if last.release_version != cluster.release_version {
        return Some(format!(
            "the cluster's release changed from {} to {}",
            last.release_version, cluster.release_version
        ));
    }
    (last.config_fingerprint != cluster.config_fingerprint).then(|| {
        format!(
            "the cluster's configuration changed since {}",
            last.confirmed_at
        )
    })
}

/// What to do about a data source the resource group cannot reach, given what the provider
/// reported about the cluster (when it could be asked).
fn reach_fix(
    s: &Subject<'_>,
    group_vpc: &str,
    group_vswitch: &str,
    cluster: Option<&ClusterCheck>,
) -> String {
    match cluster {
        Some(c) if c.state != "RUNNING" => format!(
            "start cluster {} first (it is {}; see CLUSTER_NOT_RUNNING), then diagnose again",
            s.cluster, c.state
        ),
        Some(c) if !c.vpc_id.is_empty() && c.vpc_id == group_vpc => format!(
            "the resource group and the cluster share VPC {group_vpc}: allow the resource group's \
             vSwitch {group_vswitch} in the cluster's security group (account {}), then diagnose again",
            s.provider
        ),
        _ => "connect the resource group's VPC to the cluster's (CEN or VPC peering, with \
              non-overlapping CIDR blocks) and allow the resource group's vSwitch in the \
              cluster's security group"
            .to_string(),
    }
}

fn consumer_findings(
    s: &Subject<'_>,
    consumer: &WorkspaceDiagnosis,
    cluster: Option<&ClusterCheck>,
    out: &mut Vec<Finding>,
) {
    if consumer.workspace.is_none() {
        out.push(finding(
            Severity::Error,
            "WORKSPACE_NOT_FOUND",
            s.consumer,
            format!("workspace {}", s.workspace),
            format!(
                "workspace {} does not exist in account {}",
                s.workspace, s.consumer
            ),
            "dissociate this association; associate a workspace that exists".to_string(),
        ));
    }
    for resource in &consumer.compute_resources {
        compute_resource_findings(s, resource, out);
    }
    if s.group.is_empty() {
        return;
    }
    let subject = format!("resource group {}", s.group);
    let Some(group) = consumer
        .resource_group
        .as_ref()
        .filter(|_| consumer.resource_group_found)
    else {
        out.push(finding(
            Severity::Error,
            "RESOURCE_GROUP_NOT_FOUND",
            s.consumer,
            subject,
            format!(
                "resource group {} does not exist in account {}",
                s.group, s.consumer
            ),
            "name an existing resource group and apply the association again".to_string(),
        ));
        return;
    };
    if group.status != "Normal" {
        out.push(finding(
            Severity::Error,
            "RESOURCE_GROUP_NOT_USABLE",
            s.consumer,
            &subject,
            format!("resource group {} is {}, not Normal", s.group, group.status),
            "wait for it to become Normal, or restart or renew it in the DataWorks console \
             (Resource Groups)"
                .to_string(),
        ));
    }
    if !group.bound {
        out.push(finding(
            Severity::Error,
            "RESOURCE_GROUP_NOT_BOUND",
            s.consumer,
            &subject,
            format!(
                "resource group {} is not bound to workspace {}, so the workspace's tasks cannot \
                 run on it",
                s.group, s.workspace
            ),
            format!(
                "apply the association again (it binds the group), or bind it in the DataWorks \
                 console: Resource Groups → {} → Associate Workspace → {}",
                s.group, s.workspace
            ),
        ));
    }
    for test in &consumer.connectivity {
        let environment = test.environment().dataworks_name();
        let subject = format!("data source {} ({environment})", test.data_source_name);
        let (severity, code, fix) = match test.state.as_str() {
            "Connectable" => (
                Severity::Info,
                "CONNECTIVITY_OK",
                "nothing to fix".to_string(),
            ),
            "ConfigError" => (
                Severity::Error,
                "CONNECTIVITY_CONFIG_ERROR",
                format!(
                    "correct the data source or the resource group's binding as the message says, \
                     then diagnose again (`crossbind diagnose`); the console's connectivity \
                     diagnosis for resource group {} shows each stage",
                    s.group
                ),
            ),
            "Unsupport" => (
                Severity::Warning,
                "CONNECTIVITY_UNSUPPORTED",
                "the connectivity of this data source type cannot be tested from this resource \
                 group; use the console's connectivity diagnosis"
                    .to_string(),
            ),
            _ => (
                Severity::Error,
                "CONNECTIVITY_UNREACHABLE",
                reach_fix(s, &group.vpc_id, &group.vswitch_id, cluster),
            ),
        };
        let detail = if test.message.is_empty() {
            String::new()
        } else {
            format!(" ({})", test.message)
        };
        out.push(finding(
            severity,
            code,
            s.consumer,
            subject,
            format!(
                "TestDataSourceConnectivity from resource group {}: {}{detail}",
                s.group, test.state
            ),
            fix,
        ));
    }
}

fn compute_resource_findings(
    s: &Subject<'_>,
    resource: &ComputeResourceDiagnosis,
    out: &mut Vec<Finding>,
) {
    let environment = resource.environment().dataworks_name();
    let subject = format!(
        "compute resource {} ({environment})",
        if resource.compute_resource_id.is_empty() {
            &resource.compute_resource_name
        } else {
            &resource.compute_resource_id
        }
    );
    if !resource.found {
        out.push(finding(
            Severity::Error,
            "COMPUTE_RESOURCE_MISSING",
            s.consumer,
            subject,
            format!(
                "the {environment} compute resource {} is gone from workspace {}",
                resource.compute_resource_name, s.workspace
            ),
            "apply the association again to register the cluster again".to_string(),
        ));
        return;
    }
    let mut wrong = Vec::new();
    if resource.provider_account_uid != s.provider {
        wrong.push(format!(
            "account {} instead of {}",
            resource.provider_account_uid, s.provider
        ));
    }
    if !resource.role_name.eq_ignore_ascii_case(s.role) {
        wrong.push(format!("role {} instead of {}", resource.role_name, s.role));
    }
    if !resource.cluster_id.eq_ignore_ascii_case(s.cluster) {
        wrong.push(format!(
            "cluster {} instead of {}",
            resource.cluster_id, s.cluster
        ));
    }
    if !wrong.is_empty() {
        out.push(finding(
            Severity::Error,
            "COMPUTE_RESOURCE_MISMATCH",
            s.consumer,
            subject,
            format!("the compute resource names {}", wrong.join(", ")),
            "delete it in the DataWorks console (Management Center → Computing Resources), then \
             apply the association again"
                .to_string(),
        ));
    }
}

fn network_findings(
    s: &Subject<'_>,
    provider: &TrustDiagnosis,
    consumer: &WorkspaceDiagnosis,
    out: &mut Vec<Finding>,
) {
    let (Some(cluster), Some(group)) = (
        provider.cluster.as_ref().filter(|_| provider.cluster_found),
        consumer
            .resource_group
            .as_ref()
            .filter(|_| consumer.resource_group_found),
    ) else {
        return;
    };
    if cluster.vpc_id.is_empty() || group.vpc_id.is_empty() {
        return;
    }
    if cluster.vpc_id == group.vpc_id {
        out.push(finding(
            Severity::Info,
            "SAME_VPC",
            s.consumer,
            "network",
            format!(
                "resource group {} (vSwitch {}) and cluster {} (vSwitch {}) are in the same VPC {}",
                s.group, group.vswitch_id, s.cluster, cluster.vswitch_id, cluster.vpc_id
            ),
            "nothing to fix; the cluster's security group must still admit the resource group's \
             vSwitch"
                .to_string(),
        ));
        return;
    }
    out.push(finding(
        Severity::Warning,
        "NETWORKS_DIFFER",
        s.consumer,
        "network",
        format!(
            "resource group {} is in VPC {} (account {}) and cluster {} in VPC {} (account {}): \
             tasks reach the cluster only when the two VPCs are connected and their CIDR blocks \
             do not overlap",
            s.group, group.vpc_id, s.consumer, s.cluster, cluster.vpc_id, s.provider
        ),
        format!(
            "connect VPC {} and VPC {} (CEN or VPC peering, with non-overlapping CIDR blocks), or \
             bind a resource group in VPC {}",
            group.vpc_id, cluster.vpc_id, cluster.vpc_id
        ),
    ));
}

#[cfg(test)]
mod tests;
