//! The world file: the accounts, keys, clusters, roles, workspaces, resource groups and data
//! sources the emulator starts with, the gateway settings and the faults to inject, read from
//! TOML and checked once. It does not
//! hold the running state (see `sim`) nor inject anything (see `faults`).

use std::collections::HashSet;
use std::fmt;

use crossbind_aliyun::ids::{AccountUid, ClusterId, RegionId, RoleName};
use crossbind_aliyun::trust_policy::TrustPolicy;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::api;
use crate::error::{Error, Result};
use crate::policies;

/// The embedded default world, documented key by key.
pub const DEFAULT_WORLD_TOML: &str = include_str!("../default-world.toml");

/// Default of [`Settings::timestamp_tolerance_seconds`]: ±15 minutes.
pub const DEFAULT_TIMESTAMP_TOLERANCE_SECONDS: u64 = 900;
/// Default of [`Settings::nonce_ttl_seconds`].
pub const DEFAULT_NONCE_TTL_SECONDS: u64 = 900;
/// Default of [`Settings::role_propagation_seconds`]: changes are in effect at once.
pub const DEFAULT_ROLE_PROPAGATION_SECONDS: u64 = 0;
/// Default of [`Role::max_session_duration`].
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;

/// Everything the emulator starts with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Gateway strictness and RAM propagation.
    #[serde(default)]
    pub settings: Settings,
    /// The accounts, each with its keys and resources.
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// The `[settings]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Allowed distance between a request's timestamp and the emulator's clock, in seconds.
    pub timestamp_tolerance_seconds: u64,
    /// How long a signature nonce is remembered per AccessKey, in seconds.
    pub nonce_ttl_seconds: u64,
    /// How long a RAM role change takes to be in effect for DataWorks, in seconds.
    pub role_propagation_seconds: u64,
    /// Fault injection: throttling, server errors and latency; all off by default.
    pub faults: Faults,
}

/// The `[settings.faults]` table: faults injected into authenticated calls of the emulated
/// actions, all off by default. Each call in scope draws one number from an RNG seeded with
/// [`Faults::seed`]: below `throttle_rate` it is throttled, below `throttle_rate +
/// server_error_rate` it gets a server error, otherwise it runs. A faulted call has still
/// consumed its signature nonce and changes no state.
///
/// [`World::from_toml`] refuses rates outside `0..=1` and unknown action names; a `Faults`
/// built in code is used as it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Share of calls answered 400 `Throttling.User` ("Request was denied due to user flow
    /// control."), from 0 to 1.
    pub throttle_rate: f64,
    /// Share of calls answered 503 `ServiceUnavailable` or 500 `InternalError` (even odds),
    /// from 0 to 1. When the two rates add up to more than 1, throttling takes precedence and
    /// server errors fill the rest.
    pub server_error_rate: f64,
    /// Milliseconds to wait before answering each call in scope, faulted or not.
    pub latency_ms: u64,
    /// Seed of the fault RNG: the same seed and the same order of calls give the same faults.
    pub seed: u64,
    /// The actions faults apply to, by name (e.g. `CreateRole`); `None` means every emulated
    /// action, an empty list none.
    pub actions: Option<Vec<String>>,
}

/// One `[[accounts]]` entry: a root account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account UID.
    pub uid: AccountUid,
    /// A label for logs and the inspection endpoint.
    pub name: String,
    /// Root AccessKey pairs.
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// EMR clusters.
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// RAM roles that exist from the start.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// DataWorks workspaces.
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
    /// DataWorks resource groups.
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
    /// DataWorks data sources of the account's workspaces.
    #[serde(default)]
    pub data_sources: Vec<DataSource>,
}

/// An AccessKey pair; the secret is redacted from `Debug`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// The AccessKeyId.
    pub id: String,
    #[serde(deserialize_with = "secret_from_string")]
    secret: SecretString,
}

