//! A file-based PKI: one ECDSA P-256 CA per trust domain, and leaf certificates for identities.
//!
//! Layout of a PKI directory: `ca.pem`, `ca.key` (0600), `trust-domain`, and for each identity
//! `<stem>.pem` + `<stem>.key` (0600), where the stem is [`SpiffeId::file_stem`]. Leaves carry
//! exactly one URI SAN (the SPIFFE id), no DNS SAN, key usage digitalSignature and the extended
//! key usages serverAuth and clientAuth. This module does not rotate or revoke certificates:
//! re-issuing overwrites a leaf, and removing trust means creating a new CA.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::identity::{SpiffeId, validate_trust_domain};

/// The trust domain used when none is configured.
pub const DEFAULT_TRUST_DOMAIN: &str = "crossbind.local";

/// How long the CA certificate is valid.
const CA_VALIDITY: Duration = Duration::days(3650);

/// How long a leaf certificate is valid.
const LEAF_VALIDITY: Duration = Duration::days(365);

/// How far `not_before` is set in the past, to tolerate clock skew between machines.
const BACKDATE: Duration = Duration::minutes(5);

/// File names inside a PKI directory.
const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca.key";
const TRUST_DOMAIN_FILE: &str = "trust-domain";

/// A PKI directory with its CA, able to issue certificates for one trust domain.
#[derive(Clone, Debug)]
pub struct Pki {
    dir: PathBuf,
    trust_domain: String,
}

/// Where an identity's certificate, private key and the CA certificate are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPaths {
    /// The leaf certificate (PEM).
    pub cert: PathBuf,
    /// The leaf private key (PEM, PKCS#8, mode 0600).
    pub key: PathBuf,
    /// The CA certificate (PEM).
    pub ca: PathBuf,
}

/// Creates a PKI in `dir` (created if missing): a new CA for `trust_domain`, then a certificate
/// for each of `identities`.
///
/// Refuses to overwrite an existing `ca.pem` or `ca.key`, and refuses identities of another
/// trust domain before writing anything.
pub fn init(dir: &Path, trust_domain: &str, identities: &[SpiffeId]) -> Result<Pki> {
    validate_trust_domain(trust_domain)?;
    if let Some(id) = identities
        .iter()
        .find(|id| id.trust_domain() != trust_domain)
    {
        return Err(Error::WrongTrustDomain {
            id: id.clone(),
            trust_domain: trust_domain.to_owned(),
        });
    }
    for existing in [dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE)] {
        if existing.exists() {
            return Err(Error::CaExists {
                path: existing,
                dir: dir.to_owned(),
            });
        }
    }
    fs::create_dir_all(dir).map_err(|source| Error::Write {
        what: "PKI directory",
        path: dir.to_owned(),
        source,
    })?;

    let now = OffsetDateTime::now_utc();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|source| {
        Error::Generate {
            what: "the CA key",
            source,
        }
    })?;
    let mut params = ca_params(trust_domain);
    params.not_before = now - BACKDATE;
    params.not_after = now + CA_VALIDITY;
    let cert = params.self_signed(&key).map_err(|source| Error::Generate {
        what: "the CA certificate",
        source,
    })?;

    let pki = Pki {
        dir: dir.to_owned(),
        trust_domain: trust_domain.to_owned(),
    };
    // The key goes first and exclusively, so that two concurrent inits cannot both succeed.
    write_new_secret(&pki.ca_key_path(), key.serialize_pem().as_bytes())?;
    write_file(&pki.ca_cert_path(), "CA certificate", cert.pem().as_bytes())?;
    write_file(
        &dir.join(TRUST_DOMAIN_FILE),
        "trust domain file",
        format!("{trust_domain}\n").as_bytes(),
    )?;
    tracing::info!(pki.dir = %dir.display(), trust_domain, "created CA");

    for id in identities {
        pki.issue_at(id, now)?;
    }
    Ok(pki)
}

/// The parameters of the CA certificate of `trust_domain`. Also used to rebuild the issuer
/// when signing leaves, so its subject must stay byte-for-byte stable.
fn ca_params(trust_domain: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = ca_name(trust_domain);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn ca_name(trust_domain: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, ca_common_name(trust_domain));
    name
}

