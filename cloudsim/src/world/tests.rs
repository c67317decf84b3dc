//! Tests of world loading: the default world's content, and errors that name the bad key.

use super::*;

const MINIMAL: &str = r#"
[[accounts]]
uid = "1688000000000009"
name = "solo"
[[accounts.access_keys]]
id = "LTAI5tSolo"
secret = "solo-secret"
"#;

fn err(text: &str) -> String {
    World::from_toml(text).unwrap_err().to_string()
}

#[test]
fn default_world_has_both_accounts_and_every_cluster_case() {
    let world = World::default_world();
    assert_eq!(world.settings.timestamp_tolerance_seconds, 900);
    assert_eq!(world.settings.nonce_ttl_seconds, 900);
    assert_eq!(world.settings.role_propagation_seconds, 0);
    let uids: Vec<&str> = world.accounts.iter().map(|a| a.uid.as_str()).collect();
    assert_eq!(uids, ["1688000000000001", "1688000000000002"]);

    let a = &world.accounts[0];
    assert_eq!(a.name, "consumer-a");
    let ws: Vec<(i64, &str, WorkspaceMode)> = a
        .workspaces
        .iter()
        .map(|w| (w.id, w.name.as_str(), w.mode))
        .collect();
    assert_eq!(
        ws,
        [
            (10001, "analytics", WorkspaceMode::Standard),
            (10002, "reporting", WorkspaceMode::Basic)
        ]
    );

    let b = &world.accounts[1];
    assert_eq!(b.name, "provider-b");
    assert!(b.roles.is_empty());
    let clusters: Vec<_> = b
        .clusters
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.cluster_type,
                c.release.as_str(),
                c.metastore,
                c.security_mode,
                c.state,
            )
        })
        .collect();
    use ClusterState::*;
    use ClusterType::*;
    use Metastore::*;
    use SecurityMode::*;
    assert_eq!(
        clusters,
        [
            (
                "C-4F2A9B1C8D3E7A60",
                Hadoop,
                "EMR-3.38.3",
                Local,
                Normal,
                Running
            ),
            (
                "C-6A7B8C9D0E1F2A3B",
                Hadoop,
                "EMR-3.38.2",
                Rds,
                Normal,
                Running
            ),
            (
                "c-5d1e0f2a3b4c5d6e",
                Datalake,
                "EMR-5.8.0",
                Local,
                Normal,
                Running
            ),
            (
                "C-0B1C2D3E4F5A6B7C",
                Hadoop,
                "EMR-3.38.1",
                Local,
                Normal,
                Running
            ),
            (
                "C-1C2D3E4F5A6B7C8D",
                Hadoop,
                "EMR-3.38.2",
                Dlf,
                Normal,
                Running
            ),
            (
                "C-2D3E4F5A6B7C8D9E",
                Hadoop,
                "EMR-3.38.3",
                Local,
                Kerberos,
                Running
            ),
            (
                "C-3E4F5A6B7C8D9E0F",
                Hadoop,
                "EMR-3.38.2",
                Local,
                Normal,
                Terminated
            ),
            (
                "C-4F5A6B7C8D9E0F1A",
                Hadoop,
                "EMR-3.38.3",
                Local,
                Kerberos,
                Running
            ),
            (
                "C-5A6B7C8D9E0F1A2B",
                Hadoop,
                "EMR-3.38.3",
                Local,
                Normal,
                Running
            ),
        ]
    );
    let ldap: Vec<&str> = b
        .clusters
        .iter()
        .filter(|c| c.ldap)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ldap, ["C-4F5A6B7C8D9E0F1A", "C-5A6B7C8D9E0F1A2B"]);
    assert!(
        world.accounts.iter().all(|a| a.data_sources.is_empty()),
        "the default world has no data source"
    );
    for account in &world.accounts {
        assert_eq!(account.access_keys.len(), 1, "{}", account.name);
    }
}

#[test]
fn minimal_world_takes_defaults() {
    let world = World::from_toml(MINIMAL).unwrap();
    assert_eq!(
        world.settings.timestamp_tolerance_seconds,
        DEFAULT_TIMESTAMP_TOLERANCE_SECONDS
    );
    assert!(world.accounts[0].clusters.is_empty());
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = format!(
        "{MINIMAL}[[accounts.workspaces]]\nid = 1\nname = \"w\"\nmode = \"standard\"\nregion = \"cn-hangzhou\"\nmood = \"x\"\n"
    );
    let e = err(&text);
    assert!(e.contains("key `mood`"), "{e}");
    assert!(e.contains("line 13"), "{e}");
}

#[test]
fn bad_enum_value_names_the_key() {
    let text = format!(
        "{MINIMAL}[[accounts.clusters]]\nid = \"C-1\"\nname = \"n\"\nregion = \"cn-hangzhou\"\ntype = \"HADOOP\"\nrelease = \"EMR-3.38.3\"\nmetastore = \"HIVE\"\nsecurity_mode = \"NORMAL\"\nstate = \"RUNNING\"\nvpc_id = \"v\"\nvswitch_id = \"s\"\nzone_id = \"z\"\n"
    );
    let e = err(&text);
    assert!(e.contains("key `metastore`"), "{e}");
    assert!(e.contains("HIVE"), "{e}");
}