/// One `[[accounts.clusters]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Cluster ID, compared case-insensitively.
    pub id: ClusterId,
    /// Cluster name.
    pub name: String,
    /// Region the cluster is in.
    pub region: RegionId,
    /// EMR 2021 cluster type.
    #[serde(rename = "type")]
    pub cluster_type: ClusterType,
    /// Release, `EMR-<major>.<minor>.<patch>`.
    pub release: String,
    /// Where the Hive metastore lives.
    pub metastore: Metastore,
    /// Kerberos or not.
    pub security_mode: SecurityMode,
    /// Whether LDAP authentication is on; `false` when absent.
    #[serde(default)]
    pub ldap: bool,
    /// EMR 2021 cluster state.
    pub state: ClusterState,
    /// Master high availability; `NORMAL` when absent.
    #[serde(default = "default_deploy_mode")]
    pub deploy_mode: DeployMode,
    /// VPC ID.
    pub vpc_id: String,
    /// vSwitch ID.
    pub vswitch_id: String,
    /// Zone ID.
    pub zone_id: String,
}

/// One `[[accounts.roles]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name.
    pub name: RoleName,
    /// The trust policy (AssumeRolePolicyDocument), JSON text.
    pub trust_policy: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Maximum session duration, seconds.
    #[serde(default = "default_max_session_duration")]
    pub max_session_duration: u32,
    /// Attached policies.
    #[serde(default)]
    pub policies: Vec<PolicyRef>,
}

/// A policy named by type and name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// `System` or `Custom`.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// Policy name.
    pub name: String,
}

/// One `[[accounts.workspaces]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Numeric workspace (project) ID.
    pub id: i64,
    /// Workspace name.
    pub name: String,
    /// Standard (DEV + PROD) or basic (PROD only).
    pub mode: WorkspaceMode,
    /// DataWorks 2024-05-18 project status.
    #[serde(default = "default_workspace_status")]
    pub status: String,
    /// Region the workspace is in.
    pub region: RegionId,
    /// Display name; the name when absent.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// One `[[accounts.resource_groups]]` entry: a DataWorks resource group of the account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceGroup {
    /// The resource group ID (unique across the world).
    pub id: String,
    /// The name.
    pub name: String,
    /// `ResourceGroupType`; `CommonV2` when absent.
    #[serde(rename = "type", default = "default_resource_group_type")]
    pub resource_group_type: ResourceGroupType,
    /// `Status`; `Normal` when absent.
    #[serde(default = "default_resource_group_status")]
    pub status: ResourceGroupStatus,
    /// The VPC of its network.
    pub vpc_id: String,
    /// The vSwitch of its network.
    pub vswitch_id: String,
    /// The IDs of the account's workspaces it is bound to at start.
    #[serde(default)]
    pub workspaces: Vec<i64>,
}

/// One `[[accounts.data_sources]]` entry: a DataWorks data source of one of the account's
/// workspaces, pointing at an EMR cluster of any account (or at none that exists).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    /// The numeric data source ID (positive, unique across the world).
    pub id: i64,
    /// The ID of the account's workspace it belongs to.
    pub workspace: i64,
    /// The name; a Dev and a Prod data source of one workspace may share it.
    pub name: String,
    /// The data source type as DataWorks names it, e.g. `hive` (an EMR Hive data source).
    #[serde(rename = "type")]
    pub source_type: String,
    /// The environment it serves.
    pub environment: Environment,
    /// The EMR cluster it points at; it may belong to another account, or not exist.
    pub cluster_id: ClusterId,
}

/// Declares a closed set of wire words with serde and `as_str`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value as written on the wire and in the world file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// The value written `word` on the wire (exact match), if any.
            pub fn from_wire(word: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == word)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// EMR 2021-03-20 `ClusterType`.
    ClusterType {
        /// Legacy data lake (the only type another account can register).
        Hadoop = "HADOOP",
        /// New data lake.
        Datalake = "DATALAKE",
        /// OLAP.
        Olap = "OLAP",
        /// Dataflow.
        Dataflow = "DATAFLOW",
        /// Data serving.
        Dataserving = "DATASERVING",
        /// Custom.
        Custom = "CUSTOM",
    }
);

