//! The client's server-certificate verifier: the chain must lead to the crossbind CA, and the
//! leaf must name exactly the expected SPIFFE id. Server names (DNS or IP) are not checked:
//! crossbind certificates carry no DNS SAN, and identity is the SPIFFE id alone.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};

use crate::error::{Error, Result};
use crate::identity::{SpiffeId, spiffe_id_from_cert};

/// Verifies a server against one CA and one expected identity.
pub(super) struct ExpectPeer {
    anchors: Vec<TrustAnchor<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
    expected: SpiffeId,
}

/// Wraps one of this crate's errors as a rustls certificate error, so that the connector can
/// recover it from the handshake failure.
fn certificate_error(e: Error) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
}

/// Maps a webpki path-building failure to the rustls error that best names it.
fn webpki_error(e: webpki::Error) -> rustls::Error {
    use webpki::Error as E;
    let mapped = match e {
        E::UnknownIssuer => CertificateError::UnknownIssuer,
        E::CertExpired { .. } => CertificateError::Expired,
        E::CertNotValidYet { .. } => CertificateError::NotValidYet,
        E::CertRevoked => CertificateError::Revoked,
        E::BadDer | E::BadDerTime => CertificateError::BadEncoding,
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => CertificateError::BadSignature,
        E::RequiredEkuNotFoundContext(_) => CertificateError::InvalidPurpose,
        other => CertificateError::Other(OtherError(Arc::new(other))),
    };
    rustls::Error::InvalidCertificate(mapped)
}

// === impl ExpectPeer ===

impl ExpectPeer {
    /// A verifier trusting only `ca` and accepting only `expected`.
    pub(super) fn new(ca: &CertificateDer<'_>, expected: SpiffeId) -> Result<Self> {
        let anchor = webpki::anchor_from_trusted_cert(ca)
            .map_err(|e| Error::Config(webpki_error(e)))?
            .to_owned();
        Ok(Self {
            anchors: vec![anchor],
            algorithms: crate::config::provider().signature_verification_algorithms,
            expected,
        })
    }
}

impl ServerCertVerifier for ExpectPeer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(webpki_error)?;
        cert.verify_for_usage(
            self.algorithms.all,
            &self.anchors,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(webpki_error)?;
        let found = spiffe_id_from_cert(end_entity).map_err(certificate_error)?;
        if found != self.expected {
            return Err(certificate_error(Error::WrongPeer {
                found,
                expected: self.expected.clone(),
            }));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl fmt::Debug for ExpectPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpectPeer")
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}
