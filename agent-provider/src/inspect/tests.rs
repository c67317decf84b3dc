//! Unit tests of `inspect`: facts, network, LDAP and fingerprint from canned EMR answers.

use super::*;

fn cluster(security_mode: Option<&str>) -> Cluster {
    serde_json::from_value(serde_json::json!({
        "ClusterId": "C-1",
        "ClusterName": "etl",
        "ClusterType": "HADOOP",
        "ClusterState": "RUNNING",
        "ReleaseVersion": "EMR-3.38.3",
        "SecurityMode": security_mode.unwrap_or(""),
        "RegionId": "cn-hangzhou",
    }))
    .expect("a cluster")
}

fn legacy(meta: &str, eas: bool) -> LegacyClusterInfo {
    serde_json::from_value(serde_json::json!({
        "Id": "C-1", "MetaStoreType": meta, "EasEnable": eas,
    }))
    .expect("legacy info")
}

fn hive(value: &str) -> ApplicationConfig {
    item("hive.metastore.type", value)
}

fn item(key: &str, value: &str) -> ApplicationConfig {
    serde_json::from_value(serde_json::json!({
        "ApplicationName": "HIVE",
        "ConfigFileName": "hivemetastore-site.xml",
        "ConfigItemKey": key,
        "ConfigItemValue": value,
    }))
    .expect("a config")
}

