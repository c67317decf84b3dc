//! The provider agent's request errors and their one mapping to gRPC statuses. Start-up and
//! serving failures are `crossbind_agent_common::Error`; cloud failures are mapped by
//! `crossbind_agent_common::cloud_error_to_status`.

use crossbind_agent_common::{cloud_error_to_status, display_chain};
use crossbind_aliyun::ids::InvalidId;
use tonic::Status;

/// Result alias of the provider's request handling.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a provider request failed.
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
    /// A required request field is empty.
    #[error("request field {field} is required")]
    MissingArgument {
        /// The proto field name.
        field: &'static str,
    },
    /// The agent's consent does not cover the request.
    #[error(
        "{what} {value} is not allowed by this provider agent: it is not in {key} of the \
         agent's configuration; the owner of this account must add it there (the coordinator \
         cannot)"
    )]
    NotConsented {
        /// `consumer account`, `role` or `cluster`.
        what: &'static str,
        /// The refused value.
        value: String,
        /// The configuration key, e.g. `consent.clusters`.
        key: &'static str,
    },
    /// The cluster does not exist where the agent looks.
    #[error("cluster {cluster} not found in region {region} of account {account}")]
    ClusterNotFound {
        /// The cluster ID asked for.
        cluster: String,
        /// The agent's region.
        region: String,
        /// The agent's account.
        account: String,
    },
    /// A cloud call failed.
    #[error("{action} failed")]
    Cloud {
        /// The cloud action, e.g. `GetRole`.
        action: &'static str,
        /// The failure.
        #[source]
        source: Box<crossbind_aliyun::Error>,
    },
    /// A role's stored trust policy is not a policy document.
    #[error(
        "the trust policy of role {role} is not a valid policy document; fix it in the RAM \
         console, then retry"
    )]
    BadTrustPolicy {
        /// The role.
        role: String,
        /// The parser's complaint.
        #[source]
        source: crossbind_aliyun::trust_policy::Error,
    },
    /// The role's trust policy denies the principal, so adding it would not help.
    #[error(
        "the trust policy of role {role} denies {principal}; remove that Deny statement in \
         the RAM console, then retry"
    )]
    PrincipalDenied {
        /// The role.
        role: String,
        /// The DataWorks principal.
        principal: String,
    },
    /// The role disappeared while the agent was changing it.
    #[error("role {role} disappeared while it was being changed; retry")]
    RoleVanished {
        /// The role.
        role: String,
    },
    /// DeleteRole succeeded but the role can still be read.
    #[error("role {role} still exists after DeleteRole; retry the revocation")]
    RoleStillExists {
        /// The role.
        role: String,
    },
}

/// Shorthand for wrapping a cloud failure of `action`.
pub(crate) fn cloud(action: &'static str) -> impl FnOnce(crossbind_aliyun::Error) -> Error {
    move |source| Error::Cloud {
        action,
        source: Box::new(source),
    }
}

// === impl Error ===

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        match &err {
            Error::InvalidArgument { field, source } => {
                Status::invalid_argument(format!("{field}: {source}"))
            }
            Error::MissingArgument { .. } => Status::invalid_argument(err.to_string()),
            Error::NotConsented { .. } => Status::permission_denied(err.to_string()),
            Error::ClusterNotFound { .. } => Status::not_found(err.to_string()),
            Error::Cloud { action, source } => {
                let status = cloud_error_to_status(source);
                Status::new(status.code(), format!("{action}: {}", status.message()))
            }
            Error::BadTrustPolicy { .. } | Error::PrincipalDenied { .. } => {
                Status::failed_precondition(err.to_string())
            }
            Error::RoleVanished { .. } | Error::RoleStillExists { .. } => {
                tracing::warn!(error = %display_chain(&err), "role changed under the agent");
                Status::unavailable(err.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn each_error_maps_to_its_code() {
        let invalid = crossbind_aliyun::ids::AccountUid::new("12a").expect_err("invalid");
        let cases = [
            (
                Error::InvalidArgument {
                    field: "consumer_account_uid",
                    source: invalid,
                },
                Code::InvalidArgument,
                "consumer_account_uid: account UID \"12a\"",
            ),
            (
                Error::MissingArgument {
                    field: "cluster_id",
                },
                Code::InvalidArgument,
                "cluster_id is required",
            ),
            (
                Error::NotConsented {
                    what: "cluster",
                    value: "C-1".to_owned(),
                    key: "consent.clusters",
                },
                Code::PermissionDenied,
                "not in consent.clusters",
            ),
            (
                Error::ClusterNotFound {
                    cluster: "C-1".to_owned(),
                    region: "cn-hangzhou".to_owned(),
                    account: "2".to_owned(),
                },
                Code::NotFound,
                "cluster C-1 not found in region cn-hangzhou of account 2",
            ),
            (
                Error::Cloud {
                    action: "GetRole",
                    source: Box::new(crossbind_aliyun::Error::Timeout { action: "GetRole" }),
                },
                Code::Unavailable,
                "GetRole: the cloud API did not answer",
            ),
            (
                Error::BadTrustPolicy {
                    role: "EMRRole".to_owned(),
                    source: crossbind_aliyun::trust_policy::parse("not json").expect_err("invalid"),
                },
                Code::FailedPrecondition,
                "trust policy of role EMRRole",
            ),
            (
                Error::RoleStillExists {
                    role: "EMRRole".to_owned(),
                },
                Code::Unavailable,
                "still exists",
            ),
        ];
        for (err, code, text) in cases {
            let status = Status::from(err);
            assert_eq!(status.code(), code, "{}", status.message());
            assert!(status.message().contains(text), "{}", status.message());
        }
    }
}
