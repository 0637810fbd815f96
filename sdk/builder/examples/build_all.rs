//! Builds every plugin crate of a workspace (default: this one) into its `target/plugins/` and
//! prints each component's size, imports and exports:
//! `cargo run -p ml-connector-builder --example build_all [WORKSPACE_ROOT]`.

use std::path::PathBuf;
use std::time::Instant;

use ml_connector_builder::{BuildOptions, build_plugins, inspect};

fn main() -> anyhow::Result<()> {
    let workspace_root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .canonicalize()?;
    let options = BuildOptions::workspace(workspace_root);
    let started = Instant::now();
    let built = build_plugins(&options, &mut |line| eprintln!("{line}"))?;
    println!("built {} plugins in {:.1?}", built.len(), started.elapsed());
    for plugin in built {
        let surface = inspect(&std::fs::read(&plugin.component)?)?;
        println!(
            "{} {} bytes ({})",
            plugin.name,
            plugin.size,
            plugin.component.display()
        );
        println!("  imports: {}", surface.imports.join(", "));
        println!("  exports: {}", surface.exports.join(", "));
    }
    Ok(())
}
