//! The plugin worlds of the WIT contract this builder was compiled with (`wit/`, embedded), and
//! the check that a component fits one of them: it exports exactly a world's functions and
//! imports nothing that world does not (a mapping that called `secrets` would otherwise build,
//! and only fail when the host loads it). WASI imports (`wasi:*`, from a wasm32-wasip2 build's
//! standard library) are allowed: the host links WASI deny-by-default.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use wit_parser::{Resolve, SourceMap, UnresolvedPackageGroup, WorldItem};

use crate::ComponentSurface;

const HOST_PACKAGE: &[(&str, &str)] = &[
    (
        "wit/host/clock.wit",
        include_str!("../../../wit/host/clock.wit"),
    ),
    (
        "wit/host/config.wit",
        include_str!("../../../wit/host/config.wit"),
    ),
    (
        "wit/host/http.wit",
        include_str!("../../../wit/host/http.wit"),
    ),
    (
        "wit/host/log.wit",
        include_str!("../../../wit/host/log.wit"),
    ),
    (
        "wit/host/storage.wit",
        include_str!("../../../wit/host/storage.wit"),
    ),
];
const PLUGIN_PACKAGE: &[(&str, &str)] = &[
    (
        "wit/plugin/types.wit",
        include_str!("../../../wit/plugin/types.wit"),
    ),
    (
        "wit/plugin/worlds.wit",
        include_str!("../../../wit/plugin/worlds.wit"),
    ),
];

/// One plugin world: its name and the interface names it may import.
struct World {
    name: String,
    imports: BTreeSet<String>,
    exports: BTreeSet<String>,
}

/// Names the world `surface` exports, or says why it fits none.
pub fn check(surface: &ComponentSurface) -> anyhow::Result<String> {
    let exports: BTreeSet<String> = surface.exports.iter().cloned().collect();
    let worlds = worlds().context("the embedded WIT contract")?;
    let Some(world) = worlds.iter().find(|world| world.exports == exports) else {
        let known: Vec<String> = worlds
            .iter()
            .map(|world| format!("{} ({})", world.name, join(&world.exports)))
            .collect();
        bail!(
            "it exports [{}], which is no plugin world: {}. Does it invoke \
             `ml_connector_sdk::export_connector!` or `export_mapping!`?",
            join(&exports),
            known.join("; ")
        );
    };
    let forbidden: Vec<&String> = surface
        .imports
        .iter()
        .filter(|import| !import.starts_with("wasi:") && !world.imports.contains(*import))
        .collect();
    if !forbidden.is_empty() {
        bail!(
            "it is a {} but imports {}, which that world does not provide",
            world.name,
            forbidden
                .iter()
                .map(|name| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(world.name.clone())
}

fn worlds() -> anyhow::Result<Vec<World>> {
    let mut resolve = Resolve::default();
    resolve.push_group(parse(HOST_PACKAGE)?)?;
    let plugin = resolve.push_group(parse(PLUGIN_PACKAGE)?)?;
    let names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, WorldItem>| {
        items
            .iter()
            .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
            .map(|(key, _)| resolve.name_world_key(key))
            .collect()
    };
    Ok(resolve.packages[plugin]
        .worlds
        .values()
        .map(|&id| {
            let world = &resolve.worlds[id];
            World {
                name: world.name.clone(),
                imports: names(&world.imports),
                exports: names(&world.exports),
            }
        })
        .collect())
}

fn parse(files: &[(&str, &str)]) -> anyhow::Result<UnresolvedPackageGroup> {
    let mut map = SourceMap::default();
    for (path, text) in files {
        map.push_str(path, *text);
    }
    Ok(map.parse().map_err(|(_, error)| error)?)
}

fn join(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(imports: &[&str], exports: &[&str]) -> ComponentSurface {
        ComponentSurface {
            imports: imports.iter().map(|name| name.to_string()).collect(),
            exports: exports.iter().map(|name| name.to_string()).collect(),
        }
    }

    #[test]
    fn recognises_worlds_and_refuses_foreign_imports() {
        let log = "ml-connector:host/log@0.1.0";
        let secrets = "ml-connector:host/secrets@0.1.0";
        assert_eq!(
            check(&surface(&[log], &["describe", "map"])).unwrap(),
            "mapping"
        );
        assert_eq!(
            check(&surface(
                &[log, secrets, "wasi:cli/environment@0.2.6"],
                &["describe", "ping", "verify", "fetch", "poll", "apply"]
            ))
            .unwrap(),
            "connector"
        );
        let error = check(&surface(&[log, secrets], &["describe", "map"])).unwrap_err();
        assert!(error.to_string().contains(secrets), "{error}");
        assert!(check(&surface(&[], &[])).is_err());
    }
}
