//! Mapping member accounts of the consumer account to cluster accounts of an EMR compute
//! resource (DataWorks `Get`/`UpdateComputeResourceAuthUserMappings`, facts §5.4): read what
//! is mapped, change only what differs, read it back. Also the passwords of cluster accounts,
//! read from the environment at start-up and sent only in the upserts of an LDAP cluster.
//!
//! A mapping belongs to the cluster, not to the workspace: every workspace that registered the
//! cluster sees the same mappings. Consent and input checks are the caller's.

use std::collections::BTreeMap;
use std::fmt;

use crossbind_agent_common::{ConfigError, ConfigProblem};
use crossbind_aliyun::client::Client;
use crossbind_aliyun::credentials::{EnvSource, Secret};
use crossbind_aliyun::dataworks::{AuthUserMappings, AuthUserUpsert, codes};
use crossbind_aliyun::ids::{AccountUid, ClusterId, WorkspaceId};
use crossbind_proto::{
    AccountMapping, ApplyAccountMappingsResponse, RemoveAccountMappingsResponse,
};

use crate::config::{Mappings, toml_key};
use crate::connection_properties::{Placeholder, Template};
use crate::error::{Error, Result, cloud};

/// The longest cluster account name accepted.
pub const MAX_CLUSTER_ACCOUNT_LEN: usize = 64;

/// The `HadoopAuthType` of a cluster that authenticates with LDAP.
const LDAP: &str = "ldap";

/// The passwords of cluster accounts, as the environment held them at start-up. Its `Debug`
/// names the accounts only.
#[derive(Clone, Default)]
pub struct Passwords {
    entries: BTreeMap<String, Password>,
}

/// One configured password.
#[derive(Clone)]
enum Password {
    /// The variable was set (and not empty).
    Set(Secret),
    /// The variable named by `account_mappings.password_env` was not set. Its name is not
    /// kept: a password pasted there by mistake must not reach a message.
    Unset,
}

/// One requested mapping, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub(crate) member: AccountUid,
    pub(crate) account: String,
}

/// What a compute resource connects to, and the cluster's current mappings.
#[derive(Clone, Debug)]
pub(crate) struct Current {
    /// The provider account owning the cluster.
    pub(crate) owner: AccountUid,
    /// The cluster.
    pub(crate) cluster: ClusterId,
    /// Its mappings as DataWorks reports them.
    pub(crate) mappings: AuthUserMappings,
}

/// Where mappings are read and changed: one compute resource of one workspace.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    pub(crate) client: &'a Client,
    pub(crate) workspace: &'a WorkspaceId,
    pub(crate) resource: i64,
}

// === impl Passwords ===

impl Passwords {
    /// Reads the variables `config` names from `env`. A variable not set (or empty) is
    /// remembered as such, so that a mapping needing it is refused with its name.
    pub fn from_env(config: &Mappings, env: &dyn EnvSource) -> Self {
        let entries = config
            .password_env
            .iter()
            .map(|(account, var)| {
                let password = match env.var(var).filter(|v| !v.is_empty()) {
                    Some(value) => Password::Set(Secret::new(value)),
                    None => Password::Unset,
                };
                (account.clone(), password)
            })
            .collect();
        Self { entries }
    }

    /// One problem per variable that was not set, keyed `account_mappings.password_env.<account>`.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        self.entries
            .iter()
            .filter_map(|(account, p)| match p {
                Password::Set(_) => None,
                Password::Unset => Some(ConfigProblem {
                    key: format!("account_mappings.password_env.{}", toml_key(account)),
                    message: format!(
                        "names an environment variable that is not set (or empty); set it to the \
                         password of cluster account {account} before starting the agent, or \
                         remove the entry (the value is the variable's name, never the password)"
                    ),
                }),
            })
            .collect()
    }

    /// Like [`Passwords::from_env`], but every variable not set is a configuration error (the
    /// binary refuses to start on it).
    pub fn require(config: &Mappings, env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let passwords = Self::from_env(config, env);
        let problems = passwords.problems();
        if problems.is_empty() {
            return Ok(passwords);
        }
        Err(ConfigError::Invalid {
            source_name: "configuration (account_mappings.password_env)".to_owned(),
            problems,
        })
    }

    /// The password for `account` of an LDAP cluster `cluster`, or why there is none.
    fn for_account(&self, cluster: &ClusterId, account: &str) -> Result<Secret> {
        match self.entries.get(account) {
            Some(Password::Set(secret)) => Ok(secret.clone()),
            Some(Password::Unset) => Err(Error::PasswordUnset {
                cluster: cluster.to_string(),
                account: account.to_owned(),
                key: toml_key(account),
            }),
            None => Err(Error::PasswordNotConfigured {
                cluster: cluster.to_string(),
                account: account.to_owned(),
                key: toml_key(account),
            }),
        }
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (account, p) in &self.entries {
            map.entry(
                account,
                &match p {
                    Password::Set(_) => "set",
                    Password::Unset => "unset",
                },
            );
        }
        map.finish()
    }
}

