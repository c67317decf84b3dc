//! The `crossbind` command line against a running deployment, as automation calls it.

use std::process::Output;

use crossbind_cli::stack::{STACK_CLIENT, sibling_bin_dir};
use crossbind_tests::*;
use serde_json::Value;

fn crossbind(h: &Harness, args: &[&str]) -> Output {
    let bin = sibling_bin_dir().unwrap().join("crossbind");
    std::process::Command::new(bin)
        .args(args)
        .env("CROSSBIND_COORDINATOR", &h.stack.coordinator)
        .env("CROSSBIND_PKI", &h.stack.pki_dir)
        .env("CROSSBIND_CLIENT", STACK_CLIENT)
        .output()
        .expect("crossbind runs")
}

fn json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

const TARGET: [&str; 8] = [
    "--provider-account",
    DEFAULT_PROVIDER_UID,
    "--cluster",
    DEFAULT_CLUSTER_ID,
    "--consumer-account",
    DEFAULT_CONSUMER_UID,
    "--workspace",
    DEFAULT_WORKSPACE_ID,
];

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_answers_in_json() {
    let (options, dir) = options();
    let h = start(options, dir).await;

    let plan = crossbind(&h, &[&["plan", "--output", "json"][..], &TARGET].concat());
    assert!(plan.status.success());
    assert_eq!(json(&plan)["changes"].as_array().unwrap().len(), 4);

    let associate = crossbind(
        &h,
        &[&["associate", "--output", "json"][..], &TARGET].concat(),
    );
    assert!(
        associate.status.success(),
        "{}",
        String::from_utf8_lossy(&associate.stderr)
    );
    let association = json(&associate);
    assert_eq!(association["state"], "SUCCEEDED");
    let id = association["id"].as_str().unwrap().to_string();

    let list = json(&crossbind(&h, &["list", "--output", "json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let status = json(&crossbind(&h, &["status", "--output", "json", &id]));
    assert_eq!(status["id"], id.as_str());

    let drift = crossbind(&h, &["drift", "--output", "json", &id]);
    assert!(drift.status.success(), "no drift exits 0");
    assert_eq!(json(&drift)["drifted"], false);

    // A refusal is still one JSON object, with the gRPC code.
    let retry = crossbind(&h, &["retry", "--output", "json", &id]);
    assert!(!retry.status.success());
    assert_eq!(json(&retry)["error"]["code"], "FAILED_PRECONDITION");

    let dissociate = crossbind(&h, &["dissociate", "--output", "json", &id]);
    assert!(
        dissociate.status.success(),
        "{}",
        String::from_utf8_lossy(&dissociate.stderr)
    );
    assert_eq!(json(&dissociate)["state"], "DISSOCIATED");
    assert!(roles(&h.state().await, DEFAULT_PROVIDER_UID).is_empty());

    let unknown = crossbind(&h, &["status", "--output", "json", "no-such-id"]);
    assert_eq!(json(&unknown)["error"]["code"], "NOT_FOUND");
    h.stack.stop().await;
}

#[test]
fn pki_issue_adds_identities_to_an_existing_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let pki = pki.to_str().unwrap();
    let bin = sibling_bin_dir().unwrap().join("crossbind");
    let run = |args: &[&str]| {
        std::process::Command::new(&bin)
            .args(args)
            .output()
            .unwrap()
    };

    assert!(
        run(&["pki", "init", pki, "--provider", "1688000000000002"])
            .status
            .success()
    );
    let again = run(&["pki", "init", pki]);
    assert!(!again.status.success(), "a second init is refused");
    let issued = run(&[
        "pki",
        "issue",
        pki,
        "--consumer",
        "1688000000000001",
        "--client",
        "ci",
    ]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    assert!(
        dir.path()
            .join("pki/consumer-1688000000000001.pem")
            .exists()
    );
    assert!(dir.path().join("pki/client-ci.key").exists());
    let twice = run(&["pki", "issue", pki, "--client", "ci"]);
    assert!(
        !twice.status.success(),
        "re-issuing over an existing certificate is refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn associate_stops_at_the_operator_gate_and_confirm_finishes_it() {
    let (mut options, dir) = options();
    options.consumer_extra_toml =
        "[initialization]\ntime_zone = \"Asia/Shanghai\"\noff_peak = [\"02:00-05:00\"]\n".into();
    options.coordinator_clock_start = Some("2026-12-04T12:00:00+08:00".into());
    let h = start(options, dir).await;
    let group = "Serverless_res_group_1688000000000001_0002";
    let target = [
        &["associate", "--output", "json", "--resource-group", group][..],
        &["--map", "2000000000000001=etl"],
        &TARGET,
    ]
    .concat();

    // The window is hours away: associate returns with exit code 3 while it waits.
    let waiting = crossbind(&h, &target);
    assert_eq!(
        waiting.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    let association = json(&waiting);
    assert_eq!(association["state"], "WAITING");
    assert_eq!(association["pending"]["kind"], "OFF_PEAK_WINDOW");
    assert_eq!(association["account_mappings"][0]["cluster_account"], "etl");
    let id = association["id"].as_str().unwrap().to_string();

    // Running the same command again returns at once: it still waits.
    let again = crossbind(&h, &target);
    assert_eq!(again.status.code(), Some(3));
    assert_eq!(json(&again)["id"], id.as_str());

    // A plain confirm before the window is refused with what to do instead.
    let early = crossbind(&h, &["confirm", "--output", "json", &id]);
    assert!(!early.status.success());
    let error = json(&early);
    assert_eq!(error["error"]["code"], "FAILED_PRECONDITION");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--now")
    );

    // --now asks the operator at once; the command stops at the gate again.
    let asked = crossbind(&h, &["confirm", "--now", "--output", "json", &id]);
    assert_eq!(
        asked.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&asked.stderr)
    );
    let asked = json(&asked);
    assert_eq!(asked["pending"]["kind"], "OPERATOR_CONFIRMATION");
    let instructions = asked["pending"]["instructions"].as_str().unwrap();
    assert!(
        instructions.contains(&format!("crossbind confirm {id}")),
        "{instructions}"
    );

    let done = crossbind(&h, &["confirm", "--output", "json", &id]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let done = json(&done);
    assert_eq!(done["state"], "SUCCEEDED");
    assert_eq!(done["initialization"]["outside_window"], true);

    let diagnosis = crossbind(&h, &["diagnose", "--output", "json", &id]);
    assert!(diagnosis.status.success(), "no error findings exit 0");
    let diagnosis = json(&diagnosis);
    assert_eq!(diagnosis["healthy"], true);
    assert!(!diagnosis["unchecked"].as_array().unwrap().is_empty());
    let human = crossbind(&h, &["diagnose", &id]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("fix:") && text.contains("not checked"),
        "{text}"
    );

    // A blank failure reason is refused by the CLI itself.
    let blank = crossbind(&h, &["confirm", &id, "--failed", ""]);
    assert_eq!(blank.status.code(), Some(2));

    // A changed cluster configuration makes `drift` exit 2 with the re-initialization due.
    h.set_cluster_config(
        DEFAULT_CLUSTER_ID,
        "core-site.xml",
        "io.file.buffer.size",
        "65536",
    )
    .await;
    let drift = crossbind(&h, &["drift", "--output", "json", &id]);
    assert_eq!(drift.status.code(), Some(2));
    let report = json(&drift);
    assert_eq!(report["drifted"], false);
    assert!(
        report["reinitialization_due"]
            .as_str()
            .unwrap()
            .contains("configuration changed")
    );

    // Following a dissociation is not fooled by the waits in the association's history.
    let gone = crossbind(&h, &["dissociate", "--output", "json", &id]);
    assert!(
        gone.status.success(),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    assert_eq!(json(&gone)["state"], "DISSOCIATED");
    let late = crossbind(&h, &["diagnose", "--output", "json", &id]);
    assert_eq!(json(&late)["error"]["code"], "FAILED_PRECONDITION");
}
