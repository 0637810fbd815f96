//! A loaded plugin: its compiled component, the contract version it was built for (told by its
//! imports, see [`contract`]), the world it implements (told by its exports), what it says about
//! itself, and its InstancePre, so each call only instantiates.

pub(crate) mod cache;

use std::sync::Arc;

use anyhow::bail;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use crate::bindings::types::PluginInfo;
use crate::capabilities::wasi;
use crate::error::chain_text;
use crate::sandbox::CallState;
use crate::wit::{self, contract};

pub use crate::world::World;

/// What the host knows about a loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginSummary {
    pub name: String,
    pub version: String,
    pub description: String,
    pub world: World,
    /// Connector: topics it emits. Mapping: topics it maps.
    pub topics: Vec<String>,
    /// Connector: command kinds it applies. Mapping: command kinds it emits.
    pub commands: Vec<String>,
    /// The interfaces it imports, e.g. `ml-connector:host/http@0.1.0`, `wasi:cli/stdout@0.2.6`.
    pub imports: Vec<String>,
    /// The version of the plugin worlds (`ml-connector:plugin`) it was built for, e.g. `0.2.0`.
    pub contract: String,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
}

impl PluginSummary {
    /// The host capabilities it uses, short names (`http`, `storage`, ...), WASI left out.
    pub fn capabilities(&self) -> Vec<&str> {
        self.imports
            .iter()
            .filter_map(|import| import.strip_prefix("ml-connector:host/"))
            .map(|name| name.split('@').next().unwrap_or(name))
            .collect()
    }
}

/// The ready-to-instantiate form of a plugin, per world, with the bindings of its contract
/// version (chosen by [`wit::connector_pre`] and [`wit::mapping_pre`]).
#[derive(Clone)]
pub(crate) enum PluginPre {
    Connector(AnyConnectorPre),
    Mapping(AnyMappingPre),
}

/// A connector's ready-to-instantiate form in this host's sandbox.
pub(crate) type AnyConnectorPre = wit::AnyConnectorPre<CallState>;

/// A mapping's ready-to-instantiate form in this host's sandbox.
pub(crate) type AnyMappingPre = wit::AnyMappingPre<CallState>;

/// A plugin ready to call.
pub(crate) struct Plugin {
    pub summary: Arc<PluginSummary>,
    pub pre: PluginPre,
}

/// The world a component implements, and the interfaces it imports. Refuses a component built
/// for a contract version this host does not support, before anything else is said about it.
pub(crate) fn surface(
    engine: &Engine,
    component: &Component,
) -> anyhow::Result<(World, Vec<String>)> {
    let imports = imports(engine, component);
    contract::check(&imports)?;
    wasi::refuse_network(&imports)?;
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let world = if exports.contains(&"map") {
        World::Mapping
    } else if exports.contains(&"apply") {
        World::Connector
    } else {
        bail!(
            "it exports [{}], which is neither the connector world (describe, ping, verify, fetch, \
             poll, apply) nor the mapping world (describe, map, check-config)",
            exports.join(", ")
        );
    };
    Ok((world, imports))
}

/// The names of the interfaces `component` imports.
fn imports(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Links `component` for `world`, with the bindings of the contract version it was built for.
/// Fails, naming the import, when it needs something the world does not provide (a mapping
/// importing `http` or `secrets`), or when its exports do not match the world.
pub(crate) fn prepare(
    world: World,
    linker: &Linker<CallState>,
    component: &Component,
) -> anyhow::Result<PluginPre> {
    let contract = contract::check(&imports(component.engine(), component))?;
    let pre = linker.instantiate_pre(component).map_err(|error| {
        anyhow::anyhow!("it cannot be linked as a {world}: {}", chain_text(&error))
    })?;
    let exports = |error| {
        anyhow::anyhow!(
            "its exports do not match the {world} world: {}",
            chain_text(&error)
        )
    };
    Ok(match world {
        World::Connector => {
            PluginPre::Connector(wit::connector_pre(contract, pre).map_err(exports)?)
        }
        World::Mapping => PluginPre::Mapping(wit::mapping_pre(contract, pre).map_err(exports)?),
    })
}

impl PluginSummary {
    pub(crate) fn new(info: PluginInfo, world: World, imports: Vec<String>, hash: String) -> Self {
        Self {
            // `surface` refused any component that imports no plugin package version.
            contract: contract::plugin_version(&imports)
                .unwrap_or_default()
                .to_owned(),
            name: info.name,
            version: info.version,
            description: info.description,
            world,
            topics: info.topics,
            commands: info.commands,
            imports,
            hash,
        }
    }
}
