//! The rules a cluster must meet to be registered by another account's DataWorks, as one
//! versioned table of data. It judges facts already gathered; it makes no cloud calls.
//!
//! The rules come from the DataWorks guide "Register a cross-account EMR cluster" (facts §3.7):
//! only legacy Hadoop clusters on EMR-3.38.2 or EMR-3.38.3, without DLF unified metadata and
//! without Kerberos, and (so that DataWorks can reach it) in the RUNNING state.

use crossbind_proto::IneligibilityReason;

/// The version of [`RULES`] (the date of the change and a counter within that day); bump it
/// whenever a rule is added, removed or changed.
pub const RULES_VERSION: &str = "2026-12-03.1";

/// The only cluster type DataWorks registers across accounts (the legacy data lake).
pub const SUPPORTED_CLUSTER_TYPE: &str = "HADOOP";

/// The only releases DataWorks registers across accounts.
pub const SUPPORTED_RELEASES: &[&str] = &["EMR-3.38.2", "EMR-3.38.3"];

/// The state a cluster must be in.
pub const REQUIRED_STATE: &str = "RUNNING";

/// The metastore value meaning DLF unified metadata.
pub const DLF_METASTORE: &str = "DLF";

/// The `SecurityMode` value meaning Kerberos (high-security mode).
pub const KERBEROS_MODE: &str = "KERBEROS";

/// Where the rules come from: the DataWorks guide for cross-account registration.
pub const SOURCE_DOC: &str = "DataWorks guide \"Register a cross-account EMR cluster\", \
     https://www.alibabacloud.com/help/en/dataworks/user-guide/cross-account-registration-for-emr-cluster";

/// What the rules look at, gathered from EMR by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    /// EMR 2021 `ClusterType`, e.g. `HADOOP` or `DATALAKE`.
    pub cluster_type: String,
    /// `ReleaseVersion`, e.g. `EMR-3.38.3`.
    pub release_version: String,
    /// EMR 2021 `ClusterState`, e.g. `RUNNING`.
    pub state: String,
    /// The metastore type as reported (for display), e.g. `LOCAL`, `RDS`, `DLF`.
    pub metastore_type: String,
    /// Whether any source says the Hive metadata is DLF unified metadata.
    pub dlf: bool,
    /// Whether any source says Kerberos (high-security mode) is on.
    pub kerberos: bool,
}

/// The values a rule accepts for what it checks (compared without regard to case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// Only these values pass.
    OneOf(&'static [&'static str]),
    /// Every value passes except these.
    NoneOf(&'static [&'static str]),
}

/// One rule: its stable id, the reason it reports, what it checks and accepts, the advice
/// users get when it is violated, and where it comes from.
#[derive(Clone, Copy)]
pub struct Rule {
    /// A stable identifier, e.g. `release`.
    pub id: &'static str,
    /// The reason reported when the rule is violated.
    pub reason: IneligibilityReason,
    /// What is checked, and which EMR fields report it.
    pub checks: &'static str,
    /// The values that pass.
    pub allowed: Allowed,
    /// What users are told to do when the rule is violated; every message of the rule ends
    /// with it.
    pub advice: &'static str,
    /// The documentation the rule comes from.
    pub source: &'static str,
    violated: fn(&ClusterFacts) -> bool,
    observed: fn(&ClusterFacts) -> String,
}

/// Every rule, in the order reasons are reported.
///
/// The release rule applies to Hadoop clusters only: the releases of other cluster types
/// (EMR-5.x data lake, for example) are never supported, and the type rule already says so.
pub const RULES: &[Rule] = &[
    Rule {
        id: "cluster-type",
        reason: IneligibilityReason::ClusterTypeNotHadoop,
        checks: "cluster type (EMR GetCluster ClusterType)",
        allowed: Allowed::OneOf(&[SUPPORTED_CLUSTER_TYPE]),
        advice: "use a Hadoop cluster on EMR-3.38.2 or EMR-3.38.3",
        source: SOURCE_DOC,
        violated: |f| !f.cluster_type.eq_ignore_ascii_case(SUPPORTED_CLUSTER_TYPE),
        observed: |f| {
            format!(
                "cluster type is {}, but DataWorks registers only legacy EMR Hadoop (HADOOP) \
                 clusters across accounts",
                shown(&f.cluster_type)
            )
        },
    },
    Rule {
        id: "release",
        reason: IneligibilityReason::ReleaseNotSupported,
        checks: "release of a Hadoop cluster (EMR GetCluster ReleaseVersion)",
        allowed: Allowed::OneOf(SUPPORTED_RELEASES),
        advice: "use a Hadoop cluster on EMR-3.38.2 or EMR-3.38.3",
        source: SOURCE_DOC,
        violated: |f| {
            f.cluster_type.eq_ignore_ascii_case(SUPPORTED_CLUSTER_TYPE)
                && !SUPPORTED_RELEASES
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&f.release_version))
        },
        observed: |f| {
            format!(
                "release {} is not supported for cross-account registration",
                shown(&f.release_version)
            )
        },
    },
    Rule {
        id: "metadata",
        reason: IneligibilityReason::MetadataIsDlf,
        checks: "Hive metastore type (EMR ListApplicationConfigs hive.metastore.type, \
                 DescribeClusterV2 MetaStoreType; DLF in either counts)",
        allowed: Allowed::NoneOf(&[DLF_METASTORE]),
        advice: "use a cluster whose Hive metastore is local or RDS",
        source: SOURCE_DOC,
        violated: |f| f.dlf,
        observed: |_| {
            "Hive metadata is DLF unified metadata, which cross-account registration does not \
             support"
                .to_owned()
        },
    },
    Rule {
        id: "kerberos",
        reason: IneligibilityReason::KerberosEnabled,
        checks: "security mode (EMR GetCluster SecurityMode; DescribeClusterV2 EasEnable=true \
                 counts as KERBEROS)",
        allowed: Allowed::NoneOf(&[KERBEROS_MODE]),
        advice: "use a cluster created without Kerberos",
        source: SOURCE_DOC,
        violated: |f| f.kerberos,
        observed: |_| {
            "Kerberos (high-security mode) is enabled, which cross-account registration does \
             not support"
                .to_owned()
        },
    },
    Rule {
        id: "state",
        reason: IneligibilityReason::ClusterNotRunning,
        checks: "cluster state (EMR GetCluster ClusterState)",
        allowed: Allowed::OneOf(&[REQUIRED_STATE]),
        advice: "start the cluster or wait until it is RUNNING (a released cluster cannot be \
                 registered)",
        source: "DataWorks reaches only a running cluster (crossbind's own rule)",
        violated: |f| !f.state.eq_ignore_ascii_case(REQUIRED_STATE),
        observed: |f| format!("cluster state is {}, not RUNNING", shown(&f.state)),
    },
];

/// A violated rule: its reason and its sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The machine-readable reason.
    pub reason: IneligibilityReason,
    /// What is wrong and what would fix it.
    pub message: String,
}

/// Every rule `facts` violate, in table order; empty means eligible.
pub fn evaluate(facts: &ClusterFacts) -> Vec<Violation> {
    RULES
        .iter()
        .filter(|rule| (rule.violated)(facts))
        .map(|rule| Violation {
            reason: rule.reason,
            message: format!("{}; {}", (rule.observed)(facts), rule.advice),
        })
        .collect()
}

fn shown(value: &str) -> &str {
    if value.is_empty() {
        "(not reported)"
    } else {
        value
    }
}

// === impl Rule ===

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .field("reason", &self.reason)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
