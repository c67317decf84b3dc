//! The consumer agent's request errors and their one mapping to gRPC statuses. Start-up and
//! serving failures are `crossbind_agent_common::Error`; plain cloud failures are mapped by
//! `crossbind_agent_common::cloud_error_to_status`.

use std::time::Duration;

use crossbind_agent_common::{cloud_error_to_status, display_chain, quote_api_error};
use crossbind_aliyun::ids::InvalidId;
use tonic::Status;

/// Result alias of the consumer's request handling.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a consumer request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is malformed.
    #[error("request field {field} is invalid")]
    InvalidArgument {
        /// The proto field name.
        field: &'static str,
        /// What is wrong with it.
        #[source]
        source: InvalidId,
    },
    /// A request field breaks a rule that has no identifier type.
    #[error("request field {field} {problem}")]
    BadField {
        /// The proto field name.
        field: &'static str,
        /// What is wrong, e.g. "must not start with a digit".
        problem: String,
    },
    /// An entry of a repeated request field is malformed.
    #[error("request field {field}[{index}] {problem}")]
    BadEntry {
        /// The proto field name.
        field: &'static str,
        /// The entry's position, from 0.
        index: usize,
        /// What is wrong, e.g. "member_uid must be an Alibaba Cloud UID".
        problem: String,
    },
    /// A required request field is empty.
    #[error("request field {field} is required")]
    MissingArgument {
        /// The proto field name.
        field: &'static str,
    },
    /// The agent's consent does not cover the request.
    #[error(
        "{what} {value} is not allowed by this consumer agent: it is not in {key} of the \
         agent's configuration; the owner of this account must add it there (the coordinator \
         cannot)"
    )]
    NotConsented {
        /// `provider account` or `workspace`.
        what: &'static str,
        /// The refused value.
        value: String,
        /// The configuration key.
        key: &'static str,
    },
    /// The workspace does not exist where the agent looks.
    #[error("workspace {workspace} not found in region {region} of account {account}")]
    WorkspaceNotFound {
        /// The workspace ID.
        workspace: String,
        /// The agent's region.
        region: String,
        /// The agent's account.
        account: String,
    },
    /// The workspace exists but cannot be used now.
    #[error(
        "workspace {workspace} is {status}, not Available; wait until DataWorks shows it as \
         available (or fix it there), then retry"
    )]
    WorkspaceUnavailable {
        /// The workspace ID.
        workspace: String,
        /// The DataWorks status.
        status: String,
    },
    /// Another resource already uses the name in that environment.
    #[error(
        "compute resource {name} already exists in the {env} environment of workspace \
         {workspace} (id {existing_id}) for another cluster, account or role; pick another \
         compute_resource_name or remove that resource"
    )]
    NameTaken {
        /// The name asked for.
        name: String,
        /// `Dev` or `Prod`.
        env: String,
        /// The workspace ID.
        workspace: String,
        /// The ID of the resource holding the name.
        existing_id: i64,
    },
    /// The provider's role never became usable within the propagation timeout.
    #[error(
        "DataWorks did not accept role {role} of account {provider} within {waited_secs} s \
         ({retries} retries)"
    )]
    RoleNotInEffect {
        /// The role.
        role: String,
        /// The provider account.
        provider: String,
        /// Retries made.
        retries: u32,
        /// Seconds waited.
        waited_secs: u64,
        /// The last refusal.
        #[source]
        source: Box<crossbind_aliyun::Error>,
    },
    /// DataWorks says the cluster cannot be registered across accounts.
    #[error("DataWorks refused cluster {cluster} for cross-account registration")]
    ClusterNotSupported {
        /// The cluster.
        cluster: String,
        /// The refusal.
        #[source]
        source: Box<crossbind_aliyun::Error>,
    },
    /// The resource to delete is not of the environment asked for.
    #[error(
        "compute resource {id} of workspace {workspace} is for the {found} environment, not \
         {asked}; check the compute_resource_id"
    )]
    WrongEnvironment {
        /// The resource ID.
        id: i64,
        /// The workspace.
        workspace: String,
        /// Its environment.
        found: String,
        /// The environment asked for.
        asked: String,
    },
    /// DeleteComputeResource succeeded but the resource can still be read.
    #[error("compute resource {id} of workspace {workspace} still exists after deletion; retry")]
    StillExists {
        /// The resource ID.
        id: i64,
        /// The workspace.
        workspace: String,
    },
    /// A create answered "already exists" but no matching resource could be found.
    #[error(
        "DataWorks says compute resource {name} already exists in workspace {workspace}, but \
         no resource of that name matches; retry"
    )]
    ExistsButUnseen {
        /// The name.
        name: String,
        /// The workspace.
        workspace: String,
    },
    /// The resource group does not exist where the agent looks.
    #[error("resource group {group} does not exist in account {account} (region {region})")]
    ResourceGroupNotFound {
        /// The resource group ID.
        group: String,
        /// The agent's account.
        account: String,
        /// The agent's region.
        region: String,
    },
    /// The resource group exists but cannot run tasks now.
    #[error("resource group {group} is {status}, not Normal; {advice}")]
    ResourceGroupUnusable {
        /// The resource group ID.
        group: String,
        /// Its DataWorks status.
        status: String,
        /// What to do about it.
        advice: &'static str,
    },
    /// The resource group is of a type that cannot run EMR tasks.
    #[error(
        "resource group {group} is of type {kind}, which cannot run EMR tasks; accepted are \
         CommonV2 (serverless) and ExclusiveScheduler (exclusive for scheduling): name a group \
         of one of those types"
    )]
    ResourceGroupWrongType {
        /// The resource group ID.
        group: String,
        /// Its `ResourceGroupType`.
        kind: String,
    },
    /// The binding succeeded but cannot be read back.
    #[error(
        "resource group {group} is still not bound to workspace {workspace} after \
         AssociateProjectToResourceGroup succeeded; retry"
    )]
    NotBound {
        /// The resource group ID.
        group: String,
        /// The workspace.
        workspace: String,
    },
    /// The compute resource does not exist.
    #[error("compute resource {id} does not exist in workspace {workspace}")]
    ComputeResourceNotFound {
        /// The resource ID.
        id: i64,
        /// The workspace.
        workspace: String,
    },
    /// The compute resource connects to another cluster than the request names.
    #[error(
        "compute resource {id} of workspace {workspace} connects to cluster {found}, not \
         {asked}; pass a compute resource of cluster {asked}"
    )]
    OtherCluster {
        /// The resource ID.
        id: i64,
        /// The workspace.
        workspace: String,
        /// The cluster it connects to.
        found: String,
        /// The cluster asked for.
        asked: String,
    },
    /// The compute resource's properties do not say which cluster it connects to.
    #[error(
        "compute resource {id} of workspace {workspace} names no cluster or provider account \
         where registration.connection_properties_template puts ${{clusterId}} and \
         ${{crossAccountOwnerId}}, so the cluster whose accounts it maps is unknown; pass a \
         compute resource crossbind registered"
    )]
    Unrecognised {
        /// The resource ID.
        id: i64,
        /// The workspace.
        workspace: String,
    },
    /// Off-peak windows are configured, but none opens in the days ahead (a time zone whose
    /// calendar skips the days they name, for example).
    #[error(
        "no off-peak window of [initialization] off_peak ({windows}) opens in the ten days after \
         {after}: check the windows and the time zone"
    )]
    NoWindowAhead {
        /// The windows, described.
        windows: String,
        /// The instant asked about.
        after: String,
    },
    /// An LDAP cluster needs a password for the account, and none is configured.
    #[error(
        "cluster {cluster} authenticates with LDAP, so mapping a member to cluster account \
         {account} needs that account's password, and none is configured: add \
         account_mappings.password_env.{key} = \"<VARIABLE>\" to the consumer agent's \
         configuration, set that environment variable to the password and restart the agent"
    )]
    PasswordNotConfigured {
        /// The cluster.
        cluster: String,
        /// The cluster account.
        account: String,
        /// The account as a TOML key.
        key: String,
    },
    /// The password's environment variable was not set at start-up.
    #[error(
        "cluster {cluster} authenticates with LDAP, so mapping a member to cluster account \
         {account} needs that account's password; the environment variable that \
         account_mappings.password_env.{key} names was not set when the agent started: set it \
         and restart the agent (the value there is the variable's name, never the password)"
    )]
    PasswordUnset {
        /// The cluster.
        cluster: String,
        /// The cluster account.
        account: String,
        /// The account as a TOML key.
        key: String,
    },
    /// DataWorks refuses account mappings for the cluster.
    #[error("DataWorks refused account mappings for cluster {cluster}")]
    MappingsNotAllowed {
        /// The cluster.
        cluster: String,
        /// The refusal.
        #[source]
        source: Box<crossbind_aliyun::Error>,
    },
    /// The mappings were updated but the read-back does not show it.
    #[error(
        "the account mappings of compute resource {id} do not show member {member} as asked \
         after UpdateComputeResourceAuthUserMappings succeeded; retry"
    )]
    MappingsNotApplied {
        /// The compute resource.
        id: i64,
        /// The first member that differs.
        member: String,
    },
    /// A cloud call failed.
    #[error("{action} failed")]
    Cloud {
        /// The cloud action.
        action: &'static str,
        /// The failure.
        #[source]
        source: Box<crossbind_aliyun::Error>,
    },
}

