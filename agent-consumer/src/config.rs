//! The consumer agent's configuration file: the shared `listen`, `trust_domain`, `[tls]` and
//! `[cloud]` keys plus `[consent]` (which providers, workspaces and resource groups the owner
//! accepts), `[registration]` (how compute resources are created), `[initialization]` (the
//! off-peak windows for resource-group initialization) and `[account_mappings]` (where the
//! passwords of cluster accounts come from). Every problem is reported at once; no cloud state
//! is checked here, and no secret is held: passwords are read from the environment at
//! start-up (see [`crate::mappings::Passwords`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crossbind_agent_common::config::{read_file, read_listen};
use crossbind_agent_common::{AgentTls, CloudConfig, ConfigError, ConfigReader, Scope, Section};
use crossbind_aliyun::ids::{AccountUid, WorkspaceId};
use jiff::tz::TimeZone;

use crate::connection_properties::{DEFAULT_TEMPLATE, Template};
use crate::mappings::check_cluster_account;
use crate::offpeak::Window;
use crate::propagation::PropagationPolicy;

/// How long registration keeps retrying while a new role is not yet in effect, in seconds.
pub const DEFAULT_ROLE_PROPAGATION_TIMEOUT_SECONDS: u64 = 120;
/// The first pause between those retries, in milliseconds (doubled each time).
pub const DEFAULT_PROPAGATION_BACKOFF_INITIAL_MS: u64 = 1_000;
/// The longest pause between those retries, in milliseconds.
pub const DEFAULT_PROPAGATION_BACKOFF_MAX_MS: u64 = 10_000;
/// The DataWorks compute-resource `Type` of an EMR cluster.
pub const DEFAULT_COMPUTE_RESOURCE_TYPE: &str = "emr";
/// The `ConnectionPropertiesMode` of a registered cluster.
pub const DEFAULT_CONNECTION_PROPERTIES_MODE: &str = "InstanceMode";
/// The time zone of the off-peak windows.
pub const DEFAULT_TIME_ZONE: &str = "UTC";
/// Where the operator starts in the console.
pub const DEFAULT_CONSOLE_URL: &str = "https://dataworks.console.aliyun.com";
/// The longest resource group ID accepted.
pub const MAX_RESOURCE_GROUP_ID_LEN: usize = 128;

/// The consumer agent's configuration.
///
/// ```toml
/// listen = "127.0.0.1:7002"
/// trust_domain = "crossbind.local"
/// [tls]
/// cert = "consumer-1688000000000001.pem"
/// key = "consumer-1688000000000001.key"
/// ca = "ca.pem"
/// [cloud]
/// region = "cn-hangzhou"
/// [consent]
/// provider_accounts = ["1688000000000002"]  # required: whose clusters may be registered
/// workspaces = ["10001"]                    # required: workspaces it may change, or ["*"]
/// resource_groups = ["*"]                   # default ["*"]: any resource group of the account
/// [registration]
/// role_propagation_timeout_seconds = 120
/// propagation_backoff_initial_ms = 1000
/// propagation_backoff_max_ms = 10000
/// compute_resource_type = "emr"
/// connection_properties_mode = "InstanceMode"
/// # connection_properties_template = '''{"envType":"${envType}", ...}'''
/// [initialization]
/// time_zone = "Asia/Shanghai"                # IANA name; default "UTC"
/// off_peak = ["Mon-Fri 01:00-05:00", "Sat,Sun 00:00-24:00", "22:30-02:00"]  # default []
/// console_url = "https://dataworks.console.aliyun.com"  # default shown
/// [account_mappings]
/// password_env = { etl = "ETL_LDAP_PASSWORD" }  # cluster account = environment variable
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerConfig {
    /// Where to listen (`--listen` overrides it).
    pub listen: SocketAddr,
    /// The agent's TLS identity.
    pub tls: AgentTls,
    /// How to reach the cloud.
    pub cloud: CloudConfig,
    /// What the account owner accepts.
    pub consent: Consent,
    /// How clusters are registered.
    pub registration: Registration,
    /// When and where resource groups are initialized.
    pub initialization: Initialization,
    /// Where the passwords of cluster accounts come from.
    pub mappings: Mappings,
}

/// The `[consent]` section. The coordinator cannot widen it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// Provider accounts whose clusters may be registered.
    pub provider_accounts: Vec<AccountUid>,
    /// Workspaces the agent may check and change.
    pub workspaces: Scope<WorkspaceId>,
    /// Resource groups the agent may check, bind and plan for; `["*"]` (the default) is any
    /// group of the account.
    pub resource_groups: Scope<String>,
}

