//! The `crossbind-cloudsim` binary: `--print-default-world`, the first stdout line, a bad
//! world file, and a clean exit on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crossbind_cloudsim::{DEFAULT_WORLD_TOML, World};

const BIN: &str = env!("CARGO_BIN_EXE_crossbind-cloudsim");

#[test]
fn print_default_world_prints_a_world_that_parses() {
    let out = Command::new(BIN)
        .arg("--print-default-world")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, DEFAULT_WORLD_TOML);
    let world = World::from_toml(&text).unwrap();
    assert_eq!(world.accounts.len(), 2);
}

#[test]
fn a_bad_world_file_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.toml");
    std::fs::write(
        &path,
        DEFAULT_WORLD_TOML.replace("metastore = \"DLF\"", "metastore = \"HIVE\""),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("--world")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key `metastore`"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn prints_the_address_first_serves_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr: std::net::SocketAddr = first.trim().parse().unwrap_or_else(|_| panic!("{first:?}"));
    assert_ne!(addr.port(), 0);

    let state: serde_json::Value = reqwest::get(format!("http://{addr}/_cloudsim/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["accounts"]["1688000000000001"]["name"], "consumer-a");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