#[test]
fn the_fingerprint_ignores_order_and_sees_every_change() {
    let a = [hive("LOCAL"), item("hive.exec.parallel", "true")];
    let b = [item("hive.exec.parallel", "true"), hive("LOCAL")];
    let base = config_fingerprint("EMR-3.38.3", &a);
    assert_eq!(base.len(), 64);
    assert!(base.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(base, config_fingerprint("EMR-3.38.3", &b));
    assert_ne!(base, config_fingerprint("EMR-3.38.2", &a));
    let changed = [hive("LOCAL"), item("hive.exec.parallel", "false")];
    assert_ne!(base, config_fingerprint("EMR-3.38.3", &changed));
    assert_ne!(base, config_fingerprint("EMR-3.38.3", &a[..1]));
    // Moving text between fields is a change too.
    assert_ne!(
        config_fingerprint("ab", &[item("c", "")]),
        config_fingerprint("a", &[item("bc", "")])
    );
}

#[test]
fn dlf_from_either_source() {
    let c = cluster(None);
    assert!(gather_facts(&c, Some(&legacy("DLF", false)), &[hive("LOCAL")]).dlf);
    assert!(gather_facts(&c, Some(&legacy("LOCAL", false)), &[hive("dlf")]).dlf);
    let plain = gather_facts(&c, Some(&legacy("RDS", false)), &[hive("RDS")]);
    assert!(!plain.dlf);
    assert_eq!(plain.metastore_type, "RDS");
    assert_eq!(
        gather_facts(&c, None, &[hive("LOCAL")]).metastore_type,
        "LOCAL"
    );
}

#[test]
fn kerberos_from_security_mode_or_eas() {
    assert!(gather_facts(&cluster(Some("KERBEROS")), None, &[]).kerberos);
    assert!(gather_facts(&cluster(Some("NORMAL")), Some(&legacy("LOCAL", true)), &[]).kerberos);
    assert!(!gather_facts(&cluster(Some("NORMAL")), Some(&legacy("LOCAL", false)), &[]).kerberos);
}

#[test]
fn the_check_carries_reasons_and_sentences() {
    let c = cluster(Some("KERBEROS"));
    let check = to_check(&c, "cn-shanghai", &gather_facts(&c, None, &[]));
    assert!(!check.eligible);
    assert_eq!(
        check.reasons,
        [crossbind_proto::IneligibilityReason::KerberosEnabled as i32]
    );
    assert_eq!(check.messages.len(), 1);
    assert_eq!(check.region, "cn-hangzhou");
    assert!(check.kerberos);
}

fn hive_site(key: &str, value: &str) -> ApplicationConfig {
    serde_json::from_value(serde_json::json!({
        "ApplicationName": "HIVE",
        "ConfigFileName": "hive-site.xml",
        "ConfigItemKey": key,
        "ConfigItemValue": value,
    }))
    .expect("a config")
}

#[test]
fn ldap_is_on_only_when_hive_authenticates_with_ldap() {
    for value in ["LDAP", "ldap", " Ldap "] {
        let configs = [
            hive("LOCAL"),
            hive_site("hive.server2.authentication", value),
        ];
        assert!(ldap_enabled(&configs), "{value:?}");
    }
    for value in ["NONE", "KERBEROS", "", "LDAPS"] {
        let configs = [hive_site("hive.server2.authentication", value)];
        assert!(!ldap_enabled(&configs), "{value:?}");
    }
    assert!(!ldap_enabled(&[]));
    assert!(
        !ldap_enabled(&[hive_site("hive.server2.authentication.ldap.url", "LDAP")]),
        "only the authentication key itself counts"
    );
    assert!(
        ldap_enabled(&[hive_site("HIVE.SERVER2.AUTHENTICATION", "LDAP")]),
        "the key is compared ignoring case, like the metastore key"
    );
}

#[test]
fn the_check_carries_ldap_beside_the_unchanged_fingerprint() {
    let c = cluster(None);
    let plain = [hive("LOCAL")];
    let with_ldap = [
        hive("LOCAL"),
        hive_site("hive.server2.authentication", "LDAP"),
    ];
    let off = describe(&c, None, &plain, "cn-hangzhou");
    let on = describe(&c, None, &with_ldap, "cn-hangzhou");
    assert!(!off.ldap);
    assert!(on.ldap);
    assert!(on.eligible, "LDAP alone does not make a cluster ineligible");
    assert_eq!(
        on.config_fingerprint,
        config_fingerprint("EMR-3.38.3", &with_ldap)
    );
    assert_ne!(on.config_fingerprint, off.config_fingerprint);
}

fn with_network(vpc: &str, zone: &str) -> Cluster {
    let mut c = cluster(None);
    c.node_attributes = Some(
        serde_json::from_value(serde_json::json!({ "VpcId": vpc, "ZoneId": zone }))
            .expect("node attributes"),
    );
    c
}

fn legacy_network(vpc: &str, vswitch: &str) -> LegacyClusterInfo {
    serde_json::from_value(serde_json::json!({
        "Id": "C-1", "VpcId": vpc, "VSwitchId": vswitch,
    }))
    .expect("legacy info")
}

#[test]
fn the_network_takes_each_part_from_the_source_that_reports_it() {
    let both = network(
        &with_network("vpc-new", "cn-hangzhou-h"),
        Some(&legacy_network("vpc-old", "vsw-1")),
    );
    assert_eq!(
        both,
        Network {
            vpc_id: "vpc-new".to_owned(),
            vswitch_id: "vsw-1".to_owned(),
            zone_id: "cn-hangzhou-h".to_owned(),
        }
    );
    let legacy_only = network(&cluster(None), Some(&legacy_network("vpc-old", "vsw-1")));
    assert_eq!(legacy_only.vpc_id, "vpc-old");
    assert_eq!(legacy_only.vswitch_id, "vsw-1");
    assert_eq!(legacy_only.zone_id, "");
    let blank_vpc = network(
        &with_network(" ", "z"),
        Some(&legacy_network("vpc-old", "")),
    );
    assert_eq!(blank_vpc.vpc_id, "vpc-old", "a blank 2021 VPC falls back");
    assert_eq!(blank_vpc.vswitch_id, "");
    assert_eq!(network(&cluster(None), None), Network::default());

    let check = describe(
        &with_network("vpc-new", "z"),
        Some(&legacy_network("", "vsw-1")),
        &[],
        "cn-hangzhou",
    );
    assert_eq!(
        (
            check.vpc_id.as_str(),
            check.vswitch_id.as_str(),
            check.zone_id.as_str()
        ),
        ("vpc-new", "vsw-1", "z")
    );
}
