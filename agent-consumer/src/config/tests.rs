//! Tests of the consumer configuration: defaults, and every problem reported with its key.

use super::*;

const BASE: &str = r#"
    [tls]
    cert = "c.pem"
    key = "c.key"
    ca = "ca.pem"
    [cloud]
    region = "cn-hangzhou"
    [consent]
    provider_accounts = ["1688000000000002"]
    workspaces = [10001, "10002"]
"#;

#[test]
fn registration_defaults() {
    let c = ConsumerConfig::from_toml(BASE, None).expect("valid");
    let r = &c.registration;
    assert_eq!(r.propagation.timeout, Duration::from_secs(120));
    assert_eq!(r.propagation.initial_backoff, Duration::from_millis(1000));
    assert_eq!(r.compute_resource_type, "emr");
    assert_eq!(r.connection_properties_mode, "InstanceMode");
    assert_eq!(r.template, Template::default_template());
    assert!(
        c.consent
            .allows_workspace(&WorkspaceId::new("10001").expect("valid"))
    );
    assert!(
        c.consent
            .allows_workspace(&WorkspaceId::new("10002").expect("valid"))
    );
    assert!(
        !c.consent
            .allows_workspace(&WorkspaceId::new("10003").expect("valid"))
    );
    assert!(
        c.consent
            .allows_provider(&AccountUid::new("1688000000000002").expect("valid"))
    );
}

#[test]
fn a_broken_template_is_a_config_error_naming_the_key() {
    let text = format!(
        "{BASE}\n[registration]\nconnection_properties_template = '{{\"envType\":\"${{envType}}\"}}'\npropagation_backoff_initial_ms = 0"
    );
    let err = ConsumerConfig::from_toml(&text, None).expect_err("invalid");
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "registration.propagation_backoff_initial_ms",
            "registration.connection_properties_template"
        ]
    );
    assert!(err.to_string().contains("${clusterId}"), "{err}");
    let text = format!("{BASE}\n[registration]\nconnection_properties_template = 'nope'");
    let err = ConsumerConfig::from_toml(&text, None).expect_err("invalid");
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[test]
fn the_new_sections_default_to_any_group_no_windows_and_no_passwords() {
    let c = ConsumerConfig::from_toml(BASE, None).expect("valid");
    assert_eq!(c.consent.resource_groups, Scope::Any);
    assert!(c.consent.allows_resource_group("Serverless_res_group_1"));
    assert_eq!(c.initialization, Initialization::default());
    assert_eq!(c.initialization.time_zone, TimeZone::UTC);
    assert_eq!(c.initialization.console_url, DEFAULT_CONSOLE_URL);
    assert!(c.initialization.off_peak.is_empty());
    assert!(c.mappings.password_env.is_empty());
}

#[test]
fn initialization_and_mappings_are_read() {
    let text = format!(
        "{BASE}\nresource_groups = [\"Serverless_res_group_1\"]\n\
         [initialization]\ntime_zone = \"Asia/Shanghai\"\n\
         off_peak = [\"Mon-Fri 01:00-05:00\", \"Sat,Sun 00:00-24:00\", \"22:30-02:00\"]\n\
         console_url = \"https://dataworks.console.example.test/\"\n\
         [account_mappings]\npassword_env = {{ etl = \"ETL_LDAP_PASSWORD\", \"bi.user\" = \"BI_PW\" }}\n"
    );
    let c = ConsumerConfig::from_toml(&text, None).expect("valid");
    assert!(c.consent.allows_resource_group("Serverless_res_group_1"));
    assert!(!c.consent.allows_resource_group("Serverless_res_group_2"));
    let init = &c.initialization;
    assert_eq!(init.time_zone.iana_name(), Some("Asia/Shanghai"));
    let windows: Vec<String> = init.off_peak.iter().map(ToString::to_string).collect();
    assert_eq!(
        windows,
        ["Mon-Fri 01:00-05:00", "Sat,Sun 00:00-24:00", "22:30-02:00"]
    );
    assert_eq!(init.console_url, "https://dataworks.console.example.test");
    assert_eq!(
        c.mappings.password_env.get("bi.user").map(String::as_str),
        Some("BI_PW")
    );
    assert_eq!(c.mappings.password_env.len(), 2);
}

#[test]
fn bad_windows_time_zones_and_password_entries_are_each_reported_with_their_key() {
    let text = format!(
        "{BASE}\nresource_groups = [\"bad group\"]\n\
         [initialization]\ntime_zone = \"Mars/Olympus_Mons\"\n\
         off_peak = [\"Mon-Fri 01:00-05:00\", \"Funday 01:00-02:00\", \"25:00-26:00\"]\n\
         console_url = \"ftp://example\"\nwindow = 1\n\
         [account_mappings]\npassword_env = {{ \"-bad\" = \"X\", etl = \"1BAD\", ops = 3 }}\n"
    );
    let err = ConsumerConfig::from_toml(&text, None).expect_err("invalid");
    let keys: Vec<&str> = err.problems().iter().map(|p| p.key.as_str()).collect();
    for key in [
        "consent.resource_groups[0]",
        "initialization.time_zone",
        "initialization.off_peak[1]",
        "initialization.off_peak[2]",
        "initialization.console_url",
        "initialization.window",
        "account_mappings.password_env.-bad",
        "account_mappings.password_env.etl",
        "account_mappings.password_env.ops",
    ] {
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
    assert!(!keys.contains(&"initialization.off_peak[0]"), "{keys:?}");
    let text = err.to_string();
    assert!(text.contains("\"Funday\" is not a day"), "{text}");
    assert!(
        text.contains("\"Mars/Olympus_Mons\" is not a known IANA time zone"),
        "{text}"
    );
    assert!(text.contains("\"25:00\" is not a time of day"), "{text}");
}
