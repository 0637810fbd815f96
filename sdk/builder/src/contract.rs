//! The plugin worlds of every contract version this builder was compiled with (the table of
//! `ml-connector-wit`, each version's WIT embedded), and the check that a component fits one of
//! them: it was built for one of those versions (its `ml-connector:plugin/types` import says
//! which), exports exactly a world's functions and imports nothing that world does not (a mapping
//! that called `secrets` would otherwise build, and only fail when the host loads it). WASI
//! imports (`wasi:*`, from a wasm32-wasip2 build's standard library) are allowed: the host links
//! WASI deny-by-default.

use std::collections::BTreeSet;
use std::fmt;

use anyhow::{Context, bail};
use ml_connector_wit::{CONTRACTS, PLUGIN_PACKAGE, WitFile, serving};
use wit_parser::{Resolve, SourceMap, UnresolvedPackageGroup, WorldItem};

use crate::ComponentSurface;

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
    let versions: Vec<&str> = CONTRACTS.iter().map(|contract| contract.plugin).collect();
    let versions = versions.join(", ");
    let types_import = format!("{PLUGIN_PACKAGE}/types@");
    let Some(contract) = surface
        .imports
        .iter()
        .find_map(|import| import.strip_prefix(&types_import))
    else {
        bail!(
            "it imports no `ml-connector:plugin/types`, so it was built for no version of the \
             contract ({versions}). Does it invoke `ml_connector_sdk::export_connector!` or \
             `export_mapping!`?"
        );
    };
    let Some(serving) = serving(contract) else {
        bail!(
            "it was built for ml-connector:plugin@{contract}; this builder knows {versions}: \
             build it with an ml-connector SDK of one of those"
        );
    };
    let versioned: Vec<&World> = worlds
        .iter()
        .filter(|world| world.contract == serving.plugin)
        .collect();
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
        contract: contract.to_owned(),
    })
}

/// The worlds of every contract version, each version's WIT parsed on its own.
fn worlds() -> anyhow::Result<Vec<World>> {
    let mut worlds = Vec::new();
    for contract in CONTRACTS {
        let mut resolve = Resolve::default();
        let mut packages = contract
            .packages
            .iter()
            .map(|files| parse(files))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let own = packages.pop().context("a contract version without WIT")?;
        let package = resolve
            .push_groups(own, packages)
            .with_context(|| format!("contract {}", contract.plugin))?;
        let names = |items: &wit_parser::IndexMap<wit_parser::WorldKey, WorldItem>| {
            items
                .iter()
                .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
                .map(|(key, _)| resolve.name_world_key(key))
                .collect()
        };
        worlds.extend(resolve.packages[package].worlds.values().map(|&id| {
            let world = &resolve.worlds[id];
            World {
                name: world.name.clone(),
                contract: contract.plugin.to_owned(),
                imports: names(&world.imports),
                exports: names(&world.exports),
            }
        }));
    }
    Ok(worlds)
}

fn parse(files: &[WitFile]) -> anyhow::Result<UnresolvedPackageGroup> {
    let mut map = SourceMap::default();
    for file in files {
        map.push_str(file.path, file.text);
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
    const CONNECTOR_0_3: &[&str] = &[
        "describe", "ping", "verify", "fetch", "poll", "history", "apply",
    ];

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
            check(&surface(
                &[log, "ml-connector:plugin/types@0.3.0"],
                CONNECTOR_0_3
            ))
            .unwrap(),
            fit("connector", "0.3.0")
        );
        let error = check(&surface(&["ml-connector:plugin/types@0.3.0"], CONNECTOR)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("no plugin world of contract 0.3.0"),
            "{error}"
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
            error.to_string().contains(
                "built for ml-connector:plugin@0.9.0; this builder knows 0.3.0, 0.2.0, 0.1.0",
            ),
            "{error}"
        );
        assert!(check(&surface(&[], &[])).is_err());
    }
}
