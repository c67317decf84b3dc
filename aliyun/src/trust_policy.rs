//! The RAM role trust policy (`AssumeRolePolicyDocument`): parsing it without losing anything,
//! asking whether it lets a service principal assume the role, adding and removing such a
//! principal, and comparing two documents by meaning rather than by text.
//!
//! It models only what crossbind needs: `Service` principals in `sts:AssumeRole` statements.
//! It does not evaluate `Condition` blocks; a statement with a condition never counts as a
//! plain grant, and a `Deny` that names the principal always wins.

use serde_json::{Map, Value, json};

use crate::ids::AccountUid;

/// The service host that DataWorks uses when it assumes a cross-account EMR role.
pub const DATAWORKS_EMR_SERVICE: &str = "emr.dataworks.aliyuncs.com";

const ASSUME_ROLE: &str = "sts:AssumeRole";
const SERVICE: &str = "Service";

/// A trust policy document. Every field and statement it was parsed from is kept, including
/// ones this module does not understand, so a merge never drops someone else's grant.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    doc: Map<String, Value>,
}

/// Why a trust policy document was rejected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not JSON.
    #[error("trust policy is not valid JSON")]
    Json {
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON is not an object.
    #[error("trust policy must be a JSON object")]
    NotAnObject,
    /// `Statement` is missing or not a list of objects.
    #[error("trust policy must have a \"Statement\" list of objects")]
    BadStatements,
}

/// Parses a trust policy document.
pub fn parse(doc: &str) -> Result<TrustPolicy, Error> {
    TrustPolicy::parse(doc)
}

/// The DataWorks service principal of `consumer`: `<uid>@emr.dataworks.aliyuncs.com`.
pub fn dataworks_principal(consumer: &AccountUid) -> String {
    format!("{consumer}@{DATAWORKS_EMR_SERVICE}")
}

/// A policy with exactly one statement letting the service principal `principal` assume the role.
pub fn for_service_principal(principal: &str) -> TrustPolicy {
    TrustPolicy::for_service_principal(principal)
}

// === impl TrustPolicy ===

impl TrustPolicy {
    /// Parses a trust policy document; see [`parse`].
    pub fn parse(doc: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(doc).map_err(|source| Error::Json { source })?;
        let Value::Object(doc) = value else {
            return Err(Error::NotAnObject);
        };
        match doc.get("Statement") {
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => {}
            _ => return Err(Error::BadStatements),
        }
        Ok(Self { doc })
    }

    /// A policy with one `Allow` statement for `principal`; see [`for_service_principal`].
    pub fn for_service_principal(principal: &str) -> Self {
        let value = json!({
            "Statement": [plain_service_statement(principal)],
            "Version": "1",
        });
        let Value::Object(doc) = value else {
            unreachable!("json! of an object literal is an object")
        };
        Self { doc }
    }

    /// The document as compact JSON.
    pub fn to_json(&self) -> String {
        Value::Object(self.doc.clone()).to_string()
    }

    /// Whether a plain `Allow` statement (action `sts:AssumeRole`, no `Condition`) names the
    /// service principal `principal`, and no `Deny` statement names it. Action, principal key
    /// and principal value are compared ignoring ASCII case.
    pub fn allows_service(&self, principal: &str) -> bool {
        let named = |s: &Map<String, Value>| service_values(s).any(|v| eq_ci(v, principal));
        let granted = self
            .statements()
            .any(|s| is_plain_assume_allow(s) && named(s));
        let denied = self
            .statements()
            .any(|s| effect_is(s, "Deny") && allows_assume_action(s) && named(s));
        granted && !denied
    }

    /// Adds the service principal `principal` to the first plain `Allow sts:AssumeRole`
    /// statement that already has a `Service` principal, or else appends a new statement.
    /// Returns the new policy and whether anything changed (nothing does when a plain `Allow`
    /// statement already names it).
    pub fn with_service_principal(&self, principal: &str) -> (TrustPolicy, bool) {
        let already = self
            .statements()
            .any(|s| is_plain_assume_allow(s) && service_values(s).any(|v| eq_ci(v, principal)));
        if already {
            return (self.clone(), false);
        }
        let mut next = self.clone();
        let statements = next.statements_mut();
        let target = statements
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .find(|s| is_plain_assume_allow(s) && service_key(s).is_some());
        match target {
            Some(statement) => {
                let key = service_key(statement).unwrap_or_else(|| SERVICE.to_owned());
                let principals = statement
                    .get_mut("Principal")
                    .and_then(Value::as_object_mut)
                    .expect("service_key found a Principal object");
                let slot = principals.entry(key).or_insert(Value::Array(Vec::new()));
                let added = Value::String(principal.to_owned());
                match slot {
                    Value::Array(items) => items.push(added),
                    other => *other = Value::Array(vec![other.take(), added]),
                }
            }
            None => statements.push(plain_service_statement(principal)),
        }
        (next, true)
    }