/// The `[registration]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct Registration {
    /// Retrying while the provider's new role is not yet in effect.
    pub propagation: PropagationPolicy,
    /// The compute-resource `Type`.
    pub compute_resource_type: String,
    /// The `ConnectionPropertiesMode`.
    pub connection_properties_mode: String,
    /// The `ConnectionProperties` template.
    pub template: Template,
}

/// The `[initialization]` section: the consumer team's off-peak windows, in which
/// resource-group initialization (which can make running tasks fail) is scheduled.
///
/// ```toml
/// [initialization]
/// time_zone = "Asia/Shanghai"   # IANA name; default "UTC"
/// off_peak = ["Mon-Fri 01:00-05:00", "Sat,Sun 00:00-24:00", "22:30-02:00"]  # default []
/// console_url = "https://dataworks.console.aliyun.com"  # optional override
/// ```
///
/// Each `off_peak` entry is `[DAYS ]HH:MM-HH:MM` (see [`crate::offpeak`]); with none, any
/// time is accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Initialization {
    /// The time zone the windows are written in.
    pub time_zone: TimeZone,
    /// The windows; empty means any time.
    pub off_peak: Vec<Window>,
    /// The console base URL, without a trailing `/`.
    pub console_url: String,
}

/// The `[account_mappings]` section.
///
/// ```toml
/// [account_mappings]
/// password_env = { etl = "ETL_LDAP_PASSWORD" }
/// ```
///
/// `password_env` maps a cluster account to the environment variable holding its password,
/// read once at start-up. A password is sent only for a cluster that authenticates with LDAP,
/// and only in the mapping upsert itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mappings {
    /// Cluster account → name of the environment variable holding its password.
    pub password_env: BTreeMap<String, String>,
}

// === impl ConsumerConfig ===

impl ConsumerConfig {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_file(path)?;
        Self::from_toml(&text, Some(path))
    }

    /// Reads and checks `text`; `source` is the file it came from, if any.
    pub fn from_toml(text: &str, source: Option<&Path>) -> Result<Self, ConfigError> {
        let reader = ConfigReader::new(source);
        let mut root = reader.parse(text);
        let listen = read_listen(&mut root);
        let tls = AgentTls::read(&mut root);
        let cloud = CloudConfig::read(root.table("cloud"));
        let consent = Consent::read(root.table("consent"));
        let registration = Registration::read(root.table("registration"));
        let initialization = Initialization::read(root.table("initialization"));
        let mappings = Mappings::read(root.table("account_mappings"));
        root.end();
        reader.finish(|| {
            Some(Self {
                listen,
                tls: tls?,
                cloud: cloud?,
                consent: consent?,
                registration: registration?,
                initialization: initialization?,
                mappings: mappings?,
            })
        })
    }
}

// === impl Consent ===

impl Consent {
    fn read(mut section: Section<'_>) -> Option<Self> {
        let provider_accounts = if section.contains("provider_accounts") {
            section.list::<AccountUid>("provider_accounts")
        } else {
            section.problem(
                "provider_accounts",
                "is required: list the provider account UIDs whose clusters may be registered",
            );
            None
        };
        let workspaces = Scope::read(&mut section, "workspaces");
        let resource_groups = if section.contains("resource_groups") {
            Scope::<String>::read(&mut section, "resource_groups")
        } else {
            Some(Scope::Any)
        };
        if let Some(Scope::Only(groups)) = &resource_groups {
            for (i, group) in groups.iter().enumerate() {
                if let Err(problem) = check_resource_group_id(group) {
                    section.problem(&format!("resource_groups[{i}]"), problem);
                }
            }
        }
        section.end();
        Some(Self {
            provider_accounts: provider_accounts?,
            workspaces: workspaces?,
            resource_groups: resource_groups?,
        })
    }

    /// Whether clusters of `provider` may be registered.
    pub fn allows_provider(&self, provider: &AccountUid) -> bool {
        self.provider_accounts.contains(provider)
    }

    /// Whether the agent may check and change `workspace`.
    pub fn allows_workspace(&self, workspace: &WorkspaceId) -> bool {
        self.workspaces.allows(|w| w == workspace)
    }

    /// Whether the agent may check, bind and plan for resource group `group`.
    pub fn allows_resource_group(&self, group: &str) -> bool {
        self.resource_groups.allows(|g| g == group)
    }
}

// === impl Registration ===

