//! The `crossbind-consumer` binary as a separate process: bad configuration exits with 64 and
//! lists every problem, including a broken `ConnectionProperties` template.

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
