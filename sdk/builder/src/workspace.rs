//! Finds the plugin crates to build: the requested directories, or every crate under `plugins/`,
//! by asking `cargo metadata` for their package and library names.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::route::Route;
use crate::{BuildOptions, cargo};

/// A plugin crate: its package name (`testkit-mapping`) and library name (`testkit_mapping`).
#[derive(Debug, Clone)]
pub struct PluginCrate {
    pub name: String,
    pub lib_name: String,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

/// The crates `options` asks for, each with a `cdylib` library.
pub fn plugin_crates(route: Route, options: &BuildOptions) -> anyhow::Result<Vec<PluginCrate>> {
    let output = cargo::command(route)
        .current_dir(&options.workspace_root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .arg("--manifest-path")
        .arg(options.workspace_root.join("Cargo.toml"))
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).context("cargo metadata's output")?;
    let wanted = wanted_dirs(options)?;
    let mut crates = Vec::new();
    for dir in &wanted {
        let package = metadata
            .packages
            .iter()
            .find(|package| {
                package
                    .manifest_path
                    .parent()
                    .and_then(|parent| parent.canonicalize().ok())
                    .as_ref()
                    == Some(dir)
            })
            .with_context(|| format!("{} is not a crate of the workspace", dir.display()))?;
        let library = package
            .targets
            .iter()
            .find(|target| target.crate_types.iter().any(|kind| kind == "cdylib"))
            .with_context(|| {
                format!(
                    "plugin `{}` needs `crate-type = [\"cdylib\"]` in its [lib]",
                    package.name
                )
            })?;
        crates.push(PluginCrate {
            name: package.name.clone(),
            lib_name: library.name.replace('-', "_"),
        });
    }
    if crates.is_empty() {
        bail!("no plugin crates to build");
    }
    Ok(crates)
}

/// The canonical crate directories to build, sorted.
fn wanted_dirs(options: &BuildOptions) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = match options.crates.is_empty() {
        true => crate_dirs_under(&options.workspace_root.join("plugins"))?,
        false => options.crates.clone(),
    };
    for dir in &mut dirs {
        let joined = options.workspace_root.join(&*dir);
        *dir = joined
            .canonicalize()
            .with_context(|| format!("no plugin crate at {}", joined.display()))?;
    }
    dirs.sort();
    Ok(dirs)
}

fn crate_dirs_under(plugins: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(plugins).with_context(|| format!("cannot list {}", plugins.display()))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            dirs.push(path);
        }
    }
    Ok(dirs)
}