/// Shorthand for wrapping a cloud failure of `action`.
pub(crate) fn cloud(action: &'static str) -> impl FnOnce(crossbind_aliyun::Error) -> Error {
    move |source| Error::Cloud {
        action,
        source: Box::new(source),
    }
}

/// The cloud's refusal as quoted in statuses: code, message and request ID.
fn quote(err: &crossbind_aliyun::Error) -> String {
    match err.api() {
        Some(api) => quote_api_error(api),
        None => cloud_error_to_status(err).message().to_owned(),
    }
}

// === impl Error ===

impl Error {
    /// How long was waited, for [`Error::RoleNotInEffect`].
    pub(crate) fn role_not_in_effect(
        role: &str,
        provider: &str,
        retries: u32,
        waited: Duration,
        source: crossbind_aliyun::Error,
    ) -> Self {
        Error::RoleNotInEffect {
            role: role.to_owned(),
            provider: provider.to_owned(),
            retries,
            waited_secs: waited.as_secs(),
            source: Box::new(source),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        match &err {
            Error::InvalidArgument { field, source } => {
                Status::invalid_argument(format!("{field}: {source}"))
            }
            Error::BadField { .. } | Error::BadEntry { .. } | Error::MissingArgument { .. } => {
                Status::invalid_argument(err.to_string())
            }
            Error::NotConsented { .. } => Status::permission_denied(err.to_string()),
            Error::WorkspaceNotFound { .. }
            | Error::ResourceGroupNotFound { .. }
            | Error::ComputeResourceNotFound { .. } => Status::not_found(err.to_string()),
            Error::WorkspaceUnavailable { .. }
            | Error::NameTaken { .. }
            | Error::WrongEnvironment { .. }
            | Error::ResourceGroupUnusable { .. }
            | Error::ResourceGroupWrongType { .. }
            | Error::OtherCluster { .. }
            | Error::Unrecognised { .. }
            | Error::PasswordNotConfigured { .. }
            | Error::PasswordUnset { .. }
            | Error::NoWindowAhead { .. } => Status::failed_precondition(err.to_string()),
            Error::MappingsNotAllowed { source, .. } => Status::failed_precondition(format!(
                "{err}; {}. The cloud's message says why; DataWorks forbids mappings on a \
                 cluster with both LDAP and Kerberos on, so leave that cluster's accounts \
                 unmapped",
                quote(source)
            )),
            Error::RoleNotInEffect { source, .. } => Status::failed_precondition(format!(
                "{err}; {}. Check that the provider granted trust to this account (GrantTrust: \
                 role trusts <this account>@emr.dataworks.aliyuncs.com and carries \
                 AliyunDataWorksAccessingEMRReadOnlyPolicy); a role just changed can take a \
                 while to be in effect, so retrying later may succeed \
                 (registration.role_propagation_timeout_seconds sets the wait)",
                quote(source)
            )),
            Error::ClusterNotSupported { source, .. } => Status::failed_precondition(format!(
                "{err}; {}. Only RUNNING Hadoop clusters on EMR-3.38.2 or EMR-3.38.3 without DLF \
                 metadata or Kerberos qualify; run the provider's CheckCluster for the reason",
                quote(source)
            )),
            Error::StillExists { .. }
            | Error::ExistsButUnseen { .. }
            | Error::NotBound { .. }
            | Error::MappingsNotApplied { .. } => {
                tracing::warn!(error = %display_chain(&err), "cloud state not as expected");
                Status::unavailable(err.to_string())
            }
            Error::Cloud { action, source } => {
                let status = cloud_error_to_status(source);
                Status::new(status.code(), format!("{action}: {}", status.message()))
            }
        }
    }
}

#[cfg(test)]
mod tests;
