//! The emulator's mutable state: per-account roles, clusters (with their state, configuration
//! changes and account mappings), workspaces, compute resources, resource groups and data
//! sources, the AccessKey table, the nonce memory, the mutation log and the fault injector. It
//! enforces no API rules; the `api` handlers do.

use std::collections::{BTreeMap, HashMap};

use crossbind_aliyun::clock::format_timestamp;
use crossbind_aliyun::ids::{AccountUid, RoleName};
use secrecy::SecretString;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use tracing::info;

use crate::faults::FaultInjector;
use crate::world::{Cluster, DataSource, PolicyType, ResourceGroup, Settings, Workspace, World};

/// Everything behind the `Sim` lock.
pub(crate) struct State {
    pub(crate) settings: Settings,
    /// When the emulator started.
    pub(crate) started: OffsetDateTime,
    pub(crate) accounts: BTreeMap<AccountUid, AccountState>,
    pub(crate) keys: HashMap<String, KeyEntry>,
    pub(crate) nonces: NonceCache,
    pub(crate) mutations: Vec<Mutation>,
    pub(crate) accepted: u64,
    pub(crate) rejected: u64,
    pub(crate) faults: FaultInjector,
    next_role_id: u64,
    next_resource_id: i64,
}

/// What an AccessKeyId stands for.
pub(crate) struct KeyEntry {
    pub(crate) uid: AccountUid,
    pub(crate) secret: SecretString,
}

/// One account's resources.
pub(crate) struct AccountState {
    pub(crate) name: String,
    pub(crate) roles: Vec<RoleState>,
    pub(crate) clusters: Vec<Cluster>,
    /// What has changed on each cluster since start, by lower-cased cluster ID.
    pub(crate) cluster_changes: BTreeMap<String, ClusterChanges>,
    pub(crate) workspaces: Vec<WorkspaceState>,
    pub(crate) resource_groups: Vec<ResourceGroupState>,
    /// Data sources of the workspaces, from the world file (they exist since start).
    pub(crate) data_sources: Vec<DataSource>,
}

/// A cluster's runtime changes: configuration items set by tests and the account mappings
/// DataWorks holds for it (shared by every workspace that registered it).
#[derive(Default)]
pub(crate) struct ClusterChanges {
    /// Bumped by each configuration change; 0 at start.
    pub(crate) config_version: u64,
    /// Configuration items set or added: (application, file, key, value), latest last.
    pub(crate) config: Vec<ConfigItem>,
    /// Member UID → mapping.
    pub(crate) mappings: BTreeMap<String, AuthMapping>,
}

/// One configuration item set through the test endpoint.
pub(crate) struct ConfigItem {
    pub(crate) application: String,
    pub(crate) file: String,
    pub(crate) key: String,
    pub(crate) value: String,
}

/// A member mapped to a cluster account; the password is kept only to show that it was set.
pub(crate) struct AuthMapping {
    pub(crate) username: String,
    pub(crate) password: Option<SecretString>,
}

/// A DataWorks resource group and the workspaces it is bound to.
pub(crate) struct ResourceGroupState {
    pub(crate) info: ResourceGroup,
    pub(crate) workspaces: Vec<i64>,
    pub(crate) created: OffsetDateTime,
}

/// A RAM role.
pub(crate) struct RoleState {
    pub(crate) id: String,
    pub(crate) name: RoleName,
    pub(crate) description: String,
    pub(crate) trust_policy: String,
    pub(crate) max_session_duration: u32,
    /// Whether the role may be used to sign in to the console (RAM's `AllowConsoleLogin`).
    pub(crate) allow_console_login: bool,
    pub(crate) created: OffsetDateTime,
    pub(crate) updated: OffsetDateTime,
    /// When the latest change is visible to DataWorks (RAM propagation).
    pub(crate) in_effect_at: OffsetDateTime,
    pub(crate) policies: Vec<Attachment>,
}

/// A policy attached to a role.
pub(crate) struct Attachment {
    pub(crate) policy_type: PolicyType,
    pub(crate) name: String,
    pub(crate) attached: OffsetDateTime,
}

/// A DataWorks workspace and its compute resources.
pub(crate) struct WorkspaceState {
    pub(crate) info: Workspace,
    pub(crate) resources: Vec<ComputeResource>,
}

/// The environment a compute resource serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvType {
    Dev,
    Prod,
}

/// A DataWorks compute resource.
pub(crate) struct ComputeResource {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) resource_type: String,
    pub(crate) env: EnvType,
    pub(crate) mode: String,
    /// The `ConnectionProperties` JSON object as sent.
    pub(crate) properties: Value,
    pub(crate) description: String,
    pub(crate) created: OffsetDateTime,
    pub(crate) created_by: AccountUid,
    pub(crate) qualified_name: String,
}

