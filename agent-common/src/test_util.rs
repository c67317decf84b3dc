//! Helpers for the agents' integration tests (feature `test-util`): an in-process cloudsim on
//! `127.0.0.1:0`, a throw-away PKI, credentials of a world's accounts, and a coordinator
//! channel. Nothing here is used by the agents themselves.

use std::net::SocketAddr;
use std::sync::Arc;

use crossbind_aliyun::clock::{Clock, SystemClock};
use crossbind_aliyun::credentials::Credentials;
use crossbind_aliyun::ids::RegionId;
use crossbind_aliyun::rate_limit::{DataWorksEdition, RateLimits};
use crossbind_cloudsim::{Sim, World};
use crossbind_tls::config::TlsMaterial;
use crossbind_tls::identity::SpiffeId;
use crossbind_tls::pki::{self, Pki};
use secrecy::ExposeSecret;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tracing::Instrument;

use crate::config::{AgentTls, CloudConfig, DEFAULT_TRUST_DOMAIN};

/// The consumer account of the default world.
pub const CONSUMER_UID: &str = "1688000000000001";
/// The provider account of the default world.
pub const PROVIDER_UID: &str = "1688000000000002";
/// The region of the default world.
pub const REGION: &str = "cn-hangzhou";

/// A PKI in a temporary directory, removed when dropped.
pub struct TestPki {
    dir: TempDir,
    pki: Pki,
}

/// A cloudsim serving on `127.0.0.1:0` in the test's runtime; stopped when dropped.
pub struct TestCloud {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, for assertions (`Sim::snapshot`).
    pub sim: Sim,
    task: JoinHandle<()>,
}

/// Installs a test subscriber (output captured per test), filtered by `RUST_LOG`, default
/// `debug` for crossbind crates. Calling it again is harmless.
pub fn trace_init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,crossbind=debug"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// The first AccessKey pair of account `uid` in `world`.
///
/// # Panics
///
/// When the world has no such account or it has no key: a broken test fixture.
pub fn credentials_of(world: &World, uid: &str) -> Credentials {
    let account = world
        .accounts
        .iter()
        .find(|a| a.uid.as_str() == uid)
        .unwrap_or_else(|| panic!("the world has no account {uid}"));
    let key = account
        .access_keys
        .first()
        .unwrap_or_else(|| panic!("account {uid} has no AccessKey"));
    Credentials::new(key.id.clone(), key.secret().expose_secret())
}

// === impl TestPki ===

/// The agent binary `bin` with configuration `config`, listening on any free port, with only
/// `keys` (and a HOME without credential files) in its environment.
pub fn agent_command(
    bin: &str,
    config: &std::path::Path,
    pki: &TestPki,
    keys: &Credentials,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(bin);
    command
        .arg("--config")
        .arg(config)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .env_clear()
        .env("HOME", pki.dir())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &keys.access_key_id)
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            keys.access_key_secret.expose(),
        )
        .kill_on_drop(true);
    command
}

impl TestPki {
    /// A CA in trust domain `crossbind.local` with certificates for `ids`.
    ///
    /// # Panics
    ///
    /// When the PKI cannot be created.
    pub fn new(ids: &[SpiffeId]) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let pki = pki::init(dir.path(), DEFAULT_TRUST_DOMAIN, ids).expect("initialise the PKI");
        Self { dir, pki }
    }

    /// The PKI.
    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// Issues a certificate for `id` (for identities not given to [`TestPki::new`]).
    ///
    /// # Panics
    ///
    /// When issuing fails.
    pub fn issue(&self, id: &SpiffeId) {
        self.pki.issue(id).expect("issue a certificate");
    }

    /// The `[tls]` settings of `id`.
    pub fn agent_tls(&self, id: &SpiffeId) -> AgentTls {
        AgentTls {
            files: self.pki.paths(id).into(),
            trust_domain: self.pki.trust_domain().to_owned(),
        }
    }

    /// The loaded material of `id`.
    ///
    /// # Panics
    ///
    /// When the files cannot be loaded.
    pub fn material(&self, id: &SpiffeId) -> TlsMaterial {
        TlsMaterial::load(&self.pki.paths(id).into()).expect("load TLS material")
    }

    /// Connects to an agent at `addr` as the coordinator, expecting the agent to be `expected`.
    ///
    /// # Panics
    ///
    /// When the coordinator identity was not issued.
    pub async fn connect_as_coordinator(
        &self,
        addr: SocketAddr,
        expected: SpiffeId,
    ) -> Result<Channel, crossbind_tls::error::Error> {
        let coordinator = SpiffeId::coordinator(self.pki.trust_domain()).expect("coordinator id");
        self.connect_as(&coordinator, addr, expected).await
    }

    /// Connects to an agent at `addr` as `me`, expecting the agent to be `expected`.
    pub async fn connect_as(
        &self,
        me: &SpiffeId,
        addr: SocketAddr,
        expected: SpiffeId,
    ) -> Result<Channel, crossbind_tls::error::Error> {
        crossbind_tls::client::connect(&addr.to_string(), &self.material(me), expected).await
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki")
            .field("dir", &self.dir.path())
            .finish()
    }
}

// === impl TestCloud ===

impl TestCloud {
    /// Starts a cloudsim of `world` with the system clock.
    pub async fn start(world: World) -> Self {
        Self::start_with_clock(world, Arc::new(SystemClock)).await
    }

    /// Starts a cloudsim of `world` with `clock`.
    ///
    /// # Panics
    ///
    /// When `127.0.0.1:0` cannot be bound.
    pub async fn start_with_clock(world: World, clock: Arc<dyn Clock>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind cloudsim");
        let addr = listener.local_addr().expect("cloudsim address");
        let sim = Sim::new(world, clock);
        let serving = sim.clone();
        let task = tokio::spawn(
            async move {
                let _ = crossbind_cloudsim::serve(listener, serving).await;
            }
            .instrument(tracing::info_span!("cloudsim", listen.addr = %addr)),
        );
        Self { addr, sim, task }
    }

    /// The endpoint override that reaches this cloudsim.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A `[cloud]` configuration for the default region reaching this cloudsim, with quick
    /// retries so that failing tests fail fast, and the rate limits of an Enterprise DataWorks
    /// (50 reads and 20 writes per second): the limiter stays in every call's path, but a test
    /// making a dozen DataWorks calls is not paced at the Standard edition's 5 per second.
    ///
    /// # Panics
    ///
    /// Never: the region is a constant.
    pub fn cloud_config(&self) -> CloudConfig {
        let mut cloud = CloudConfig::new(
            RegionId::new(REGION).expect("valid region"),
            Some(self.endpoint()),
        );
        cloud.retry_base_delay = std::time::Duration::from_millis(10);
        cloud.retry_max_delay = std::time::Duration::from_millis(50);
        cloud.rate_limits =
            RateLimits::published().with_dataworks_edition(DataWorksEdition::Enterprise);
        cloud
    }

    /// The `mutations` list of the sim's state.
    pub fn mutations(&self) -> Vec<serde_json::Value> {
        self.sim.snapshot()["mutations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for TestCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCloud")
            .field("addr", &self.addr)
            .finish()
    }
}
