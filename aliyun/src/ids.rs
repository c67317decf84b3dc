//! Identifier newtypes (account UID, role name, cluster, workspace, region), each validated once
//! when it is built or deserialized; this module does not check that the thing it names exists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest value an [`InvalidId`] message quotes before cutting it short.
const MAX_QUOTED: usize = 64;

/// An identifier that failed validation; the message says which kind and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} {problem}")]
pub struct InvalidId {
    what: &'static str,
    value: String,
    problem: &'static str,
}

// === impl InvalidId ===

impl InvalidId {
    fn new(what: &'static str, value: &str, problem: &'static str) -> Self {
        let value = if value.chars().count() > MAX_QUOTED {
            let mut cut: String = value.chars().take(MAX_QUOTED).collect();
            cut.push('…');
            cut
        } else {
            value.to_owned()
        };
        Self {
            what,
            value,
            problem,
        }
    }

    /// The kind of identifier that was rejected, e.g. `"account UID"`.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// What is wrong with the value, e.g. `"must be a decimal number"`.
    pub fn problem(&self) -> &'static str {
        self.problem
    }
}

/// Declares a validated string newtype with the shared trait set.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `s` and wraps it.
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                $check(&s)?;
                Ok(Self(s))
            }

            /// The identifier as it travels on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// An Alibaba Cloud account UID: 1 to 32 decimal digits, kept as text (never an integer).
    AccountUid,
    check_account_uid
);
id_type!(
    /// A RAM role name: 1 to 64 characters, letters, digits, `.`, `-` and `@`.
    RoleName,
    check_role_name
);
id_type!(
    /// An EMR cluster ID such as `c-b933c5aac8fe1234` or `C-ABCDEF0123456789`.
    ///
    /// The cloud writes the same cluster in either case, so compare with
    /// [`ClusterId::eq_ignore_case`].
    ClusterId,
    check_cluster_id
);
id_type!(
    /// A DataWorks workspace (project) ID: a decimal number that fits in an `i64`.
    WorkspaceId,
    check_workspace_id
);
id_type!(
    /// A region ID such as `cn-hangzhou`: lower-case letters, digits and `-`.
    RegionId,
    check_region_id
);

// === impl ClusterId ===

impl ClusterId {
    /// Whether two cluster IDs name the same cluster, ignoring ASCII case.
    pub fn eq_ignore_case(&self, other: &ClusterId) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

// === impl WorkspaceId ===

impl WorkspaceId {
    /// The numeric value, as DataWorks expects it in `ProjectId`.
    pub fn as_i64(&self) -> i64 {
        // Validation guarantees the digits fit.
        self.0.parse().unwrap_or_default()
    }
}

impl From<u32> for WorkspaceId {
    fn from(n: u32) -> Self {
        Self(n.to_string())
    }
}

fn check_account_uid(s: &str) -> Result<(), InvalidId> {
    const WHAT: &str = "account UID";
    if s.is_empty() {
        return Err(InvalidId::new(WHAT, s, "must not be empty"));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidId::new(WHAT, s, "must be a decimal number"));
    }
    if s.len() > 32 {
        return Err(InvalidId::new(WHAT, s, "must be at most 32 digits long"));
    }
    Ok(())
}

fn check_role_name(s: &str) -> Result<(), InvalidId> {
    const WHAT: &str = "role name";
    let len = s.chars().count();
    if len == 0 || len > 64 {
        return Err(InvalidId::new(WHAT, s, "must be 1 to 64 characters long"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'@'))
    {
        return Err(InvalidId::new(
            WHAT,
            s,
            "may contain only letters, digits, '.', '-' and '@'",
        ));
    }
    Ok(())
}

fn check_cluster_id(s: &str) -> Result<(), InvalidId> {
    const WHAT: &str = "cluster ID";
    if s.is_empty() {
        return Err(InvalidId::new(WHAT, s, "must not be empty"));
    }
    if s.len() > 128 {
        return Err(InvalidId::new(
            WHAT,
            s,
            "must be at most 128 characters long",
        ));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(InvalidId::new(
            WHAT,
            s,
            "may contain only letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}

fn check_workspace_id(s: &str) -> Result<(), InvalidId> {
    const WHAT: &str = "workspace ID";
    if s.is_empty() {
        return Err(InvalidId::new(WHAT, s, "must not be empty"));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidId::new(WHAT, s, "must be a decimal number"));
    }
    if s.parse::<i64>().is_err() {
        return Err(InvalidId::new(WHAT, s, "must fit in a 64-bit integer"));
    }
    Ok(())
}

fn check_region_id(s: &str) -> Result<(), InvalidId> {
    const WHAT: &str = "region ID";
    if s.is_empty() || s.len() > 64 {
        return Err(InvalidId::new(WHAT, s, "must be 1 to 64 characters long"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(InvalidId::new(
            WHAT,
            s,
            "may contain only lower-case letters, digits and '-'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_uid_accepts_digits_and_names_the_problem() {
        assert_eq!(
            AccountUid::new("1234567890123456").unwrap().as_str(),
            "1234567890123456"
        );
        assert_eq!(
            AccountUid::new("12a").unwrap_err().to_string(),
            "account UID \"12a\" must be a decimal number"
        );
        assert_eq!(
            AccountUid::new("").unwrap_err().to_string(),
            "account UID \"\" must not be empty"
        );
        assert!(AccountUid::new("1".repeat(32)).is_ok());
        assert!(AccountUid::new("1".repeat(33)).is_err());
        assert!(AccountUid::new("-1").is_err());
    }

    #[test]
    fn role_name_rules() {
        for ok in ["EMRRole", "a", "x.y-z@w", &"r".repeat(64)] {
            assert!(RoleName::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "under_score", &"r".repeat(65), "ünï"] {
            assert!(RoleName::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RoleName::new("a_b").unwrap_err().to_string(),
            "role name \"a_b\" may contain only letters, digits, '.', '-' and '@'"
        );
    }

    #[test]
    fn cluster_workspace_region_rules() {
        assert!(ClusterId::new("C-ABCDEF0123456789").is_ok());
        assert!(ClusterId::new("c_1").is_ok());
        assert!(ClusterId::new("c 1").is_err());
        assert!(ClusterId::new("").is_err());
        assert!(WorkspaceId::new("12345").is_ok());
        assert_eq!(WorkspaceId::new("12345").unwrap().as_i64(), 12345);
        assert!(WorkspaceId::new("99999999999999999999").is_err());
        assert!(WorkspaceId::new("1x").is_err());
        assert!(RegionId::new("cn-hangzhou").is_ok());
        assert!(RegionId::new("CN-hangzhou").is_err());
        assert!(RegionId::new("").is_err());
    }

    #[test]
    fn cluster_ids_compare_ignoring_case() {
        let a = ClusterId::new("C-ABC123").unwrap();
        let b = ClusterId::new("c-abc123").unwrap();
        assert!(a.eq_ignore_case(&b));
        assert_ne!(a, b);
        assert!(!a.eq_ignore_case(&ClusterId::new("c-abc124").unwrap()));
    }

    #[test]
    fn serde_is_a_validated_transparent_string() {
        let uid: AccountUid = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(serde_json::to_string(&uid).unwrap(), "\"42\"");
        let err = serde_json::from_str::<AccountUid>("\"4x2\"").unwrap_err();
        assert!(
            err.to_string().contains("must be a decimal number"),
            "{err}"
        );
        let region: RegionId = "cn-shanghai".parse().unwrap();
        assert_eq!(region.to_string(), "cn-shanghai");
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let err = RoleName::new("x".repeat(500)).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
    }
}
