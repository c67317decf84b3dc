//! A complete local crossbind deployment on this machine: the cloud emulator, both agents
//! and the coordinator, each a separate process on an ephemeral loopback port, wired
//! together with a fresh PKI. The quickstart and the end-to-end tests both use it.
//!
//! Each agent process receives only its own account's AccessKey, through the standard
//! `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` variables; every
//! inherited `ALIBABA_CLOUD_*` variable is removed first. Every process's log goes to
//! `<work dir>/<name>.log`.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crossbind_cloudsim::World;
use crossbind_proto::coordinator_client::CoordinatorClient;
use crossbind_tls::{
    config::{TlsFiles, TlsMaterial},
    identity::SpiffeId,
    pki,
};
use secrecy::ExposeSecret;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};
use tonic::transport::Channel;

use crate::error::{CliError, Result};

/// The provider account (B) of the default world.
pub const DEFAULT_PROVIDER_UID: &str = "1688000000000002";
/// The consumer account (A) of the default world.
pub const DEFAULT_CONSUMER_UID: &str = "1688000000000001";
/// The eligible cluster of the default world.
pub const DEFAULT_CLUSTER_ID: &str = "C-4F2A9B1C8D3E7A60";
/// The standard-mode workspace of the default world.
pub const DEFAULT_WORKSPACE_ID: &str = "10001";
/// The resource group the quickstart binds and initializes: in the default world it is not yet
/// bound to any workspace and sits in the cluster's VPC.
pub const DEFAULT_RESOURCE_GROUP_ID: &str = "Serverless_res_group_1688000000000001_0002";
/// The region of the default world.
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// The automation client identity the stack issues (`client/<name>`).
pub const STACK_CLIENT: &str = "quickstart";
/// How long a process may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What to start.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Directory holding the five binaries.
    pub bin_dir: PathBuf,
    /// Where the PKI, configuration files and logs go.
    pub work_dir: PathBuf,
    /// World file for the emulator; `None` means its default world.
    pub world: Option<PathBuf>,
    /// Provider account (B).
    pub provider_uid: String,
    /// Consumer account (A).
    pub consumer_uid: String,
    /// Further consumer accounts, each with an agent of its own (for a role shared by two
    /// consumers); the provider's consent must list them too.
    pub extra_consumer_uids: Vec<String>,
    /// Region both agents operate in.
    pub region: String,
    /// Consent of the provider: the consumer accounts, roles and clusters it accepts.
    pub provider_consent: ProviderConsent,
    /// Consent of the consumer: the provider accounts and workspaces it accepts.
    pub consumer_consent: ConsumerConsent,
    /// How long the consumer waits for a new role to take effect.
    pub role_propagation_timeout_seconds: u64,
    /// Signature version the agents use ("v2" or "v3").
    pub signature: String,
    /// DataWorks edition whose API quota the agents pace themselves to (`None`: the agents'
    /// default).
    pub dataworks_edition: Option<String>,
    /// How often the coordinator checks every succeeded association for drift (`None`: on
    /// demand only).
    pub drift_interval_seconds: Option<u64>,
    /// More TOML for the consumer agent's configuration (for example its `[initialization]`
    /// off-peak windows or `[account_mappings]`), appended as it is.
    pub consumer_extra_toml: String,
    /// Environment variables the consumer agent gets (for example LDAP passwords named in its
    /// `[account_mappings]`).
    pub consumer_env: Vec<(String, String)>,
    /// The instant the coordinator's clock starts at (`clock_start`; `None`: the system clock).
    pub coordinator_clock_start: Option<String>,
    /// How many associations the coordinator runs at once (`None`: its default).
    pub coordinator_max_in_flight: Option<usize>,
}

/// The provider agent's `[consent]` section.
#[derive(Clone, Debug)]
pub struct ProviderConsent {
    /// Consumer account UIDs the provider may trust.
    pub consumer_accounts: Vec<String>,
    /// Role names the provider may manage.
    pub role_names: Vec<String>,
    /// Cluster ids the provider may expose, or `*`.
    pub clusters: Vec<String>,
}

/// The consumer agent's `[consent]` section.
#[derive(Clone, Debug)]
pub struct ConsumerConsent {
    /// Provider account UIDs the consumer accepts.
    pub provider_accounts: Vec<String>,
    /// Workspace ids the consumer may register into, or `*`.
    pub workspaces: Vec<String>,
}

