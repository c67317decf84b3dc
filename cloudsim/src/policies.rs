//! The RAM system policies the emulator knows by name. It holds names and descriptions only;
//! policy documents are not evaluated.

use crate::world::PolicyType;

/// A known policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) policy_type: PolicyType,
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
}

/// The catalogue. Custom policies are not modelled, so none is listed.
const KNOWN: &[Policy] = &[
    Policy {
        policy_type: PolicyType::System,
        name: crossbind_aliyun::ram::DATAWORKS_EMR_POLICY,
        description: "Read-only access that DataWorks needs to reach EMR clusters of this account.",
    },
    Policy {
        policy_type: PolicyType::System,
        name: "AliyunDataWorksAccessingDLFReadOnlyPolicy",
        description: "Read-only access that DataWorks needs to reach DLF metadata of this account.",
    },
    Policy {
        policy_type: PolicyType::System,
        name: "AliyunEMRFullAccess",
        description: "Full access to E-MapReduce.",
    },
    Policy {
        policy_type: PolicyType::System,
        name: "ReadOnlyAccess",
        description: "Read-only access to all Alibaba Cloud resources.",
    },
    Policy {
        policy_type: PolicyType::System,
        name: "AdministratorAccess",
        description: "Full access to all Alibaba Cloud resources.",
    },
];

/// The policy with this type and name; names compare exactly, as RAM does.
pub(crate) fn find(policy_type: PolicyType, name: &str) -> Option<&'static Policy> {
    KNOWN
        .iter()
        .find(|p| p.policy_type == policy_type && p.name == name)
}
