//! The quickstart as a user runs it: `crossbind quickstart --output json`.

use crossbind_cli::stack::sibling_bin_dir;

#[test]
fn quickstart_prints_a_succeeded_association_as_json() {
    let bin = sibling_bin_dir()
        .expect("binary directory")
        .join("crossbind");
    let output = std::process::Command::new(&bin)
        .args(["quickstart", "--output", "json"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "quickstart failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(result["state"], "SUCCEEDED");
    assert!(
        result["role_arn"]
            .as_str()
            .unwrap()
            .starts_with("acs:ram::1688000000000002:role/")
    );
    assert_eq!(result["compute_resources"].as_array().unwrap().len(), 2);
    assert!(
        result["trust_policy"]
            .as_str()
            .unwrap()
            .contains("@emr.dataworks.aliyuncs.com")
    );
}