/// A running deployment. Dropping it kills every process.
#[derive(Debug)]
pub struct Stack {
    /// Emulator address (`127.0.0.1:port`).
    pub cloudsim: String,
    /// Provider agent address.
    pub provider: String,
    /// Consumer agent address.
    pub consumer: String,
    /// Account and address of every further consumer agent.
    pub extra_consumers: Vec<(String, String)>,
    /// Coordinator address.
    pub coordinator: String,
    /// Where the PKI lives.
    pub pki_dir: PathBuf,
    /// Where the logs and configuration files are.
    pub work_dir: PathBuf,
    /// Trust domain of the PKI.
    pub trust_domain: String,
    children: Vec<(String, Child)>,
    /// How each process was started and where it listens, for restarts.
    launches: Vec<(String, Launch, String)>,
}

/// How to start one process of the stack.
#[derive(Clone)]
struct Launch {
    program: PathBuf,
    args: Vec<std::ffi::OsString>,
    key: Option<KeyPair>,
    /// Extra environment variables (not secrets of the cloud account).
    env: Vec<(String, String)>,
}

// === impl StackOptions ===

impl StackOptions {
    /// Options for the default world, with binaries in `bin_dir` and files in `work_dir`.
    pub fn new(bin_dir: PathBuf, work_dir: PathBuf) -> Self {
        Self {
            bin_dir,
            work_dir,
            world: None,
            provider_uid: DEFAULT_PROVIDER_UID.to_string(),
            consumer_uid: DEFAULT_CONSUMER_UID.to_string(),
            extra_consumer_uids: Vec::new(),
            region: DEFAULT_REGION.to_string(),
            provider_consent: ProviderConsent {
                consumer_accounts: vec![DEFAULT_CONSUMER_UID.to_string()],
                role_names: vec!["EMRRole".to_string()],
                clusters: vec!["*".to_string()],
            },
            consumer_consent: ConsumerConsent {
                provider_accounts: vec![DEFAULT_PROVIDER_UID.to_string()],
                workspaces: vec!["*".to_string()],
            },
            role_propagation_timeout_seconds: 120,
            signature: "v2".to_string(),
            dataworks_edition: None,
            drift_interval_seconds: None,
            consumer_extra_toml: String::new(),
            consumer_env: Vec::new(),
            coordinator_clock_start: None,
            coordinator_max_in_flight: None,
        }
    }
}

/// The directory of the running executable's siblings (where cargo puts every binary).
pub fn sibling_bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Setup(format!("cannot locate the running executable: {e}")))?;
    let mut dir = exe
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| CliError::Setup("the executable has no parent directory".into()))?;
    // Test executables live one level down, in `target/<profile>/deps`.
    if dir.ends_with("deps") {
        dir.pop();
    }
    Ok(dir)
}

// === impl Stack ===

