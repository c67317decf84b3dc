//! The `crossbind-provider` binary as a separate process: its exit code on bad configuration,
//! the bound address as the first line of stdout before it serves, and no line at all when
//! start-up is refused; the `rules` subcommand, which needs no configuration.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crossbind_agent_common::test_util::{
    CONSUMER_UID, PROVIDER_UID, TestCloud, TestPki, agent_command, credentials_of, trace_init,
};
use crossbind_cloudsim::World;
use crossbind_proto::GetIdentityRequest;
use crossbind_proto::provider_agent_client::ProviderAgentClient;
use crossbind_provider::eligibility::{RULES, RULES_VERSION};
use crossbind_tls::identity::SpiffeId;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_crossbind-provider");

#[tokio::test]
async fn bad_configuration_exits_64_and_lists_every_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("provider.toml");
    std::fs::write(
        &path,
        "listen = \"nowhere\"\n[cloud]\nregion = \"Not A Region\"\n[consent]\nclusters = [\"*\"]\n",
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
        "listen",
        "tls.cert",
        "cloud.region",
        "consent.consumer_accounts",
    ] {
        assert!(stderr.contains(key), "{key} not reported: {stderr}");
    }
    assert!(out.stdout.is_empty(), "nothing on stdout before binding");
}

#[tokio::test]
async fn the_bound_address_comes_first_then_the_agent_serves() {
    trace_init();
    let world = World::default_world();
    let keys = credentials_of(&world, PROVIDER_UID);
    let cloud = TestCloud::start(world).await;
    let provider = SpiffeId::provider("crossbind.local", PROVIDER_UID).expect("id");
    let pki = TestPki::new(&[
        SpiffeId::coordinator("crossbind.local").expect("id"),
        provider.clone(),
    ]);
    let path = write_config(&pki, &provider, &cloud);
    let mut child = agent_command(BIN, &path, &pki, &keys)
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
        .connect_as_coordinator(addr, provider)
        .await
        .expect("connect");
    let identity = ProviderAgentClient::new(channel)
        .get_identity(GetIdentityRequest {})
        .await
        .expect("identity")
        .into_inner();
    assert_eq!(identity.account_uid, PROVIDER_UID);
    child.start_kill().expect("stop the binary");
    let _ = child.wait().await;
}

#[tokio::test]
async fn refused_credentials_exit_1_with_nothing_on_stdout() {
    trace_init();
    let world = World::default_world();
    // The consumer's keys: STS answers for another account than the certificate names.
    let keys = credentials_of(&world, CONSUMER_UID);
    let cloud = TestCloud::start(world).await;
    let provider = SpiffeId::provider("crossbind.local", PROVIDER_UID).expect("id");
    let pki = TestPki::new(std::slice::from_ref(&provider));
    let path = write_config(&pki, &provider, &cloud);
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
async fn rules_lists_every_rule_and_the_version_without_configuration() {
    let human = rules_output(&[]).await;
    assert!(human.contains(RULES_VERSION), "{human}");
    for rule in RULES {
        assert!(human.contains(rule.id), "{} missing: {human}", rule.id);
        assert!(human.contains(rule.reason.as_str_name()), "{human}");
        assert!(human.contains(rule.advice), "{human}");
    }
    assert!(human.contains("EMR-3.38.2") && human.contains("EMR-3.38.3"));

    let json: serde_json::Value =
        serde_json::from_str(&rules_output(&["--output", "json"]).await).expect("JSON");
    assert_eq!(json["version"], RULES_VERSION);
    let listed: Vec<&str> = json["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(listed, ids);
    let release = &json["rules"][1];
    assert_eq!(release["reason"], "RELEASE_NOT_SUPPORTED");
    assert_eq!(
        release["allowed"]["one_of"],
        serde_json::json!(["EMR-3.38.2", "EMR-3.38.3"])
    );
}

/// Runs `crossbind-provider rules ARGS` with an empty environment; its stdout on success.
async fn rules_output(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("rules")
        .args(args)
        .env_clear()
        .output()
        .await
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Writes a provider configuration for `id`'s certificate and `cloud` into the PKI directory.
fn write_config(pki: &TestPki, id: &SpiffeId, cloud: &TestCloud) -> PathBuf {
    let tls = pki.agent_tls(id);
    let config = format!(
        "[tls]\ncert = {:?}\nkey = {:?}\nca = {:?}\n[cloud]\nregion = \"cn-hangzhou\"\nendpoint = {:?}\n\
         [consent]\nconsumer_accounts = [\"1688000000000001\"]\nclusters = [\"*\"]\n",
        tls.files.cert,
        tls.files.key,
        tls.files.ca,
        cloud.endpoint()
    );
    let path = pki.dir().join("provider.toml");
    std::fs::write(&path, config).expect("write config");
    path
}