#[test]
fn bad_uid_and_missing_key_are_named() {
    let e = err(&MINIMAL.replace("1688000000000009", "16880x"));
    assert!(e.contains("key `uid`"), "{e}");
    let e = err(&MINIMAL.replace("name = \"solo\"\n", ""));
    assert!(e.contains("name"), "{e}");
}

#[test]
fn rule_violations_name_the_key_path() {
    let twice = format!(
        "{MINIMAL}{}",
        MINIMAL.replace("1688000000000009", "1688000000000010")
    );
    assert_eq!(
        err(&twice),
        "world key `accounts[1].access_keys[0].id`: another key has the same id"
    );
    let role = format!("{MINIMAL}[[accounts.roles]]\nname = \"R\"\ntrust_policy = \"[]\"\n");
    assert!(err(&role).starts_with("world key `accounts[0].roles[0].trust_policy`"));
    let policy = format!(
        "{MINIMAL}[[accounts.roles]]\nname = \"R\"\ntrust_policy = '{{\"Statement\":[]}}'\npolicies = [{{ type = \"System\", name = \"NoSuchPolicy\" }}]\n"
    );
    assert_eq!(
        err(&policy),
        "world key `accounts[0].roles[0].policies[0].name`: no such policy in the emulator"
    );
}

#[test]
fn access_key_debug_hides_the_secret() {
    let key = AccessKey::new("LTAI5tX", "marker-secret-value");
    assert_eq!(
        format!("{key:?}"),
        "AccessKey { id: \"LTAI5tX\", secret: \"<redacted>\" }"
    );
    let world = World::from_toml(&MINIMAL.replace("solo-secret", "marker-secret-value")).unwrap();
    assert!(!format!("{world:?}").contains("marker-secret-value"));
}

#[test]
fn release_shape() {
    assert!(is_release("EMR-3.38.3"));
    assert!(!is_release("EMR-3.38"));
    assert!(!is_release("3.38.3"));
    assert!(!is_release("EMR-3.x.3"));
}

#[test]
fn faults_are_off_by_default() {
    assert_eq!(World::default_world().settings.faults, Faults::default());
    assert!(Faults::default().is_off());
    assert!(World::from_toml(MINIMAL).unwrap().settings.faults.is_off());
}

#[test]
fn a_full_faults_table_is_read() {
    let text = format!(
        "[settings.faults]\nthrottle_rate = 0.3\nserver_error_rate = 0.1\nlatency_ms = 250\nseed = 7\nactions = [\"CreateRole\", \"GetCluster\"]\n{MINIMAL}"
    );
    let faults = World::from_toml(&text).unwrap().settings.faults;
    assert_eq!(
        faults,
        Faults {
            throttle_rate: 0.3,
            server_error_rate: 0.1,
            latency_ms: 250,
            seed: 7,
            actions: Some(vec!["CreateRole".into(), "GetCluster".into()]),
        }
    );
    assert!(!faults.is_off());
    assert!(faults.applies_to("GetCluster"));
    assert!(!faults.applies_to("GetRole"));
}

#[test]
fn rates_outside_zero_to_one_are_refused_naming_the_key() {
    for (key, value) in [
        ("throttle_rate", "1.5"),
        ("throttle_rate", "-0.1"),
        ("server_error_rate", "1.01"),
        ("server_error_rate", "nan"),
    ] {
        let e = err(&format!("[settings.faults]\n{key} = {value}\n{MINIMAL}"));
        assert!(
            e.starts_with(&format!(
                "world key `settings.faults.{key}`: must be a number"
            )),
            "{e}"
        );
    }
    for edge in ["0.0", "1.0"] {
        let text = format!("[settings.faults]\nthrottle_rate = {edge}\n{MINIMAL}");
        assert!(World::from_toml(&text).is_ok(), "{edge}");
    }
}

#[test]
fn unknown_fault_actions_and_keys_are_refused() {
    let e = err(&format!(
        "[settings.faults]\nactions = [\"CreateRole\", \"CreateUser\"]\n{MINIMAL}"
    ));
    assert_eq!(
        e,
        "world key `settings.faults.actions[1]`: `CreateUser` is not an action the emulator serves"
    );
    let e = err(&format!("[settings.faults]\nthrottle = 0.3\n{MINIMAL}"));
    assert!(e.contains("key `throttle`"), "{e}");
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn the_default_world_documents_every_fault_key() {
    // The commented `[settings.faults]` table, uncommented, must parse (unknown keys are
    // refused) and name every key.
    let mut table = String::new();
    let mut keys = Vec::new();
    for line in DEFAULT_WORLD_TOML.lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        if rest == "[settings.faults]" {
            table.push_str("[settings.faults]\n");
        } else if let Some((key, _)) = rest.split_once(" = ").filter(|_| !table.is_empty())
            && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !keys.contains(&key)
        {
            keys.push(key);
            table.push_str(rest);
            table.push('\n');
        }
    }
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "actions",
            "latency_ms",
            "seed",
            "server_error_rate",
            "throttle_rate"
        ]
    );
    let faults = World::from_toml(&table).unwrap().settings.faults;
    assert!(faults.is_off(), "{faults:?}");
}