impl Stack {
    /// Starts the emulator, makes the PKI, starts both agents and the coordinator.
    pub async fn start(options: &StackOptions) -> Result<Stack> {
        for binary in BINARIES {
            let path = options.bin_dir.join(binary);
            if !path.exists() {
                return Err(CliError::Setup(format!(
                    "{} is missing: build every binary first with `cargo build --workspace --bins`",
                    path.display()
                )));
            }
        }
        let world = match &options.world {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::Setup(format!("cannot read {}: {e}", path.display())))?;
                World::from_toml(&text)
                    .map_err(|e| CliError::Setup(format!("world file {}: {e}", path.display())))?
            }
            None => World::default_world(),
        };
        let provider_key = access_key(&world, &options.provider_uid)?;
        let consumer_key = access_key(&world, &options.consumer_uid)?;

        let work = options.work_dir.clone();
        let trust_domain = pki::DEFAULT_TRUST_DOMAIN.to_string();
        let pki_dir = work.join("pki");
        let coordinator_id = SpiffeId::coordinator(&trust_domain)?;
        let provider_id = SpiffeId::provider(&trust_domain, &options.provider_uid)?;
        let consumer_id = SpiffeId::consumer(&trust_domain, &options.consumer_uid)?;
        let client_id = SpiffeId::client(&trust_domain, STACK_CLIENT)?;
        let mut identities = vec![
            coordinator_id.clone(),
            provider_id.clone(),
            consumer_id.clone(),
            client_id,
        ];
        for uid in &options.extra_consumer_uids {
            identities.push(SpiffeId::consumer(&trust_domain, uid)?);
        }
        let pki = pki::init(&pki_dir, &trust_domain, &identities)?;

        let mut stack = Stack {
            cloudsim: String::new(),
            provider: String::new(),
            consumer: String::new(),
            extra_consumers: Vec::new(),
            coordinator: String::new(),
            pki_dir: pki_dir.clone(),
            work_dir: work.clone(),
            trust_domain: trust_domain.clone(),
            children: Vec::new(),
            launches: Vec::new(),
        };

        let mut cloudsim = Launch::new(options.bin_dir.join("crossbind-cloudsim"), None);
        if let Some(path) = &options.world {
            cloudsim.args.push("--world".into());
            cloudsim.args.push(path.into());
        }
        stack.cloudsim = stack.launch("cloudsim", cloudsim, None).await?;
        let endpoint = format!("http://{}", stack.cloudsim);

        let provider_config = work.join("provider.toml");
        write(
            &provider_config,
            &provider_toml(options, &pki.paths(&provider_id), &trust_domain, &endpoint),
        )?;
        let provider = Launch::new(
            options.bin_dir.join("crossbind-provider"),
            Some(provider_key),
        )
        .config(&provider_config);
        stack.provider = stack.launch("provider", provider, None).await?;

        let consumer_config = work.join("consumer.toml");
        write(
            &consumer_config,
            &consumer_toml(options, &pki.paths(&consumer_id), &trust_domain, &endpoint),
        )?;
        let mut consumer = Launch::new(
            options.bin_dir.join("crossbind-consumer"),
            Some(consumer_key),
        )
        .config(&consumer_config);
        consumer.env = options.consumer_env.clone();
        stack.consumer = stack.launch("consumer", consumer, None).await?;
        for uid in &options.extra_consumer_uids {
            let key = access_key(&world, uid)?;
            let id = SpiffeId::consumer(&trust_domain, uid)?;
            let config = work.join(format!("consumer-{uid}.toml"));
            write(
                &config,
                &consumer_toml(options, &pki.paths(&id), &trust_domain, &endpoint),
            )?;
            let mut agent =
                Launch::new(options.bin_dir.join("crossbind-consumer"), Some(key)).config(&config);
            agent.env = options.consumer_env.clone();
            let address = stack
                .launch(&format!("consumer-{uid}"), agent, None)
                .await?;
            stack.extra_consumers.push((uid.clone(), address));
        }

        let coordinator_config = work.join("coordinator.toml");
        let mut text = String::new();
        let paths = pki.paths(&coordinator_id);
        let _ = write!(
            text,
            "listen = \"127.0.0.1:0\"\ntrust_domain = {td:?}\nclients = [{client:?}]\n\
             database = {db:?}\ndrift_interval_seconds = {drift}\n\n\
             [tls]\ncert = {cert:?}\nkey = {key:?}\nca = {ca:?}\n\n\
             [[providers]]\naccount_uid = {puid:?}\nendpoint = {pep:?}\n\n\
             [[consumers]]\naccount_uid = {cuid:?}\nendpoint = {cep:?}\n",
            td = trust_domain,
            client = STACK_CLIENT,
            db = work.join("coordinator.db").display().to_string(),
            drift = options.drift_interval_seconds.unwrap_or(0),
            cert = paths.cert.display().to_string(),
            key = paths.key.display().to_string(),
            ca = paths.ca.display().to_string(),
            puid = options.provider_uid,
            pep = stack.provider,
            cuid = options.consumer_uid,
            cep = stack.consumer,
        );
        if let Some(start) = &options.coordinator_clock_start {
            text = format!("clock_start = {start:?}\n{text}");
        }
        if let Some(slots) = options.coordinator_max_in_flight {
            text = format!("max_in_flight = {slots}\n{text}");
        }
        for (uid, address) in &stack.extra_consumers {
            let _ = write!(
                text,
                "\n[[consumers]]\naccount_uid = {uid:?}\nendpoint = {address:?}\n"
            );
        }
        write(&coordinator_config, &text)?;
        let coordinator = Launch::new(options.bin_dir.join("crossbind-coordinator"), None)
            .config(&coordinator_config);
        stack.coordinator = stack.launch("coordinator", coordinator, None).await?;
        Ok(stack)
    }

    /// Kills one process (`cloudsim`, `provider`, `consumer`, `coordinator`) with SIGKILL,
    /// giving it no chance to clean up, and waits for it to be gone.
    pub async fn kill(&mut self, name: &str) {
        if let Some(index) = self.children.iter().position(|(n, _)| n == name) {
            let (_, mut child) = self.children.remove(index);
            let _ = child.kill().await;
        }
    }

    /// Starts a killed process again, with the same configuration (and so the same database
    /// for the coordinator) on the same address.
    pub async fn restart(&mut self, name: &str) -> Result<()> {
        self.kill(name).await;
        let (launch, address) = self
            .launches
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, launch, address)| (launch.clone(), address.clone()))
            .ok_or_else(|| CliError::Setup(format!("the stack has no process {name}")))?;
        self.launch(name, launch, Some(&address)).await?;
        Ok(())
    }

    /// A coordinator client authenticated as the stack's automation client.
    pub async fn client(&self) -> Result<CoordinatorClient<Channel>> {
        crate::client::connect(
            &self.coordinator,
            &self.pki_dir,
            &self.trust_domain,
            STACK_CLIENT,
        )
        .await
    }

    /// The emulator's whole state, from its read-only inspection endpoint.
    pub async fn cloud_state(&self) -> Result<serde_json::Value> {
        let url = format!("http://{}/_cloudsim/state", self.cloudsim);
        let response = reqwest::get(&url)
            .await
            .map_err(|e| CliError::Setup(format!("cannot read {url}: {e}")))?;
        response
            .json()
            .await
            .map_err(|e| CliError::Setup(format!("{url} did not answer JSON: {e}")))
    }

    /// Posts `body` to one of the emulator's test endpoints (`/_cloudsim/clusters/<id>/config`
    /// or `.../state`) and returns its answer; a refusal is an error with the emulator's message.
    pub async fn cloud_hook(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let url = format!("http://{}{path}", self.cloudsim);
        let response = reqwest::Client::new()
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| CliError::Setup(format!("cannot post to {url}: {e}")))?;
        let status = response.status();
        let answer: serde_json::Value = response
            .json()
            .await
            .map_err(|e| CliError::Setup(format!("{url} did not answer JSON: {e}")))?;
        if !status.is_success() {
            return Err(CliError::Setup(format!(
                "{url} refused ({status}): {answer}"
            )));
        }
        Ok(answer)
    }

    /// The last lines of one process's log, for error reports.
    pub fn log_tail(&self, name: &str, lines: usize) -> String {
        log_tail(&self.work_dir.join(format!("{name}.log")), lines)
    }

    /// Stops every process (SIGKILL) and waits for them.
    pub async fn stop(mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill().await;
        }
        self.children.clear();
    }

    async fn launch(&mut self, name: &str, spec: Launch, address: Option<&str>) -> Result<String> {
        let mut command = spec.command(address.unwrap_or("127.0.0.1:0"));
        let log_path = self.work_dir.join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| CliError::Setup(format!("cannot create {}: {e}", log_path.display())))?;
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| CliError::Setup(format!("cannot start {name}: {e}")))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line()).await;
        self.children.push((name.to_string(), child));
        match first {
            Ok(Ok(Some(address))) if !address.trim().is_empty() => {
                // Keep draining stdout so that the process never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                let address = address.trim().to_string();
                self.launches.retain(|(n, _, _)| n != name);
                self.launches
                    .push((name.to_string(), spec, address.clone()));
                Ok(address)
            }
            _ => Err(CliError::Start {
                name: name.to_string(),
                log: log_path.display().to_string(),
                tail: log_tail(&log_path, 20),
            }),
        }
    }
}

