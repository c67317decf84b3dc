//! The configuration both agents share: the `[cloud]` section (region, endpoint override,
//! signature, timeout, retries), the `[tls]` section with the top-level `trust_domain`, consent
//! lists (`Scope`), and the collecting reader every agent's loader is built on.
//!
//! Credentials are deliberately absent: they come from the standard Alibaba Cloud chain, never
//! from a configuration file. Each agent's own keys live in that agent's crate.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crossbind_aliyun::client::{ClientConfig, SignatureVersion};
use crossbind_aliyun::endpoint::Endpoints;
use crossbind_aliyun::ids::RegionId;
use crossbind_aliyun::retry::RetryPolicy;
use crossbind_tls::config::TlsFiles;
use serde::{Deserialize, Deserializer};

use crate::error::ConfigError;

mod reader;

pub use reader::{ConfigReader, Section};

/// Where an agent listens when neither `listen` nor `--listen` says: loopback, any free port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:0";
/// The SPIFFE trust domain when `trust_domain` is not set.
pub const DEFAULT_TRUST_DOMAIN: &str = crossbind_tls::pki::DEFAULT_TRUST_DOMAIN;
/// The request signature when `cloud.signature` is not set: `"v2"` (HMAC-SHA1).
pub const DEFAULT_SIGNATURE: SignatureVersion = SignatureVersion::V2;
/// Seconds one cloud API attempt may take, when `cloud.timeout_seconds` is not set.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// Attempts per cloud call (first try included), when `cloud.retry_max_attempts` is not set.
pub const DEFAULT_RETRY_MAX_ATTEMPTS: u32 = 4;
/// First backoff of a retried cloud call, in milliseconds (`cloud.retry_base_delay_ms`).
pub const DEFAULT_RETRY_BASE_DELAY_MS: u64 = 200;
/// Longest backoff of a retried cloud call, in milliseconds (`cloud.retry_max_delay_ms`).
pub const DEFAULT_RETRY_MAX_DELAY_MS: u64 = 5_000;

/// The `[cloud]` section: how an agent reaches Alibaba Cloud (or the emulator).
///
/// ```toml
/// [cloud]
/// region = "cn-hangzhou"                 # required
/// endpoint = "http://127.0.0.1:40123"    # optional: send every product here (cloudsim)
/// signature = "v2"                       # "v2" (default) or "v3"
/// timeout_seconds = 10
/// retry_max_attempts = 4
/// retry_base_delay_ms = 200
/// retry_max_delay_ms = 5000
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudConfig {
    /// The region the agent works in.
    pub region: RegionId,
    /// One URL for every product, instead of the real Alibaba Cloud endpoints.
    pub endpoint: Option<String>,
    /// How requests are signed.
    pub signature: SignatureVersion,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Attempts per call, first try included.
    pub retry_max_attempts: u32,
    /// First backoff between attempts.
    pub retry_base_delay: Duration,
    /// Longest backoff between attempts.
    pub retry_max_delay: Duration,
}

/// An agent's TLS identity: the `[tls]` files and the top-level `trust_domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTls {
    /// Certificate, key and CA files.
    pub files: TlsFiles,
    /// The SPIFFE trust domain the agent and its callers belong to.
    pub trust_domain: String,
}

/// A consent list: `["*"]` allows everything, otherwise only the listed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope<T> {
    /// `["*"]`: every value.
    Any,
    /// Only these values (possibly none).
    Only(Vec<T>),
}

// === impl CloudConfig ===

impl CloudConfig {
    /// A configuration for `region` with every default, reaching `endpoint` when given.
    pub fn new(region: RegionId, endpoint: Option<String>) -> Self {
        Self {
            region,
            endpoint,
            signature: DEFAULT_SIGNATURE,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECONDS),
            retry_max_attempts: DEFAULT_RETRY_MAX_ATTEMPTS,
            retry_base_delay: Duration::from_millis(DEFAULT_RETRY_BASE_DELAY_MS),
            retry_max_delay: Duration::from_millis(DEFAULT_RETRY_MAX_DELAY_MS),
        }
    }

    /// Reads a `[cloud]` section, recording every problem; `None` when one was found.
    pub fn read(mut section: Section<'_>) -> Option<Self> {
        let region: Option<RegionId> = section.required("region");
        let endpoint: Option<String> = section.optional("endpoint");
        if let Some(url) = &endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            section.problem(
                "endpoint",
                format!("{url:?} must be an http:// or https:// URL"),
            );
        }
        let signature = section.or("signature", DEFAULT_SIGNATURE);
        let timeout_seconds: u64 = section.or("timeout_seconds", DEFAULT_TIMEOUT_SECONDS);
        if timeout_seconds == 0 {
            section.problem("timeout_seconds", "must be at least 1");
        }
        let retry_max_attempts: u32 = section.or("retry_max_attempts", DEFAULT_RETRY_MAX_ATTEMPTS);
        if retry_max_attempts == 0 {
            section.problem("retry_max_attempts", "must be at least 1 (the first try)");
        }
        let base_ms: u64 = section.or("retry_base_delay_ms", DEFAULT_RETRY_BASE_DELAY_MS);
        let max_ms: u64 = section.or("retry_max_delay_ms", DEFAULT_RETRY_MAX_DELAY_MS);
        if max_ms < base_ms {
            section.problem(
                "retry_max_delay_ms",
                format!("must not be less than retry_base_delay_ms ({base_ms})"),
            );
        }
        section.end();
        Some(Self {
            region: region?,
            endpoint,
            signature,
            timeout: Duration::from_secs(timeout_seconds),
            retry_max_attempts,
            retry_base_delay: Duration::from_millis(base_ms),
            retry_max_delay: Duration::from_millis(max_ms),
        })
    }

    /// The cloud client's configuration.
    pub fn client_config(&self) -> ClientConfig {
        let endpoints = match &self.endpoint {
            Some(url) => Endpoints::with_override(url.clone()),
            None => Endpoints::public(),
        };
        ClientConfig {
            region: self.region.clone(),
            endpoints,
            signature: self.signature,
            retry: RetryPolicy {
                max_attempts: self.retry_max_attempts,
                base_delay: self.retry_base_delay,
                max_delay: self.retry_max_delay,
            },
            timeout: self.timeout,
        }
    }
}