#[test]
fn resource_groups_take_defaults_and_bind_only_own_workspaces() {
    let world = World::default_world();
    let groups: Vec<(&str, ResourceGroupType, ResourceGroupStatus, &[i64])> = world.accounts[0]
        .resource_groups
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.resource_group_type,
                g.status,
                g.workspaces.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (
                "common_analytics",
                ResourceGroupType::CommonV2,
                ResourceGroupStatus::Normal,
                &[10001][..]
            ),
            (
                "common_spare",
                ResourceGroupType::CommonV2,
                ResourceGroupStatus::Normal,
                &[][..]
            ),
        ]
    );

    let group = |workspaces: &str| {
        format!(
            "{MINIMAL}[[accounts.workspaces]]\nid = 5\nname = \"w\"\nmode = \"basic\"\nregion = \"cn-hangzhou\"\n\
             [[accounts.resource_groups]]\nid = \"rg1\"\nname = \"g\"\nvpc_id = \"v\"\nvswitch_id = \"s\"\nworkspaces = {workspaces}\n"
        )
    };
    assert!(World::from_toml(&group("[5]")).is_ok());
    let e = err(&group("[6]"));
    assert!(
        e.contains("accounts[0].resource_groups[0].workspaces[0]"),
        "{e}"
    );
    let e = err(&group("[5, 5]"));
    assert!(e.contains("workspaces[1]") && e.contains("twice"), "{e}");
    let e = err(&group("[5]").replace(
        "vswitch_id = \"s\"",
        "vswitch_id = \"s\"\nstatus = \"Broken\"",
    ));
    assert!(e.contains("status"), "{e}");
}

#[test]
fn data_sources_are_read_and_checked_naming_the_key() {
    let world = |sources: &str| {
        format!(
            "{MINIMAL}[[accounts.workspaces]]\nid = 5\nname = \"w\"\nmode = \"basic\"\nregion = \"cn-hangzhou\"\n\
             [[accounts.workspaces]]\nid = 6\nname = \"s\"\nmode = \"standard\"\nregion = \"cn-hangzhou\"\n{sources}"
        )
    };
    let source = |id: i64, workspace: i64, name: &str, env: &str| {
        format!(
            "[[accounts.data_sources]]\nid = {id}\nworkspace = {workspace}\nname = \"{name}\"\ntype = \"hive\"\n\
             environment = \"{env}\"\ncluster_id = \"C-0000000000000009\"\n"
        )
    };
    let two = format!("{}{}", source(1, 6, "h", "Dev"), source(2, 6, "h", "Prod"));
    let parsed = World::from_toml(&world(&two)).unwrap();
    let sources: Vec<(i64, i64, &str, &str, Environment, &str)> = parsed.accounts[0]
        .data_sources
        .iter()
        .map(|d| {
            (
                d.id,
                d.workspace,
                d.name.as_str(),
                d.source_type.as_str(),
                d.environment,
                d.cluster_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            (1, 6, "h", "hive", Environment::Dev, "C-0000000000000009"),
            (2, 6, "h", "hive", Environment::Prod, "C-0000000000000009"),
        ]
    );

    let cases = [
        (source(0, 6, "h", "Prod"), "data_sources[0].id"),
        (
            format!("{}{}", source(1, 6, "h", "Prod"), source(1, 6, "g", "Prod")),
            "data_sources[1].id",
        ),
        (source(1, 7, "h", "Prod"), "data_sources[0].workspace"),
        (source(1, 5, "h", "Dev"), "data_sources[0].environment"),
        (
            format!("{}{}", source(1, 6, "h", "Prod"), source(2, 6, "h", "Prod")),
            "data_sources[1].name",
        ),
        (source(1, 6, "", "Prod"), "data_sources[0].name"),
        (
            source(1, 6, "h", "Prod").replace("\"hive\"", "\"\""),
            "data_sources[0].type",
        ),
    ];
    for (sources, key) in cases {
        let e = err(&world(&sources));
        assert!(e.contains(&format!("accounts[0].{key}")), "{key}: {e}");
    }
    let e = err(&world(&source(1, 6, "h", "prod")));
    assert!(e.contains("environment"), "{e}");
    let e = err(&world(
        &source(1, 6, "h", "Prod").replace("C-0000000000000009", ""),
    ));
    assert!(e.contains("cluster_id"), "{e}");
}

#[test]
fn wire_words_round_trip() {
    for state in ClusterState::ALL {
        assert_eq!(ClusterState::from_wire(state.as_str()), Some(*state));
    }
    assert_eq!(ClusterState::ALL.len(), 8);
    assert_eq!(ClusterState::from_wire("running"), None);
    assert_eq!(Environment::from_wire("Prod"), Some(Environment::Prod));
}