    /// Removes the service principal `principal` (ignoring case) from every `Allow` statement,
    /// drops a `Service` entry left empty and a statement left with no principal at all.
    /// `Deny` statements are never touched. Returns the new policy and whether it changed.
    pub fn without_service_principal(&self, principal: &str) -> (TrustPolicy, bool) {
        let mut next = self.clone();
        let mut changed = false;
        next.statements_mut().retain_mut(|statement| {
            let Some(statement) = statement.as_object_mut() else {
                return true;
            };
            if !effect_is(statement, "Allow") {
                return true;
            }
            let Some(key) = service_key(statement) else {
                return true;
            };
            let Some(principals) = statement
                .get_mut("Principal")
                .and_then(Value::as_object_mut)
            else {
                return true;
            };
            let remove_key = match principals.get_mut(&key) {
                Some(Value::String(s)) if eq_ci(s, principal) => true,
                Some(Value::Array(items)) => {
                    let before = items.len();
                    items.retain(|v| !v.as_str().is_some_and(|s| eq_ci(s, principal)));
                    changed |= items.len() != before;
                    items.is_empty()
                }
                _ => false,
            };
            if remove_key {
                principals.remove(&key);
                changed = true;
            }
            !principals.is_empty()
        });
        (next, changed)
    }

    /// Every principal of every `Allow` statement, as (key as written, value) pairs, e.g.
    /// `("Service", "123@emr.dataworks.aliyuncs.com")` or `("RAM", "acs:ram::123:root")`.
    pub fn principals(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for statement in self.statements().filter(|s| effect_is(s, "Allow")) {
            let Some(Value::Object(principals)) = statement.get("Principal") else {
                continue;
            };
            for (key, value) in principals {
                for v in string_or_list(value) {
                    out.push((key.clone(), v.to_owned()));
                }
            }
        }
        out
    }

    /// Whether two policies mean the same: key order, whitespace, statement order, a string
    /// versus a one-element list, the order of list items and the case of principal keys are
    /// not differences; anything else is.
    pub fn semantically_eq(&self, other: &TrustPolicy) -> bool {
        normalize(&self.doc) == normalize(&other.doc)
    }

    fn statements(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.doc
            .get("Statement")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
    }

    fn statements_mut(&mut self) -> &mut Vec<Value> {
        let slot = self
            .doc
            .entry("Statement")
            .or_insert(Value::Array(Vec::new()));
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        match slot {
            Value::Array(items) => items,
            _ => unreachable!("just made it an array"),
        }
    }
}

impl std::str::FromStr for TrustPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn plain_service_statement(principal: &str) -> Value {
    json!({
        "Action": ASSUME_ROLE,
        "Effect": "Allow",
        "Principal": { SERVICE: [principal] },
    })
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn effect_is(statement: &Map<String, Value>, effect: &str) -> bool {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| eq_ci(e, effect))
}

fn allows_assume_action(statement: &Map<String, Value>) -> bool {
    statement
        .get("Action")
        .is_some_and(|a| string_or_list(a).any(|a| eq_ci(a, ASSUME_ROLE)))
}

fn has_condition(statement: &Map<String, Value>) -> bool {
    match statement.get("Condition") {
        None | Some(Value::Null) => false,
        Some(Value::Object(m)) => !m.is_empty(),
        Some(_) => true,
    }
}

fn is_plain_assume_allow(statement: &Map<String, Value>) -> bool {
    effect_is(statement, "Allow") && allows_assume_action(statement) && !has_condition(statement)
}

/// The `Principal` key that means `Service`, as written (any case).
fn service_key(statement: &Map<String, Value>) -> Option<String> {
    let Some(Value::Object(principals)) = statement.get("Principal") else {
        return None;
    };
    principals.keys().find(|k| eq_ci(k, SERVICE)).cloned()
}

fn service_values(statement: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let principals = match statement.get("Principal") {
        Some(Value::Object(p)) => Some(p),
        _ => None,
    };
    principals
        .into_iter()
        .flat_map(|p| p.iter())
        .filter(|(k, _)| eq_ci(k, SERVICE))
        .flat_map(|(_, v)| string_or_list(v))
}

fn string_or_list(value: &Value) -> impl Iterator<Item = &str> {
    let (one, many) = match value {
        Value::String(s) => (Some(s.as_str()), None),
        Value::Array(items) => (None, Some(items.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// A canonical form for comparison: statements sorted, `Action` and principal values as sorted
/// lists, principal keys lower-cased.
fn normalize(doc: &Map<String, Value>) -> Value {
    let mut out = doc.clone();
    if let Some(Value::Array(statements)) = out.get_mut("Statement") {
        let mut normalized: Vec<Value> = statements.iter().map(normalize_statement).collect();
        normalized.sort_by_cached_key(Value::to_string);
        *statements = normalized;
    }
    Value::Object(out)
}

fn normalize_statement(statement: &Value) -> Value {
    let Value::Object(statement) = statement else {
        return statement.clone();
    };
    let mut out = statement.clone();
    if let Some(action) = out.get_mut("Action") {
        *action = sorted_list(action);
    }
    if let Some(Value::Object(principals)) = out.get_mut("Principal") {
        let mut merged: Map<String, Value> = Map::new();
        for (key, value) in std::mem::take(principals) {
            let slot = merged
                .entry(key.to_ascii_lowercase())
                .or_insert(Value::Array(Vec::new()));
            if let (Value::Array(items), Value::Array(new)) = (slot, sorted_list(&value)) {
                items.extend(new);
            }
        }
        for value in merged.values_mut() {
            *value = sorted_list(value);
        }
        *principals = merged;
    }
    Value::Object(out)
}

fn sorted_list(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    Value::Array(items)
}

#[cfg(test)]
mod tests;
