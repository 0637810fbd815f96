//! Reading one TOML table key by key: each value checked for its type, each error naming its
//! dotted key, and keys nobody reads refused with the list of the allowed ones.

use std::borrow::Cow;
use std::ops::RangeInclusive;
use std::path::Path;

use toml::{Table, Value};

use super::ConfigError;

/// A key as it appears in a dotted path: bare when TOML allows it, else quoted.
pub(super) fn segment(name: &str) -> Cow<'_, str> {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(Value::String(name.to_owned()).to_string())
    }
}

/// `a string`, `an integer`, ...: what a value is, for "expected X, found Y".
fn kind(value: &Value) -> String {
    let name = value.type_str();
    let article = if name.starts_with(['a', 'i']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// One table of the file and where it sits (`connections.shop`; empty for the top level).
pub(super) struct Section<'a> {
    file: &'a Path,
    path: String,
    table: &'a Table,
}

impl<'a> Section<'a> {
    /// The top-level table, refusing keys not in `allowed`.
    pub fn root(file: &'a Path, table: &'a Table, allowed: &[&str]) -> Result<Self, ConfigError> {
        let root = Self {
            file,
            path: String::new(),
            table,
        };
        root.only(allowed)?;
        Ok(root)
    }

    pub fn file(&self) -> &'a Path {
        self.file
    }

    /// The dotted path of `key` in this table.
    pub fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            segment(key).into_owned()
        } else {
            format!("{}.{}", self.path, segment(key))
        }
    }

    pub fn error(
        &self,
        key: &str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.file, self.key(key), problem, fix)
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    /// The keys of a table whose keys the user names (settings, secrets).
    pub fn names(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.table.keys().map(String::as_str)
    }

    /// The keys and values of a table whose keys the user names.
    pub fn values(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + use<'a> {
        self.table.iter().map(|(key, value)| (key.as_str(), value))
    }

    /// "expected a string, found an integer", with `key = example` as the fix.
    pub fn wrong_type(
        &self,
        key: &str,
        expected: &str,
        value: &Value,
        example: &str,
    ) -> ConfigError {
        self.error(
            key,
            format!("expected {expected}, found {}", kind(value)),
            format!("write e.g. `{} = {example}`", segment(key)),
        )
    }

    /// A key that must be present.
    pub fn required<T>(
        &self,
        value: Option<T>,
        key: &str,
        example: &str,
    ) -> Result<T, ConfigError> {
        value.ok_or_else(|| {
            self.error(
                key,
                "missing",
                format!("add `{} = {example}`", segment(key)),
            )
        })
    }

    /// A non-empty string.
    pub fn string(&self, key: &str, example: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) if text.is_empty() => Err(self.error(
                key,
                "is empty",
                format!("write e.g. `{} = {example}`", segment(key)),
            )),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(key, "a string", other, example)),
        }
    }

    /// A boolean.
    pub fn boolean(&self, key: &str, example: &str) -> Result<Option<bool>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Boolean(flag)) => Ok(Some(*flag)),
            Some(other) => Err(self.wrong_type(key, "true or false", other, example)),
        }
    }

    /// An integer within `range`.
    pub fn integer(
        &self,
        key: &str,
        range: RangeInclusive<u64>,
        example: &str,
    ) -> Result<Option<u64>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(n)) => match u64::try_from(*n) {
                Ok(n) if range.contains(&n) => Ok(Some(n)),
                _ => Err(self.error(
                    key,
                    format!("{n} is out of range"),
                    format!(
                        "write an integer from {} to {}, e.g. `{} = {example}`",
                        range.start(),
                        range.end(),
                        segment(key)
                    ),
                )),
            },
            Some(other) => Err(self.wrong_type(key, "an integer", other, example)),
        }
    }

    /// An array of non-empty strings.
    pub fn strings(&self, key: &str, example: &str) -> Result<Option<Vec<&'a str>>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let strings = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().filter(|text| !text.is_empty()))
                .collect::<Option<Vec<_>>>()
        });
        match strings {
            Some(strings) => Ok(Some(strings)),
            None if value.is_array() => Err(self.error(
                key,
                "expected an array of non-empty strings",
                format!("write e.g. `{} = {example}`", segment(key)),
            )),
            None => Err(self.wrong_type(key, "an array of strings", value, example)),
        }
    }

    /// A table of fixed keys, refusing any key not in `allowed`.
    pub fn section(&self, key: &str, allowed: &[&str]) -> Result<Option<Section<'a>>, ConfigError> {
        let Some(section) = self.map(key)? else {
            return Ok(None);
        };
        section.only(allowed)?;
        Ok(Some(section))
    }

    /// A table whose keys the user names (settings, secrets).
    pub fn map(&self, key: &str) -> Result<Option<Section<'a>>, ConfigError> {
        self.get(key)
            .map(|value| self.child(key, value))
            .transpose()
    }

    /// Each entry of a table of tables the user names (`[connections.*]`, `[flows.*]`), each
    /// refusing keys not in `allowed`.
    pub fn entries(&self, allowed: &[&str]) -> Result<Vec<(&'a str, Section<'a>)>, ConfigError> {
        self.table
            .iter()
            .map(|(name, value)| {
                let entry = self.child(name, value)?;
                entry.only(allowed)?;
                Ok((name.as_str(), entry))
            })
            .collect()
    }

    fn child(&self, key: &str, value: &'a Value) -> Result<Section<'a>, ConfigError> {
        match value {
            Value::Table(table) => Ok(Section {
                file: self.file,
                path: self.key(key),
                table,
            }),
            other => Err(self.error(
                key,
                format!("expected a table, found {}", kind(other)),
                format!(
                    "write it as a table: [{}] followed by its keys",
                    self.key(key)
                ),
            )),
        }
    }

    fn only(&self, allowed: &[&str]) -> Result<(), ConfigError> {
        let Some(unknown) = self.names().find(|name| !allowed.contains(name)) else {
            return Ok(());
        };
        let place = if self.path.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in [{}]", self.path)
        };
        Err(self.error(
            unknown,
            "unknown key",
            format!("the keys allowed {place} are: {}", allowed.join(", ")),
        ))
    }
}
