//! The coordinator's configuration file (TOML) and its validation.
//!
//! The coordinator holds no cloud credentials: its configuration names only its own TLS
//! files, the agents it may dial (one per account) and the automation clients it serves.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use crossbind_aliyun::ids::AccountUid;
use crossbind_tls::{config::TlsFiles, pki::DEFAULT_TRUST_DOMAIN};
use serde::Deserialize;

use crate::error::ConfigError;

/// Where the coordinator listens when neither the file nor `--listen` says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:0";
/// How long one step keeps retrying an unreachable agent before the association fails.
pub const DEFAULT_STEP_DEADLINE_SECONDS: u64 = 120;
/// How many associations run at once; the rest wait their turn.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
/// The database file, relative to the configuration file's folder.
pub const DEFAULT_DATABASE: &str = "crossbind-coordinator.db";
/// Drift is checked on demand only unless an interval is set.
pub const DEFAULT_DRIFT_INTERVAL_SECONDS: u64 = 0;

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct CoordinatorConfig {
    /// Socket address to bind.
    pub listen: SocketAddr,
    /// SPIFFE trust domain shared by every certificate.
    pub trust_domain: String,
    /// The coordinator's own certificate, key and CA.
    pub tls: TlsFiles,
    /// Provider agents by the account they serve.
    pub providers: BTreeMap<AccountUid, String>,
    /// Consumer agents by the account they serve.
    pub consumers: BTreeMap<AccountUid, String>,
    /// Client names (`spiffe://<td>/client/<name>`) allowed to call; `*` allows any client.
    pub clients: Vec<String>,
    /// Per-step retry budget for unreachable agents.
    pub step_deadline: Duration,
    /// Bound on concurrently running associations.
    pub max_in_flight: usize,
    /// The SQLite database holding associations, events, attempts and the audit trail.
    pub database: PathBuf,
    /// How often every succeeded association is checked for drift; `None` means on demand only.
    pub drift_interval: Option<Duration>,
    /// For rehearsals and tests: the instant the coordinator's clock starts at (it then runs at
    /// real speed). Off-peak windows are judged by this clock. `None`: the system clock.
    pub clock_start: Option<time::OffsetDateTime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<String>,
    trust_domain: Option<String>,
    tls: Option<TlsFiles>,
    #[serde(default)]
    providers: Vec<RawAgent>,
    #[serde(default)]
    consumers: Vec<RawAgent>,
    clients: Option<Vec<String>>,
    step_deadline_seconds: Option<u64>,
    max_in_flight: Option<usize>,
    database: Option<PathBuf>,
    drift_interval_seconds: Option<u64>,
    clock_start: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    account_uid: String,
    endpoint: String,
}

// === impl CoordinatorConfig ===

impl CoordinatorConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = Self::from_toml(&text)?;
        if config.database.is_relative()
            && let Some(dir) = path.parent()
        {
            config.database = dir.join(&config.database);
        }
        Ok(config)
    }

    /// Parses and validates configuration text, reporting every bad value at once.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            problems: vec![e.to_string().trim().replace('\n', " ")],
        })?;
        let mut problems = Vec::new();

        let listen = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "listen: {listen:?} is not a socket address such as 127.0.0.1:7443"
            ));
            SocketAddr::from(([127, 0, 0, 1], 0))
        });
        let trust_domain = raw
            .trust_domain
            .unwrap_or_else(|| DEFAULT_TRUST_DOMAIN.to_string());
        if raw.tls.is_none() {
            problems.push("tls: the [tls] section (cert, key, ca) is required".to_string());
        }
        let providers = agents("providers", raw.providers, &mut problems);
        let consumers = agents("consumers", raw.consumers, &mut problems);
        let clients = raw.clients.unwrap_or_else(|| vec!["*".to_string()]);
        let max_in_flight = raw.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if providers.is_empty() && consumers.is_empty() {
            problems.push(
                "providers, consumers: no agent is configured; add at least one [[providers]] and one [[consumers]] entry (account_uid, endpoint)".to_string(),
            );
        }
        if max_in_flight == 0 {
            problems.push("max_in_flight: must be at least 1".to_string());
        }
        let step_deadline = Duration::from_secs(
            raw.step_deadline_seconds
                .unwrap_or(DEFAULT_STEP_DEADLINE_SECONDS),
        );

        let database = raw
            .database
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATABASE));
        let drift_interval = match raw
            .drift_interval_seconds
            .unwrap_or(DEFAULT_DRIFT_INTERVAL_SECONDS)
        {
            0 => None,
            seconds => Some(Duration::from_secs(seconds)),
        };
        let clock_start = raw.clock_start.and_then(|text| {
            time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    problems.push(format!(
                        "clock_start: {text:?} is not an RFC 3339 instant such as 2026-12-04T01:59:00+08:00"
                    ));
                })
                .ok()
        });
        let Some(tls) = raw.tls.filter(|_| problems.is_empty()) else {
            return Err(ConfigError::Invalid { problems });
        };
        Ok(Self {
            listen,
            trust_domain,
            tls,
            providers,
            consumers,
            clients,
            step_deadline,
            max_in_flight,
            database,
            drift_interval,
            clock_start,
        })
    }
}

