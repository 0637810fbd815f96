//! `ConfigError`: what is wrong in the configuration file, where (a dotted key, or a line and
//! column for TOML syntax), and what to do about it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration the host refuses. `Display` gives `{file}: {key}: {problem}` and, on the next
/// line, `  fix: {fix}`. No text here ever holds a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// A dotted path (`flows.orders.mapping`), or `line L, column C` for a TOML syntax error.
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    pub(super) fn new(
        file: &Path,
        key: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            key: key.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// A TOML syntax error, placed by the line and column where the parser stopped.
    pub(super) fn syntax(file: &Path, text: &str, error: &toml::de::Error) -> Self {
        let key = match error.span() {
            Some(span) => {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                format!("line {line}, column {column}")
            }
            None => "TOML syntax".to_owned(),
        };
        Self::new(
            file,
            key,
            format!("invalid TOML: {}", error.message()),
            "correct the syntax there (TOML is described at https://toml.io)",
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}\n  fix: {}",
            self.file.display(),
            self.key,
            self.problem,
            self.fix
        )
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::super::testing::{error, key_problem};

    #[test]
    fn a_syntax_error_is_placed_by_line_and_column() {
        assert_eq!(
            error("workers = 4\n[server\nlisten = \"127.0.0.1:8080\"\n").to_string(),
            "mlc.toml: line 2, column 8: invalid TOML: unclosed table, expected `]`\n  \
             fix: correct the syntax there (TOML is described at https://toml.io)"
        );
        assert_eq!(
            key_problem("[plugins]\ndir = \"a\"\ndir = \"b\"\n"),
            (
                "line 3, column 1".to_owned(),
                "invalid TOML: duplicate key".to_owned()
            )
        );
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let dir = super::super::testing::temp_dir();
        let path = dir.join("absent.toml");
        let error = super::super::Config::load(&path).unwrap_err();
        std::fs::remove_dir(dir).unwrap();
        assert_eq!((error.file, error.key.as_str()), (path, "file"));
        assert!(
            error.problem.starts_with("cannot be read: "),
            "{}",
            error.problem
        );
    }
}