wire_enum!(
    /// EMR 2021-03-20 `ClusterState`.
    ClusterState {
        /// Starting.
        Starting = "STARTING",
        /// Failed to start.
        StartFailed = "START_FAILED",
        /// Bootstrapping.
        Bootstrapping = "BOOTSTRAPPING",
        /// Running.
        Running = "RUNNING",
        /// Being released.
        Terminating = "TERMINATING",
        /// Released.
        Terminated = "TERMINATED",
        /// Released after errors.
        TerminatedWithErrors = "TERMINATED_WITH_ERRORS",
        /// Release failed.
        TerminateFailed = "TERMINATE_FAILED",
    }
);

wire_enum!(
    /// Where a cluster's Hive metastore lives (`hive.metastore.type`).
    Metastore {
        /// The cluster's built-in MySQL.
        Local = "LOCAL",
        /// A user RDS instance.
        Rds = "RDS",
        /// DLF unified metadata.
        Dlf = "DLF",
    }
);

wire_enum!(
    /// EMR 2021-03-20 `SecurityMode`.
    SecurityMode {
        /// Kerberos off.
        Normal = "NORMAL",
        /// Kerberos on.
        Kerberos = "KERBEROS",
    }
);

wire_enum!(
    /// EMR 2021-03-20 `DeployMode`.
    DeployMode {
        /// One master.
        Normal = "NORMAL",
        /// Highly available masters.
        Ha = "HA",
    }
);

wire_enum!(
    /// DataWorks workspace mode.
    WorkspaceMode {
        /// DEV and PROD environments.
        Standard = "standard",
        /// PROD only.
        Basic = "basic",
    }
);

wire_enum!(
    /// A DataWorks environment (`envType`).
    Environment {
        /// Development.
        Dev = "Dev",
        /// Production.
        Prod = "Prod",
    }
);

wire_enum!(
    /// DataWorks 2024-05-18 `ResourceGroupType`.
    ResourceGroupType {
        /// The general-purpose (serverless) group.
        CommonV2 = "CommonV2",
        /// Exclusive for data integration.
        ExclusiveDataIntegration = "ExclusiveDataIntegration",
        /// Exclusive for scheduling.
        ExclusiveScheduler = "ExclusiveScheduler",
        /// Exclusive for data services.
        ExclusiveDataService = "ExclusiveDataService",
    }
);

wire_enum!(
    /// DataWorks 2024-05-18 resource group `Status`.
    ResourceGroupStatus {
        /// Usable.
        Normal = "Normal",
        /// Stopped.
        Stop = "Stop",
        /// Deleted.
        Deleted = "Deleted",
        /// Being created.
        Creating = "Creating",
        /// Creation failed.
        CreateFailed = "CreateFailed",
        /// Being updated.
        Updating = "Updating",
        /// Update failed.
        UpdateFailed = "UpdateFailed",
        /// Being deleted.
        Deleting = "Deleting",
        /// Deletion failed.
        DeleteFailed = "DeleteFailed",
        /// Timed out.
        Timeout = "Timeout",
        /// Frozen (overdue payment).
        Freezed = "Freezed",
        /// Starting.
        Starting = "Starting",
    }
);

wire_enum!(
    /// RAM `PolicyType`.
    PolicyType {
        /// Managed by Alibaba Cloud.
        System = "System",
        /// Managed by the account.
        Custom = "Custom",
    }
);

// === impl World ===

impl World {
    /// Parses and checks a world file. Errors name the bad key.
    pub fn from_toml(text: &str) -> Result<World> {
        let world: World = toml::from_str(text).map_err(|e| syntax_error(text, &e))?;
        world.validate()?;
        Ok(world)
    }

    /// The embedded default world (see `default-world.toml`).
    pub fn default_world() -> World {
        match World::from_toml(DEFAULT_WORLD_TOML) {
            Ok(world) => world,
            // The embedded file is checked by the tests; failing here is a build defect.
            Err(e) => panic!("the embedded default world is invalid: {e}"),
        }
    }

