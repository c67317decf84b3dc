//! Tests of the shared configuration sections and the collecting reader.

use crossbind_aliyun::endpoint::Product;

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
    let ok: CloudConfig =
        toml::from_str("region = \"cn-shanghai\"\n[rate_limits]\ndataworks_edition = \"basic\"")
            .expect("valid");
    assert_eq!(ok.rate_limits.dataworks_edition, DataWorksEdition::Basic);
    let err = toml::from_str::<CloudConfig>("signature = \"v9\"").expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("region"), "{text}");
    assert!(text.contains("signature"), "{text}");
}

/// `GOOD` followed by `extra` (which may add tables under `[cloud]`).
fn good_with(extra: &str) -> Result<CloudConfig, ConfigError> {
    read(&format!("{GOOD}\n{extra}")).map(|(_, _, cloud)| cloud)
}

#[test]
fn rate_limits_default_to_the_published_quotas() {
    let cloud = good_with("").expect("valid");
    assert_eq!(cloud.rate_limits, RateLimits::published());
    assert_eq!(cloud.client_config().rate_limits, RateLimits::published());
    assert_eq!(
        CloudConfig::new(cloud.region.clone(), None).rate_limits,
        RateLimits::published()
    );
}

#[test]
fn rate_limits_read_the_edition_and_overrides() {
    let cloud = good_with(
        r#"
        [cloud.rate_limits]
        enabled = true
        dataworks_edition = "enterprise"
        per_second = { "Ram.AttachPolicyToRole" = 5, "Emr.*" = 2.5, "dataworks" = 4 }
        "#,
    )
    .expect("valid");
    let limits = &cloud.rate_limits;
    assert!(limits.enabled);
    assert_eq!(limits.dataworks_edition, DataWorksEdition::Enterprise);
    let rate = |per_second| Some(Rate::new(per_second).unwrap());
    assert_eq!(
        limits.action_rate(Product::Ram, "AttachPolicyToRole"),
        rate(5.0)
    );
    assert_eq!(limits.action_rate(Product::Ram, "CreateRole"), rate(20.0));
    assert_eq!(limits.action_rate(Product::Emr, "GetCluster"), rate(2.5));
    assert_eq!(limits.product_rate(Product::DataWorks), rate(4.0));
    assert_eq!(cloud.client_config().rate_limits, *limits);

    // The same as a sub-table of its own, with quoted keys.
    let cloud = good_with(
        r#"
        [cloud.rate_limits.per_second]
        "Ram.CreateRole" = 1
        "#,
    )
    .expect("valid");
    assert_eq!(
        cloud.rate_limits.action_rate(Product::Ram, "CreateRole"),
        rate(1.0)
    );
    assert_eq!(
        cloud.rate_limits.dataworks_edition,
        DataWorksEdition::Standard
    );
}

#[test]
fn disabled_rate_limits_reach_the_client() {
    let cloud = good_with("[cloud.rate_limits]\nenabled = false").expect("valid");
    assert_eq!(cloud.rate_limits, RateLimits::disabled());
    let credentials = crossbind_aliyun::Credentials::new("id", "secret-value");
    let client = crossbind_aliyun::Client::new(credentials, cloud.client_config()).expect("client");
    assert!(!client.rate_limiter().is_enabled());
    let client = crossbind_aliyun::Client::new(
        crossbind_aliyun::Credentials::new("id", "secret-value"),
        good_with("").expect("valid").client_config(),
    )
    .expect("client");
    assert!(client.rate_limiter().is_enabled());
}

#[test]
fn every_bad_rate_limit_is_reported() {
    let err = good_with(
        r#"
        [cloud.rate_limits]
        enabled = "yes"
        dataworks_edition = "gold"
        colour = 1
        per_second = { "Oss.GetBucket" = 1, "Ram.CreateRole" = 0, "Ram.GetRole" = "fast", Emr = -2, Ram = 3, RAM = 4 }
        "#,
    )
    .expect_err("invalid");
    let problems: Vec<(&str, &str)> = err
        .problems()
        .iter()
        .map(|p| (p.key.as_str(), p.message.as_str()))
        .collect();
    let message = |key: &str| {
        problems
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| *m)
            .unwrap_or_else(|| panic!("{key} missing from {problems:?}"))
    };
    assert!(
        message("cloud.rate_limits.enabled").contains("bool"),
        "{err}"
    );
    assert!(
        message("cloud.rate_limits.dataworks_edition").contains("enterprise"),
        "{err}"
    );
    assert!(message("cloud.rate_limits.colour").contains("not a known key"));
    let prefix = "cloud.rate_limits.per_second.";
    assert!(
        message(&format!("{prefix}\"Oss.GetBucket\"")).contains("Ram, Sts, Emr or DataWorks"),
        "{err}"
    );
    assert!(
        message(&format!("{prefix}\"Ram.CreateRole\"")).contains("from 0.01 to 1000000"),
        "{err}"
    );
    assert!(
        message(&format!("{prefix}\"Ram.GetRole\"")).contains("not a string"),
        "{err}"
    );
    assert!(
        message(&format!("{prefix}Emr")).contains("-2 calls"),
        "{err}"
    );
    let duplicates = problems
        .iter()
        .filter(|(_, m)| m.contains("same limit (Ram)"))
        .count();
    assert_eq!(duplicates, 1, "{err}");
    assert_eq!(problems.len(), 8, "{err}");
}

#[test]
fn rate_limits_must_be_tables() {
    let err = good_with("[cloud.x]").expect_err("unknown table");
    assert_eq!(err.problems()[0].key, "cloud.x");
    let text = GOOD.replace("[cloud]", "[cloud]\nrate_limits = 5");
    let err = read(&text).expect_err("not a table");
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(err.problems()[0].key, "cloud.rate_limits");
    assert!(err.problems()[0].message.contains("table"), "{err}");
    let err = good_with("[cloud.rate_limits]\nper_second = [1]").expect_err("not a table");
    assert_eq!(err.problems()[0].key, "cloud.rate_limits.per_second");
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
