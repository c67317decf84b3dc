//! Credentials and where they come from: a redacting [`Secret`] wrapper, the [`Credentials`]
//! triple, an injectable environment ([`EnvSource`]) and the default lookup chain
//! (environment variables, then the Alibaba Cloud CLI profile, then the INI credentials file).
//!
//! Only static AccessKey pairs and STS tokens are read. Role-based modes (ECS instance role,
//! OIDC, RAM role ARN, credentials URI) are recognised and refused with a "not supported yet"
//! error; they never silently fall through to other keys.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

mod ini;

/// Environment variable holding the AccessKey ID.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable holding the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable holding an STS security token.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// Environment variable naming the profile (CLI profile and INI section).
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// Environment variable that, when `true`, skips the CLI profile.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// Environment variable naming the INI credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// The three variables that select OIDC (RRSA) credentials.
pub const ENV_OIDC: [&str; 3] = [
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
];
/// Environment variable naming an ECS instance RAM role.
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// Environment variable naming a credentials URI.
pub const ENV_CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// The CLI profile used when neither the environment nor the file's `current` names one.
pub const DEFAULT_CLI_PROFILE: &str = "default";
/// The INI section used when `ALIBABA_CLOUD_PROFILE` is not set.
pub const DEFAULT_INI_SECTION: &str = "default";

/// A secret string (AccessKey secret, STS token). Its `Debug` prints `Secret([REDACTED])`,
/// it has no `Display`, and its memory is zeroed when dropped.
#[derive(Clone)]
pub struct Secret(SecretString);

/// An AccessKey pair, with an STS token when the pair is temporary.
#[derive(Clone)]
pub struct Credentials {
    /// The AccessKey ID (not secret; STS IDs start with `STS.`).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: Secret,
    /// The STS security token, for temporary credentials.
    pub security_token: Option<Secret>,
}

/// Where configuration comes from: environment variables and the home directory.
pub trait EnvSource: Send + Sync {
    /// The value of environment variable `key`, if set.
    fn var(&self, key: &str) -> Option<String>;
    /// The user's home directory.
    fn home_dir(&self) -> Option<PathBuf>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

/// A fixed environment for tests.
#[derive(Clone, Default)]
pub struct MapEnv {
    vars: HashMap<String, String>,
    home: Option<PathBuf>,
}

/// Why no credentials could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No source in the chain had usable credentials; every attempt is listed.
    #[error("no Alibaba Cloud credentials found; tried: {}", list_attempts(.attempts))]
    NotFound {
        /// Each source tried, in order, with why it gave nothing.
        attempts: Vec<Attempt>,
    },
    /// A source selected a credential mode this crate cannot use yet.
    #[error("credential mode {mode:?} from {source_name} is not supported yet")]
    Unsupported {
        /// The source that selected the mode, e.g. `profile "prod" in /home/u/.aliyun/config.json`.
        source_name: String,
        /// The mode, e.g. `RamRoleArn`.
        mode: String,
    },
    /// A selected source exists but its credentials are incomplete or malformed.
    #[error("invalid credentials in {source_name}: {problem}")]
    Invalid {
        /// The source, as in [`Error::Unsupported`].
        source_name: String,
        /// What is wrong; never contains a secret.
        problem: String,
    },
}

/// One source the chain tried and why it yielded nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The source, e.g. `environment` or a file path.
    pub source_name: String,
    /// Why it yielded nothing; never contains a secret.
    pub reason: String,
}

/// The result of one link of the chain.
enum Found {
    Yes(Credentials),
    No(Attempt),
}

// === impl Secret ===

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret itself. Do not log or store the result.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

// === impl Credentials ===

impl Credentials {
    /// A long-term AccessKey pair.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: Secret::new(access_key_secret),
            security_token: None,
        }
    }

    /// Adds an STS security token, making these temporary credentials.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .finish()
    }
}

// === impl ProcessEnv ===

