//! The provider agent's configuration file: the shared `listen`, `trust_domain`, `[tls]` and
//! `[cloud]` keys plus `[consent]`, the resource owner's own limits on what may be shared.
//! Reading reports every problem at once; it checks no cloud state.

use std::net::SocketAddr;
use std::path::Path;

use crossbind_agent_common::config::{read_file, read_listen};
use crossbind_agent_common::{AgentTls, CloudConfig, ConfigError, ConfigReader, Scope, Section};
use crossbind_aliyun::ids::{AccountUid, ClusterId, RoleName};

/// The role crossbind manages when `consent.role_names` is not set.
pub const DEFAULT_ROLE_NAME: &str = "EMRRole";

/// The provider agent's configuration.
///
/// ```toml
/// listen = "127.0.0.1:7001"
/// trust_domain = "crossbind.local"
/// [tls]
/// cert = "provider-1688000000000002.pem"
/// key = "provider-1688000000000002.key"
/// ca = "ca.pem"
/// [cloud]
/// region = "cn-hangzhou"
/// [consent]
/// consumer_accounts = ["1688000000000001"]   # required: whose DataWorks may be trusted
/// role_names = ["EMRRole"]                   # default ["EMRRole"]: roles the agent may manage
/// clusters = ["C-4F2A9B1C8D3E7A60"]          # required: clusters it may expose, or ["*"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    /// Where to listen (`--listen` overrides it).
    pub listen: SocketAddr,
    /// The agent's TLS identity.
    pub tls: AgentTls,
    /// How to reach the cloud.
    pub cloud: CloudConfig,
    /// What the account owner allows.
    pub consent: Consent,
}

/// The `[consent]` section: the only consumers, roles and clusters the agent will act on.
/// The coordinator cannot widen these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// Consumer accounts whose DataWorks service may be trusted.
    pub consumer_accounts: Vec<AccountUid>,
    /// RAM roles the agent may create, update or delete.
    pub role_names: Vec<RoleName>,
    /// Clusters the agent may report on and expose.
    pub clusters: Scope<ClusterId>,
}

// === impl ProviderConfig ===

impl ProviderConfig {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_file(path)?;
        Self::from_toml(&text, Some(path))
    }

    /// Reads and checks `text`; `source` is the file it came from (for messages and relative
    /// paths), if any.
    pub fn from_toml(text: &str, source: Option<&Path>) -> Result<Self, ConfigError> {
        let reader = ConfigReader::new(source);
        let mut root = reader.parse(text);
        let listen = read_listen(&mut root);
        let tls = AgentTls::read(&mut root);
        let cloud = CloudConfig::read(root.table("cloud"));
        let consent = Consent::read(root.table("consent"));
        root.end();
        reader.finish(|| {
            Some(Self {
                listen,
                tls: tls?,
                cloud: cloud?,
                consent: consent?,
            })
        })
    }
}

// === impl Consent ===

impl Consent {
    fn read(mut section: Section<'_>) -> Option<Self> {
        let consumer_accounts = if section.contains("consumer_accounts") {
            section.list::<AccountUid>("consumer_accounts")
        } else {
            section.problem(
                "consumer_accounts",
                "is required: list the consumer account UIDs whose DataWorks may use this \
                 account's clusters",
            );
            None
        };
        let role_names = if section.contains("role_names") {
            section.list::<RoleName>("role_names")
        } else {
            RoleName::new(DEFAULT_ROLE_NAME).ok().map(|r| vec![r])
        };
        let clusters = Scope::read(&mut section, "clusters");
        section.end();
        Some(Self {
            consumer_accounts: consumer_accounts?,
            role_names: role_names?,
            clusters: clusters?,
        })
    }

    /// Whether `consumer` may be trusted.
    pub fn allows_consumer(&self, consumer: &AccountUid) -> bool {
        self.consumer_accounts.contains(consumer)
    }

    /// Whether the agent may manage `role` (names compared ignoring ASCII case, as RAM does).
    pub fn allows_role(&self, role: &RoleName) -> bool {
        self.role_names
            .iter()
            .any(|r| r.as_str().eq_ignore_ascii_case(role.as_str()))
    }

    /// Whether the agent may expose `cluster` (IDs compared ignoring case).
    pub fn allows_cluster(&self, cluster: &ClusterId) -> bool {
        self.clusters.allows(|c| c.eq_ignore_case(cluster))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        [tls]
        cert = "p.pem"
        key = "p.key"
        ca = "ca.pem"
        [cloud]
        region = "cn-hangzhou"
    "#;

    fn parse(consent: &str) -> Result<ProviderConfig, ConfigError> {
        ProviderConfig::from_toml(&format!("{BASE}\n[consent]\n{consent}"), None)
    }

    #[test]
    fn role_names_default_to_emr_role() {
        let c =
            parse("consumer_accounts = [\"1688000000000001\"]\nclusters = [\"*\"]").expect("valid");
        assert_eq!(
            c.consent.role_names,
            [RoleName::new("EMRRole").expect("valid")]
        );
        assert!(
            c.consent
                .allows_role(&RoleName::new("emrrole").expect("valid"))
        );
        assert!(
            c.consent
                .allows_cluster(&ClusterId::new("C-ANY").expect("valid"))
        );
    }

    #[test]
    fn clusters_compare_ignoring_case() {
        let c =
            parse("consumer_accounts = []\nclusters = [\"C-4F2A9B1C8D3E7A60\"]").expect("valid");
        assert!(
            c.consent
                .allows_cluster(&ClusterId::new("c-4f2a9b1c8d3e7a60").expect("valid"))
        );
        assert!(
            !c.consent
                .allows_cluster(&ClusterId::new("C-0B1C2D3E4F5A6B7C").expect("valid"))
        );
        assert!(
            !c.consent
                .allows_consumer(&AccountUid::new("1").expect("valid"))
        );
    }

    #[test]
    fn every_consent_problem_is_reported() {
        let err = parse("consumer_accounts = [\"abc\"]\nrole_names = [\"bad_name\"]\nextra = 1")
            .expect_err("invalid");
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "consent.consumer_accounts[0]",
                "consent.role_names[0]",
                "consent.clusters",
                "consent.extra"
            ]
        );
    }

    #[test]
    fn a_missing_consent_section_is_reported_key_by_key() {
        let err = ProviderConfig::from_toml(BASE, None).expect_err("invalid");
        let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["consent.consumer_accounts", "consent.clusters"]);
    }
}
