//! The `crossbind-cloudsim` binary: `--print-default-world`, the first stdout line, a bad
//! world file, a clean exit on SIGTERM, and the fault flags (override the world, refused
//! out of range, shown in the start-up log line).

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
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(64),
        "a bad world file is a usage error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("key `metastore`"), "{stderr}");
    assert!(stderr.starts_with("crossbind-cloudsim: "), "{stderr}");
    assert!(
        !stderr.contains("stack backtrace"),
        "no backtrace for a user error: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
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

/// A copy of the default world whose `[settings.faults]` table is `faults`, in `dir`.
fn world_with_faults(dir: &tempfile::TempDir, faults: &str) -> std::path::PathBuf {
    let path = dir.path().join("world.toml");
    let text = DEFAULT_WORLD_TOML.replacen(
        "role_propagation_seconds = 0\n",
        &format!("role_propagation_seconds = 0\n[settings.faults]\n{faults}"),
        1,
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn fault_flags_override_the_world_and_are_logged_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let world = world_with_faults(
        &dir,
        "throttle_rate = 0.5\nserver_error_rate = 0.2\nlatency_ms = 40\nseed = 3\nactions = [\"CreateRole\"]\n",
    );
    let mut child = Command::new(BIN)
        .arg("--world")
        .arg(&world)
        .args(["--listen", "127.0.0.1:0", "--throttle-rate", "0.3"])
        .args(["--server-error-rate", "0.1", "--latency-ms", "0"])
        .args(["--fault-seed", "99", "--role-propagation-seconds", "3"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr: std::net::SocketAddr = first.trim().parse().unwrap_or_else(|_| panic!("{first:?}"));
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = loop {
        let line = log.next().expect("a start-up line").unwrap();
        if line.contains("cloudsim listening") {
            break line;
        }
    };

    let state: serde_json::Value = reqwest::get(format!("http://{addr}/_cloudsim/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    assert_eq!(
        state["faults"]["settings"],
        serde_json::json!({
            "throttle_rate": 0.3,
            "server_error_rate": 0.1,
            "latency_ms": 0,
            "seed": 99,
            "actions": ["CreateRole"],
            "role_propagation_seconds": 3,
        })
    );
    for field in [
        "faults.throttle_rate=0.3",
        "faults.server_error_rate=0.1",
        "faults.latency_ms=0",
        "faults.seed=99",
        "faults.actions=[CreateRole]",
        "role_propagation_seconds=3",
    ] {
        assert!(line.contains(field), "{field} missing: {line}");
    }
}

#[test]
fn out_of_range_fault_rates_are_refused() {
    for (flag, value) in [("--throttle-rate", "1.5"), ("--server-error-rate", "-0.2")] {
        let out = Command::new(BIN)
            .arg(format!("{flag}={value}"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{stderr}");
        assert!(stderr.contains("must be a number from 0 to 1"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let dir = tempfile::tempdir().unwrap();
    let world = world_with_faults(&dir, "server_error_rate = 2.0\n");
    let out = Command::new(BIN)
        .arg("--world")
        .arg(&world)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("world key `settings.faults.server_error_rate`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
