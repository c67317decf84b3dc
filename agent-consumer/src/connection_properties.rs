//! The one place that builds the `ConnectionProperties` JSON of a cross-account EMR compute
//! resource, and that recognises an existing resource by it.
//!
//! **The schema is an assumption.** DataWorks does not publish the `ConnectionProperties` of
//! an EMR compute resource (facts §5.2 and §10). The default template is the best-evidence
//! shape, assembled from the documented cross-account keys of data sources
//! (`crossAccountOwnerId`, `crossAccountRoleName`, `authType = RamRole`) and the Hive
//! instance-mode keys (`regionId`, `clusterId`, `envType`):
//!
//! ```json
//! {"envType":"${envType}","regionId":"${regionId}","clusterId":"${clusterId}",
//!  "crossAccountOwnerId":"${crossAccountOwnerId}",
//!  "crossAccountRoleName":"${crossAccountRoleName}","authType":"RamRole"}
//! ```
//!
//! Verify it before relying on it against the real cloud: register one cluster in the
//! DataWorks console, read it back with `GetComputeResource`, and, if the keys differ, put
//! the console's shape into `registration.connection_properties_template`.
//!
//! Placeholders are substituted in the parsed JSON (string values only), so values are always
//! escaped correctly. Matching an existing resource compares the owner UID, role name, cluster
//! ID and environment found at the template's placeholder positions, ignoring case.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The default template; see the module documentation for why it is an assumption.
pub const DEFAULT_TEMPLATE: &str = r#"{"envType":"${envType}","regionId":"${regionId}","clusterId":"${clusterId}","crossAccountOwnerId":"${crossAccountOwnerId}","crossAccountRoleName":"${crossAccountRoleName}","authType":"RamRole"}"#;

/// A value the template can ask for, written `${name}` in a string value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placeholder {
    /// `${envType}`: `Dev` or `Prod`.
    EnvType,
    /// `${regionId}`: the cluster's region.
    RegionId,
    /// `${clusterId}`: the EMR cluster ID.
    ClusterId,
    /// `${crossAccountOwnerId}`: the provider account UID.
    CrossAccountOwnerId,
    /// `${crossAccountRoleName}`: the role in the provider account.
    CrossAccountRoleName,
}

/// The values substituted for the placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// `Dev` or `Prod`.
    pub env_type: String,
    /// The cluster's region.
    pub region_id: String,
    /// The EMR cluster ID.
    pub cluster_id: String,
    /// The provider account UID.
    pub owner_id: String,
    /// The role in the provider account.
    pub role_name: String,
}

/// A parsed, checked template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    value: Value,
    /// Where each placeholder stands alone as a string value (JSON pointers).
    positions: BTreeMap<Placeholder, Vec<String>>,
}

/// Why a template cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The text is not JSON.
    #[error("is not valid JSON")]
    NotJson(#[source] serde_json::Error),
    /// The JSON is not an object.
    #[error("must be a JSON object")]
    NotAnObject,
    /// A `${...}` names no known placeholder.
    #[error(
        "uses the unknown placeholder ${{{0}}}; known are ${{envType}}, ${{regionId}}, \
         ${{clusterId}}, ${{crossAccountOwnerId}} and ${{crossAccountRoleName}}"
    )]
    UnknownPlaceholder(String),
    /// A placeholder needed to recognise an existing resource is not a whole string value.
    #[error(
        "must contain {} as a whole string value (e.g. \"key\": \"{}\"), so that an existing \
         resource can be recognised",
        .0.token(),
        .0.token()
    )]
    MissingPlaceholder(Placeholder),
}

/// The placeholders a template must contain as whole values.
const NEEDED: [Placeholder; 4] = [
    Placeholder::EnvType,
    Placeholder::ClusterId,
    Placeholder::CrossAccountOwnerId,
    Placeholder::CrossAccountRoleName,
];

const ALL: [Placeholder; 5] = [
    Placeholder::EnvType,
    Placeholder::RegionId,
    Placeholder::ClusterId,
    Placeholder::CrossAccountOwnerId,
    Placeholder::CrossAccountRoleName,
];

// === impl Placeholder ===

impl Placeholder {
    /// The name inside `${...}`.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::EnvType => "envType",
            Placeholder::RegionId => "regionId",
            Placeholder::ClusterId => "clusterId",
            Placeholder::CrossAccountOwnerId => "crossAccountOwnerId",
            Placeholder::CrossAccountRoleName => "crossAccountRoleName",
        }
    }

    /// The placeholder as written, e.g. `${clusterId}`.
    pub fn token(self) -> String {
        format!("${{{}}}", self.name())
    }

    fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token())
    }
}

