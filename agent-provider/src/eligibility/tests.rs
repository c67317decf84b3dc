//! Tests of the eligibility table: each rule alone, several together, the table itself.

use super::*;

fn eligible() -> ClusterFacts {
    ClusterFacts {
        cluster_type: "HADOOP".to_owned(),
        release_version: "EMR-3.38.3".to_owned(),
        state: "RUNNING".to_owned(),
        metastore_type: "LOCAL".to_owned(),
        dlf: false,
        kerberos: false,
    }
}

fn reasons(facts: &ClusterFacts) -> Vec<IneligibilityReason> {
    evaluate(facts).into_iter().map(|v| v.reason).collect()
}

#[test]
fn both_supported_releases_pass() {
    assert!(evaluate(&eligible()).is_empty());
    let f = ClusterFacts {
        release_version: "emr-3.38.2".to_owned(),
        ..eligible()
    };
    assert!(evaluate(&f).is_empty());
}

#[test]
fn each_rule_reports_only_its_reason() {
    let cases = [
        (
            ClusterFacts {
                cluster_type: "DATALAKE".to_owned(),
                release_version: "EMR-5.8.0".to_owned(),
                ..eligible()
            },
            IneligibilityReason::ClusterTypeNotHadoop,
            "DATALAKE",
        ),
        (
            ClusterFacts {
                release_version: "EMR-3.38.1".to_owned(),
                ..eligible()
            },
            IneligibilityReason::ReleaseNotSupported,
            "EMR-3.38.1",
        ),
        (
            ClusterFacts {
                dlf: true,
                ..eligible()
            },
            IneligibilityReason::MetadataIsDlf,
            "DLF",
        ),
        (
            ClusterFacts {
                kerberos: true,
                ..eligible()
            },
            IneligibilityReason::KerberosEnabled,
            "Kerberos",
        ),
        (
            ClusterFacts {
                state: "TERMINATED".to_owned(),
                ..eligible()
            },
            IneligibilityReason::ClusterNotRunning,
            "TERMINATED",
        ),
    ];
    for (facts, reason, word) in cases {
        let found = evaluate(&facts);
        assert_eq!(reasons(&facts), [reason], "{facts:?}");
        assert!(found[0].message.contains(word), "{}", found[0].message);
    }
}

#[test]
fn several_violations_come_in_table_order() {
    let f = ClusterFacts {
        release_version: "EMR-3.37.0".to_owned(),
        kerberos: true,
        dlf: true,
        state: "STARTING".to_owned(),
        ..eligible()
    };
    assert_eq!(
        reasons(&f),
        [
            IneligibilityReason::ReleaseNotSupported,
            IneligibilityReason::MetadataIsDlf,
            IneligibilityReason::KerberosEnabled,
            IneligibilityReason::ClusterNotRunning,
        ]
    );
}

#[test]
fn every_reason_has_exactly_one_rule() {
    let mut value = 1;
    while let Ok(reason) = IneligibilityReason::try_from(value) {
        let count = RULES.iter().filter(|r| r.reason == reason).count();
        assert_eq!(count, 1, "{reason:?} has {count} rules");
        value += 1;
    }
    assert_eq!(
        value - 1,
        RULES.len() as i32,
        "every rule has a known reason"
    );
    assert!(
        RULES
            .iter()
            .all(|r| r.reason != IneligibilityReason::Unspecified)
    );
}

#[test]
fn ids_are_unique_and_the_version_is_dated() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
    let (date, counter) = RULES_VERSION.split_once('.').expect("DATE.N");
    let parts: Vec<&str> = date.split('-').collect();
    assert!(
        parts.len() == 3
            && [4, 2, 2] == [parts[0].len(), parts[1].len(), parts[2].len()]
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())),
        "{RULES_VERSION}"
    );
    assert!(counter.parse::<u32>().is_ok(), "{RULES_VERSION}");
}

#[test]
fn every_message_ends_with_its_rules_advice() {
    let worst = ClusterFacts {
        cluster_type: "HADOOP".to_owned(),
        release_version: "EMR-3.37.0".to_owned(),
        state: "STOPPED".to_owned(),
        metastore_type: "DLF".to_owned(),
        dlf: true,
        kerberos: true,
    };
    let mut found = evaluate(&worst);
    found.extend(evaluate(&ClusterFacts {
        cluster_type: "DATALAKE".to_owned(),
        ..eligible()
    }));
    assert_eq!(found.len(), RULES.len());
    for v in found {
        let rule = RULES.iter().find(|r| r.reason == v.reason).expect("a rule");
        assert!(
            v.message.ends_with(&format!("; {}", rule.advice)),
            "{}",
            v.message
        );
    }
}

#[test]
fn the_release_rule_allows_exactly_the_supported_releases() {
    let rule = RULES
        .iter()
        .find(|r| r.reason == IneligibilityReason::ReleaseNotSupported)
        .expect("the release rule");
    assert_eq!(rule.allowed, Allowed::OneOf(&["EMR-3.38.2", "EMR-3.38.3"]));
}

#[test]
fn missing_values_are_named_as_such() {
    let f = ClusterFacts {
        state: String::new(),
        ..eligible()
    };
    assert!(evaluate(&f)[0].message.contains("(not reported)"));
}