/// The four service binaries a stack runs.
const BINARIES: [&str; 4] = [
    "crossbind-cloudsim",
    "crossbind-provider",
    "crossbind-consumer",
    "crossbind-coordinator",
];

#[derive(Clone)]
struct KeyPair {
    id: String,
    secret: String,
}

// === impl Launch ===

impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key's secret stays out of Debug output.
        f.debug_struct("Launch")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("access_key_id", &self.key.as_ref().map(|k| &k.id))
            .field(
                "env",
                &self.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Launch {
    fn new(program: PathBuf, key: Option<KeyPair>) -> Self {
        Self {
            program,
            args: Vec::new(),
            key,
            env: Vec::new(),
        }
    }

    fn config(mut self, path: &Path) -> Self {
        self.args.push("--config".into());
        self.args.push(path.into());
        self
    }

    /// The command, listening on `address`. Every inherited `ALIBABA_CLOUD_*` variable is
    /// removed; an agent gets its own account's key and nothing else.
    fn command(&self, address: &str) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).args(["--listen", address]);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ALIBABA_CLOUD_") {
                command.env_remove(&key);
            }
        }
        if let Some(key) = &self.key {
            command
                .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &key.id)
                .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &key.secret)
                .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }
}

fn access_key(world: &World, uid: &str) -> Result<KeyPair> {
    let account = world
        .accounts
        .iter()
        .find(|a| a.uid.as_str() == uid)
        .ok_or_else(|| CliError::Setup(format!("the world has no account {uid}")))?;
    let key = account
        .access_keys
        .first()
        .ok_or_else(|| CliError::Setup(format!("account {uid} has no AccessKey in the world")))?;
    Ok(KeyPair {
        id: key.id.clone(),
        secret: key.secret().expose_secret().to_string(),
    })
}

