//! Pieces of the workflow that hold no state: request rules, failure reports, retry timing
//! and the sentences that describe each step's outcome.

use std::{future::Future, time::Duration};

use crossbind_aliyun::ids::{AccountUid, ClusterId};
use crossbind_proto::{
    ClusterCheck, Environment, Failure, Identity, IneligibilityReason, WorkspaceCheck,
};
use tonic::{Code, Status};

use super::{Stop, steps};
use crate::error::RequestError;

/// The compute resource name used when a request gives none: `crossbind_<cluster id>`,
/// lower-cased, with `-` turned into `_` (DataWorks allows letters, digits and `_`).
pub fn default_resource_name(cluster: &ClusterId) -> String {
    let id: String = cluster
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("crossbind_{id}")
}

/// DataWorks' rule for compute resource names: letters, digits and `_`, not starting with
/// a digit or `_`, at most 255 characters.
pub(super) fn check_resource_name(name: &str) -> Result<(), String> {
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.len() > 255 || !starts_well || !chars_ok {
        return Err(format!(
            "{name:?} must be 1 to 255 letters, digits or underscores and start with a letter"
        ));
    }
    Ok(())
}

/// DataWorks resource group ids: letters, digits, `_` and `-`, at most 128 characters
/// (`Serverless_res_group_524257424564736_6831777003`).
pub(super) fn check_resource_group_id(id: &str) -> Result<(), String> {
    let chars_ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if id.len() > 128 || !chars_ok {
        return Err(format!(
            "{id:?} must be a DataWorks resource group id: up to 128 letters, digits, '_' or '-'"
        ));
    }
    Ok(())
}

pub(super) fn register_step(environment: Environment) -> &'static str {
    match environment {
        Environment::Dev => steps::REGISTER_DEV,
        _ => steps::REGISTER_PROD,
    }
}

/// Whether an agent's successful answer is nonetheless a refusal the association stops on.
pub(super) trait Verdict {
    /// The sentence saying why, when the answer refuses.
    fn refusal(&self) -> Option<String> {
        None
    }
}

impl Verdict for ClusterCheck {
    fn refusal(&self) -> Option<String> {
        (!self.eligible || !self.reasons.is_empty()).then(|| ineligible(self).message)
    }
}

impl Verdict for Identity {}
impl Verdict for WorkspaceCheck {}
impl Verdict for crossbind_proto::GrantTrustResponse {}
impl Verdict for crossbind_proto::RegisterClusterResponse {}
impl Verdict for crossbind_proto::UnregisterClusterResponse {}
impl Verdict for crossbind_proto::RevokeTrustResponse {}
impl Verdict for crossbind_proto::ResourceGroupCheck {}
impl Verdict for crossbind_proto::BindResourceGroupResponse {}
impl Verdict for crossbind_proto::ApplyAccountMappingsResponse {}
impl Verdict for crossbind_proto::RemoveAccountMappingsResponse {}
impl Verdict for crossbind_proto::InitializationPlan {}

/// Awaits two steps together; when both fail, the failures are combined, and a cancel wins.
pub(super) async fn join_steps<A, B>(
    a: impl Future<Output = Result<A, Stop>>,
    b: impl Future<Output = Result<B, Stop>>,
) -> Result<(A, B), Stop> {
    match tokio::join!(a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(Stop::Cancelled), _) | (_, Err(Stop::Cancelled)) => Err(Stop::Cancelled),
        (Err(f), Ok(_)) | (Ok(_), Err(f)) => Err(f),
        (Err(Stop::Failed(first)), Err(Stop::Failed(second))) => Err(Stop::Failed(Failure {
            step: format!("{}, {}", first.step, second.step),
            code: first.code,
            reasons: first.reasons.into_iter().chain(second.reasons).collect(),
            message: format!("{}; {}", first.message, second.message),
        })),
    }
}

pub(super) fn retryable(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted
    )
}

/// The ceiling of the wait before attempt `attempt + 1`: 0.5 s, 1 s, 2 s ... capped at 8 s.
pub(super) fn backoff_ceiling(attempt: u32) -> Duration {
    let millis = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    Duration::from_millis(millis)
}