    fn validate(&self) -> Result<()> {
        self.settings.faults.validate()?;
        let mut uids = HashSet::new();
        let mut key_ids = HashSet::new();
        let mut cluster_ids = HashSet::new();
        let mut workspace_ids = HashSet::new();
        let mut group_ids = HashSet::new();
        let mut data_source_ids = HashSet::new();
        for (a, account) in self.accounts.iter().enumerate() {
            let at = format!("accounts[{a}]");
            if !uids.insert(account.uid.as_str()) {
                return invalid(format!("{at}.uid"), "another account has the same UID");
            }
            for (k, key) in account.access_keys.iter().enumerate() {
                let at = format!("{at}.access_keys[{k}]");
                if key.id.is_empty() || !key.id.bytes().all(|b| b.is_ascii_graphic()) {
                    return invalid(format!("{at}.id"), "must be non-empty printable ASCII");
                }
                if !key_ids.insert(key.id.as_str()) {
                    return invalid(format!("{at}.id"), "another key has the same id");
                }
                if key.secret.expose_secret().is_empty() {
                    return invalid(format!("{at}.secret"), "must not be empty");
                }
            }
            for (c, cluster) in account.clusters.iter().enumerate() {
                let at = format!("{at}.clusters[{c}]");
                if !cluster_ids.insert(cluster.id.as_str().to_ascii_lowercase()) {
                    return invalid(format!("{at}.id"), "another cluster has the same id");
                }
                if !is_release(&cluster.release) {
                    return invalid(format!("{at}.release"), "must look like EMR-3.38.3");
                }
            }
            let mut role_names = HashSet::new();
            for (r, role) in account.roles.iter().enumerate() {
                let at = format!("{at}.roles[{r}]");
                if !role_names.insert(role.name.as_str().to_ascii_lowercase()) {
                    return invalid(format!("{at}.name"), "another role has the same name");
                }
                if let Err(e) = TrustPolicy::parse(&role.trust_policy) {
                    return invalid(format!("{at}.trust_policy"), format!("not a policy: {e}"));
                }
                if !(3600..=43200).contains(&role.max_session_duration) {
                    return invalid(format!("{at}.max_session_duration"), "must be 3600..=43200");
                }
                for (p, policy) in role.policies.iter().enumerate() {
                    let at = format!("{at}.policies[{p}]");
                    if policies::find(policy.policy_type, &policy.name).is_none() {
                        return invalid(format!("{at}.name"), "no such policy in the emulator");
                    }
                    if role.policies[..p].contains(policy) {
                        return invalid(format!("{at}.name"), "attached twice");
                    }
                }
            }
            for (w, ws) in account.workspaces.iter().enumerate() {
                if ws.id <= 0 || !workspace_ids.insert(ws.id) {
                    return invalid(
                        format!("{at}.workspaces[{w}].id"),
                        "must be positive and unique",
                    );
                }
            }
            for (g, group) in account.resource_groups.iter().enumerate() {
                let at = format!("{at}.resource_groups[{g}]");
                if group.id.is_empty() || !group_ids.insert(group.id.as_str()) {
                    return invalid(format!("{at}.id"), "must be non-empty and unique");
                }
                for (w, id) in group.workspaces.iter().enumerate() {
                    if !account.workspaces.iter().any(|ws| ws.id == *id) {
                        return invalid(
                            format!("{at}.workspaces[{w}]"),
                            "not a workspace of this account",
                        );
                    }
                    if group.workspaces[..w].contains(id) {
                        return invalid(format!("{at}.workspaces[{w}]"), "listed twice");
                    }
                }
            }
            for (d, source) in account.data_sources.iter().enumerate() {
                let at = format!("{at}.data_sources[{d}]");
                if source.id <= 0 || !data_source_ids.insert(source.id) {
                    return invalid(format!("{at}.id"), "must be positive and unique");
                }
                let Some(ws) = account.workspaces.iter().find(|w| w.id == source.workspace) else {
                    return invalid(format!("{at}.workspace"), "not a workspace of this account");
                };
                if source.environment == Environment::Dev && ws.mode == WorkspaceMode::Basic {
                    return invalid(
                        format!("{at}.environment"),
                        "a basic-mode workspace has only Prod",
                    );
                }
                if source.name.is_empty() {
                    return invalid(format!("{at}.name"), "must not be empty");
                }
                if source.source_type.is_empty() {
                    return invalid(format!("{at}.type"), "must not be empty");
                }
                let twin = account.data_sources[..d].iter().any(|o| {
                    o.workspace == source.workspace
                        && o.name == source.name
                        && o.environment == source.environment
                });
                if twin {
                    return invalid(
                        format!("{at}.name"),
                        "another data source of the workspace has this name and environment",
                    );
                }
            }
        }
        Ok(())
    }
}

