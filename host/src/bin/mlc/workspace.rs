//! Finds the ml-connector workspace: the nearest directory, from the current one upward, holding
//! a `Cargo.toml` and a `plugins/` directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// `given`, or the workspace around the current directory.
pub fn root(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return dir
            .canonicalize()
            .with_context(|| format!("workspace {} does not exist", dir.display()));
    }
    let here = std::env::current_dir().context("cannot read the current directory")?;
    match here.ancestors().find(|dir| is_workspace(dir)) {
        Some(dir) => Ok(dir.to_path_buf()),
        None => bail!(
            "no plugin workspace (a Cargo.toml beside a plugins/ directory) in {} or above it; \
             run mlc there or pass --workspace DIR",
            here.display()
        ),
    }
}

fn is_workspace(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() && dir.join("plugins").is_dir()
}
