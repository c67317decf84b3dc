//! The `crossbind-consumer` binary as a separate process: bad configuration exits with 64 and
//! lists every problem, including a broken `ConnectionProperties` template and a password
//! variable missing from the environment; refused credentials exit with 1 before anything is
//! printed on stdout; good ones print the bound address first, then serve.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crossbind_agent_common::test_util::{
    CONSUMER_UID, PROVIDER_UID, TestCloud, TestPki, agent_command, credentials_of, trace_init,
};
use crossbind_cloudsim::World;
use crossbind_proto::GetIdentityRequest;
use crossbind_proto::consumer_agent_client::ConsumerAgentClient;
use crossbind_tls::identity::SpiffeId;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_crossbind-consumer");

#[tokio::test]
async fn bad_configuration_exits_64_and_lists_every_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("consumer.toml");
    std::fs::write(
        &path,
        "[cloud]\nregion = \"cn-hangzhou\"\n[consent]\nprovider_accounts = [\"x1\"]\nworkspaces = [\"*\"]\n\
         [registration]\nconnection_properties_template = '{\"envType\":\"${envType}\"}'\n",
    )
    .expect("write config");
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .env_clear()
        .output()
        .await
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for key in [
        "tls.cert",
        "consent.provider_accounts[0]",
        "registration.connection_properties_template",
    ] {
        assert!(stderr.contains(key), "{key} not reported: {stderr}");
    }
}

#[tokio::test]
async fn refused_credentials_exit_1_with_nothing_on_stdout() {
    trace_init();
    let world = World::default_world();
    // The provider's keys: STS answers for another account than the certificate names.
    let keys = credentials_of(&world, PROVIDER_UID);
    let cloud = TestCloud::start(world).await;
    let consumer = consumer_id();
    let pki = TestPki::new(std::slice::from_ref(&consumer));
    let path = write_config(&pki, &consumer, &cloud, "");
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        agent_command(BIN, &path, &pki, &keys).output(),
    )
    .await
    .expect("the binary exits in time")
    .expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes in a piped log: {stderr:?}"
    );
}

#[tokio::test]
async fn the_bound_address_comes_first_then_the_agent_serves() {
    trace_init();
    let world = World::default_world();
    let keys = credentials_of(&world, CONSUMER_UID);
    let cloud = TestCloud::start(world).await;
    let consumer = consumer_id();
    let pki = TestPki::new(&[
        SpiffeId::coordinator("crossbind.local").expect("id"),
        consumer.clone(),
    ]);
    let path = write_config(&pki, &consumer, &cloud, PASSWORDS);
    let mut child = agent_command(BIN, &path, &pki, &keys)
        .env("ETL_LDAP_PASSWORD", "a-password-from-the-environment")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("an address in time")
        .expect("read stdout")
        .expect("a first line");
    let addr: std::net::SocketAddr = first.parse().expect("the first line is a socket address");
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    let channel = pki
        .connect_as_coordinator(addr, consumer)
        .await
        .expect("connect");
    let identity = ConsumerAgentClient::new(channel)
        .get_identity(GetIdentityRequest {})
        .await
        .expect("identity")
        .into_inner();
    assert_eq!(identity.account_uid, CONSUMER_UID);
    child.start_kill().expect("stop the binary");
    let _ = child.wait().await;
}

#[tokio::test]
async fn a_password_variable_missing_from_the_environment_exits_64() {
    trace_init();
    let world = World::default_world();
    let keys = credentials_of(&world, CONSUMER_UID);
    let cloud = TestCloud::start(world).await;
    let consumer = consumer_id();
    let pki = TestPki::new(std::slice::from_ref(&consumer));
    let path = write_config(&pki, &consumer, &cloud, PASSWORDS);
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        agent_command(BIN, &path, &pki, &keys).output(),
    )
    .await
    .expect("the binary exits in time")
    .expect("run the binary");
    assert_eq!(out.status.code(), Some(64));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("account_mappings.password_env.etl"),
        "{stderr}"
    );
    // The value is not echoed: it could be a password pasted there by mistake.
    assert!(!stderr.contains("ETL_LDAP_PASSWORD"), "{stderr}");
}

/// An `[account_mappings]` section naming one password variable.
const PASSWORDS: &str = "[account_mappings]\npassword_env = { etl = \"ETL_LDAP_PASSWORD\" }\n";

fn consumer_id() -> SpiffeId {
    SpiffeId::consumer("crossbind.local", CONSUMER_UID).expect("id")
}

/// Writes a consumer configuration for `id`'s certificate and `cloud`, followed by `extra`,
/// into the PKI directory.
fn write_config(pki: &TestPki, id: &SpiffeId, cloud: &TestCloud, extra: &str) -> PathBuf {
    let tls = pki.agent_tls(id);
    let config = format!(
        "[tls]\ncert = {:?}\nkey = {:?}\nca = {:?}\n[cloud]\nregion = \"cn-hangzhou\"\nendpoint = {:?}\n\
         [consent]\nprovider_accounts = [\"{PROVIDER_UID}\"]\nworkspaces = [\"*\"]\n{extra}",
        tls.files.cert,
        tls.files.key,
        tls.files.ca,
        cloud.endpoint()
    );
    let path = pki.dir().join("consumer.toml");
    std::fs::write(&path, config).expect("write config");
    path
}