// === impl AccessKey ===

impl AccessKey {
    /// A key pair; used by tests that build worlds in code.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: SecretString::from(secret.into()),
        }
    }

    /// The AccessKeySecret.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

// === impl Settings ===

impl Default for Settings {
    fn default() -> Self {
        Self {
            timestamp_tolerance_seconds: DEFAULT_TIMESTAMP_TOLERANCE_SECONDS,
            nonce_ttl_seconds: DEFAULT_NONCE_TTL_SECONDS,
            role_propagation_seconds: DEFAULT_ROLE_PROPAGATION_SECONDS,
            faults: Faults::default(),
        }
    }
}

// === impl Faults ===

impl Faults {
    /// Whether nothing is injected: both rates and the latency are 0.
    pub fn is_off(&self) -> bool {
        self.throttle_rate == 0.0 && self.server_error_rate == 0.0 && self.latency_ms == 0
    }

    /// Whether faults apply to calls of `action` (an emulated action's name).
    pub fn applies_to(&self, action: &str) -> bool {
        self.actions
            .as_ref()
            .is_none_or(|actions| actions.iter().any(|a| a == action))
    }

    fn validate(&self) -> Result<()> {
        for (name, rate) in [
            ("throttle_rate", self.throttle_rate),
            ("server_error_rate", self.server_error_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return invalid(
                    format!("settings.faults.{name}"),
                    format!("must be a number from 0 to 1, not {rate}"),
                );
            }
        }
        for (i, action) in self.actions.iter().flatten().enumerate() {
            if !api::is_action_name(action) {
                return invalid(
                    format!("settings.faults.actions[{i}]"),
                    format!("`{action}` is not an action the emulator serves"),
                );
            }
        }
        Ok(())
    }
}

fn secret_from_string<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn default_deploy_mode() -> DeployMode {
    DeployMode::Normal
}

fn default_max_session_duration() -> u32 {
    DEFAULT_MAX_SESSION_DURATION
}

fn default_resource_group_type() -> ResourceGroupType {
    ResourceGroupType::CommonV2
}

fn default_resource_group_status() -> ResourceGroupStatus {
    ResourceGroupStatus::Normal
}

fn default_workspace_status() -> String {
    String::from("Available")
}

fn invalid(key: String, reason: impl Into<String>) -> Result<()> {
    Err(Error::WorldInvalid {
        key,
        reason: reason.into(),
    })
}

/// `EMR-<digits>.<digits>.<digits>`.
fn is_release(s: &str) -> bool {
    s.strip_prefix("EMR-").is_some_and(|v| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Turns a TOML error into line + key: the key written on the offending line, else the
/// nearest table header above it.
fn syntax_error(text: &str, e: &toml::de::Error) -> Error {
    let offset = e.span().map_or(0, |s| s.start).min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line - 1).copied().unwrap_or("").trim();
    let key = if let Some((k, _)) = here.split_once('=').filter(|_| !here.starts_with('[')) {
        k.trim().to_owned()
    } else if here.starts_with('[') {
        here.to_owned()
    } else {
        lines[..(line - 1).min(lines.len())]
            .iter()
            .rev()
            .map(|l| l.trim())
            .find(|l| l.starts_with('['))
            .unwrap_or("(top level)")
            .to_owned()
    };
    Error::WorldSyntax {
        line,
        key,
        detail: e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests;