impl Registration {
    fn read(mut section: Section<'_>) -> Option<Self> {
        let timeout: u64 = section.or(
            "role_propagation_timeout_seconds",
            DEFAULT_ROLE_PROPAGATION_TIMEOUT_SECONDS,
        );
        let initial: u64 = section.or(
            "propagation_backoff_initial_ms",
            DEFAULT_PROPAGATION_BACKOFF_INITIAL_MS,
        );
        let max: u64 = section.or(
            "propagation_backoff_max_ms",
            DEFAULT_PROPAGATION_BACKOFF_MAX_MS,
        );
        if initial == 0 {
            section.problem("propagation_backoff_initial_ms", "must be at least 1");
        }
        if max < initial {
            section.problem(
                "propagation_backoff_max_ms",
                format!("must not be less than propagation_backoff_initial_ms ({initial})"),
            );
        }
        let compute_resource_type: String = section.or(
            "compute_resource_type",
            DEFAULT_COMPUTE_RESOURCE_TYPE.to_owned(),
        );
        let connection_properties_mode: String = section.or(
            "connection_properties_mode",
            DEFAULT_CONNECTION_PROPERTIES_MODE.to_owned(),
        );
        for (key, value) in [
            ("compute_resource_type", &compute_resource_type),
            ("connection_properties_mode", &connection_properties_mode),
        ] {
            if value.trim().is_empty() {
                section.problem(key, "must not be empty");
            }
        }
        let text: String = section.or(
            "connection_properties_template",
            DEFAULT_TEMPLATE.to_owned(),
        );
        let template = match Template::parse(&text) {
            Ok(t) => Some(t),
            Err(e) => {
                section.problem(
                    "connection_properties_template",
                    crossbind_agent_common::display_chain(&e),
                );
                None
            }
        };
        section.end();
        Some(Self {
            propagation: PropagationPolicy {
                timeout: Duration::from_secs(timeout),
                initial_backoff: Duration::from_millis(initial),
                max_backoff: Duration::from_millis(max),
            },
            compute_resource_type,
            connection_properties_mode,
            template: template?,
        })
    }
}

// === impl Initialization ===

impl Initialization {
    fn read(mut section: Section<'_>) -> Option<Self> {
        let zone: String = section.or("time_zone", DEFAULT_TIME_ZONE.to_owned());
        let time_zone = match TimeZone::get(&zone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                section.problem(
                    "time_zone",
                    format!(
                        "{zone:?} is not a known IANA time zone; write a name such as \
                         \"Asia/Shanghai\", \"America/New_York\" or \"UTC\""
                    ),
                );
                None
            }
        };
        let texts: Vec<String> = section.list("off_peak").unwrap_or_default();
        let mut off_peak = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            match text.parse::<Window>() {
                Ok(window) => off_peak.push(window),
                Err(e) => section.problem(&format!("off_peak[{i}]"), format!("{text:?}: {e}")),
            }
        }
        let console_url: String = section.or("console_url", DEFAULT_CONSOLE_URL.to_owned());
        if !(console_url.starts_with("https://") || console_url.starts_with("http://"))
            || console_url.contains(char::is_whitespace)
        {
            section.problem(
                "console_url",
                format!("{console_url:?} must be an http:// or https:// URL"),
            );
        }
        section.end();
        Some(Self {
            time_zone: time_zone?,
            off_peak,
            console_url: console_url.trim_end_matches('/').to_owned(),
        })
    }
}

impl Default for Initialization {
    /// UTC, no windows (any time), the public console.
    fn default() -> Self {
        Self {
            time_zone: TimeZone::UTC,
            off_peak: Vec::new(),
            console_url: DEFAULT_CONSOLE_URL.to_owned(),
        }
    }
}

// === impl Mappings ===

impl Mappings {
    fn read(mut section: Section<'_>) -> Option<Self> {
        let mut table = section.table("password_env");
        let mut password_env = BTreeMap::new();
        for (account, value) in table.take_entries() {
            let key = toml_key(&account);
            if let Err(problem) = check_cluster_account(&account) {
                table.problem(&key, format!("is not a cluster account name: {problem}"));
                continue;
            }
            let toml::Value::String(var) = value else {
                table.problem(
                    &key,
                    "must be the name of an environment variable, as a string",
                );
                continue;
            };
            if !is_env_name(&var) {
                table.problem(
                    &key,
                    "is not an environment variable name (letters, digits and '_', not \
                     starting with a digit); it names the variable that holds the password, \
                     never the password itself"
                        .to_string(),
                );
                continue;
            }
            password_env.insert(account, var);
        }
        table.end();
        section.end();
        Some(Self { password_env })
    }
}

/// DataWorks resource group IDs: 1 to 128 letters, digits, `_` or `-`.
pub(crate) fn check_resource_group_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= MAX_RESOURCE_GROUP_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a resource group ID: 1 to {MAX_RESOURCE_GROUP_ID_LEN} letters, \
             digits, '_' or '-'"
        ))
    }
}

/// `key` as a TOML dotted path writes it: bare when it can be, quoted otherwise.
pub(crate) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests;
