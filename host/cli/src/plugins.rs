//! `mlc plugins` and `mlc plugin build`: where the components are, building them, listing them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use ml_connector_builder::{BuildOptions, PluginTarget, build_plugins};
use mlc_host::{Host, PluginSummary, component_files, content_hash};

use crate::workspace;

/// The plugin directory: `given`, else `<workspace>/target/plugins`.
pub fn dir(given: Option<PathBuf>, workspace: Option<&Path>) -> anyhow::Result<PathBuf> {
    match (given, workspace) {
        (Some(dir), _) => Ok(dir),
        (None, Some(root)) => Ok(root.join("target/plugins")),
        (None, None) => Ok(workspace::root(None)?.join("target/plugins")),
    }
}

/// Builds the plugins at `root` (every crate under `plugins/` of a workspace, or the plugin crate
/// at `root`) for `target` into `out_dir`, with progress on stderr, then loads each component as
/// the host would (its world, its `describe`, its name): one the host would refuse is removed,
/// with the reason. Prints a table of what was built.
pub async fn build(
    root: &Path,
    out_dir: &Path,
    target: PluginTarget,
) -> anyhow::Result<Vec<PluginSummary>> {
    let started = Instant::now();
    let options = BuildOptions {
        crates: workspace::plugin_crates(root)?,
        out_dir: out_dir.to_path_buf(),
        target,
        ..BuildOptions::workspace(root)
    };
    let built = build_plugins(&options, &mut |line| eprintln!("  {line}"))?;
    let built: Vec<(String, PathBuf)> = built
        .into_iter()
        .map(|plugin| (plugin.name, plugin.component))
        .collect();
    check_built(out_dir, &built, started).await
}

/// Loads each component just built into `out_dir`, `(name, path)`, as the host would (its world,
/// its `describe`, its name): one the host would refuse is removed, with the reason. Prints a
/// table of what was built.
pub async fn check_built(
    out_dir: &Path,
    built: &[(String, PathBuf)],
    started: Instant,
) -> anyhow::Result<Vec<PluginSummary>> {
    let host = Host::builder().cache_dir(cache_dir(out_dir)).build()?;
    let mut described = Vec::new();
    for (name, component) in built {
        described.push(load_built(&host, name, component).await?);
    }
    host.remove_unused_compiled(&hashes_in(out_dir)?)?;
    eprintln!(
        "built {} plugin(s) in {:.1?} into {}:",
        built.len(),
        started.elapsed(),
        out_dir.display()
    );
    print_table(&described);
    Ok(described)
}

/// Loads a component just built; removes it when the host refuses it.
async fn load_built(host: &Host, name: &str, path: &Path) -> anyhow::Result<PluginSummary> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match host.load_plugin(&bytes).await {
        Ok(summary) => Ok(summary),
        Err(error) => {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            Err(error.context(format!(
                "plugin `{name}` built, but the host would refuse its component (removed)"
            )))
        }
    }
}

/// The hashes of the components in `dir`: the compiled code its cache keeps.
fn hashes_in(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    component_files(dir)?
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(content_hash(&bytes))
        })
        .collect()
}

/// Loads every component in `dir` and prints a table of them.
pub async fn list(dir: &Path) -> anyhow::Result<()> {
    let host = Host::builder().cache_dir(cache_dir(dir)).build()?;
    let plugins = host.load_plugin_dir(dir).await?;
    let loaded: BTreeSet<String> = plugins.iter().map(|plugin| plugin.hash.clone()).collect();
    host.remove_unused_compiled(&loaded)?;
    if plugins.is_empty() {
        anyhow::bail!(
            "no plugins in {}: build them with `mlc plugin build`",
            dir.display()
        );
    }
    print_table(&plugins);
    Ok(())
}

/// Compiled components are cached beside the plugin directory.
pub fn cache_dir(plugin_dir: &Path) -> PathBuf {
    plugin_dir.join(".compiled")
}

/// One row per plugin; CONTRACT is the version of the plugin worlds it was built for.
pub fn print_table(plugins: &[PluginSummary]) {
    println!(
        "{:<22} {:<8} {:<10} {:<9} {:<42} SHA-256",
        "NAME", "VERSION", "WORLD", "CONTRACT", "CAPABILITIES"
    );
    for plugin in plugins {
        println!(
            "{:<22} {:<8} {:<10} {:<9} {:<42} {}",
            plugin.name,
            plugin.version,
            plugin.world.to_string(),
            plugin.contract,
            plugin.capabilities().join(", "),
            &plugin.hash[..12]
        );
    }
}
