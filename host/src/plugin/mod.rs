//! A loaded plugin: its compiled component, the world it implements (told by its exports), what it
//! says about itself, and its InstancePre, so each call only instantiates.

pub(crate) mod cache;

use std::fmt;
use std::sync::Arc;

use anyhow::bail;
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use crate::bindings::connector::ConnectorPre;
use crate::bindings::mapping::MappingPre;
use crate::bindings::types::PluginInfo;
use crate::error::{chain_text, to_anyhow};
use crate::sandbox::CallState;

/// The two plugin worlds of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    Connector,
    Mapping,
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connector => "connector",
            Self::Mapping => "mapping",
        })
    }
}

/// What the host knows about a loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The ready-to-instantiate form of a plugin, per world.
#[derive(Clone)]
pub(crate) enum PluginPre {
    Connector(ConnectorPre<CallState>),
    Mapping(MappingPre<CallState>),
}

/// A plugin ready to call.
pub(crate) struct Plugin {
    pub summary: Arc<PluginSummary>,
    pub pre: PluginPre,
}

/// The world a component implements, and the interfaces it imports.
pub(crate) fn surface(
    engine: &Engine,
    component: &Component,
) -> anyhow::Result<(World, Vec<String>)> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let world = if exports.contains(&"map") {
        World::Mapping
    } else if exports.contains(&"apply") {
        World::Connector
    } else {
        bail!(
            "it exports [{}], which is neither the connector world (describe, ping, verify, fetch, \
             poll, apply) nor the mapping world (describe, map)",
            exports.join(", ")
        );
    };
    let imports = ty
        .imports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
        .map(|(name, _)| name.to_owned())
        .collect();
    Ok((world, imports))
}

/// Links `component` for `world`. Fails, naming the import, when it needs something the world
/// does not provide (a mapping importing `http` or `secrets`).
pub(crate) fn prepare(
    world: World,
    linker: &Linker<CallState>,
    component: &Component,
) -> anyhow::Result<PluginPre> {
    let pre = linker.instantiate_pre(component).map_err(|error| {
        anyhow::anyhow!("it cannot be linked as a {world}: {}", chain_text(&error))
    })?;
    Ok(match world {
        World::Connector => PluginPre::Connector(ConnectorPre::new(pre).map_err(to_anyhow)?),
        World::Mapping => PluginPre::Mapping(MappingPre::new(pre).map_err(to_anyhow)?),
    })
}

impl PluginSummary {
    pub(crate) fn new(info: PluginInfo, world: World, imports: Vec<String>, hash: String) -> Self {
        Self {
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
