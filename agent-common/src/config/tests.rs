//! Tests of the shared configuration sections and the collecting reader.

use super::*;

/// Reads a root with `listen`, `trust_domain`, `[tls]` and `[cloud]`, like an agent would.
fn read(text: &str) -> Result<(SocketAddr, AgentTls, CloudConfig), ConfigError> {
    let reader = ConfigReader::new(Some(Path::new("/etc/crossbind/agent.toml")));
    let mut root = reader.parse(text);
    let listen = read_listen(&mut root);
    let tls = AgentTls::read(&mut root);
    let cloud = CloudConfig::read(root.table("cloud"));
    root.end();
    reader.finish(|| Some((listen, tls?, cloud?)))
}

const GOOD: &str = r#"
    trust_domain = "example.test"
    [tls]
    cert = "provider.pem"
    key = "/abs/provider.key"
    ca = "ca.pem"
    [cloud]
    region = "cn-hangzhou"
    endpoint = "http://127.0.0.1:9"
"#;

#[test]
fn defaults_apply_and_relative_paths_follow_the_file() {
    let (listen, tls, cloud) = read(GOOD).expect("valid");
    assert_eq!(listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(tls.trust_domain, "example.test");
    assert_eq!(tls.files.cert, Path::new("/etc/crossbind/provider.pem"));
    assert_eq!(tls.files.key, Path::new("/abs/provider.key"));
    assert_eq!(cloud.region.as_str(), "cn-hangzhou");
    assert_eq!(cloud.signature, DEFAULT_SIGNATURE);
    assert_eq!(cloud.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECONDS));
    assert_eq!(cloud.retry_max_attempts, DEFAULT_RETRY_MAX_ATTEMPTS);
    let client = cloud.client_config();
    assert_eq!(client.endpoints.override_url(), Some("http://127.0.0.1:9"));
    assert_eq!(client.retry.max_attempts, DEFAULT_RETRY_MAX_ATTEMPTS);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
        listen = "nowhere"
        trust_domain = "Bad_Domain"
        colour = "blue"
        [tls]
        cert = "c.pem"
        [cloud]
        region = "CN HANGZHOU"
        signature = "v9"
        timeout_seconds = "ten"
        access_key_secret = "hunter2"
    "#;
    let err = read(text).expect_err("invalid");
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    for key in [
        "listen",
        "trust_domain",
        "colour",
        "tls.key",
        "tls.ca",
        "cloud.region",
        "cloud.signature",
        "cloud.timeout_seconds",
        "cloud.access_key_secret",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let text = err.to_string();
    assert!(text.contains("/etc/crossbind/agent.toml"), "{text}");
    assert!(text.contains("credential chain"), "{text}");
    assert!(
        !text.contains("hunter2"),
        "a value that looks secret was echoed: {text}"
    );
}

#[test]
fn a_syntax_error_names_its_line_and_nothing_else() {
    let err = read("[cloud]\nregion = \n").expect_err("invalid");
    assert_eq!(err.problems().len(), 1, "{err}");
    assert!(err.problems()[0].message.starts_with("line 2"), "{err}");
}

#[test]
fn bad_endpoint_and_retry_bounds_are_refused() {
    let text = r#"
        [tls]
        cert = "c"
        key = "k"
        ca = "a"
        [cloud]
        region = "cn-hangzhou"
        endpoint = "127.0.0.1:9"
        retry_base_delay_ms = 500
        retry_max_delay_ms = 100
        retry_max_attempts = 0
    "#;
    let err = read(text).expect_err("invalid");
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "cloud.endpoint",
            "cloud.retry_max_attempts",
            "cloud.retry_max_delay_ms"
        ]
    );
}

#[test]
fn cloud_config_deserializes_through_serde_with_all_problems() {
    let ok: CloudConfig =
        toml::from_str("region = \"cn-shanghai\"\nsignature = \"v3\"").expect("valid");
    assert_eq!(ok.signature, SignatureVersion::V3);
    let err = toml::from_str::<CloudConfig>("signature = \"v9\"").expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("region"), "{text}");
    assert!(text.contains("signature"), "{text}");
}

fn scope(text: &str) -> Result<Scope<crossbind_aliyun::ids::AccountUid>, ConfigError> {
    let reader = ConfigReader::new(None);
    let mut root = reader.parse(text);
    let scope = Scope::read(&mut root, "accounts");
    root.end();
    reader.finish(|| scope)
}

#[test]
fn scopes_accept_a_star_or_valid_values() {
    assert_eq!(scope("accounts = [\"*\"]").expect("star"), Scope::Any);
    let only = scope("accounts = [\"1688\", \"42\"]").expect("list");
    assert!(only.allows(|uid| uid.as_str() == "42"));
    assert!(!only.allows(|uid| uid.as_str() == "7"));
    assert_eq!(only.to_string(), "[\"1688\", \"42\"]");
    assert!(!Scope::<String>::Only(Vec::new()).allows(|_| true));
}

#[test]
fn scopes_report_each_bad_value_and_a_mixed_star() {
    let err = scope("accounts = [\"12a\", \"7\", \"x\"]").expect_err("bad");
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["accounts[0]", "accounts[2]"]);
    assert!(err.problems()[0].message.contains("decimal"), "{err}");
    let err = scope("accounts = [\"*\", \"7\"]").expect_err("mixed");
    assert!(err.to_string().contains("only entry"), "{err}");
    let err = scope("").expect_err("missing");
    assert!(err.to_string().contains("accounts: is required"), "{err}");
}
