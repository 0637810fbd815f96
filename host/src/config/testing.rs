//! Helpers for the configuration's tests: the documented example, configuration files in a
//! fresh temporary directory each, a stand-in environment, and plugin summaries.

use std::env::VarError;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Config, ConfigError, parse};
use crate::{PluginSummary, World};

/// The example of the configuration reference (`docs/configuration.md`), as TOML.
pub fn example() -> String {
    let source = include_str!("../../../docs/configuration.md");
    source
        .lines()
        .skip_while(|line| *line != "```toml")
        .skip(1)
        .take_while(|line| *line != "```")
        .map(|line| line.to_owned() + "\n")
        .collect()
}

/// A new empty directory under the system's temporary directory.
pub fn temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mlc-config-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `text` written as `mlc.toml` in a new directory.
pub fn write(text: &str) -> PathBuf {
    let path = temp_dir().join("mlc.toml");
    fs::write(&path, text).unwrap();
    path
}

/// The environment of the example: its two secrets.
pub fn env(name: &str) -> Result<String, VarError> {
    match name {
        "MLC_ADMIN_TOKEN" => Ok("admin-secret".to_owned()),
        "SHOP_WEBHOOK_TOKEN" => Ok("webhook-secret".to_owned()),
        _ => Err(VarError::NotPresent),
    }
}

/// Loads `text` with the example's environment, from a file removed afterwards.
pub fn load(text: &str) -> Result<Config, ConfigError> {
    let path = write(text);
    let config = parse::load(&path, &env);
    fs::remove_dir_all(path.parent().unwrap()).unwrap();
    config
}

/// Loads `text` and returns the error, with the file's path replaced by `mlc.toml`.
pub fn error(text: &str) -> ConfigError {
    let error = load(text).expect_err("the configuration should be refused");
    ConfigError {
        file: Path::new("mlc.toml").to_owned(),
        ..error
    }
}

/// `(key, problem)` of the error loading `text`.
pub fn key_problem(text: &str) -> (String, String) {
    let error = error(text);
    (error.key, error.problem)
}

/// `extra`, then what a configuration needs at least.
pub fn minimal(extra: &str) -> String {
    format!("{extra}\n[plugins]\ndir = \"plugins\"\n")
}

pub fn plugin(name: &str, world: World, topics: &[&str], commands: &[&str]) -> PluginSummary {
    let strings = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect();
    PluginSummary {
        name: name.to_owned(),
        version: "0.1.0".to_owned(),
        description: String::new(),
        world,
        topics: strings(topics),
        commands: strings(commands),
        imports: Vec::new(),
        contract: "0.2.0".to_owned(),
        hash: String::new(),
    }
}
