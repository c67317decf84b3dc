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
    let mut seen: Vec<i32> = RULES.iter().map(|r| r.reason as i32).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), RULES.len());
    assert!(!seen.contains(&(IneligibilityReason::Unspecified as i32)));
}

#[test]
fn missing_values_are_named_as_such() {
    let f = ClusterFacts {
        state: String::new(),
        ..eligible()
    };
    assert!(evaluate(&f)[0].message.contains("(not reported)"));
}
