//! The configuration both agents share: the `[cloud]` section (region, endpoint override,
//! signature, timeout, retries, client-side rate limits), the `[tls]` section with the
//! top-level `trust_domain`, consent lists (`Scope`), and the collecting reader every agent's
//! loader is built on.
//!
//! Credentials are deliberately absent: they come from the standard Alibaba Cloud chain, never
//! from a configuration file. Each agent's own keys live in that agent's crate.
//!
//! # Rate limits
//!
//! The optional `[cloud.rate_limits]` table paces the agent's own calls so that a burst of
//! associations waits on the client instead of being throttled by the cloud. Without it, the
//! published quotas apply (`crossbind_aliyun::rate_limit`: RAM `AttachPolicyToRole` 10 per
//! second, `CreateRole` 20, STS 100 per API, EMR 10 per API, DataWorks by edition), each with
//! a burst as large as its per-second rate.
//!
//! ```toml
//! [cloud.rate_limits]
//! enabled = true                   # default true; false: never wait
//! dataworks_edition = "standard"   # basic | standard (default) | professional | enterprise
//! per_second = { "Ram.AttachPolicyToRole" = 5, "Emr.*" = 2.5, "DataWorks" = 4 }
//! ```
//!
//! A `per_second` key names one bucket: `"<Product>.<Action>"` one action, `"<Product>.*"`
//! each action without a key of its own, `"<Product>"` every call of the product together,
//! `"<Product>.read"` / `"<Product>.write"` every read or write call together. Products are
//! `Ram`, `Sts`, `Emr` and `DataWorks` (any letter case); a rate is a number from 0.01 to
//! 1000000 calls per second. Basic, Standard and Professional DataWorks allow 5 calls per
//! second in all (Standard and Professional UNCONFIRMED), Enterprise 50 reads and 20 writes.
//! Every bad key and value is reported with the rest of the file.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crossbind_aliyun::client::{ClientConfig, SignatureVersion};
use crossbind_aliyun::endpoint::Endpoints;
use crossbind_aliyun::ids::RegionId;
use crossbind_aliyun::rate_limit::{
    DEFAULT_DATAWORKS_EDITION, DataWorksEdition, LimitKey, Rate, RateLimits,
};
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
/// Whether calls are paced when `cloud.rate_limits.enabled` is not set.
pub const DEFAULT_RATE_LIMITS_ENABLED: bool = true;

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
///
/// [cloud.rate_limits]                    # optional; see the module docs
/// dataworks_edition = "enterprise"
/// per_second = { "Ram.AttachPolicyToRole" = 5 }
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
    /// How calls are paced (`[cloud.rate_limits]`); the published quotas by default.
    pub rate_limits: RateLimits,
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
            rate_limits: RateLimits::published(),
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
        let rate_limits = read_rate_limits(section.table("rate_limits"));
        section.end();
        Some(Self {
            region: region?,
            endpoint,
            signature,
            timeout: Duration::from_secs(timeout_seconds),
            retry_max_attempts,
            retry_base_delay: Duration::from_millis(base_ms),
            retry_max_delay: Duration::from_millis(max_ms),
            rate_limits,
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
            rate_limits: self.rate_limits.clone(),
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

/// Reads a `[cloud.rate_limits]` table (absent: an empty one, so every default applies),
/// recording each bad key and value; what is bad is left at its default.
fn read_rate_limits(mut section: Section<'_>) -> RateLimits {
    let enabled = section.or("enabled", DEFAULT_RATE_LIMITS_ENABLED);
    let dataworks_edition: DataWorksEdition =
        section.or("dataworks_edition", DEFAULT_DATAWORKS_EDITION);
    let mut table = section.table("per_second");
    let mut per_second = BTreeMap::new();
    for (text, value) in table.take_entries() {
        let name = toml_key(&text);
        let key = text.parse::<LimitKey>();
        let rate = match value {
            // Rates beyond 2^53 are out of range anyway, so the rounding cannot matter.
            toml::Value::Integer(n) => Rate::new(n as f64),
            toml::Value::Float(x) => Rate::new(x),
            other => {
                table.problem(
                    &name,
                    format!(
                        "must be a number of calls per second, not a {}",
                        other.type_str()
                    ),
                );
                if let Err(e) = key {
                    table.problem(&name, e.to_string());
                }
                continue;
            }
        };
        match (key, rate) {
            (Ok(key), Ok(rate)) => {
                if per_second.insert(key.clone(), rate).is_some() {
                    table.problem(
                        &name,
                        format!("sets the same limit ({key}) as another key of this table"),
                    );
                }
            }
            (key, rate) => {
                for problem in [key.err(), rate.err()].into_iter().flatten() {
                    table.problem(&name, problem.to_string());
                }
            }
        }
    }
    table.end();
    section.end();
    RateLimits {
        enabled,
        dataworks_edition,
        per_second,
    }
}

/// `key` as TOML writes it in a dotted path: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
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