// === impl Target ===

impl Target<'_> {
    /// Reads the compute resource (what it connects to, by `template`) and the cluster's
    /// mappings, concurrently.
    pub(crate) async fn read(&self, template: &Template) -> Result<Current> {
        let (resource, mappings) = tokio::join!(
            self.client
                .get_compute_resource(self.workspace, self.resource),
            self.client
                .get_compute_resource_auth_user_mappings(self.workspace, self.resource)
        );
        let resource = resource
            .map_err(cloud("GetComputeResource"))?
            .ok_or_else(|| self.not_found())?;
        let properties = &resource.connection_properties;
        let owner = template
            .value_of(properties, Placeholder::CrossAccountOwnerId)
            .and_then(|v| AccountUid::new(v).ok());
        let cluster = template
            .value_of(properties, Placeholder::ClusterId)
            .and_then(|v| ClusterId::new(v).ok());
        let (Some(owner), Some(cluster)) = (owner, cluster) else {
            return Err(Error::Unrecognised {
                id: self.resource,
                workspace: self.workspace.to_string(),
            });
        };
        let mappings = match mappings {
            Ok(m) => m,
            Err(e) if e.is_code(codes::COMPUTE_RESOURCE_NOT_FOUND) => return Err(self.not_found()),
            Err(e) => return Err(cloud("GetComputeResourceAuthUserMappings")(e)),
        };
        Ok(Current {
            owner,
            cluster,
            mappings,
        })
    }

    /// Maps each of `wanted` as asked, changing only what differs.
    pub(crate) async fn apply(
        &self,
        passwords: &Passwords,
        current: &Current,
        wanted: &[Wanted],
        dry_run: bool,
    ) -> Result<ApplyAccountMappingsResponse> {
        let mapped = by_member(&current.mappings);
        let (mut added, mut changed, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
        let mut upserts = Vec::new();
        let ldap = current
            .mappings
            .hadoop_auth_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(LDAP));
        for w in wanted {
            let member = w.member.to_string();
            match mapped.get(member.as_str()) {
                Some(account) if *account == w.account => {
                    unchanged.push(member);
                    continue;
                }
                Some(_) => changed.push(member.clone()),
                None => added.push(member.clone()),
            }
            let password = if ldap {
                Some(passwords.for_account(&current.cluster, &w.account)?)
            } else {
                None
            };
            upserts.push(AuthUserUpsert {
                user_id: member,
                username: w.account.clone(),
                password,
            });
        }
        let mut response = ApplyAccountMappingsResponse {
            hadoop_auth_type: current
                .mappings
                .hadoop_auth_type
                .clone()
                .unwrap_or_default(),
            added,
            changed,
            unchanged,
            mappings: listing(&current.mappings),
        };
        if dry_run || upserts.is_empty() {
            tracing::debug!(
                upserts = upserts.len(),
                dry_run,
                "account mappings compared"
            );
            return Ok(response);
        }
        self.update(&current.cluster, &upserts, &[]).await?;
        let after = self.read_back().await?;
        let now = by_member(&after);
        if let Some(missing) = upserts
            .iter()
            .find(|u| now.get(u.user_id.as_str()) != Some(&u.username.as_str()))
        {
            return Err(Error::MappingsNotApplied {
                id: self.resource,
                member: missing.user_id.clone(),
            });
        }
        tracing::info!(
            workspace.id = %self.workspace,
            resource.id = self.resource,
            cluster.id = %current.cluster,
            added = response.added.len(),
            changed = response.changed.len(),
            "account mappings applied"
        );
        response.mappings = listing(&after);
        Ok(response)
    }

    /// Removes the mappings of those of `members` that have one.
    pub(crate) async fn remove(
        &self,
        current: &Current,
        members: &[AccountUid],
        dry_run: bool,
    ) -> Result<RemoveAccountMappingsResponse> {
        let mapped = by_member(&current.mappings);
        let removed: Vec<String> = members
            .iter()
            .map(AccountUid::to_string)
            .filter(|m| mapped.contains_key(m.as_str()))
            .collect();
        if dry_run || removed.is_empty() {
            return Ok(RemoveAccountMappingsResponse {
                removed,
                mappings: listing(&current.mappings),
            });
        }
        self.update(&current.cluster, &[], &removed).await?;
        let after = self.read_back().await?;
        let now = by_member(&after);
        if let Some(left) = removed.iter().find(|m| now.contains_key(m.as_str())) {
            return Err(Error::MappingsNotApplied {
                id: self.resource,
                member: left.clone(),
            });
        }
        tracing::info!(
            workspace.id = %self.workspace,
            resource.id = self.resource,
            cluster.id = %current.cluster,
            removed = removed.len(),
            "account mappings removed"
        );
        Ok(RemoveAccountMappingsResponse {
            removed,
            mappings: listing(&after),
        })
    }

    async fn update(
        &self,
        cluster: &ClusterId,
        upserts: &[AuthUserUpsert],
        removals: &[String],
    ) -> Result<()> {
        const ACTION: &str = "UpdateComputeResourceAuthUserMappings";
        match self
            .client
            .update_compute_resource_auth_user_mappings(
                self.workspace,
                self.resource,
                upserts,
                removals,
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_code(codes::AUTH_USER_MAPPING_NOT_ALLOWED) => {
                Err(Error::MappingsNotAllowed {
                    cluster: cluster.to_string(),
                    source: Box::new(e),
                })
            }
            Err(e) if e.is_code(codes::COMPUTE_RESOURCE_NOT_FOUND) => Err(self.not_found()),
            // The answer was lost; the read-back decides whether it was applied.
            Err(e) if e.may_have_been_applied() => {
                tracing::debug!(action = ACTION, "answer lost; reading back");
                Ok(())
            }
            Err(e) => Err(cloud(ACTION)(e)),
        }
    }

    async fn read_back(&self) -> Result<AuthUserMappings> {
        self.client
            .get_compute_resource_auth_user_mappings(self.workspace, self.resource)
            .await
            .map_err(cloud("GetComputeResourceAuthUserMappings"))
    }

    fn not_found(&self) -> Error {
        Error::ComputeResourceNotFound {
            id: self.resource,
            workspace: self.workspace.to_string(),
        }
    }
}