/// The actual wait: uniformly between half the ceiling and the ceiling ("equal jitter"), so
/// that many associations retrying the same agent spread out instead of arriving together.
pub(super) fn backoff(attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(attempt);
    let half = ceiling / 2;
    half + half.mul_f64(rand::random::<f64>())
}

pub(super) fn check_account(
    step: &str,
    identity: &Identity,
    expected: &AccountUid,
) -> Result<(), Failure> {
    if identity.account_uid == expected.as_str() {
        return Ok(());
    }
    Err(Failure {
        step: step.to_string(),
        code: Code::FailedPrecondition.description().to_string(),
        reasons: vec!["ACCOUNT_MISMATCH".to_string()],
        message: format!(
            "the agent's credentials belong to account {}, but the association names account {expected}",
            identity.account_uid
        ),
    })
}

pub(super) fn ineligible(cluster: &ClusterCheck) -> Failure {
    let reasons = cluster
        .reasons()
        .map(|r| r.as_str_name().to_string())
        .collect::<Vec<_>>();
    let reasons = if reasons.is_empty() {
        vec![IneligibilityReason::Unspecified.as_str_name().to_string()]
    } else {
        reasons
    };
    Failure {
        step: steps::PREFLIGHT_CLUSTER.to_string(),
        code: code_name(Code::FailedPrecondition).to_string(),
        message: format!(
            "cluster {} cannot be registered across accounts: {}",
            cluster.cluster_id,
            cluster.messages.join("; ")
        ),
        reasons,
    }
}

pub(super) fn step_failure(step: &str, status: &Status) -> Failure {
    let reason = match (step, status.code()) {
        (steps::PREFLIGHT_CLUSTER, Code::NotFound) => "CLUSTER_NOT_FOUND",
        (steps::PREFLIGHT_WORKSPACE, Code::NotFound) => "WORKSPACE_NOT_FOUND",
        (steps::PREFLIGHT_RESOURCE_GROUP, Code::NotFound) => "RESOURCE_GROUP_NOT_FOUND",
        (_, Code::PermissionDenied) => "PERMISSION_DENIED",
        (_, Code::Unauthenticated) => "UNAUTHENTICATED",
        (_, Code::InvalidArgument) => "INVALID_ARGUMENT",
        (_, Code::Unavailable | Code::DeadlineExceeded) => "AGENT_UNAVAILABLE",
        (_, Code::FailedPrecondition) => "FAILED_PRECONDITION",
        _ => "INTERNAL",
    };
    let message = match status.code() {
        Code::Unavailable | Code::DeadlineExceeded
            if status.message().contains("connect") || status.message().contains("TLS") =>
        {
            format!(
                "the {} agent cannot be reached: {}; check that it runs and that the coordinator's \
                 [[{}s]] endpoint points at it",
                agent_of(step),
                status.message(),
                agent_of(step)
            )
        }
        _ => status.message().to_string(),
    };
    Failure {
        step: step.to_string(),
        code: code_name(status.code()).to_string(),
        reasons: vec![reason.to_string()],
        message,
    }
}

/// Which agent serves a step.
fn agent_of(step: &str) -> &'static str {
    match step {
        steps::IDENTIFY_PROVIDER | steps::PREFLIGHT_CLUSTER | steps::TRUST | steps::REVOKE => {
            "provider"
        }
        _ => "consumer",
    }
}

pub(super) fn setup_failure(step: &str, error: RequestError) -> Failure {
    Failure {
        step: step.to_string(),
        code: code_name(Code::FailedPrecondition).to_string(),
        reasons: vec!["AGENT_NOT_CONFIGURED".to_string()],
        message: error.to_string(),
    }
}

/// The canonical upper-case name of a gRPC code (`FAILED_PRECONDITION`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

pub(super) fn describe_identity(identity: &Identity) -> String {
    format!(
        "account {} ({}, {}) in {}",
        identity.account_uid, identity.identity_type, identity.arn, identity.region
    )
}

