//! Finds what `mlc plugin build` builds: an ml-connector workspace (a `Cargo.toml` beside a
//! `plugins/` directory: every crate under it) or a plugin crate of its own, such as one
//! `mlc plugin new` made (a `Cargo.toml` with its own `[workspace]` table: that crate); and the
//! checkout `mlc` itself was built from.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// `given`, or the workspace root around the current directory: the nearest directory upward
/// whose `Cargo.toml` sits beside `plugins/` or has a `[workspace]` table, else (as cargo does)
/// the nearest one with a `Cargo.toml`.
pub fn root(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("workspace {} does not exist", dir.display()))?;
        if !dir.join("Cargo.toml").is_file() {
            bail!(
                "{} has no Cargo.toml: pass --workspace DIR, a plugin workspace or a plugin crate",
                dir.display()
            );
        }
        return Ok(dir);
    }
    let here = std::env::current_dir().context("cannot read the current directory")?;
    find_root(&here)
}

/// The ml-connector checkout this mlc was built from: its plugins are what `mlc sim start`
/// serves.
pub fn built_from() -> anyhow::Result<PathBuf> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    match root.join("plugins").is_dir() {
        true => Ok(root.canonicalize()?),
        false => bail!(
            "the ml-connector checkout this mlc was built from ({}) is gone: pass --plugins DIR \
             with built plugins",
            root.display()
        ),
    }
}

fn find_root(start: &Path) -> anyhow::Result<PathBuf> {
    let mut nearest_crate = None;
    for dir in start.ancestors() {
        let Some(manifest) = manifest(dir)? else {
            continue;
        };
        if dir.join("plugins").is_dir() || manifest.contains_key("workspace") {
            return Ok(dir.to_path_buf());
        }
        nearest_crate.get_or_insert_with(|| dir.to_path_buf());
    }
    nearest_crate.with_context(|| {
        format!(
            "no plugin workspace or plugin crate (a Cargo.toml) in {} or above it; run mlc \
             there or pass --workspace DIR",
            start.display()
        )
    })
}

/// The plugin crates to build at `root`, for the builder: none named (every crate under
/// `plugins/`) in a workspace, else the crate at `root` itself.
pub fn plugin_crates(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if root.join("plugins").is_dir() {
        return Ok(Vec::new());
    }
    match manifest(root)? {
        Some(manifest) if manifest.contains_key("package") => Ok(vec![root.to_path_buf()]),
        _ => bail!(
            "{} holds neither a plugins/ directory of plugin crates nor a plugin crate (a \
             Cargo.toml with [package]); run mlc in one or pass --workspace DIR",
            root.display()
        ),
    }
}

/// `dir/Cargo.toml` as a table, if there is one.
fn manifest(dir: &Path) -> anyhow::Result<Option<toml::Table>> {
    let path = dir.join("Cargo.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    Ok(Some(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch tree: `files` (path, text) under a fresh temporary directory.
    fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("mlc-workspace-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    const PACKAGE: &str = "[package]\nname = \"p\"\n";

    #[test]
    fn a_member_crate_builds_its_workspace_and_a_crate_of_its_own_itself() {
        let root = tree(
            "layouts",
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"plugins/*\"]\n"),
                ("plugins/a/Cargo.toml", PACKAGE),
                ("plugins/a/src/lib.rs", ""),
                ("mine/Cargo.toml", &format!("{PACKAGE}[workspace]\n")),
                ("mine/src/lib.rs", ""),
            ],
        );
        let root = root.canonicalize().unwrap();

        assert_eq!(find_root(&root.join("plugins/a/src")).unwrap(), root);
        assert_eq!(plugin_crates(&root).unwrap(), Vec::<PathBuf>::new());
        let mine = root.join("mine");
        assert_eq!(find_root(&mine.join("src")).unwrap(), mine);
        assert_eq!(plugin_crates(&mine).unwrap(), vec![mine.clone()]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn without_a_workspace_the_nearest_crate_is_its_own_root() {
        let root = tree(
            "loose",
            &[("a/Cargo.toml", PACKAGE), ("a/b/Cargo.toml", PACKAGE)],
        );
        let nested = root.join("a/b");
        assert_eq!(find_root(&nested).unwrap(), nested);
        let error = plugin_crates(&root).unwrap_err().to_string();
        assert!(error.contains("neither a plugins/ directory"), "{error}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
