//! `mlc plugins` and `mlc plugin build`: where the components are, building them, listing them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ml_connector_builder::{BuildOptions, BuiltPlugin, build_plugins};
use mlc_host::{Host, PluginSummary};

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
/// at `root`) into `out_dir`, with progress and where each component went on stderr.
pub fn build(root: &Path, out_dir: &Path) -> anyhow::Result<Vec<BuiltPlugin>> {
    let started = Instant::now();
    let options = BuildOptions {
        crates: workspace::plugin_crates(root)?,
        out_dir: out_dir.to_path_buf(),
        ..BuildOptions::workspace(root)
    };
    let built = build_plugins(&options, &mut |line| eprintln!("  {line}"))?;
    eprintln!(
        "built {} plugin(s) in {:.1?}:",
        built.len(),
        started.elapsed()
    );
    for plugin in &built {
        eprintln!(
            "  {}  ({} KiB)",
            plugin.component.display(),
            plugin.size.div_ceil(1024)
        );
    }
    Ok(built)
}

/// Loads every component in `dir` and prints a table of them.
pub async fn list(dir: &Path) -> anyhow::Result<()> {
    let host = Host::builder().cache_dir(cache_dir(dir)).build()?;
    let plugins = host.load_plugin_dir(dir).await?;
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