pub(super) fn describe_cluster(cluster: &ClusterCheck) -> String {
    let verdict = if cluster.eligible && cluster.reasons.is_empty() {
        "eligible"
    } else {
        "not eligible"
    };
    format!(
        "cluster {} ({}, {} {}, metastore {}, {}) is {verdict}",
        cluster.cluster_id,
        cluster.cluster_name,
        cluster.cluster_type,
        cluster.release_version,
        cluster.metastore_type,
        cluster.state
    )
}

pub(super) fn describe_workspace(workspace: &WorkspaceCheck) -> String {
    let environments: Vec<&str> = workspace
        .environments()
        .map(|e| e.dataworks_name())
        .collect();
    format!(
        "workspace {} ({}) is {}, {} mode: environments {}",
        workspace.workspace_id,
        workspace.name,
        workspace.status,
        match workspace.mode() {
            crossbind_proto::WorkspaceMode::Standard => "standard",
            crossbind_proto::WorkspaceMode::Basic => "basic",
            crossbind_proto::WorkspaceMode::Unspecified => "unknown",
        },
        environments.join(" and ")
    )
}

pub(super) fn describe_grant(grant: &crossbind_proto::GrantTrustResponse) -> String {
    if grant.changes.is_empty() {
        return format!(
            "role {} already trusts {}; nothing changed",
            grant.role_arn, grant.principal
        );
    }
    let changes: Vec<&str> = grant
        .changes
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    format!("role {}: {}", grant.role_arn, changes.join("; "))
}

pub(super) fn describe_registration(
    registered: &crossbind_proto::RegisterClusterResponse,
) -> String {
    let environment = registered.environment().dataworks_name();
    let retries = match registered.propagation_retries {
        0 => String::new(),
        n => format!(" after waiting {n} time(s) for the new role to take effect"),
    };
    if registered.created {
        format!(
            "created compute resource {} ({environment}) with id {}{retries}",
            registered.compute_resource_name, registered.compute_resource_id
        )
    } else {
        format!(
            "compute resource {} ({environment}) already registered with id {}; nothing changed",
            registered.compute_resource_name, registered.compute_resource_id
        )
    }
}

pub(super) fn describe_resource_group(group: &crossbind_proto::ResourceGroupCheck) -> String {
    format!(
        "resource group {} ({}, {} {}) in VPC {} / vSwitch {}, {}",
        group.resource_group_id,
        group.name,
        group.r#type,
        group.status,
        or_unknown(&group.vpc_id),
        or_unknown(&group.vswitch_id),
        if group.bound {
            "bound to the workspace"
        } else {
            "not yet bound to the workspace"
        }
    )
}

pub(super) fn describe_binding(bound: &crossbind_proto::BindResourceGroupResponse) -> String {
    let id = bound
        .resource_group
        .as_ref()
        .map(|g| g.resource_group_id.as_str())
        .unwrap_or("?");
    if bound.bound_now {
        format!("bound resource group {id} to the workspace")
    } else {
        format!("resource group {id} was already bound to the workspace; nothing changed")
    }
}

/// `unknown` for an empty string, for sentences.
pub(super) fn or_unknown(text: &str) -> &str {
    if text.is_empty() { "unknown" } else { text }
}

/// A warning when the resource group and the cluster are in different VPCs: tasks reach the
/// cluster only if the two are connected.
pub(super) fn network_warning(
    cluster: &ClusterCheck,
    group: &crossbind_proto::ResourceGroupCheck,
) -> Option<String> {
    if cluster.vpc_id.is_empty() || group.vpc_id.is_empty() || cluster.vpc_id == group.vpc_id {
        return None;
    }
    Some(format!(
        "resource group {} is in VPC {} and cluster {} in VPC {}: its tasks reach the cluster \
         only when the two VPCs are connected (CEN or VPC peering) with non-overlapping CIDR \
         blocks; a resource group in VPC {} needs no such connection",
        group.resource_group_id, group.vpc_id, cluster.cluster_id, cluster.vpc_id, cluster.vpc_id
    ))
}
