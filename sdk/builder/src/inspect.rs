//! Reads a component's surface: the WIT interfaces and functions it imports and exports.

use anyhow::{Context, bail};
use wit_component::DecodedWasm;
use wit_parser::WorldItem;

/// The interfaces and functions a component imports and exports, as WIT names
/// (`ml-connector:host/log@0.1.0`, `map`); imported types are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSurface {
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// Decodes `component`'s world.
pub fn inspect(component: &[u8]) -> anyhow::Result<ComponentSurface> {
    let DecodedWasm::Component(resolve, world) =
        wit_component::decode(component).context("decoding the component")?
    else {
        bail!("a WIT package, not a component");
    };
    let world = &resolve.worlds[world];
    let names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, WorldItem>| {
        items
            .iter()
            .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
            .map(|(key, _)| resolve.name_world_key(key))
            .collect::<Vec<_>>()
    };
    Ok(ComponentSurface {
        imports: names(&world.imports),
        exports: names(&world.exports),
    })
}
