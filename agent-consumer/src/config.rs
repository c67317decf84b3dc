//! The consumer agent's configuration file: the shared `listen`, `trust_domain`, `[tls]` and
//! `[cloud]` keys plus `[consent]` (which providers and workspaces the owner accepts) and
//! `[registration]` (how compute resources are created). Every problem is reported at once;
//! no cloud state is checked here.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crossbind_agent_common::config::{read_file, read_listen};
use crossbind_agent_common::{AgentTls, CloudConfig, ConfigError, ConfigReader, Scope, Section};
use crossbind_aliyun::ids::{AccountUid, WorkspaceId};

use crate::connection_properties::{DEFAULT_TEMPLATE, Template};
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
/// [registration]
/// role_propagation_timeout_seconds = 120
/// propagation_backoff_initial_ms = 1000
/// propagation_backoff_max_ms = 10000
/// compute_resource_type = "emr"
/// connection_properties_mode = "InstanceMode"
/// # connection_properties_template = '''{"envType":"${envType}", ...}'''
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
}

/// The `[consent]` section. The coordinator cannot widen it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// Provider accounts whose clusters may be registered.
    pub provider_accounts: Vec<AccountUid>,
    /// Workspaces the agent may check and change.
    pub workspaces: Scope<WorkspaceId>,
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
        root.end();
        reader.finish(|| {
            Some(Self {
                listen,
                tls: tls?,
                cloud: cloud?,
                consent: consent?,
                registration: registration?,
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
        section.end();
        Some(Self {
            provider_accounts: provider_accounts?,
            workspaces: workspaces?,
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        [tls]
        cert = "c.pem"
        key = "c.key"
        ca = "ca.pem"
        [cloud]
        region = "cn-hangzhou"
        [consent]
        provider_accounts = ["1688000000000002"]
        workspaces = [10001, "10002"]
    "#;

    #[test]
    fn registration_defaults() {
        let c = ConsumerConfig::from_toml(BASE, None).expect("valid");
        let r = &c.registration;
        assert_eq!(r.propagation.timeout, Duration::from_secs(120));
        assert_eq!(r.propagation.initial_backoff, Duration::from_millis(1000));
        assert_eq!(r.compute_resource_type, "emr");
        assert_eq!(r.connection_properties_mode, "InstanceMode");
        assert_eq!(r.template, Template::default_template());
        assert!(
            c.consent
                .allows_workspace(&WorkspaceId::new("10001").expect("valid"))
        );
        assert!(
            c.consent
                .allows_workspace(&WorkspaceId::new("10002").expect("valid"))
        );
        assert!(
            !c.consent
                .allows_workspace(&WorkspaceId::new("10003").expect("valid"))
        );
        assert!(
            c.consent
                .allows_provider(&AccountUid::new("1688000000000002").expect("valid"))
        );
    }

    #[test]
    fn a_broken_template_is_a_config_error_naming_the_key() {
        let text = format!(
            "{BASE}\n[registration]\nconnection_properties_template = '{{\"envType\":\"${{envType}}\"}}'\npropagation_backoff_initial_ms = 0"
        );
        let err = ConsumerConfig::from_toml(&text, None).expect_err("invalid");
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "registration.propagation_backoff_initial_ms",
                "registration.connection_properties_template"
            ]
        );
        assert!(err.to_string().contains("${clusterId}"), "{err}");
        let text = format!("{BASE}\n[registration]\nconnection_properties_template = 'nope'");
        let err = ConsumerConfig::from_toml(&text, None).expect_err("invalid");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
