//! Loading a process's TLS material (its certificate, its private key and the CA) from PEM files.
//!
//! Loading checks that the files parse and that the key belongs to the certificate; it does not
//! check the chain or the validity period (the peer does that at the handshake). The private key
//! is kept in a [`SecretString`], and [`TlsMaterial`]'s `Debug` never prints it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{SpiffeId, spiffe_id_from_cert};
use crate::pki::{IssuedPaths, parent_dir};

/// The three files of a process's TLS material, as written in agents' TOML configuration:
///
/// ```toml
/// [tls]
/// cert = "/etc/crossbind/provider-111.pem"
/// key = "/etc/crossbind/provider-111.key"
/// ca = "/etc/crossbind/ca.pem"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The process's own certificate (PEM; a chain may follow the leaf).
    pub cert: PathBuf,
    /// The process's private key (PEM).
    pub key: PathBuf,
    /// The CA certificate that peers must chain to (PEM).
    pub ca: PathBuf,
}

/// Loaded and checked TLS material. Cheap to clone.
#[derive(Clone)]
pub struct TlsMaterial {
    inner: Arc<Inner>,
}

struct Inner {
    files: TlsFiles,
    cert_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_pem: SecretString,
    ca_pem: String,
    ca: CertificateDer<'static>,
}

/// Parses every certificate of a PEM file; `path` is used in errors only.
pub(crate) fn parse_cert_chain(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|source| Error::BadCertificatePem {
            path: path.to_owned(),
            source,
        })?;
    if chain.is_empty() {
        return Err(Error::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

/// The crypto provider crossbind uses everywhere: rustls's ring provider.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn utf8(bytes: Vec<u8>, path: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::NoCertificate {
        path: path.to_owned(),
    })
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Turns a failure to read the certificate `path` into [`Error::NoClientCertificate`] when
/// the file is a missing `client-<name>.pem` in a readable directory, so that the message can
/// list the clients that do exist; any other failure is returned as it is.
fn missing_client_hint(path: &Path, error: Error) -> Error {
    let Error::Read { source, .. } = &error else {
        return error;
    };
    if source.kind() != std::io::ErrorKind::NotFound {
        return error;
    }
    let Some(name) = path
        .file_stem()
        .and_then(|n| n.to_str())
        .and_then(client_name)
    else {
        return error;
    };
    let dir = parent_dir(path);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return error;
    };
    let mut existing: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| {
            file.strip_suffix(".pem")
                .and_then(client_name)
                .map(str::to_owned)
        })
        .collect();
    existing.sort();
    Error::NoClientCertificate {
        name: name.to_owned(),
        dir,
        existing,
    }
}

/// The client name of a file name `client-<name>...`, when there is one.
fn client_name(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix("client-")
        .filter(|name| !name.is_empty())
}

fn parse_key(pem: &SecretString, path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem.expose_secret().as_bytes()).map_err(|_| {
        Error::BadPrivateKey {
            path: path.to_owned(),
        }
    })
}

// === impl TlsFiles ===

impl From<IssuedPaths> for TlsFiles {
    fn from(paths: IssuedPaths) -> Self {
        TlsFiles {
            cert: paths.cert,
            key: paths.key,
            ca: paths.ca,
        }
    }
}

// === impl TlsMaterial ===

impl TlsMaterial {
    /// Reads the three files and checks that each parses and that the key matches the
    /// certificate. Errors name the file at fault and never include key bytes. A missing
    /// client certificate (`client-<name>.pem`) is [`Error::NoClientCertificate`], which
    /// lists the clients whose certificates are in the same directory.
    pub fn load(files: &TlsFiles) -> Result<Self> {
        let cert_pem =
            read(&files.cert, "certificate").map_err(|e| missing_client_hint(&files.cert, e))?;
        let cert_pem = utf8(cert_pem, &files.cert)?;
        let key_pem = read(&files.key, "private key")?;
        let key_pem = String::from_utf8(key_pem).map_err(|_| Error::BadPrivateKey {
            path: files.key.clone(),
        })?;
        let ca_pem = utf8(read(&files.ca, "CA certificate")?, &files.ca)?;
        Self::from_parts(files.clone(), cert_pem, SecretString::from(key_pem), ca_pem)
    }

    /// Builds material from PEM text held in memory; errors name the parts `<memory:cert>`,
    /// `<memory:key>` and `<memory:ca>`.
    pub fn from_pem(cert_pem: &str, key_pem: &str, ca_pem: &str) -> Result<Self> {
        let files = TlsFiles {
            cert: PathBuf::from("<memory:cert>"),
            key: PathBuf::from("<memory:key>"),
            ca: PathBuf::from("<memory:ca>"),
        };
        Self::from_parts(
            files,
            cert_pem.to_owned(),
            SecretString::from(key_pem.to_owned()),
            ca_pem.to_owned(),
        )
    }

    fn from_parts(
        files: TlsFiles,
        cert_pem: String,
        key_pem: SecretString,
        ca_pem: String,
    ) -> Result<Self> {
        let chain = parse_cert_chain(cert_pem.as_bytes(), &files.cert)?;
        let ca = parse_cert_chain(ca_pem.as_bytes(), &files.ca)?.swap_remove(0);
        let key = parse_key(&key_pem, &files.key)?;
        CertifiedKey::from_der(chain.clone(), key, &provider()).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => Error::KeyMismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
            },
            _ => Error::BadPrivateKey {
                path: files.key.clone(),
            },
        })?;
        Ok(TlsMaterial {
            inner: Arc::new(Inner {
                files,
                cert_pem,
                chain,
                key_pem,
                ca_pem,
                ca,
            }),
        })
    }

    /// The identity in this process's own certificate.
    pub fn own_identity(&self) -> Result<SpiffeId> {
        spiffe_id_from_cert(&self.inner.chain[0])
    }

    /// The files this material was loaded from.
    pub fn files(&self) -> &TlsFiles {
        &self.inner.files
    }

    /// The own certificate chain (PEM), leaf first.
    pub(crate) fn cert_pem(&self) -> &str {
        &self.inner.cert_pem
    }

    /// The own certificate chain (DER), leaf first.
    pub(crate) fn chain(&self) -> &[CertificateDer<'static>] {
        &self.inner.chain
    }

    /// The private key (PEM). Only for handing to rustls or tonic.
    pub(crate) fn key_pem(&self) -> &str {
        self.inner.key_pem.expose_secret()
    }

    /// The private key (DER), parsed again for each use so that no copy outlives it.
    pub(crate) fn key_der(&self) -> Result<PrivateKeyDer<'static>> {
        parse_key(&self.inner.key_pem, &self.inner.files.key)
    }

    /// The CA certificate (PEM).
    pub(crate) fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }

    /// The CA certificate (DER).
    pub(crate) fn ca_der(&self) -> &CertificateDer<'static> {
        &self.inner.ca
    }
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let identity = self
            .own_identity()
            .map_or_else(|_| "<none>".to_owned(), |id| id.uri());
        f.debug_struct("TlsMaterial")
            .field("identity", &identity)
            .field("cert", &self.inner.files.cert)
            .field("key", &self.inner.files.key)
            .field("ca", &self.inner.files.ca)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}
