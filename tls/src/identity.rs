//! SPIFFE identities of crossbind peers, and reading the one identity a certificate carries.
//!
//! Only the four shapes crossbind uses are accepted (`coordinator`, `provider/<uid>`,
//! `consumer/<uid>`, `client/<name>`); general SPIFFE paths are rejected. This module does not
//! verify certificate chains: callers do that before trusting what [`spiffe_id_from_cert`] says.

use std::fmt;
use std::str::FromStr;

use x509_parser::extensions::GeneralName;

use crate::error::{Error, Result};

/// The URI scheme prefix of every SPIFFE id.
const SCHEME: &str = "spiffe://";

/// Longest trust domain accepted (the DNS name limit).
const MAX_TRUST_DOMAIN_LEN: usize = 253;

/// Longest account UID accepted; Alibaba Cloud UIDs have 16 digits.
const MAX_UID_LEN: usize = 32;

/// Longest client name accepted.
const MAX_CLIENT_NAME_LEN: usize = 64;

/// A crossbind peer identity: `spiffe://<trust-domain>/<role path>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpiffeId {
    trust_domain: String,
    role: PeerRole,
}

/// What a peer is, and for agents and clients, which account or name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PeerRole {
    /// The coordinator (`/coordinator`).
    Coordinator,
    /// The provider agent of an account (`/provider/<account-uid>`).
    Provider(String),
    /// The consumer agent of an account (`/consumer/<account-uid>`).
    Consumer(String),
    /// An automation client (`/client/<name>`).
    Client(String),
}

/// Reads the SPIFFE id of a DER certificate: its one `spiffe://` URI SAN.
///
/// Fails when the certificate is not X.509, carries no `spiffe://` URI SAN, carries more than
/// one, or carries one that is not a valid crossbind identity. The chain is not checked here.
pub fn spiffe_id_from_cert(der: &[u8]) -> Result<SpiffeId> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        Error::CertificateDer(match e {
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
            x509_parser::nom::Err::Incomplete(_) => {
                x509_parser::error::X509Error::InvalidCertificate
            }
        })
    })?;
    let san = cert
        .subject_alternative_name()
        .map_err(Error::CertificateDer)?;
    let mut uris = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|name| match name {
            GeneralName::URI(uri) if has_spiffe_scheme(uri) => Some(*uri),
            _ => None,
        });
    let first = uris.next().ok_or(Error::NoSpiffeId)?;
    let others = uris.count();
    if others > 0 {
        return Err(Error::ManySpiffeIds { count: others + 1 });
    }
    SpiffeId::parse(first)
}

/// Checks that `trust_domain` is lower-case DNS-label characters separated by dots.
pub fn validate_trust_domain(trust_domain: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidSpiffeId {
        input: trust_domain.to_owned(),
        reason: format!("trust domain {reason}"),
    };
    if trust_domain.is_empty() {
        return Err(invalid("is empty"));
    }
    if trust_domain.len() > MAX_TRUST_DOMAIN_LEN {
        return Err(invalid("is longer than 253 characters"));
    }
    if let Some(c) = trust_domain
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '.'))
    {
        return Err(invalid(&format!(
            "contains {c:?}; only lower-case letters, digits, '-' and '.' are allowed"
        )));
    }
    if trust_domain.split('.').any(str::is_empty) {
        return Err(invalid(
            "has an empty label (leading, trailing or doubled '.')",
        ));
    }
    if trust_domain
        .split('.')
        .any(|label| label.starts_with('-') || label.ends_with('-'))
    {
        return Err(invalid("has a label that starts or ends with '-'"));
    }
    Ok(())
}

/// True when `uri` starts with `spiffe://`, ignoring the case of the scheme.
fn has_spiffe_scheme(uri: &str) -> bool {
    uri.get(..SCHEME.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(SCHEME))
}

/// Checks an account UID: decimal digits only.
fn validate_uid(uid: &str) -> std::result::Result<(), String> {
    if uid.is_empty() {
        return Err("account UID is empty".to_owned());
    }
    if uid.len() > MAX_UID_LEN {
        return Err(format!("account UID is longer than {MAX_UID_LEN} digits"));
    }
    if let Some(c) = uid.chars().find(|c| !c.is_ascii_digit()) {
        return Err(format!(
            "account UID contains {c:?}; only decimal digits are allowed"
        ));
    }
    Ok(())
}

