//! A TOML reader that keeps going after a bad key: every missing, malformed or unknown key is
//! recorded as a [`ConfigProblem`], so one run reports all of them. It knows nothing about
//! which keys an agent has; the agents' `config` modules say that.

use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{ConfigError, ConfigProblem};

/// Collects the problems found while reading one configuration text.
pub struct ConfigReader {
    source: Option<PathBuf>,
    base_dir: Option<PathBuf>,
    problems: RefCell<Vec<ConfigProblem>>,
}

/// One table of the configuration. Reading a key removes it, so whatever is left when
/// [`Section::end`] runs is reported as unknown.
pub struct Section<'r> {
    reader: &'r ConfigReader,
    path: String,
    table: toml::Table,
    /// Set when the table itself was malformed; missing keys are then not reported again.
    broken: bool,
}

// === impl ConfigReader ===

impl ConfigReader {
    /// A reader for text that came from `source` (a file path, used in messages and to resolve
    /// relative paths), or from memory when `None`.
    pub fn new(source: Option<&Path>) -> Self {
        let base_dir = source.and_then(|p| p.parent()).map(Path::to_path_buf);
        Self {
            source: source.map(Path::to_path_buf),
            base_dir,
            problems: RefCell::new(Vec::new()),
        }
    }

    /// Parses `text` and returns its root table. A syntax error is recorded (with its line)
    /// and an empty, "broken" root is returned so that nothing else is reported.
    pub fn parse(&self, text: &str) -> Section<'_> {
        match text.parse::<toml::Table>() {
            Ok(table) => Section {
                reader: self,
                path: String::new(),
                table,
                broken: false,
            },
            Err(e) => {
                let line = e
                    .span()
                    .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
                let message = match line {
                    Some(line) => format!("line {line}: {}", e.message()),
                    None => e.message().to_owned(),
                };
                self.problem("(syntax)", message);
                Section {
                    reader: self,
                    path: String::new(),
                    table: toml::Table::new(),
                    broken: true,
                }
            }
        }
    }

    /// Wraps an already parsed table as the root section.
    pub fn root(&self, table: toml::Table) -> Section<'_> {
        Section {
            reader: self,
            path: String::new(),
            table,
            broken: false,
        }
    }

    /// Records a problem with `key` (a dotted path such as `cloud.region`).
    pub fn problem(&self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.borrow_mut().push(ConfigProblem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Whether any problem has been recorded so far.
    pub fn has_problems(&self) -> bool {
        !self.problems.borrow().is_empty()
    }

    /// Finishes reading: every recorded problem, or the value `build` makes from the parts.
    ///
    /// `build` returns `None` only when a part is missing, which always comes with a problem;
    /// should it not, a generic problem is reported rather than a half-built value.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, ConfigError> {
        if !self.has_problems() {
            if let Some(value) = build() {
                return Ok(value);
            }
            self.problem("(config)", "incomplete configuration");
        }
        Err(ConfigError::Invalid {
            source_name: self.source_name(),
            problems: self.problems.into_inner(),
        })
    }

    fn source_name(&self) -> String {
        self.source.as_ref().map_or_else(
            || "configuration".to_owned(),
            |p| format!("configuration file {}", p.display()),
        )
    }
}

impl fmt::Debug for ConfigReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigReader")
            .field("source", &self.source)
            .field("problems", &self.problems.borrow().len())
            .finish()
    }
}

// === impl Section ===

impl<'r> Section<'r> {
    /// The dotted path of `key` in this section, e.g. `cloud.region`.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Records a problem with `key` of this section.
    pub fn problem(&self, key: &str, message: impl Into<String>) {
        self.reader.problem(self.key_path(key), message);
    }

    /// A key that must be present. Missing or malformed: a problem, and `None`.
    pub fn required<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        match self.table.remove(key) {
            Some(value) => self.convert(key, value),
            None => {
                if !self.broken {
                    self.problem(key, "is required");
                }
                None
            }
        }
    }

    /// A key that may be absent (`None`); malformed is a problem (also `None`).
    pub fn optional<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.table.remove(key)?;
        self.convert(key, value)
    }

    /// A key with a default: absent gives `default`; malformed is a problem (and `default`,
    /// so that reading can go on).
    pub fn or<T: DeserializeOwned>(&mut self, key: &str, default: T) -> T {
        self.optional(key).unwrap_or(default)
    }

    /// A list whose elements are checked one by one, so that each bad element is reported
    /// (as `key[i]`). Absent gives `None` without a problem.
    pub fn list<T: DeserializeOwned>(&mut self, key: &str) -> Option<Vec<T>> {
        let value = self.table.remove(key)?;
        let toml::Value::Array(items) = value else {
            self.problem(key, "must be a list");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            match item.try_into::<T>() {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.reader
                        .problem(format!("{}[{i}]", self.key_path(key)), e.message());
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// A path; a relative one is taken relative to the configuration file's directory.
    pub fn path(&mut self, key: &str) -> Option<PathBuf> {
        let path: PathBuf = self.required(key)?;
        Some(match (&self.reader.base_dir, path.is_relative()) {
            (Some(base), true) => base.join(path),
            _ => path,
        })
    }

    /// A sub-table; absent gives an empty one (whose required keys are then reported).
    pub fn table(&mut self, key: &str) -> Section<'r> {
        let path = self.key_path(key);
        let (table, broken) = match self.table.remove(key) {
            Some(toml::Value::Table(t)) => (t, false),
            Some(_) => {
                self.problem(key, "must be a table");
                (toml::Table::new(), true)
            }
            None => (toml::Table::new(), self.broken),
        };
        Section {
            reader: self.reader,
            path,
            table,
            broken,
        }
    }

    /// Takes every key not read yet, for a table whose keys are data rather than names (such
    /// as `per_second`): the caller checks each one, and [`Section::end`] finds none left.
    pub fn take_entries(&mut self) -> Vec<(String, toml::Value)> {
        std::mem::take(&mut self.table).into_iter().collect()
    }

    /// Whether the section has `key` (not yet read).
    pub fn contains(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Ends the section: every key not read is reported as unknown. A key that looks like a
    /// credential gets its own message, since credentials never come from this file.
    pub fn end(self) {
        for key in self.table.keys() {
            let lower = key.to_ascii_lowercase();
            let message = if lower.contains("secret")
                || lower.contains("access_key")
                || lower.contains("token")
            {
                "is not read: credentials never come from the configuration file; use the \
                 standard Alibaba Cloud credential chain (ALIBABA_CLOUD_ACCESS_KEY_ID and \
                 ALIBABA_CLOUD_ACCESS_KEY_SECRET, ~/.aliyun/config.json or \
                 ~/.alibabacloud/credentials)"
            } else {
                "is not a known key"
            };
            self.problem(key, message);
        }
    }

    fn convert<T: DeserializeOwned>(&self, key: &str, value: toml::Value) -> Option<T> {
        match value.try_into::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(key, e.message());
                None
            }
        }
    }
}

impl fmt::Debug for Section<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("path", &self.path)
            .field("keys", &self.table.keys().collect::<Vec<_>>())
            .finish()
    }
}