/// A cluster (or LDAP) account name: 1 to 64 letters, digits, `_`, `-` or `.`, not starting
/// with `-`.
pub fn check_cluster_account(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_CLUSTER_ACCOUNT_LEN {
        return Err("must be 1 to 64 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err("may contain only letters, digits, '_', '-' and '.'");
    }
    if name.starts_with('-') {
        return Err("must not start with '-'");
    }
    Ok(())
}

/// Member UID → cluster account.
fn by_member(mappings: &AuthUserMappings) -> BTreeMap<&str, &str> {
    mappings
        .accounts
        .iter()
        .map(|m| (m.user_id.as_str(), m.username.as_str()))
        .collect()
}

fn listing(mappings: &AuthUserMappings) -> Vec<AccountMapping> {
    mappings
        .accounts
        .iter()
        .map(|m| AccountMapping {
            member_uid: m.user_id.clone(),
            cluster_account: m.username.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crossbind_aliyun::credentials::MapEnv;

    use super::*;

    #[test]
    fn cluster_account_names_follow_the_rule() {
        for good in ["etl", "hadoop.user-1", "A_b", &"a".repeat(64)] {
            assert!(check_cluster_account(good).is_ok(), "{good}");
        }
        for bad in ["", "-etl", "etl user", "etl@x", &"a".repeat(65)] {
            assert!(check_cluster_account(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_read_from_the_environment_and_never_shown() {
        let config = Mappings {
            password_env: [
                ("etl".to_owned(), "ETL_PW".to_owned()),
                ("bi.user".to_owned(), "BI_PW".to_owned()),
            ]
            .into(),
        };
        let env = MapEnv::new().with_var("ETL_PW", "marker-secret-4711");
        let passwords = Passwords::from_env(&config, &env);
        let shown = format!("{passwords:?}");
        assert_eq!(shown, r#"{"bi.user": "unset", "etl": "set"}"#);
        let problems = passwords.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].key,
            r#"account_mappings.password_env."bi.user""#
        );
        // The variable's name is not repeated: a password pasted there must not be shown.
        assert!(
            !problems[0].message.contains("BI_PW") && problems[0].message.contains("bi.user"),
            "{}",
            problems[0].message
        );
        let err = Passwords::require(&config, &env).expect_err("BI_PW is not set");
        assert!(err.to_string().contains("bi.user"), "{err}");
        assert!(!err.to_string().contains("BI_PW"), "{err}");
        assert!(!err.to_string().contains("marker-secret-4711"));

        let cluster = ClusterId::new("C-4F2A9B1C8D3E7A60").expect("cluster");
        assert_eq!(
            passwords
                .for_account(&cluster, "etl")
                .expect("set")
                .expose(),
            "marker-secret-4711"
        );
        assert!(matches!(
            passwords.for_account(&cluster, "bi.user"),
            Err(Error::PasswordUnset { ref account, .. }) if account == "bi.user"
        ));
        match passwords.for_account(&cluster, "ops") {
            Err(e @ Error::PasswordNotConfigured { .. }) => {
                assert!(
                    e.to_string().contains("account_mappings.password_env.ops"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