fn tls_section(paths: &pki::IssuedPaths) -> String {
    format!(
        "[tls]\ncert = {:?}\nkey = {:?}\nca = {:?}\n",
        paths.cert.display().to_string(),
        paths.key.display().to_string(),
        paths.ca.display().to_string()
    )
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn provider_toml(
    options: &StackOptions,
    paths: &pki::IssuedPaths,
    td: &str,
    endpoint: &str,
) -> String {
    let consent = &options.provider_consent;
    format!(
        "listen = \"127.0.0.1:0\"\ntrust_domain = {td:?}\n\n{tls}\n\
         [cloud]\nregion = {region:?}\nendpoint = {endpoint:?}\nsignature = {sig:?}\n{limits}\n\
         [consent]\nconsumer_accounts = {accounts}\nrole_names = {roles}\nclusters = {clusters}\n",
        tls = tls_section(paths),
        region = options.region,
        sig = options.signature,
        limits = rate_limits(options),
        accounts = toml_list(&consent.consumer_accounts),
        roles = toml_list(&consent.role_names),
        clusters = toml_list(&consent.clusters),
    )
}

fn consumer_toml(
    options: &StackOptions,
    paths: &pki::IssuedPaths,
    td: &str,
    endpoint: &str,
) -> String {
    let consent = &options.consumer_consent;
    format!(
        "listen = \"127.0.0.1:0\"\ntrust_domain = {td:?}\n\n{tls}\n\
         [cloud]\nregion = {region:?}\nendpoint = {endpoint:?}\nsignature = {sig:?}\n{limits}\n\
         [consent]\nprovider_accounts = {accounts}\nworkspaces = {workspaces}\n\n\
         [registration]\nrole_propagation_timeout_seconds = {timeout}\n\n{extra}\n",
        tls = tls_section(paths),
        region = options.region,
        sig = options.signature,
        limits = rate_limits(options),
        accounts = toml_list(&consent.provider_accounts),
        workspaces = toml_list(&consent.workspaces),
        timeout = options.role_propagation_timeout_seconds,
        extra = options.consumer_extra_toml,
    )
}

fn rate_limits(options: &StackOptions) -> String {
    match &options.dataworks_edition {
        Some(edition) => format!("\n[cloud.rate_limits]\ndataworks_edition = {edition:?}\n"),
        None => String::new(),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| CliError::Setup(format!("cannot write {}: {e}", path.display())))
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// TLS files of a client identity in a PKI directory.
pub fn client_tls_files(pki_dir: &Path, trust_domain: &str, name: &str) -> Result<TlsFiles> {
    let pki = pki::Pki::open(pki_dir)?;
    let paths = pki.paths(&SpiffeId::client(trust_domain, name)?);
    Ok(TlsFiles {
        cert: paths.cert,
        key: paths.key,
        ca: paths.ca,
    })
}

/// Loads the TLS material of a client identity.
pub fn client_tls(pki_dir: &Path, trust_domain: &str, name: &str) -> Result<TlsMaterial> {
    Ok(TlsMaterial::load(&client_tls_files(
        pki_dir,
        trust_domain,
        name,
    )?)?)
}
