//! The plugin lifecycle of a configured host: components of the plugin directory and installed
//! ones kept in the [`PluginStore`], the store's active versions loaded into the [`Host`], and
//! install and rollback, each checked against the config before it is recorded and made active.
//! A version made active serves the events that start after it; attempts already running keep
//! the version they started with (see `worker`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::config::Config;
use crate::flow::mapping_check::check_with;
use crate::host::{Host, PreparedPlugin, component_files};
use crate::plugin::cache::content_hash;
use crate::plugin::{PluginSummary, World};
use crate::plugin_store::{Activation, PluginStore};

/// What an install or rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// The version now active for new events.
    pub active: PluginSummary,
    /// The version it replaced, if its name had one.
    pub replaced: Option<PluginSummary>,
    /// Whether the bytes were new to the store (installing the same file again re-activates it).
    pub new_to_store: bool,
}

/// Components of `dir` new to the store become active (`plugin dir`); then every active version
/// of the store is loaded into `host`. Returns what `host` serves.
pub async fn load(
    host: &Host,
    store: &PluginStore,
    dir: &Path,
) -> anyhow::Result<Vec<PluginSummary>> {
    for path in component_files(dir)? {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if store.contains(&content_hash(&bytes)).await? {
            continue;
        }
        let prepared = host
            .prepare_plugin(&bytes)
            .await
            .with_context(|| format!("plugin {} does not load", path.display()))?;
        let origin = format!("plugin dir {}", path.display());
        store
            .put_active(
                prepared.summary(),
                &bytes,
                &origin,
                Activation::PluginDir,
                host.clock().now(),
            )
            .await?;
        host.activate(prepared);
    }
    sync(host, store).await?;
    Ok(host.plugins())
}

/// Removes the compiled code of components the store does not hold (refused, or left by an older
/// wasmtime build) from the host's cache directory.
pub async fn remove_unused_compiled(host: &Host, store: &PluginStore) -> anyhow::Result<()> {
    let removed = host
        .remove_unused_compiled(&store.hashes().await?)
        .context("cleaning up compiled components")?;
    if removed > 0 {
        tracing::info!(
            removed,
            "removed compiled components no stored version uses"
        );
    }
    Ok(())
}

/// Loads the store's active versions that `host` does not serve yet (another process installed
/// or rolled back), and returns them.
pub async fn sync(host: &Host, store: &PluginStore) -> anyhow::Result<Vec<PluginSummary>> {
    let serving: BTreeMap<String, String> = host
        .plugins()
        .into_iter()
        .map(|plugin| (plugin.name, plugin.hash))
        .collect();
    let mut loaded = Vec::new();
    for (name, hash) in store.active().await? {
        if serving.get(&name) == Some(&hash) {
            continue;
        }
        let bytes = store.component(&hash).await?;
        let summary = host
            .load_plugin(&bytes)
            .await
            .with_context(|| format!("installed plugin {name} ({}) does not load", &hash[..12]))?;
        loaded.push(summary);
    }
    Ok(loaded)
}

/// Validates `component`, checks the config still works with it, keeps it by content hash and
/// makes it the active version of its name.
pub async fn install(
    host: &Host,
    store: &PluginStore,
    config: &Config,
    component: &[u8],
    origin: &str,
) -> anyhow::Result<Installed> {
    let prepared = host
        .prepare_plugin(component)
        .await
        .context("not installed: the component does not load")?;
    put_active(
        host,
        store,
        config,
        prepared,
        component,
        origin,
        Activation::Install,
    )
    .await
}

/// Makes the version of `name` installed before its active one active again.
pub async fn rollback(
    host: &Host,
    store: &PluginStore,
    config: &Config,
    name: &str,
) -> anyhow::Result<Installed> {
    let earlier = store.before_active(name).await?;
    let component = store.component(&earlier.hash).await?;
    let prepared = host
        .prepare_plugin(&component)
        .await
        .with_context(|| format!("not rolled back: {name} {} does not load", earlier.version))?;
    put_active(
        host,
        store,
        config,
        prepared,
        &component,
        &earlier.origin,
        Activation::Rollback,
    )
    .await
}

async fn put_active(
    host: &Host,
    store: &PluginStore,
    config: &Config,
    prepared: PreparedPlugin,
    component: &[u8],
    origin: &str,
    why: Activation,
) -> anyhow::Result<Installed> {
    let summary = prepared.summary().clone();
    fits(host, config, &prepared).await.with_context(|| {
        format!(
            "{} {} ({}) was not made active: with it, {} would not work",
            summary.name,
            summary.version,
            &summary.hash[..12],
            config.path.display()
        )
    })?;
    let new_to_store = store
        .put_active(&summary, component, origin, why, host.clock().now())
        .await?;
    let replaced = host.activate(prepared);
    Ok(Installed {
        active: summary,
        replaced,
        new_to_store,
    })
}

/// Whether the config works with `prepared` in place of its name's active version: the plugins'
/// surfaces, and a mapping's check of the flows' configs it would map. A problem the config
/// already had without it (another plugin not installed yet) does not count against it.
async fn fits(host: &Host, config: &Config, prepared: &PreparedPlugin) -> anyhow::Result<()> {
    let current = host.plugins();
    let mut with_it: Vec<PluginSummary> = current
        .iter()
        .filter(|plugin| plugin.name != prepared.summary().name)
        .cloned()
        .collect();
    with_it.push(prepared.summary().clone());
    if let Err(problem) = config.check_plugins(&with_it) {
        let before = config.check_plugins(&current).err();
        if before.map(|before| before.to_string()) != Some(problem.to_string()) {
            return Err(problem.into());
        }
    }
    match prepared.summary().world {
        World::Mapping => check_with(host, config, prepared).await,
        World::Connector => Ok(()),
    }
}