/// One successful state change.
pub(crate) struct Mutation {
    pub(crate) sequence: u64,
    pub(crate) account: AccountUid,
    pub(crate) action: &'static str,
    pub(crate) time: OffsetDateTime,
    pub(crate) target: String,
}

/// Nonces seen per AccessKey, each with the time it may be used again.
#[derive(Default)]
pub(crate) struct NonceCache {
    seen: HashMap<String, HashMap<String, OffsetDateTime>>,
}

// === impl State ===

impl State {
    pub(crate) fn new(world: World, now: OffsetDateTime) -> Self {
        let mut keys = HashMap::new();
        let mut accounts = BTreeMap::new();
        let mut next_role_id = 0;
        for account in world.accounts {
            for key in account.access_keys {
                let secret = key.secret().clone();
                keys.insert(
                    key.id,
                    KeyEntry {
                        uid: account.uid.clone(),
                        secret,
                    },
                );
            }
            let roles = account
                .roles
                .into_iter()
                .map(|role| {
                    next_role_id += 1;
                    RoleState {
                        id: role_id(next_role_id),
                        name: role.name,
                        description: role.description,
                        trust_policy: role.trust_policy,
                        max_session_duration: role.max_session_duration,
                        allow_console_login: false,
                        created: now,
                        updated: now,
                        in_effect_at: now,
                        policies: role
                            .policies
                            .into_iter()
                            .map(|p| Attachment {
                                policy_type: p.policy_type,
                                name: p.name,
                                attached: now,
                            })
                            .collect(),
                    }
                })
                .collect();
            let workspaces = account
                .workspaces
                .into_iter()
                .map(|info| WorkspaceState {
                    info,
                    resources: Vec::new(),
                })
                .collect();
            let resource_groups = account
                .resource_groups
                .into_iter()
                .map(|info| ResourceGroupState {
                    workspaces: info.workspaces.clone(),
                    info,
                    created: now,
                })
                .collect();
            accounts.insert(
                account.uid,
                AccountState {
                    name: account.name,
                    roles,
                    clusters: account.clusters,
                    cluster_changes: BTreeMap::new(),
                    workspaces,
                    resource_groups,
                    data_sources: account.data_sources,
                },
            );
        }
        Self {
            faults: FaultInjector::new(world.settings.faults.clone()),
            settings: world.settings,
            started: now,
            accounts,
            keys,
            nonces: NonceCache::default(),
            mutations: Vec::new(),
            accepted: 0,
            rejected: 0,
            next_role_id,
            next_resource_id: 0,
        }
    }

    /// The caller's account. Every key belongs to an account, so this exists for any
    /// authenticated caller.
    pub(crate) fn account(&self, uid: &AccountUid) -> Option<&AccountState> {
        self.accounts.get(uid)
    }

    pub(crate) fn account_mut(&mut self, uid: &AccountUid) -> Option<&mut AccountState> {
        self.accounts.get_mut(uid)
    }

    /// The cluster with this ID (compared ignoring case) in any account and region, with the
    /// UID of the account that owns it.
    pub(crate) fn find_cluster(&self, id: &str) -> Option<(&AccountUid, &Cluster)> {
        self.accounts
            .iter()
            .find_map(|(uid, a)| a.cluster_any_region(id).map(|c| (uid, c)))
    }

    /// A fresh numeric role ID.
    pub(crate) fn new_role_id(&mut self) -> String {
        self.next_role_id += 1;
        role_id(self.next_role_id)
    }

    /// A fresh compute resource ID.
    pub(crate) fn new_resource_id(&mut self) -> i64 {
        self.next_resource_id += 1;
        100_000 + self.next_resource_id
    }

    /// When a role change made at `now` reaches DataWorks.
    pub(crate) fn in_effect_after(&self, now: OffsetDateTime) -> OffsetDateTime {
        plus_seconds(now, self.settings.role_propagation_seconds)
    }

    /// Appends to the mutation log and logs the change at info.
    pub(crate) fn record(
        &mut self,
        account: &AccountUid,
        action: &'static str,
        time: OffsetDateTime,
        target: String,
    ) {
        let sequence = self.mutations.len() as u64 + 1;
        info!(
            account.uid = %account,
            action,
            target = %target,
            sequence,
            "cloud state changed"
        );
        self.mutations.push(Mutation {
            sequence,
            account: account.clone(),
            action,
            time,
            target,
        });
    }
}

// === impl AccountState ===

impl AccountState {
    /// The role with this name (RAM role names are case-insensitive).
    pub(crate) fn role(&self, name: &str) -> Option<&RoleState> {
        self.roles
            .iter()
            .find(|r| r.name.as_str().eq_ignore_ascii_case(name))
    }

    pub(crate) fn role_mut(&mut self, name: &str) -> Option<&mut RoleState> {
        self.roles
            .iter_mut()
            .find(|r| r.name.as_str().eq_ignore_ascii_case(name))
    }

