//! Secrets by reference: `{ env = "NAME" }` or `{ file = "path" }`, resolved when the file is
//! loaded. A secret written inline is refused, and no error ever quotes a secret's value.

use std::env::VarError;
use std::fs;
use std::io::Read;
use std::path::Path;

use toml::Value;

use super::ConfigError;
use super::table::{Section, segment};
use crate::Secret;

/// Where secrets named `{ env = "NAME" }` are read: the process environment, or a stand-in.
pub(super) type Env<'e> = &'e dyn Fn(&str) -> Result<String, VarError>;

/// The secret at `key` of `section`. A `file` is relative to `dir`; one trailing newline of it is
/// dropped.
pub(super) fn resolve(
    section: &Section<'_>,
    key: &str,
    dir: &Path,
    env: Env<'_>,
) -> Result<Secret, ConfigError> {
    let by_reference = format!(
        "write `{0} = {{ env = \"NAME\" }}` or `{0} = {{ file = \"path\" }}`",
        segment(key)
    );
    let reference = match section.get(key) {
        Some(Value::Table(_)) => section.section(key, &["env", "file"])?,
        Some(Value::String(_)) => {
            return Err(section.error(
                key,
                "a secret written inline is refused: the configuration file would hold it",
                by_reference,
            ));
        }
        Some(other) => {
            return Err(section.wrong_type(key, "a table", other, "{ env = \"NAME\" }"));
        }
        None => None,
    };
    let Some(reference) = reference else {
        return Err(section.error(key, "missing", by_reference));
    };
    let variable = reference.string("env", "\"NAME\"")?;
    let file = reference.string("file", "\"path\"")?;
    let fail = |problem: String, fix: String| section.error(key, problem, fix);
    let (value, source) = match (variable, file) {
        (Some(variable), None) => {
            let value = env(variable).map_err(|error| match error {
                VarError::NotPresent => fail(
                    format!("environment variable `{variable}` is not set"),
                    format!(
                        "set `{variable}` in the environment mlc runs in, or write \
                         `{{ file = \"path\" }}`"
                    ),
                ),
                VarError::NotUnicode(_) => fail(
                    format!("environment variable `{variable}` is not valid UTF-8"),
                    format!("set `{variable}` to the secret as UTF-8 text"),
                ),
            })?;
            (value, format!("environment variable `{variable}`"))
        }
        (None, Some(file)) => {
            let path = dir.join(file);
            let text = read_secret_file(&path).map_err(|error| {
                fail(
                    format!("cannot read the secret file `{}`: {error}", path.display()),
                    "create the file or correct the path (relative to the directory of this \
                     configuration file)"
                        .to_owned(),
                )
            })?;
            let line = text.strip_suffix('\n').unwrap_or(&text);
            let value = line.strip_suffix('\r').unwrap_or(line).to_owned();
            (value, format!("secret file `{}`", path.display()))
        }
        (Some(_), Some(_)) => {
            return Err(fail(
                "names both `env` and `file`".to_owned(),
                "keep one of the two".to_owned(),
            ));
        }
        (None, None) => {
            return Err(fail(
                "names no place to read the secret from".to_owned(),
                by_reference,
            ));
        }
    };
    if value.is_empty() {
        return Err(fail(
            format!("{source} is empty"),
            format!("put the secret in the {source}"),
        ));
    }
    Ok(Secret::new(value))
}

/// The most a secret file may hold: one secret, not a device or a log.
const MAX_SECRET_FILE: u64 = 64 << 10;