impl<'de> Deserialize<'de> for CloudConfig {
    /// Deserializes a `[cloud]` table through the collecting reader, so that a failure lists
    /// every problem of the table.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(deserializer)?;
        let reader = ConfigReader::new(None);
        let cloud = CloudConfig::read(reader.root(table));
        reader
            .finish(|| cloud)
            .map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

// === impl AgentTls ===

impl AgentTls {
    /// Reads the top-level `trust_domain` and the `[tls]` table of `root`.
    pub fn read(root: &mut Section<'_>) -> Option<Self> {
        let trust_domain: String = root.or("trust_domain", DEFAULT_TRUST_DOMAIN.to_owned());
        if let Err(e) = crossbind_tls::identity::validate_trust_domain(&trust_domain) {
            root.problem("trust_domain", e.to_string());
        }
        let mut tls = root.table("tls");
        let cert = tls.path("cert");
        let key = tls.path("key");
        let ca = tls.path("ca");
        tls.end();
        Some(Self {
            files: TlsFiles {
                cert: cert?,
                key: key?,
                ca: ca?,
            },
            trust_domain,
        })
    }
}

// === impl Scope ===

impl<T> Scope<T> {
    /// Whether `matches` accepts some listed value (always, for [`Scope::Any`]).
    pub fn allows(&self, matches: impl Fn(&T) -> bool) -> bool {
        match self {
            Scope::Any => true,
            Scope::Only(values) => values.iter().any(matches),
        }
    }
}

impl<T: FromStr> Scope<T>
where
    T::Err: fmt::Display,
{
    /// Reads a required consent list at `key`: `["*"]`, or values (strings, or numbers for
    /// numeric IDs) each parsed with `T::from_str`, every bad one reported. `"*"` next to
    /// other values is a problem.
    pub fn read(section: &mut Section<'_>, key: &str) -> Option<Self> {
        if !section.contains(key) {
            section.problem(
                key,
                "is required: list the allowed values, or [\"*\"] for all",
            );
            return None;
        }
        let items: Vec<toml::Value> = section.list(key)?;
        let mut raw = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                toml::Value::String(s) => raw.push(s),
                toml::Value::Integer(n) => raw.push(n.to_string()),
                other => {
                    section.problem(
                        &format!("{key}[{i}]"),
                        format!("must be a string or a number, not a {}", other.type_str()),
                    );
                    return None;
                }
            }
        }
        if raw.iter().any(|v| v == "*") {
            if raw.len() > 1 {
                section.problem(key, "\"*\" must be the only entry when present");
                return None;
            }
            return Some(Scope::Any);
        }
        let mut values = Vec::with_capacity(raw.len());
        let mut ok = true;
        for (i, v) in raw.iter().enumerate() {
            match v.parse::<T>() {
                Ok(v) => values.push(v),
                Err(e) => {
                    section.problem(&format!("{key}[{i}]"), e.to_string());
                    ok = false;
                }
            }
        }
        ok.then_some(Scope::Only(values))
    }
}

impl<T: fmt::Display> fmt::Display for Scope<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Any => f.write_str("[\"*\"]"),
            Scope::Only(values) => {
                f.write_str("[")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{v}\"")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Reads the top-level `listen` address, `DEFAULT_LISTEN` when absent.
pub fn read_listen(root: &mut Section<'_>) -> SocketAddr {
    let default: SocketAddr = DEFAULT_LISTEN
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    let text: Option<String> = root.optional("listen");
    match text.map(|t| t.parse::<SocketAddr>().map_err(|e| (t, e))) {
        None => default,
        Some(Ok(addr)) => addr,
        Some(Err((t, e))) => {
            root.problem(
                "listen",
                format!("{t:?} is not a socket address ({e}), e.g. 127.0.0.1:7001"),
            );
            default
        }
    }
}

/// Reads the file at `path` as text, for an agent's `load`.
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
