//! RAM 2015-05-01 typed calls for roles and their policy attachments (facts §3). Users,
//! groups, custom policy documents and role listing are not wrapped.

use std::fmt;

use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::client::{Client, RpcRequest};
use crate::endpoint::Product;
use crate::error::Result;
use crate::ids::RoleName;
use crate::wire;

/// The RAM API version.
pub const VERSION: &str = "2015-05-01";

/// The system policy that lets DataWorks read a cross-account EMR cluster.
pub const DATAWORKS_EMR_POLICY: &str = "AliyunDataWorksAccessingEMRReadOnlyPolicy";

/// RAM error codes (facts §3.4). Statuses marked UNCONFIRMED there are by analogy.
pub mod codes {
    /// The role does not exist (404).
    pub const ENTITY_NOT_EXIST_ROLE: &str = "EntityNotExist.Role";
    /// A role with that name already exists (409).
    pub const ENTITY_ALREADY_EXISTS_ROLE: &str = "EntityAlreadyExists.Role";
    /// The policy is already attached to the role (409, UNCONFIRMED status).
    pub const ENTITY_ALREADY_EXISTS_ROLE_POLICY: &str = "EntityAlreadyExists.Role.Policy";
    /// The policy is not attached to the role (404, UNCONFIRMED status).
    pub const ENTITY_NOT_EXIST_ROLE_POLICY: &str = "EntityNotExist.Role.Policy";
    /// The role still has policies attached and cannot be deleted (409).
    pub const DELETE_CONFLICT_ROLE_POLICY: &str = "DeleteConflict.Role.Policy";
    /// The policy name/type is unknown (404).
    pub const ENTITY_NOT_EXIST_POLICY: &str = "EntityNotExist.Policy";
    /// Too many roles (409).
    pub const LIMIT_EXCEEDED_ROLE: &str = "LimitExceeded.Role";
    /// Too many policies on the role (409).
    pub const LIMIT_EXCEEDED_ROLE_POLICY: &str = "LimitExceeded.Role.Policy";
    /// The role name has forbidden characters (400).
    pub const INVALID_ROLE_NAME_CHARS: &str = "InvalidParameter.RoleName.InvalidChars";
    /// The role name is too long (400).
    pub const INVALID_ROLE_NAME_LENGTH: &str = "InvalidParameter.RoleName.Length";
    /// The trust policy is too long (400).
    pub const INVALID_POLICY_DOCUMENT_LENGTH: &str =
        "InvalidParameter.AssumeRolePolicyDocument.Length";
    /// The trust policy does not parse or validate (400).
    pub const MALFORMED_POLICY_DOCUMENT: &str = "MalformedPolicyDocument";
    /// `PolicyType` is neither `System` nor `Custom` (400).
    pub const INVALID_POLICY_TYPE: &str = "InvalidParameter.PolicyType";
    /// The caller lacks the `ram:*` permission (403).
    pub const NO_PERMISSION: &str = "NoPermission";
}

/// Who defined a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyType {
    /// Defined by Alibaba Cloud.
    System,
    /// Defined by the account.
    Custom,
}

/// A RAM role as RAM returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// The numeric role ID, as text.
    #[serde(default)]
    pub role_id: String,
    /// The role name.
    pub role_name: String,
    /// The ARN, `acs:ram::<uid>:role/<name>` (RAM may lower-case the name part).
    #[serde(default)]
    pub arn: String,
    /// The description.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub description: Option<String>,
    /// The trust policy, as JSON text; parse with [`crate::trust_policy::parse`].
    #[serde(default)]
    pub assume_role_policy_document: String,
    /// When it was created (`YYYY-MM-DDThh:mm:ssZ`).
    #[serde(default)]
    pub create_date: String,
    /// When it was last changed.
    #[serde(default, deserialize_with = "wire::non_empty_string")]
    pub update_date: Option<String>,
    /// The longest session, in seconds.
    #[serde(default, deserialize_with = "wire::opt_u32")]
    pub max_session_duration: Option<u32>,
}

/// The parameters of `CreateRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    /// The new role's name.
    pub role_name: RoleName,
    /// The trust policy, as JSON text.
    pub assume_role_policy_document: String,
    /// A description (1–1024 characters).
    pub description: Option<String>,
    /// The longest session in seconds (3600–43200).
    pub max_session_duration: Option<u32>,
}

/// The parameters of `UpdateRole`; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRole {
    /// The role to change.
    pub role_name: RoleName,
    /// A new trust policy, as JSON text.
    pub new_assume_role_policy_document: Option<String>,
    /// A new description.
    pub new_description: Option<String>,
    /// A new longest session in seconds.
    pub new_max_session_duration: Option<u32>,
}

