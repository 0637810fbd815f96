//! The plugin worlds of the WIT contract this builder was compiled with (`wit/`, embedded: the
//! current `ml-connector:plugin` package and the older versions the host still runs, under
//! `wit/compat/`), and the check that a component fits one of them: it was built for one of
//! those versions (its `ml-connector:plugin/types` import says which), exports exactly a world's
//! functions and imports nothing that world does not (a mapping that called `secrets` would
//! otherwise build, and only fail when the host loads it). WASI imports (`wasi:*`, from a
//! wasm32-wasip2 build's standard library) are allowed: the host links WASI deny-by-default.

use std::collections::BTreeSet;
use std::fmt;

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
/// Each version of the plugin package, newest first.
const PLUGIN_PACKAGES: &[&[(&str, &str)]] = &[
    &[
        (
            "wit/plugin/types.wit",
            include_str!("../../../wit/plugin/types.wit"),
        ),
        (
            "wit/plugin/worlds.wit",
            include_str!("../../../wit/plugin/worlds.wit"),
        ),
    ],
    &[
        (
            "wit/compat/plugin-0.1.0/types.wit",
            include_str!("../../../wit/compat/plugin-0.1.0/types.wit"),
        ),
        (
            "wit/compat/plugin-0.1.0/worlds.wit",
            include_str!("../../../wit/compat/plugin-0.1.0/worlds.wit"),
        ),
    ],
];

/// Every plugin imports the types interface, at the version of the package it was built for.
const TYPES_IMPORT: &str = "ml-connector:plugin/types@";

/// One plugin world: its name, its package version and the interface names it may import.
struct World {
    name: String,
    contract: String,
    imports: BTreeSet<String>,
    exports: BTreeSet<String>,
}

/// The world a component fits and the version of the contract it was built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// `connector` or `mapping`.
    pub world: String,
    /// The `ml-connector:plugin` version, e.g. `0.2.0`.
    pub contract: String,
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, contract {}", self.world, self.contract)
    }
}

/// Names the world and contract version `surface` fits, or says why it fits none.
pub fn check(surface: &ComponentSurface) -> anyhow::Result<Fit> {
    let worlds = worlds().context("the embedded WIT contract")?;
    let mut versions: Vec<&str> = worlds.iter().map(|world| world.contract.as_str()).collect();
    versions.dedup();
    let versions = versions.join(", ");
    let Some(contract) = surface
        .imports
        .iter()
        .find_map(|import| import.strip_prefix(TYPES_IMPORT))
    else {
        bail!(
            "it imports no `ml-connector:plugin/types`, so it was built for no version of the \
             contract ({versions}). Does it invoke `ml_connector_sdk::export_connector!` or \
             `export_mapping!`?"
        );
    };
    let versioned: Vec<&World> = worlds
        .iter()
        .filter(|world| world.contract == contract)
        .collect();
    if versioned.is_empty() {
        bail!(
            "it was built for ml-connector:plugin@{contract}; this builder knows {versions}: \
             build it with an ml-connector SDK of one of those"
        );
    }
    let exports: BTreeSet<String> = surface.exports.iter().cloned().collect();
    let Some(world) = versioned.iter().find(|world| world.exports == exports) else {
        let known: Vec<String> = versioned
            .iter()
            .map(|world| format!("{} ({})", world.name, join(&world.exports)))
            .collect();
        bail!(
            "it exports [{}], which is no plugin world of contract {contract}: {}. Does it invoke \
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
    Ok(Fit {
        world: world.name.clone(),
        contract: world.contract.clone(),
    })
}

fn worlds() -> anyhow::Result<Vec<World>> {
    let mut resolve = Resolve::default();
    resolve.push_group(parse(HOST_PACKAGE)?)?;
    let mut packages = Vec::new();
    for files in PLUGIN_PACKAGES {
        packages.push(resolve.push_group(parse(files)?)?);
    }
    let names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, WorldItem>| {
        items
            .iter()
            .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
            .map(|(key, _)| resolve.name_world_key(key))
            .collect()
    };
    let mut worlds = Vec::new();
    for package in packages {
        let package = &resolve.packages[package];
        let contract = package
            .name
            .version
            .as_ref()
            .map(ToString::to_string)
            .context("the plugin package has no version")?;
        worlds.extend(package.worlds.values().map(|&id| {
            let world = &resolve.worlds[id];
            World {
                name: world.name.clone(),
                contract: contract.clone(),
                imports: names(&world.imports),
                exports: names(&world.exports),
            }
        }));
    }
    Ok(worlds)
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

    fn fit(world: &str, contract: &str) -> Fit {
        Fit {
            world: world.into(),
            contract: contract.into(),
        }
    }

    const CONNECTOR: &[&str] = &["describe", "ping", "verify", "fetch", "poll", "apply"];

    #[test]
    fn recognises_worlds_and_contract_versions_and_refuses_foreign_imports() {
        let log = "ml-connector:host/log@0.1.0";
        let secrets = "ml-connector:host/secrets@0.1.0";
        let (types, types_0_1) = (
            "ml-connector:plugin/types@0.2.0",
            "ml-connector:plugin/types@0.1.0",
        );
        assert_eq!(
            check(&surface(
                &[log, types],
                &["describe", "map", "check-config"]
            ))
            .unwrap(),
            fit("mapping", "0.2.0")
        );
        assert_eq!(
            check(&surface(&[log, types_0_1], &["describe", "map"])).unwrap(),
            fit("mapping", "0.1.0")
        );
        assert_eq!(
            check(&surface(
                &[log, secrets, types, "wasi:cli/environment@0.2.6"],
                CONNECTOR
            ))
            .unwrap(),
            fit("connector", "0.2.0")
        );
        assert_eq!(
            check(&surface(&[secrets, types_0_1], CONNECTOR)).unwrap(),
            fit("connector", "0.1.0")
        );
        assert_eq!(
            fit("mapping", "0.1.0").to_string(),
            "mapping, contract 0.1.0"
        );

        let error = check(&surface(&[log, secrets, types_0_1], &["describe", "map"])).unwrap_err();
        assert!(error.to_string().contains(secrets), "{error}");
        let error = check(&surface(&[log, types], &["describe", "map"])).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("no plugin world of contract 0.2.0"),
            "{error}"
        );
        let error = check(&surface(&["ml-connector:plugin/types@0.9.0"], CONNECTOR)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("built for ml-connector:plugin@0.9.0; this builder knows 0.2.0, 0.1.0"),
            "{error}"
        );
        assert!(check(&surface(&[], &[])).is_err());
    }
}