impl EnvSource for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        std::env::home_dir().filter(|p| !p.as_os_str().is_empty())
    }
}

// === impl MapEnv ===

impl MapEnv {
    /// An empty environment with no home directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets variable `key`.
    pub fn with_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Sets the home directory.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }
}

impl fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.vars.keys().collect();
        keys.sort();
        f.debug_struct("MapEnv")
            .field("vars", &keys)
            .field("home", &self.home)
            .finish()
    }
}

impl EnvSource for MapEnv {
    fn var(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.source_name, self.reason)
    }
}

/// Loads credentials from the default chain:
///
/// 1. `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (both non-empty), with
///    `ALIBABA_CLOUD_SECURITY_TOKEN` when set. (If all three OIDC variables are set, OIDC is
///    selected and refused as unsupported.)
/// 2. `~/.aliyun/config.json`, profile `ALIBABA_CLOUD_PROFILE` else the file's `current`, modes
///    `AK` and `StsToken`; skipped when `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`.
/// 3. The INI file `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials.ini`,
///    else `~/.alibabacloud/credentials`; section `ALIBABA_CLOUD_PROFILE` else `default`,
///    `type = access_key`.
///
/// A source that selects another mode stops the chain with [`Error::Unsupported`]; when
/// nothing is found the error lists every source tried and why it gave nothing.
pub fn default_chain(env: &dyn EnvSource) -> Result<Credentials, Error> {
    let mut attempts = Vec::new();
    for link in [from_env, from_cli_profile, from_ini_file] {
        match link(env)? {
            Found::Yes(credentials) => return Ok(credentials),
            Found::No(attempt) => attempts.push(attempt),
        }
    }
    for (var, mode) in [
        (ENV_ECS_METADATA, "EcsRamRole"),
        (ENV_CREDENTIALS_URI, "CredentialsURI"),
    ] {
        if non_empty(env.var(var)).is_some() {
            attempts.push(Attempt {
                source_name: format!("environment variable {var}"),
                reason: format!("credential mode {mode} is not supported yet"),
            });
        }
    }
    Err(Error::NotFound { attempts })
}

fn from_env(env: &dyn EnvSource) -> Result<Found, Error> {
    const SOURCE: &str = "environment";
    if ENV_OIDC.iter().all(|var| non_empty(env.var(var)).is_some()) {
        return Err(Error::Unsupported {
            source_name: format!("environment ({})", ENV_OIDC.join(", ")),
            mode: "OIDC".to_owned(),
        });
    }
    let id = non_empty(env.var(ENV_ACCESS_KEY_ID));
    let secret = non_empty(env.var(ENV_ACCESS_KEY_SECRET));
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (None, _) => return Ok(no(SOURCE, format!("{ENV_ACCESS_KEY_ID} is not set"))),
        (Some(_), None) => {
            return Ok(no(SOURCE, format!("{ENV_ACCESS_KEY_SECRET} is not set")));
        }
    };
    let mut credentials = Credentials::new(id, secret);
    credentials.security_token = non_empty(env.var(ENV_SECURITY_TOKEN)).map(Secret::new);
    Ok(Found::Yes(credentials))
}

