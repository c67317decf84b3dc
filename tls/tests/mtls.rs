//! Mutual TLS end to end over loopback: real tonic servers on 127.0.0.1:0 serving a trivial
//! `ProviderAgent`, and clients built with `crossbind_tls::connect`.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbind_proto::provider_agent_client::ProviderAgentClient;
use crossbind_proto::provider_agent_server::{ProviderAgent, ProviderAgentServer};
use crossbind_proto::{
    CheckClusterRequest, ClusterCheck, GetIdentityRequest, GrantTrustRequest, GrantTrustResponse,
    Identity, ListEligibleClustersRequest, ListEligibleClustersResponse, RevokeTrustRequest,
    RevokeTrustResponse,
};
use crossbind_tls::{
    DEFAULT_TRUST_DOMAIN, Error, PeerRole, Pki, SpiffeId, TlsMaterial, peer_identity, require_peer,
    server_tls_config,
};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tonic::{Code, Request, Response, Status};
use tracing::Instrument;

const TD: &str = DEFAULT_TRUST_DOMAIN;

fn trace_init() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "crossbind_tls=trace".into()),
        )
        .try_init();
}

fn coordinator() -> SpiffeId {
    SpiffeId::coordinator(TD).unwrap()
}

fn provider(uid: &str) -> SpiffeId {
    SpiffeId::provider(TD, uid).unwrap()
}

/// A PKI in a temporary directory with the given identities issued.
fn new_pki(ids: &[SpiffeId]) -> (TempDir, Pki) {
    let dir = tempfile::tempdir().unwrap();
    let pki = crossbind_tls::pki::init(dir.path(), TD, ids).unwrap();
    (dir, pki)
}

fn material(pki: &Pki, id: &SpiffeId) -> TlsMaterial {
    TlsMaterial::load(&pki.paths(id).into()).unwrap()
}

/// Every cause of `e`, outermost first, joined by ": ".
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        parts.push(cause.to_string());
        next = cause.source();
    }
    parts.join(": ")
}

/// The first cause in the chain of `e` that is one of this crate's errors, other than `e`.
fn inner_tls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
    let mut next = e.source();
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<Error>() {
            return Some(found);
        }
        next = cause.source();
    }
    None
}

/// A `ProviderAgent` whose GetIdentity returns the caller's SPIFFE id in `arn`.
#[derive(Debug, Default)]
struct Echo {
    calls: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl ProviderAgent for Echo {
    async fn get_identity(
        &self,
        request: Request<GetIdentityRequest>,
    ) -> Result<Response<Identity>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let id = peer_identity(&request).ok_or_else(|| Status::internal("no PeerIdentity"))?;
        Ok(Response::new(Identity {
            arn: id.uri(),
            ..Identity::default()
        }))
    }

    async fn list_eligible_clusters(
        &self,
        _: Request<ListEligibleClustersRequest>,
    ) -> Result<Response<ListEligibleClustersResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn check_cluster(
        &self,
        _: Request<CheckClusterRequest>,
    ) -> Result<Response<ClusterCheck>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn grant_trust(
        &self,
        _: Request<GrantTrustRequest>,
    ) -> Result<Response<GrantTrustResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn revoke_trust(
        &self,
        _: Request<RevokeTrustRequest>,
    ) -> Result<Response<RevokeTrustResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }
    async fn diagnose_trust(
        &self,
        _: Request<crossbind_proto::DiagnoseTrustRequest>,
    ) -> Result<Response<crossbind_proto::TrustDiagnosis>, Status> {
        Err(Status::unimplemented("test server"))
    }
}

/// A running test server; dropping it shuts the server down.
struct TestServer {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
    _shutdown: oneshot::Sender<()>,
}

/// Serves `Echo` on 127.0.0.1:0, with TLS from `tls` (plaintext when `None`), admitting the
/// callers of `trust_domain` whose role `allow` accepts.
async fn serve(
    tls: Option<&TlsMaterial>,
    trust_domain: &str,
    allow: impl Fn(&PeerRole) -> bool + Send + Sync + 'static,
) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let echo = Echo::default();
    let calls = echo.calls.clone();
    let mut builder = Server::builder();
    if let Some(m) = tls {
        builder = builder.tls_config(server_tls_config(m).unwrap()).unwrap();
    }
    let router = builder.add_service(ProviderAgentServer::with_interceptor(
        echo,
        require_peer(trust_domain, allow),
    ));
    let (tx, rx) = oneshot::channel::<()>();
    let signal = async {
        let _ = rx.await;
    };
    tokio::spawn(
        async move {
            router
                .serve_with_incoming_shutdown(TcpIncoming::from(listener), signal)
                .await
                .unwrap();
        }
        .instrument(tracing::info_span!("test_server", %addr)),
    );
    TestServer {
        addr,
        calls,
        _shutdown: tx,
    }
}

fn only_coordinator(role: &PeerRole) -> bool {
    *role == PeerRole::Coordinator
}

