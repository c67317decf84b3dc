//! STS 2015-04-01 typed calls: `GetCallerIdentity` only (who these credentials belong to).
//! `AssumeRole` is not wrapped: crossbind never mints credentials.

use serde::Deserialize;
use tracing::instrument;

use crate::client::{Client, RpcRequest};
use crate::endpoint::Product;
use crate::error::Result;
use crate::ids::AccountUid;
use crate::wire;

/// The STS API version.
pub const VERSION: &str = "2015-04-01";

/// The identity behind a set of credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    /// The account (UID) the credentials belong to.
    pub account_id: AccountUid,
    /// The caller's ARN, e.g. `acs:ram::123:user/admin`.
    pub arn: String,
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    pub identity_type: String,
    /// The principal ID.
    #[serde(default)]
    pub principal_id: String,
    /// Set for the root account and RAM users.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub user_id: Option<String>,
    /// Set for role sessions.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub role_id: Option<String>,
    /// The request ID.
    #[serde(default)]
    pub request_id: String,
}

// === impl Client ===

impl Client {
    /// Asks STS who these credentials belong to.
    #[instrument(name = "sts", skip_all)]
    pub async fn get_caller_identity(&self) -> Result<CallerIdentity> {
        self.call_as(RpcRequest::new(Product::Sts, "GetCallerIdentity", VERSION))
            .await
    }
}
