//! `mlc plugin install`, `list` and `rollback`: the plugin store of the config's data directory.
//! They work whether or not `mlc run` is up; a running one picks the change up within a second.

use std::path::Path;

use anyhow::Context;
use mlc_host::config::Config;
use mlc_host::flow::{self, plugins};
use mlc_host::plugin_store::{PluginVersions, StoredVersion};

pub async fn install(config: &Config, file: &Path) -> anyhow::Result<()> {
    let component =
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (host, store) = flow::open_plugins(config).await?;
    let origin = format!("file {}", file.display());
    let installed = plugins::install(&host, &store, config, &component, &origin).await?;
    let active = &installed.active;
    println!(
        "{} {} ({}, {}) is active for new events{}",
        active.name,
        active.version,
        active.world,
        short(&active.hash),
        match installed.new_to_store {
            true => "",
            false => " (it was installed before: made active again)",
        }
    );
    if let Some(replaced) = installed
        .replaced
        .filter(|replaced| replaced.hash != active.hash)
    {
        println!(
            "it replaces {} ({}); `mlc plugin rollback {}` returns to the version installed \
             before it",
            replaced.version,
            short(&replaced.hash),
            active.name
        );
    }
    Ok(())
}

pub async fn list(config: &Config, json: bool) -> anyhow::Result<()> {
    let (_host, store) = flow::open_plugins(config).await?;
    let versions = store.versions().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&versions)?);
        return Ok(());
    }
    print_versions(&versions);
    Ok(())
}

pub async fn rollback(config: &Config, name: &str) -> anyhow::Result<()> {
    let (host, store) = flow::open_plugins(config).await?;
    let rolled = plugins::rollback(&host, &store, config, name).await?;
    let active = &rolled.active;
    println!(
        "{} {} ({}) is active again for new events{}",
        active.name,
        active.version,
        short(&active.hash),
        rolled
            .replaced
            .map(|replaced| format!(" (was {} {})", replaced.version, short(&replaced.hash)))
            .unwrap_or_default()
    );
    Ok(())
}

fn print_versions(versions: &[PluginVersions]) {
    println!(
        "{:<22} {:<10} {:<10} {:<13} {:<21} FROM",
        "NAME", "VERSION", "WORLD", "SHA-256", "INSTALLED (UTC)"
    );
    for plugin in versions {
        print_version(&plugin.active, &format!("* {}", plugin.name));
        for inactive in &plugin.inactive {
            print_version(inactive, "");
        }
    }
    println!("* = active: it serves new events");
}

fn print_version(version: &StoredVersion, name: &str) {
    println!(
        "{:<22} {:<10} {:<10} {:<13} {:<21} {}",
        name,
        version.version,
        version.world,
        short(&version.hash),
        version.installed_at.format("%Y-%m-%d %H:%M:%S"),
        version.origin
    );
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