    /// The cluster with this ID (compared ignoring case) in this region.
    pub(crate) fn cluster(&self, id: &str, region: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.id.as_str().eq_ignore_ascii_case(id) && c.region.as_str() == region)
    }

    /// The cluster with this ID (compared ignoring case) in any region.
    pub(crate) fn cluster_any_region(&self, id: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.id.as_str().eq_ignore_ascii_case(id))
    }

    pub(crate) fn cluster_any_region_mut(&mut self, id: &str) -> Option<&mut Cluster> {
        self.clusters
            .iter_mut()
            .find(|c| c.id.as_str().eq_ignore_ascii_case(id))
    }

    /// The runtime changes of a cluster, if any were made.
    pub(crate) fn changes(&self, cluster_id: &str) -> Option<&ClusterChanges> {
        self.cluster_changes.get(&cluster_id.to_ascii_lowercase())
    }

    /// The runtime changes of a cluster, created empty on first use.
    pub(crate) fn changes_mut(&mut self, cluster_id: &str) -> &mut ClusterChanges {
        self.cluster_changes
            .entry(cluster_id.to_ascii_lowercase())
            .or_default()
    }

    pub(crate) fn resource_group(&self, id: &str) -> Option<&ResourceGroupState> {
        self.resource_groups.iter().find(|g| g.info.id == id)
    }

    pub(crate) fn resource_group_mut(&mut self, id: &str) -> Option<&mut ResourceGroupState> {
        self.resource_groups.iter_mut().find(|g| g.info.id == id)
    }

    /// The data source with this ID in workspace `workspace`.
    pub(crate) fn data_source(&self, workspace: i64, id: i64) -> Option<&DataSource> {
        self.data_sources
            .iter()
            .find(|d| d.workspace == workspace && d.id == id)
    }

    pub(crate) fn workspace(&self, id: i64) -> Option<&WorkspaceState> {
        self.workspaces.iter().find(|w| w.info.id == id)
    }

    pub(crate) fn workspace_mut(&mut self, id: i64) -> Option<&mut WorkspaceState> {
        self.workspaces.iter_mut().find(|w| w.info.id == id)
    }
}

// === impl RoleState ===

impl RoleState {
    /// `acs:ram::<uid>:role/<lower-cased name>`.
    pub(crate) fn arn(&self, uid: &AccountUid) -> String {
        format!(
            "acs:ram::{uid}:role/{}",
            self.name.as_str().to_ascii_lowercase()
        )
    }

    pub(crate) fn has_policy(&self, policy_type: PolicyType, name: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.policy_type == policy_type && p.name == name)
    }
}

// === impl EnvType ===

impl EnvType {
    /// `Dev` or `Prod`, ignoring case.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("dev") {
            Some(Self::Dev)
        } else if s.eq_ignore_ascii_case("prod") {
            Some(Self::Prod)
        } else {
            None
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Dev => "Dev",
            Self::Prod => "Prod",
        }
    }
}

// === impl NonceCache ===

impl NonceCache {
    /// Remembers `nonce` for `key_id` until `now + ttl`; false if it is already remembered.
    pub(crate) fn remember(
        &mut self,
        key_id: &str,
        nonce: &str,
        now: OffsetDateTime,
        ttl_seconds: u64,
    ) -> bool {
        let seen = self.seen.entry(key_id.to_owned()).or_default();
        seen.retain(|_, until| *until > now);
        if seen.contains_key(nonce) {
            return false;
        }
        seen.insert(nonce.to_owned(), plus_seconds(now, ttl_seconds));
        true
    }
}

/// `t` plus `secs` seconds, saturating at the latest representable time.
pub(crate) fn plus_seconds(t: OffsetDateTime, secs: u64) -> OffsetDateTime {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    t.checked_add(Duration::seconds(secs))
        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
}

/// A 16-digit numeric role ID.
fn role_id(n: u64) -> String {
    (3_000_000_000_000_000 + n).to_string()
}

/// Epoch milliseconds, as EMR and DataWorks report times.
pub(crate) fn epoch_millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// `YYYY-MM-DDThh:mm:ssZ`, as RAM reports dates.
pub(crate) fn ram_date(t: OffsetDateTime) -> String {
    format_timestamp(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn nonces_are_remembered_per_key_until_the_ttl() {
        let mut cache = NonceCache::default();
        let t0 = datetime!(2026-01-15 08:30:00 UTC);
        assert!(cache.remember("k1", "n", t0, 900));
        assert!(!cache.remember("k1", "n", t0 + Duration::seconds(899), 900));
        assert!(cache.remember("k2", "n", t0, 900));
        assert!(cache.remember("k1", "n", t0 + Duration::seconds(900), 900));
    }

    #[test]
    fn env_types_ignore_case() {
        assert_eq!(EnvType::parse("DEV"), Some(EnvType::Dev));
        assert_eq!(EnvType::parse("prod"), Some(EnvType::Prod));
        assert_eq!(EnvType::parse("test"), None);
    }
}