/// The text of a secret file, refusing one larger than [`MAX_SECRET_FILE`] (or endless, as
/// `/dev/zero` is) without reading past that.
fn read_secret_file(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_SECRET_FILE + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SECRET_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it holds more than {} KiB, more than a secret",
                MAX_SECRET_FILE >> 10
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::env::VarError;
    use std::fs;

    use super::super::testing::{error, key_problem, minimal, temp_dir};
    use super::super::{Config, parse};
    use crate::Secret;

    fn pair(key: &str, problem: &str) -> (String, String) {
        (key.to_owned(), problem.to_owned())
    }

    /// A connection `shop` whose secret `token` is `reference`.
    fn token(reference: &str) -> String {
        minimal(&format!(
            "[connections.shop]\nconnector = \"testkit\"\nsecrets = {{ token = {reference} }}"
        ))
    }

    #[test]
    fn a_missing_environment_variable_is_named() {
        let variable = format!("MLC_CONFIG_TEST_UNSET_{}", std::process::id());
        let path = temp_dir().join("mlc.toml");
        fs::write(&path, token(&format!("{{ env = \"{variable}\" }}"))).unwrap();
        let error = Config::load(&path).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: connections.shop.secrets.token: environment variable `{variable}` is not \
                 set\n  fix: set `{variable}` in the environment mlc runs in, or write \
                 `{{ file = \"path\" }}`",
                path.display()
            )
        );
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn an_inline_secret_is_refused_without_showing_it() {
        let error = error(&token("\"shpat_0123456789\""));
        assert_eq!(
            error.to_string(),
            "mlc.toml: connections.shop.secrets.token: a secret written inline is refused: the \
             configuration file would hold it\n  fix: write `token = { env = \"NAME\" }` or \
             `token = { file = \"path\" }`"
        );
        assert!(!format!("{error:?}").contains("shpat_0123456789"));
        assert_eq!(
            key_problem(&minimal("[admin]\ntoken = \"letmein\"")).0,
            "admin.token"
        );
    }

    #[test]
    fn a_reference_names_exactly_one_place() {
        assert_eq!(
            key_problem(&token("{ env = \"A\", file = \"b\" }")),
            pair(
                "connections.shop.secrets.token",
                "names both `env` and `file`"
            )
        );
        assert_eq!(
            key_problem(&token("{}")),
            pair(
                "connections.shop.secrets.token",
                "names no place to read the secret from"
            )
        );
        let error = error(&token("{ path = \"b\" }"));
        assert_eq!(
            (
                error.key.as_str(),
                error.problem.as_str(),
                error.fix.as_str()
            ),
            (
                "connections.shop.secrets.token.path",
                "unknown key",
                "the keys allowed in [connections.shop.secrets.token] are: env, file"
            )
        );
        assert_eq!(
            key_problem(&token("7")),
            pair(
                "connections.shop.secrets.token",
                "expected a table, found an integer"
            )
        );
    }

    #[test]
    fn a_secret_file_is_read_relative_to_the_configuration_without_its_last_newline() {
        let dir = temp_dir();
        fs::create_dir(dir.join("secrets")).unwrap();
        fs::write(dir.join("secrets/token"), "s3cret\n").unwrap();
        fs::write(dir.join("crlf"), "two\r\nlines\r\n").unwrap();
        fs::write(dir.join("blank-last"), "kept\n\n").unwrap();
        let path = dir.join("mlc.toml");
        fs::write(
            &path,
            minimal(
                "[admin]\ntoken = { file = \"crlf\" }\n\
                 [connections.shop]\nconnector = \"testkit\"\n\
                 secrets = { token = { file = \"secrets/token\" }, other = { file = \"blank-last\" } }",
            ),
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        let secrets = &config.connections["shop"].secrets;
        assert_eq!(secrets["token"], Secret::new("s3cret"));
        assert_eq!(secrets["other"], Secret::new("kept\n"));
        assert_eq!(config.admin_token, Some(Secret::new("two\r\nlines")));

        fs::write(&path, token("{ file = \"missing\" }")).unwrap();
        let error = Config::load(&path).unwrap_err();
        assert_eq!(error.key, "connections.shop.secrets.token");
        let expected = format!(
            "cannot read the secret file `{}`: ",
            dir.join("missing").display()
        );
        assert!(error.problem.starts_with(&expected), "{}", error.problem);

        fs::write(dir.join("empty"), "\n").unwrap();
        fs::write(&path, token("{ file = \"empty\" }")).unwrap();
        let error = Config::load(&path).unwrap_err();
        assert_eq!(
            error.problem,
            format!("secret file `{}` is empty", dir.join("empty").display())
        );

        fs::write(&path, token("{ file = \"/dev/zero\" }")).unwrap();
        let error = Config::load(&path).unwrap_err();
        assert_eq!(
            error.problem,
            "cannot read the secret file `/dev/zero`: it holds more than 64 KiB, more than a secret"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_empty_or_non_text_variable_is_refused() {
        let path = temp_dir().join("mlc.toml");
        fs::write(&path, token("{ env = \"EMPTY\" }")).unwrap();
        let error = parse::load(&path, &|_| Ok(String::new())).unwrap_err();
        assert_eq!(error.problem, "environment variable `EMPTY` is empty");
        let error =
            parse::load(&path, &|_| Err(VarError::NotUnicode("\u{fffd}".into()))).unwrap_err();
        assert_eq!(
            error.problem,
            "environment variable `EMPTY` is not valid UTF-8"
        );
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