/// Checks a client name: lower-case letters, digits, '-', '_' and '.'.
fn validate_client_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("client name is empty".to_owned());
    }
    if name.len() > MAX_CLIENT_NAME_LEN {
        return Err(format!(
            "client name is longer than {MAX_CLIENT_NAME_LEN} characters"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.'))
    {
        return Err(format!(
            "client name contains {c:?}; only lower-case letters, digits, '-', '_' and '.' are allowed"
        ));
    }
    Ok(())
}

// === impl SpiffeId ===

impl SpiffeId {
    /// Builds an identity, checking the trust domain and the role's account UID or name.
    pub fn new(trust_domain: &str, role: PeerRole) -> Result<Self> {
        validate_trust_domain(trust_domain)?;
        let checked = match &role {
            PeerRole::Coordinator => Ok(()),
            PeerRole::Provider(uid) | PeerRole::Consumer(uid) => validate_uid(uid),
            PeerRole::Client(name) => validate_client_name(name),
        };
        checked.map_err(|reason| Error::InvalidSpiffeId {
            input: format!("{SCHEME}{trust_domain}{}", role.path()),
            reason,
        })?;
        Ok(Self {
            trust_domain: trust_domain.to_owned(),
            role,
        })
    }

    /// Parses `spiffe://<trust-domain>/<role path>`; the error says which part is wrong.
    pub fn parse(uri: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidSpiffeId {
            input: uri.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = uri
            .strip_prefix(SCHEME)
            .ok_or_else(|| invalid("must start with \"spiffe://\""))?;
        if rest.contains(['?', '#']) {
            return Err(invalid("must not have a query or a fragment"));
        }
        if rest.contains('@') {
            return Err(invalid("must not have user info"));
        }
        let (trust_domain, path) = rest
            .split_once('/')
            .ok_or_else(|| invalid("has no path; expected /coordinator, /provider/<uid>, /consumer/<uid> or /client/<name>"))?;
        if trust_domain.contains(':') {
            return Err(invalid("must not have a port"));
        }
        let segments: Vec<&str> = path.split('/').collect();
        let role = match segments.as_slice() {
            ["coordinator"] => PeerRole::Coordinator,
            ["provider", uid] => PeerRole::Provider((*uid).to_owned()),
            ["consumer", uid] => PeerRole::Consumer((*uid).to_owned()),
            ["client", name] => PeerRole::Client((*name).to_owned()),
            _ => {
                return Err(invalid(
                    "path must be /coordinator, /provider/<uid>, /consumer/<uid> or /client/<name>",
                ));
            }
        };
        Self::new(trust_domain, role).map_err(|e| match e {
            Error::InvalidSpiffeId { reason, .. } => Error::InvalidSpiffeId {
                input: uri.to_owned(),
                reason,
            },
            other => other,
        })
    }

    /// `spiffe://<td>/coordinator`.
    pub fn coordinator(trust_domain: &str) -> Result<Self> {
        Self::new(trust_domain, PeerRole::Coordinator)
    }

    /// `spiffe://<td>/provider/<uid>`.
    pub fn provider(trust_domain: &str, account_uid: &str) -> Result<Self> {
        Self::new(trust_domain, PeerRole::Provider(account_uid.to_owned()))
    }

    /// `spiffe://<td>/consumer/<uid>`.
    pub fn consumer(trust_domain: &str, account_uid: &str) -> Result<Self> {
        Self::new(trust_domain, PeerRole::Consumer(account_uid.to_owned()))
    }

    /// `spiffe://<td>/client/<name>`.
    pub fn client(trust_domain: &str, name: &str) -> Result<Self> {
        Self::new(trust_domain, PeerRole::Client(name.to_owned()))
    }

    /// The trust domain, for example `crossbind.local`.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// The role, with its account UID or client name.
    pub fn role(&self) -> &PeerRole {
        &self.role
    }

    /// The full URI, as written into certificates.
    pub fn uri(&self) -> String {
        self.to_string()
    }

    /// The stem of this identity's certificate and key files in a PKI directory:
    /// `coordinator`, `provider-<uid>`, `consumer-<uid>` or `client-<name>`.
    pub fn file_stem(&self) -> String {
        match &self.role {
            PeerRole::Coordinator => "coordinator".to_owned(),
            PeerRole::Provider(uid) => format!("provider-{uid}"),
            PeerRole::Consumer(uid) => format!("consumer-{uid}"),
            PeerRole::Client(name) => format!("client-{name}"),
        }
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}{}", self.trust_domain, self.role.path())
    }
}

impl FromStr for SpiffeId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

// === impl PeerRole ===

impl PeerRole {
    /// The URI path of this role, starting with '/'.
    fn path(&self) -> String {
        match self {
            PeerRole::Coordinator => "/coordinator".to_owned(),
            PeerRole::Provider(uid) => format!("/provider/{uid}"),
            PeerRole::Consumer(uid) => format!("/consumer/{uid}"),
            PeerRole::Client(name) => format!("/client/{name}"),
        }
    }

    /// The account UID of a provider or consumer agent; `None` for other roles.
    pub fn account_uid(&self) -> Option<&str> {
        match self {
            PeerRole::Provider(uid) | PeerRole::Consumer(uid) => Some(uid),
            PeerRole::Coordinator | PeerRole::Client(_) => None,
        }
    }
}

#[cfg(test)]
mod tests;