// === impl Params ===

impl Params {
    fn get(&self, p: Placeholder) -> &str {
        match p {
            Placeholder::EnvType => &self.env_type,
            Placeholder::RegionId => &self.region_id,
            Placeholder::ClusterId => &self.cluster_id,
            Placeholder::CrossAccountOwnerId => &self.owner_id,
            Placeholder::CrossAccountRoleName => &self.role_name,
        }
    }
}

// === impl Template ===

impl Template {
    /// The [`DEFAULT_TEMPLATE`].
    pub fn default_template() -> Self {
        Self::parse(DEFAULT_TEMPLATE).unwrap_or_else(|_| Self {
            value: Value::Object(serde_json::Map::new()),
            positions: BTreeMap::new(),
        })
    }

    /// Parses and checks a template: JSON object, known placeholders only, and the owner,
    /// role, cluster and environment placeholders present as whole string values.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let value: Value = serde_json::from_str(text).map_err(TemplateError::NotJson)?;
        if !value.is_object() {
            return Err(TemplateError::NotAnObject);
        }
        let mut positions: BTreeMap<Placeholder, Vec<String>> = BTreeMap::new();
        let mut unknown = None;
        walk_strings(&value, String::new(), &mut |pointer, s| {
            for name in placeholder_names(s) {
                match Placeholder::from_name(name) {
                    Some(p) if s == p.token() => {
                        positions.entry(p).or_default().push(pointer.to_owned());
                    }
                    Some(_) => {}
                    None => {
                        unknown.get_or_insert_with(|| name.to_owned());
                    }
                }
            }
        });
        if let Some(name) = unknown {
            return Err(TemplateError::UnknownPlaceholder(name));
        }
        if let Some(missing) = NEEDED.into_iter().find(|p| !positions.contains_key(p)) {
            return Err(TemplateError::MissingPlaceholder(missing));
        }
        Ok(Self { value, positions })
    }

    /// The properties for `params`.
    pub fn render(&self, params: &Params) -> Value {
        let mut value = self.value.clone();
        substitute(&mut value, params);
        value
    }

    /// The properties for `params` as compact JSON text, as `CreateComputeResource` takes them.
    pub fn render_text(&self, params: &Params) -> String {
        self.render(params).to_string()
    }

    /// Whether `existing` properties describe the resource `params` would create: same owner
    /// UID, role name, cluster ID and environment (ignoring case), read at the positions the
    /// template puts them. `fallback_env` stands in when the properties carry no environment.
    pub fn matches(&self, existing: &Value, params: &Params, fallback_env: Option<&str>) -> bool {
        NEEDED.into_iter().all(|p| {
            let found = self.read(existing, p);
            let found = match (found, p) {
                (None, Placeholder::EnvType) => fallback_env.map(str::to_owned),
                (found, _) => found,
            };
            found.is_some_and(|v| v.eq_ignore_ascii_case(params.get(p)))
        })
    }

    /// The environment in `existing` properties, read where the template puts `${envType}`.
    pub fn env_of(&self, existing: &Value) -> Option<String> {
        self.read(existing, Placeholder::EnvType)
    }

    /// The value of `p` in `existing` properties, read at the first position the template
    /// puts it (strings and numbers); `None` when absent there.
    pub fn value_of(&self, existing: &Value, p: Placeholder) -> Option<String> {
        self.read(existing, p)
    }

    /// The value at the first position of `p` in `existing` (strings and numbers).
    fn read(&self, existing: &Value, p: Placeholder) -> Option<String> {
        self.positions
            .get(&p)?
            .iter()
            .find_map(|pointer| match existing.pointer(pointer)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }
}

/// Calls `f(pointer, s)` for every string value in `value`.
fn walk_strings(value: &Value, pointer: String, f: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(s) => f(&pointer, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_strings(item, format!("{pointer}/{i}"), f);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                walk_strings(item, format!("{pointer}/{escaped}"), f);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The names of every `${name}` in `s`.
fn placeholder_names(s: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    names
}

/// `s` with each known `${name}` replaced in one pass (so a value is never rescanned).
fn fill(s: &str, params: &Params) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        match Placeholder::from_name(&after[..end]) {
            Some(p) => out.push_str(params.get(p)),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Replaces every known placeholder in every string value of `value`.
fn substitute(value: &mut Value, params: &Params) {
    match value {
        Value::String(s) => {
            if s.contains("${") {
                *s = fill(s, params);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, params)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, params)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests;
