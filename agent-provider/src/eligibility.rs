//! The rules a cluster must meet to be registered by another account's DataWorks, as one
//! versioned table of data. It judges facts already gathered; it makes no cloud calls.
//!
//! The rules come from the DataWorks guide "Register a cross-account EMR cluster" (facts §3.7):
//! only legacy Hadoop clusters on EMR-3.38.2 or EMR-3.38.3, without DLF unified metadata and
//! without Kerberos, and (so that DataWorks can reach it) in the RUNNING state.

use crossbind_proto::IneligibilityReason;

/// The version of [`RULES`]; bump it whenever a rule is added, removed or changed.
pub const RULES_VERSION: u32 = 1;

/// The only cluster type DataWorks registers across accounts (the legacy data lake).
pub const SUPPORTED_CLUSTER_TYPE: &str = "HADOOP";

/// The only releases DataWorks registers across accounts.
pub const SUPPORTED_RELEASES: &[&str] = &["EMR-3.38.2", "EMR-3.38.3"];

/// The state a cluster must be in.
pub const REQUIRED_STATE: &str = "RUNNING";

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

/// One rule: the reason it reports, when it is violated, and the sentence that says what is
/// wrong and what would fix it.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The reason reported when the rule is violated.
    pub reason: IneligibilityReason,
    /// The rule as one line, for documentation and logs.
    pub summary: &'static str,
    violated: fn(&ClusterFacts) -> bool,
    explain: fn(&ClusterFacts) -> String,
}

/// Every rule, in the order reasons are reported.
///
/// The release rule applies to Hadoop clusters only: the releases of other cluster types
/// (EMR-5.x data lake, for example) are never supported, and the type rule already says so.
pub const RULES: &[Rule] = &[
    Rule {
        reason: IneligibilityReason::ClusterTypeNotHadoop,
        summary: "ClusterType is HADOOP",
        violated: |f| !f.cluster_type.eq_ignore_ascii_case(SUPPORTED_CLUSTER_TYPE),
        explain: |f| {
            format!(
                "cluster type is {}, but DataWorks registers only legacy EMR Hadoop (HADOOP) \
                 clusters across accounts; use a Hadoop cluster on EMR-3.38.2 or EMR-3.38.3",
                shown(&f.cluster_type)
            )
        },
    },
    Rule {
        reason: IneligibilityReason::ReleaseNotSupported,
        summary: "ReleaseVersion is EMR-3.38.2 or EMR-3.38.3 (Hadoop clusters)",
        violated: |f| {
            f.cluster_type.eq_ignore_ascii_case(SUPPORTED_CLUSTER_TYPE)
                && !SUPPORTED_RELEASES
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&f.release_version))
        },
        explain: |f| {
            format!(
                "release {} is not supported for cross-account registration, only EMR-3.38.2 \
                 and EMR-3.38.3 are; use a Hadoop cluster on one of those releases",
                shown(&f.release_version)
            )
        },
    },
    Rule {
        reason: IneligibilityReason::MetadataIsDlf,
        summary: "Hive metadata is not DLF unified metadata",
        violated: |f| f.dlf,
        explain: |_| {
            "Hive metadata is DLF unified metadata, which cross-account registration does not \
             support; use a cluster whose Hive metastore is local or RDS"
                .to_owned()
        },
    },
    Rule {
        reason: IneligibilityReason::KerberosEnabled,
        summary: "Kerberos (high-security mode) is off",
        violated: |f| f.kerberos,
        explain: |_| {
            "Kerberos (high-security mode) is enabled, which cross-account registration does \
             not support; use a cluster created without Kerberos"
                .to_owned()
        },
    },
    Rule {
        reason: IneligibilityReason::ClusterNotRunning,
        summary: "ClusterState is RUNNING",
        violated: |f| !f.state.eq_ignore_ascii_case(REQUIRED_STATE),
        explain: |f| {
            format!(
                "cluster state is {}, not RUNNING; start the cluster or wait until it is \
                 RUNNING (a released cluster cannot be registered)",
                shown(&f.state)
            )
        },
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
            message: (rule.explain)(facts),
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
            .field("reason", &self.reason)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