/// A policy attached to a role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    /// The policy name.
    pub policy_name: String,
    /// `System` or `Custom`.
    #[serde(default)]
    pub policy_type: String,
    /// The description.
    #[serde(default)]
    pub description: String,
    /// The default version, e.g. `v1`.
    #[serde(default)]
    pub default_version: String,
    /// When it was attached.
    #[serde(default)]
    pub attach_date: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleBody {
    role: Role,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoliciesBody {
    #[serde(default)]
    policies: PolicyList,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyList {
    #[serde(default)]
    policy: Vec<AttachedPolicy>,
}

// === impl PolicyType ===

impl PolicyType {
    /// `System` or `Custom`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Client ===

impl Client {
    /// Reads a role; `None` when it does not exist.
    #[instrument(name = "ram", skip_all, fields(role.name = %role_name))]
    pub async fn get_role(&self, role_name: &RoleName) -> Result<Option<Role>> {
        let req =
            RpcRequest::new(Product::Ram, "GetRole", VERSION).param("RoleName", role_name.as_str());
        let body: Option<RoleBody> = self
            .call_optional(req, |e| e.code == codes::ENTITY_NOT_EXIST_ROLE)
            .await?;
        Ok(body.map(|b| b.role))
    }

    /// Creates a role.
    #[instrument(name = "ram", skip_all, fields(role.name = %req.role_name))]
    pub async fn create_role(&self, req: &CreateRole) -> Result<Role> {
        let rpc = RpcRequest::new(Product::Ram, "CreateRole", VERSION)
            .param("RoleName", req.role_name.as_str())
            .param("AssumeRolePolicyDocument", &req.assume_role_policy_document)
            .opt_param("Description", req.description.as_ref())
            .opt_param("MaxSessionDuration", req.max_session_duration);
        let body: RoleBody = self.call_as(rpc).await?;
        tracing::info!(role.arn = %body.role.arn, "role created");
        Ok(body.role)
    }

    /// Changes a role's trust policy, description or session length.
    #[instrument(name = "ram", skip_all, fields(role.name = %req.role_name))]
    pub async fn update_role(&self, req: &UpdateRole) -> Result<Role> {
        let rpc = RpcRequest::new(Product::Ram, "UpdateRole", VERSION)
            .param("RoleName", req.role_name.as_str())
            .opt_param(
                "NewAssumeRolePolicyDocument",
                req.new_assume_role_policy_document.as_ref(),
            )
            .opt_param("NewDescription", req.new_description.as_ref())
            .opt_param("NewMaxSessionDuration", req.new_max_session_duration);
        let body: RoleBody = self.call_as(rpc).await?;
        tracing::info!("role updated");
        Ok(body.role)
    }

    /// Attaches a policy to a role.
    #[instrument(name = "ram", skip_all, fields(role.name = %role_name, policy.name = policy_name))]
    pub async fn attach_policy_to_role(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        role_name: &RoleName,
    ) -> Result<()> {
        let req = policy_request("AttachPolicyToRole", policy_type, policy_name, role_name);
        self.call(req).await?;
        tracing::info!("policy attached");
        Ok(())
    }

    /// Detaches a policy from a role.
    #[instrument(name = "ram", skip_all, fields(role.name = %role_name, policy.name = policy_name))]
    pub async fn detach_policy_from_role(
        &self,
        policy_type: PolicyType,
        policy_name: &str,
        role_name: &RoleName,
    ) -> Result<()> {
        let req = policy_request("DetachPolicyFromRole", policy_type, policy_name, role_name);
        self.call(req).await?;
        tracing::info!("policy detached");
        Ok(())
    }

    /// Lists the policies attached to a role.
    #[instrument(name = "ram", skip_all, fields(role.name = %role_name))]
    pub async fn list_policies_for_role(
        &self,
        role_name: &RoleName,
    ) -> Result<Vec<AttachedPolicy>> {
        let req = RpcRequest::new(Product::Ram, "ListPoliciesForRole", VERSION)
            .param("RoleName", role_name.as_str());
        let body: PoliciesBody = self.call_as(req).await?;
        Ok(body.policies.policy)
    }

    /// Deletes a role (its policies must be detached first).
    #[instrument(name = "ram", skip_all, fields(role.name = %role_name))]
    pub async fn delete_role(&self, role_name: &RoleName) -> Result<()> {
        let req = RpcRequest::new(Product::Ram, "DeleteRole", VERSION)
            .param("RoleName", role_name.as_str());
        self.call(req).await?;
        tracing::info!("role deleted");
        Ok(())
    }
}

fn policy_request(
    action: &'static str,
    policy_type: PolicyType,
    policy_name: &str,
    role_name: &RoleName,
) -> RpcRequest {
    RpcRequest::new(Product::Ram, action, VERSION)
        .param("PolicyType", policy_type.as_str())
        .param("PolicyName", policy_name)
        .param("RoleName", role_name.as_str())
}