async fn get_identity(channel: tonic::transport::Channel) -> Result<Identity, Status> {
    ProviderAgentClient::new(channel)
        .get_identity(GetIdentityRequest {})
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn coordinator_reaches_a_provider_that_allows_it() {
    trace_init();
    let (_dir, pki) = new_pki(&[coordinator(), provider("111")]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;

    let client = material(&pki, &coordinator());
    let channel = crossbind_tls::connect(&server.addr.to_string(), &client, provider("111"))
        .await
        .unwrap();
    let identity = get_identity(channel).await.unwrap();
    assert_eq!(identity.arn, "spiffe://crossbind.local/coordinator");

    let lazy = crossbind_tls::connect_lazy(
        &format!("https://{}", server.addr),
        &client,
        provider("111"),
    )
    .unwrap();
    assert_eq!(get_identity(lazy).await.unwrap().arn, coordinator().uri());
    assert_eq!(server.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_role_not_allowed_is_permission_denied() {
    trace_init();
    let client_id = SpiffeId::client(TD, "x").unwrap();
    let (_dir, pki) = new_pki(&[client_id.clone(), provider("111")]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;

    let channel = crossbind_tls::connect(
        &server.addr.to_string(),
        &material(&pki, &client_id),
        provider("111"),
    )
    .await
    .unwrap();
    let status = get_identity(channel).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "spiffe://crossbind.local/client/x may not call this service"
    );
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn another_trust_domain_is_permission_denied() {
    trace_init();
    let (_dir, pki) = new_pki(&[coordinator(), provider("111")]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        "elsewhere.local",
        |_| true,
    )
    .await;

    let channel = crossbind_tls::connect(
        &server.addr.to_string(),
        &material(&pki, &coordinator()),
        provider("111"),
    )
    .await
    .unwrap();
    let status = get_identity(channel).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status
            .message()
            .contains("spiffe://crossbind.local/coordinator")
    );
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_with_another_identity_is_refused_at_the_handshake() {
    trace_init();
    let (_dir, pki) = new_pki(&[coordinator(), provider("111")]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;
    let client = material(&pki, &coordinator());

    let err = crossbind_tls::connect(&server.addr.to_string(), &client, provider("222"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains(
            "peer is spiffe://crossbind.local/provider/111, \
             expected spiffe://crossbind.local/provider/222"
        ),
        "{text}"
    );
    assert!(
        matches!(inner_tls_error(&err), Some(Error::WrongPeer { found, .. }) if *found == provider("111")),
        "{err:?}"
    );

    let lazy =
        crossbind_tls::connect_lazy(&server.addr.to_string(), &client, provider("222")).unwrap();
    let status = get_identity(lazy).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status
            .message()
            .contains("peer is spiffe://crossbind.local/provider/111"),
        "{status:?}"
    );
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_of_another_ca_is_refused_at_the_handshake() {
    trace_init();
    let (_dir, pki) = new_pki(&[provider("111")]);
    let (_other_dir, other) = new_pki(&[coordinator()]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;

    let err = crossbind_tls::connect(
        &server.addr.to_string(),
        &material(&other, &coordinator()),
        provider("111"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(inner_tls_error(&err), Some(Error::Handshake { .. })),
        "{err:?}"
    );
    // Both CAs share the trust domain, hence the subject name: webpki finds the issuer by name
    // and then fails its signature check.
    let text = chain(&err);
    assert!(text.contains("invalid peer certificate"), "{text}");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_client_of_another_ca_is_refused() {
    trace_init();
    let (_dir, pki) = new_pki(&[provider("111")]);
    let (_other_dir, other) = new_pki(&[coordinator()]);
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;

    // The client trusts the server's CA, but its own certificate comes from another CA.
    let foreign = other.paths(&coordinator());
    let client = TlsMaterial::load(&crossbind_tls::TlsFiles {
        cert: foreign.cert,
        key: foreign.key,
        ca: pki.ca_cert_path(),
    })
    .unwrap();
    let outcome =
        match crossbind_tls::connect(&server.addr.to_string(), &client, provider("111")).await {
            // With TLS 1.3 the server's refusal may only arrive after the client's handshake.
            Ok(channel) => get_identity(channel).await.map_err(|s| s.to_string()),
            Err(e) => Err(chain(&e)),
        };
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    trace_init();
    let (_dir, pki) = new_pki(&[coordinator()]);
    let two_years_ago = time::OffsetDateTime::now_utc() - time::Duration::days(730);
    pki.issue_at(&provider("111"), two_years_ago).unwrap();
    let server = serve(
        Some(&material(&pki, &provider("111"))),
        TD,
        only_coordinator,
    )
    .await;

    let err = crossbind_tls::connect(
        &server.addr.to_string(),
        &material(&pki, &coordinator()),
        provider("111"),
    )
    .await
    .unwrap_err();
    let text = chain(&err);
    assert!(text.contains("Expired"), "{text}");
}

#[tokio::test]
async fn a_plaintext_client_fails_against_a_tls_server() {
    trace_init();
    let (_dir, pki) = new_pki(&[provider("111")]);
    let server = serve(Some(&material(&pki, &provider("111"))), TD, |_| true).await;

    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect_lazy();
    let status = get_identity(channel).await.unwrap_err();
    assert_ne!(status.code(), Code::Ok);
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn without_a_client_certificate_the_interceptor_says_unauthenticated() {
    trace_init();
    // A plaintext server: the only way a request can reach the interceptor without a
    // certificate, since the TLS acceptor itself requires one.
    let server = serve(None, TD, |_| true).await;
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect_lazy();
    let status = get_identity(channel).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "a client certificate is required");
    assert_eq!(server.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unreachable_endpoint_reports_the_dial_failure() {
    trace_init();
    let (_dir, pki) = new_pki(&[coordinator()]);
    // Bind then drop, so nothing listens on this port.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = crossbind_tls::connect(
        &addr.to_string(),
        &material(&pki, &coordinator()),
        provider("111"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(inner_tls_error(&err), Some(Error::Dial { .. })),
        "{err:?}"
    );
    assert!(chain(&err).starts_with(&format!("cannot connect to {addr}")));
}

#[test]
fn material_paths_are_the_pki_paths() {
    let (_dir, pki) = new_pki(&[coordinator()]);
    let m = material(&pki, &coordinator());
    assert_eq!(m.files().cert, pki.dir().join("coordinator.pem"));
    assert_eq!(m.files().ca, Path::new(pki.dir()).join("ca.pem"));
}