/// `host:port` or `https://host:port` with a numeric port.
fn looks_like_host_port(endpoint: &str) -> bool {
    let rest = endpoint.strip_prefix("https://").unwrap_or(endpoint);
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

fn agents(
    section: &str,
    raw: Vec<RawAgent>,
    problems: &mut Vec<String>,
) -> BTreeMap<AccountUid, String> {
    let mut out = BTreeMap::new();
    for (i, agent) in raw.into_iter().enumerate() {
        match AccountUid::new(agent.account_uid.clone()) {
            Ok(uid) => {
                if !looks_like_host_port(&agent.endpoint) {
                    problems.push(format!(
                        "{section}[{i}].endpoint: {:?} must be host:port, for example 10.0.0.5:7444",
                        agent.endpoint
                    ));
                } else if out.insert(uid, agent.endpoint).is_some() {
                    problems.push(format!(
                        "{section}[{i}].account_uid: {} is listed twice",
                        agent.account_uid
                    ));
                }
            }
            Err(e) => problems.push(format!("{section}[{i}].account_uid: {e}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_value_is_reported() {
        let err = CoordinatorConfig::from_toml(
            r#"
            listen = "nowhere"
            max_in_flight = 0
            [tls]
            cert = "c.pem"
            key = "c.key"
            ca = "ca.pem"
            [[providers]]
            account_uid = "12x"
            endpoint = "127.0.0.1:1"
            [[consumers]]
            account_uid = "1688000000000001"
            endpoint = "x"
            "#,
        )
        .unwrap_err();
        let ConfigError::Invalid { problems } = err else {
            panic!("expected Invalid, got {err:?}");
        };
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("consumers[0].endpoint:"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("no agent is configured"))
        );
        assert!(problems[0].starts_with("listen:"));
        assert!(problems.iter().any(|p| p.starts_with("max_in_flight:")));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("providers[0].account_uid:"))
        );
    }

    #[test]
    fn defaults_apply() {
        let config = CoordinatorConfig::from_toml(
            r#"
            [tls]
            cert = "c.pem"
            key = "c.key"
            ca = "ca.pem"
            [[consumers]]
            account_uid = "1688000000000001"
            endpoint = "127.0.0.1:9"
            "#,
        )
        .unwrap();
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.trust_domain, DEFAULT_TRUST_DOMAIN);
        assert_eq!(config.clients, vec!["*".to_string()]);
        assert_eq!(config.consumers.len(), 1);
        assert_eq!(config.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = CoordinatorConfig::from_toml("lisen = \"x\"").unwrap_err();
        assert!(err.to_string().contains("invalid"), "{err}");
        let ConfigError::Invalid { problems } = err else {
            panic!()
        };
        assert!(problems[0].contains("lisen"), "{problems:?}");
    }
}