fn ca_common_name(trust_domain: &str) -> String {
    format!("crossbind CA ({trust_domain})")
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Writes a public file, replacing any previous content.
fn write_file(path: &Path, what: &'static str, contents: &[u8]) -> Result<()> {
    fs::write(path, contents).map_err(|source| Error::Write {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Creates the CA's private-key file with mode 0600; fails when it already exists.
fn write_new_secret(path: &Path, contents: &[u8]) -> Result<()> {
    let write_error = |source| Error::Write {
        what: "private key",
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::CaExists {
                path: path.to_owned(),
                dir: parent_dir(path),
            }
        } else {
            write_error(source)
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(write_error)
}

/// The directory holding `path`, `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Replaces a private-key file atomically: writes `<path>.tmp` with mode 0600, then renames it.
fn replace_secret(path: &Path, contents: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let write_error = |path: &Path, source| Error::Write {
        what: "private key",
        path: path.to_owned(),
        source,
    };
    // A stale temporary file from an interrupted run may have other permissions.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(write_error(&tmp, e)),
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(|e| write_error(&tmp, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| write_error(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| write_error(path, e))
}

/// The parameters of the leaf certificate of `id`, valid from `now` (backdated) for a year.
fn leaf_params(id: &SpiffeId, now: OffsetDateTime) -> Result<CertificateParams> {
    let uri = id.uri();
    let san = uri.as_str().try_into().map_err(|source| Error::Generate {
        what: "the URI SAN",
        source,
    })?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![SanType::URI(san)];
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, id.file_stem());
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - BACKDATE;
    params.not_after = now + LEAF_VALIDITY;
    Ok(params)
}

// === impl Pki ===

impl Pki {
    /// Opens a PKI directory made by [`init`]: reads its trust domain and checks that `ca.pem`
    /// is the CA of that trust domain. The CA key is read only when issuing.
    pub fn open(dir: &Path) -> Result<Pki> {
        let td_path = dir.join(TRUST_DOMAIN_FILE);
        let raw = read_file(&td_path, "trust domain file")?;
        let trust_domain = String::from_utf8_lossy(&raw).trim().to_owned();
        validate_trust_domain(&trust_domain)?;
        let pki = Pki {
            dir: dir.to_owned(),
            trust_domain,
        };
        pki.read_ca_cert()?;
        Ok(pki)
    }

    /// Issues (or re-issues, replacing the old files) the certificate and key of `id`, valid
    /// for one year from now.
    pub fn issue(&self, id: &SpiffeId) -> Result<IssuedPaths> {
        self.issue_at(id, OffsetDateTime::now_utc())
    }

    /// Like [`Pki::issue`], with the validity starting at `now` instead of the current time
    /// (`now` minus five minutes, for clock skew, to `now` plus one year).
    pub fn issue_at(&self, id: &SpiffeId, now: OffsetDateTime) -> Result<IssuedPaths> {
        if id.trust_domain() != self.trust_domain {
            return Err(Error::WrongTrustDomain {
                id: id.clone(),
                trust_domain: self.trust_domain.clone(),
            });
        }
        let issuer = self.issuer()?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|source| {
            Error::Generate {
                what: "a leaf key",
                source,
            }
        })?;
        let params = leaf_params(id, now)?;
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|source| Error::Generate {
                what: "a leaf certificate",
                source,
            })?;

        let paths = self.paths(id);
        replace_secret(&paths.key, key.serialize_pem().as_bytes())?;
        write_file(&paths.cert, "certificate", cert.pem().as_bytes())?;
        tracing::info!(peer.id = %id, cert = %paths.cert.display(), "issued certificate");
        Ok(paths)
    }

    /// Where the files of `id` are (or would be) in this PKI.
    pub fn paths(&self, id: &SpiffeId) -> IssuedPaths {
        let stem = id.file_stem();
        IssuedPaths {
            cert: self.dir.join(format!("{stem}.pem")),
            key: self.dir.join(format!("{stem}.key")),
            ca: self.ca_cert_path(),
        }
    }

    /// The trust domain of this PKI.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// The PKI directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `DIR/ca.pem`.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join(CA_CERT_FILE)
    }

    fn ca_key_path(&self) -> PathBuf {
        self.dir.join(CA_KEY_FILE)
    }

    fn inconsistent(&self, reason: impl Into<String>) -> Error {
        Error::CaInconsistent {
            dir: self.dir.clone(),
            reason: reason.into(),
        }
    }

    /// Reads `ca.pem`, checks its subject names this trust domain, and returns its DER.
    fn read_ca_cert(&self) -> Result<Vec<u8>> {
        let path = self.ca_cert_path();
        let pem = read_file(&path, "CA certificate")?;
        let der = crate::config::parse_cert_chain(&pem, &path)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NoCertificate { path: path.clone() })?
            .to_vec();
        let (_, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| self.inconsistent("ca.pem is not a valid X.509 certificate"))?;
        let expected = ca_common_name(&self.trust_domain);
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok());
        if common_name != Some(expected.as_str()) {
            return Err(self.inconsistent(format!(
                "ca.pem is not named {expected:?}; the trust-domain file and the CA disagree"
            )));
        }
        Ok(der)
    }

    /// Loads the CA key, checks it matches `ca.pem`, and builds the signing issuer.
    fn issuer(&self) -> Result<Issuer<'static, KeyPair>> {
        let ca_der = self.read_ca_cert()?;
        let key_path = self.ca_key_path();
        let key_pem = read_file(&key_path, "CA private key")?;
        let key_pem = String::from_utf8(key_pem).map_err(|_| Error::BadPrivateKey {
            path: key_path.clone(),
        })?;
        let key = KeyPair::from_pem(&key_pem).map_err(|_| Error::BadPrivateKey {
            path: key_path.clone(),
        })?;
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_der)
            .map_err(|_| self.inconsistent("ca.pem is not a valid X.509 certificate"))?;
        if ca.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(self.inconsistent("ca.key is not the key of ca.pem"));
        }
        Ok(Issuer::new(ca_params(&self.trust_domain), key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_has_only_the_uri_san_and_both_usages() {
        let dir = tempfile::tempdir().unwrap();
        let id = SpiffeId::provider(DEFAULT_TRUST_DOMAIN, "111").unwrap();
        let pki = init(dir.path(), DEFAULT_TRUST_DOMAIN, std::slice::from_ref(&id)).unwrap();
        let pem = fs::read(pki.paths(&id).cert).unwrap();
        let der = crate::config::parse_cert_chain(&pem, Path::new("leaf")).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der[0]).unwrap();

        let san = cert.subject_alternative_name().unwrap().unwrap();
        let names: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["URI(spiffe://crossbind.local/provider/111)"]);

        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth && !eku.any);
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_cert_sign());
        assert!(!cert.is_ca());

        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp())
            / 86_400;
        assert_eq!(days, 365, "one year plus the five-minute backdate");

        let ca_pem = fs::read(pki.ca_cert_path()).unwrap();
        let ca_der = crate::config::parse_cert_chain(&ca_pem, Path::new("ca")).unwrap();
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_der[0]).unwrap();
        assert!(ca.is_ca());
        assert_eq!(cert.issuer(), ca.subject());
        let ca_days =
            (ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp()) / 86_400;
        assert_eq!(ca_days, 3650);
    }

    #[test]
    fn open_detects_a_ca_of_another_trust_domain() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), "one.local", &[]).unwrap();
        fs::write(dir.path().join(TRUST_DOMAIN_FILE), "two.local\n").unwrap();
        let err = Pki::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::CaInconsistent { .. }), "{err:?}");
    }

    #[test]
    fn issue_detects_a_foreign_ca_key() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let pki = init(dir.path(), "one.local", &[]).unwrap();
        init(other.path(), "one.local", &[]).unwrap();
        fs::copy(other.path().join(CA_KEY_FILE), dir.path().join(CA_KEY_FILE)).unwrap();
        let id = SpiffeId::coordinator("one.local").unwrap();
        let err = pki.issue(&id).unwrap_err();
        assert!(
            err.to_string().contains("ca.key is not the key of ca.pem"),
            "{err}"
        );
    }
}