fn from_cli_profile(env: &dyn EnvSource) -> Result<Found, Error> {
    let disabled = env
        .var(ENV_CLI_PROFILE_DISABLED)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let Some(home) = env.home_dir() else {
        return Ok(no("CLI profile", "no home directory".to_owned()));
    };
    let path = home.join(".aliyun").join("config.json");
    let source = path.display().to_string();
    if disabled {
        return Ok(no(
            &source,
            format!("disabled by {ENV_CLI_PROFILE_DISABLED}"),
        ));
    }
    let text = match read_file(&path) {
        Ok(text) => text,
        Err(reason) => return Ok(no(&source, reason)),
    };
    let config: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        // Only the position is reported: the message could quote file content.
        Err(e) => {
            return Err(Error::Invalid {
                source_name: source,
                problem: format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            });
        }
    };
    let name = non_empty(env.var(ENV_PROFILE))
        .or_else(|| non_empty(json_str(&config, "current")))
        .unwrap_or_else(|| DEFAULT_CLI_PROFILE.to_owned());
    let profile = config
        .get("profiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| json_str(p, "name").as_deref() == Some(name.as_str()));
    let Some(profile) = profile else {
        return Ok(no(&source, format!("no profile named {name:?}")));
    };
    let source = format!("profile {name:?} in {source}");
    let mode = json_str(profile, "mode").unwrap_or_default();
    let field = |key: &str| -> Result<String, Error> {
        non_empty(json_str(profile, key)).ok_or_else(|| Error::Invalid {
            source_name: source.clone(),
            problem: format!("{key} is missing or empty"),
        })
    };
    match mode.as_str() {
        "AK" => Ok(Found::Yes(Credentials::new(
            field("access_key_id")?,
            field("access_key_secret")?,
        ))),
        "StsToken" => Ok(Found::Yes(
            Credentials::new(field("access_key_id")?, field("access_key_secret")?)
                .with_security_token(field("sts_token")?),
        )),
        "" => Err(Error::Invalid {
            source_name: source,
            problem: "mode is missing".to_owned(),
        }),
        other => Err(Error::Unsupported {
            source_name: source,
            mode: other.to_owned(),
        }),
    }
}

fn from_ini_file(env: &dyn EnvSource) -> Result<Found, Error> {
    let candidates: Vec<PathBuf> = match non_empty(env.var(ENV_CREDENTIALS_FILE)) {
        Some(path) => vec![PathBuf::from(path)],
        None => match env.home_dir() {
            Some(home) => {
                let dir = home.join(".alibabacloud");
                vec![dir.join("credentials.ini"), dir.join("credentials")]
            }
            None => return Ok(no("credentials file", "no home directory".to_owned())),
        },
    };
    let mut reasons = Vec::new();
    let mut found = None;
    for path in &candidates {
        match read_file(path) {
            Ok(text) => {
                found = Some((path, text));
                break;
            }
            Err(reason) => reasons.push(format!("{}: {reason}", path.display())),
        }
    }
    let Some((path, text)) = found else {
        return Ok(no("credentials file", reasons.join("; ")));
    };
    let source = path.display().to_string();
    let sections = ini::parse(&text).map_err(|line| Error::Invalid {
        source_name: source.clone(),
        problem: format!("line {line} is neither a [section], a key = value pair nor a comment"),
    })?;
    let name = non_empty(env.var(ENV_PROFILE)).unwrap_or_else(|| DEFAULT_INI_SECTION.to_owned());
    let Some(section) = sections.get(&name) else {
        return Ok(no(&source, format!("no section [{name}]")));
    };
    let source = format!("section [{name}] of {source}");
    let field = |key: &str| -> Result<String, Error> {
        non_empty(section.get(key).cloned()).ok_or_else(|| Error::Invalid {
            source_name: source.clone(),
            problem: format!("{key} is missing or empty"),
        })
    };
    match section.get("type").map(String::as_str) {
        Some("access_key") => Ok(Found::Yes(Credentials::new(
            field("access_key_id")?,
            field("access_key_secret")?,
        ))),
        None | Some("") => Err(Error::Invalid {
            source_name: source,
            problem: "type is missing".to_owned(),
        }),
        Some(other) => Err(Error::Unsupported {
            source_name: source,
            mode: other.to_owned(),
        }),
    }
}

fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
        _ => format!("cannot be read ({})", e.kind()),
    })
}

fn no(source: &str, reason: String) -> Found {
    Found::No(Attempt {
        source_name: source.to_owned(),
        reason,
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn json_str(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn list_attempts(attempts: &[Attempt]) -> String {
    let items: Vec<String> = attempts.iter().map(Attempt::to_string).collect();
    items.join("; ")
}

#[cfg(test)]
mod tests;
