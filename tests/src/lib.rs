//! Helpers for the end-to-end tests: start a local deployment of the real binaries, run an
//! association to its end, and read the emulator's state.
//!
//! The binaries must be built first (`cargo build --workspace --bins`); the test command in
//! the README does that.

use std::path::PathBuf;

use crossbind_aliyun::{
    client::{Client, ClientConfig},
    credentials::Credentials,
    endpoint::Endpoints,
    ids::RegionId,
};
use crossbind_cli::stack::{Stack, StackOptions, sibling_bin_dir};
use crossbind_cloudsim::World;
use crossbind_proto::{
    Association, AssociationEvent, CreateAssociationRequest, DissociateAssociationRequest,
    GetAssociationRequest, WatchAssociationRequest,
};
use serde_json::Value;
use tempfile::TempDir;
use tokio_stream::StreamExt;

pub use crossbind_cli::stack::{
    DEFAULT_CLUSTER_ID, DEFAULT_CONSUMER_UID, DEFAULT_PROVIDER_UID, DEFAULT_WORKSPACE_ID,
};

/// A running deployment and the directory holding its files.
#[derive(Debug)]
pub struct Harness {
    /// The processes.
    pub stack: Stack,
    /// Kept alive for the stack's lifetime.
    pub dir: TempDir,
}

/// Options for the default world, with files in a fresh temporary directory.
pub fn options() -> (StackOptions, TempDir) {
    crossbind_tls::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temporary directory");
    let bin_dir = sibling_bin_dir().expect("binary directory");
    let options = StackOptions::new(bin_dir, dir.path().to_path_buf());
    (options, dir)
}

/// Writes `world` (TOML) into the options' directory and points the emulator at it.
pub fn with_world(options: &mut StackOptions, world: &str) {
    let path: PathBuf = options.work_dir.join("world.toml");
    std::fs::write(&path, world).expect("write world file");
    options.world = Some(path);
}

/// Starts a deployment.
pub async fn start(options: StackOptions, dir: TempDir) -> Harness {
    match Stack::start(&options).await {
        Ok(stack) => Harness { stack, dir },
        Err(e) => panic!("stack did not start: {}", crossbind_cli::error::chain(&e)),
    }
}

/// A request for `cluster` of the default provider into `workspace` of the default consumer.
pub fn request(cluster: &str, workspace: &str) -> CreateAssociationRequest {
    CreateAssociationRequest {
        provider_account_uid: DEFAULT_PROVIDER_UID.to_string(),
        cluster_id: cluster.to_string(),
        role_name: String::new(),
        consumer_account_uid: DEFAULT_CONSUMER_UID.to_string(),
        workspace_id: workspace.to_string(),
        compute_resource_name: String::new(),
        idempotency_key: String::new(),
        ..Default::default()
    }
}

// === impl Harness ===

impl Harness {
    /// Creates the association, follows its events to the end and returns its final record.
    pub async fn run(&self, request: CreateAssociationRequest) -> Association {
        let mut client = self.stack.client().await.expect("coordinator client");
        let created = client
            .create_association(request)
            .await
            .expect("create association")
            .into_inner();
        self.settle(&created.id).await
    }

    /// Dissociates an association and follows it until it is at rest.
    pub async fn dissociate(&self, id: &str) -> Association {
        let mut client = self.stack.client().await.expect("coordinator client");
        client
            .dissociate_association(DissociateAssociationRequest { id: id.to_string() })
            .await
            .expect("dissociate");
        self.settle(id).await
    }

    /// Every event of an association so far (the stream is read until it would wait).
    pub async fn events(&self, id: &str) -> Vec<AssociationEvent> {
        let mut client = self.stack.client().await.expect("coordinator client");
        let mut events = client
            .watch_association(WatchAssociationRequest { id: id.to_string() })
            .await
            .expect("watch")
            .into_inner();
        let mut out = Vec::new();
        while let Ok(Some(Ok(event))) =
            tokio::time::timeout(std::time::Duration::from_millis(500), events.next()).await
        {
            out.push(event);
        }
        out
    }

    /// Follows an association's events until it is at rest and returns its final record.
    pub async fn settle(&self, id: &str) -> Association {
        let mut client = self.stack.client().await.expect("coordinator client");
        let mut events = client
            .watch_association(WatchAssociationRequest { id: id.to_string() })
            .await
            .expect("watch")
            .into_inner();
        while let Some(event) = events.next().await {
            event.expect("event");
        }
        client
            .get_association(GetAssociationRequest { id: id.to_string() })
            .await
            .expect("get association")
            .into_inner()
    }

    /// An Alibaba Cloud client of `account` aimed at the emulator, for changing the cloud
    /// behind crossbind's back (drift) or reading it directly.
    pub fn cloud(&self, account: &str, world: &World) -> Client {
        use secrecy::ExposeSecret;
        let key = world
            .accounts
            .iter()
            .find(|a| a.uid.as_str() == account)
            .and_then(|a| a.access_keys.first())
            .expect("the account has a key");
        let mut config = ClientConfig::new(RegionId::new("cn-hangzhou").expect("region"));
        config.endpoints = Endpoints::with_override(format!("http://{}", self.stack.cloudsim));
        Client::new(
            Credentials::new(key.id.clone(), key.secret().expose_secret().to_string()),
            config,
        )
        .expect("cloud client")
    }

    /// Changes one configuration item of a cluster in the emulator (as an operator editing
    /// `core-site.xml` would).
    pub async fn set_cluster_config(&self, cluster: &str, file: &str, key: &str, value: &str) {
        let body = serde_json::json!({"file": file, "key": key, "value": value});
        self.stack
            .cloud_hook(&format!("/_cloudsim/clusters/{cluster}/config"), &body)
            .await
            .expect("cluster config hook");
    }

    /// Puts a cluster of the emulator into an EMR `ClusterState` (for example `TERMINATED`).
    pub async fn set_cluster_state(&self, cluster: &str, state: &str) {
        let body = serde_json::json!({"State": state});
        self.stack
            .cloud_hook(&format!("/_cloudsim/clusters/{cluster}/state"), &body)
            .await
            .expect("cluster state hook");
    }

    /// The emulator's state.
    pub async fn state(&self) -> Value {
        self.stack.cloud_state().await.expect("cloud state")
    }

    /// The logs of every process, for failure messages.
    pub fn logs(&self) -> String {
        ["cloudsim", "provider", "consumer", "coordinator"]
            .iter()
            .map(|n| format!("--- {n} ---\n{}", self.stack.log_tail(n, 30)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The roles of `account` in a state dump.
pub fn roles<'a>(state: &'a Value, account: &str) -> &'a Vec<Value> {
    state["accounts"][account]["roles"]
        .as_array()
        .expect("roles array")
}

/// The compute resources of `workspace` of `account` in a state dump.
pub fn compute_resources<'a>(state: &'a Value, account: &str, workspace: &str) -> Vec<&'a Value> {
    state["accounts"][account]["workspaces"]
        .as_array()
        .expect("workspaces array")
        .iter()
        .filter(|w| w["Id"].to_string().trim_matches('"') == workspace)
        .flat_map(|w| w["ComputeResources"].as_array().expect("resources").iter())
        .collect()
}

/// The number of state changes the emulator has recorded.
pub fn mutation_count(state: &Value) -> usize {
    state["mutations"].as_array().map_or(0, Vec::len)
}
