//! The WIT contract between the ml-connector host and its plugins, every supported version in one
//! place.
//!
//! Each version is a frozen folder, `wit/since_vX.Y.Z/`: the `ml-connector:plugin` package of
//! that version (`types.wit`, `worlds.wit`) and, under `deps/`, a copy of every package it uses,
//! so that the folder stands alone. A released folder never changes; a new version is a new
//! folder. [`CONTRACTS`] is the table of them, newest first: the host links plugins built for
//! any of them, the builder checks components against each, and the SDK builds plugins for the
//! first, [`current`]. With the `guest` feature, module `guest` holds the wit-bindgen bindings of the
//! current version's worlds, which the SDK wraps, so the SDK carries its WIT with this crate.
//! Outside this crate, only `bindgen!` invocations name a folder (the host's bindings of each
//! version, and `plugins/legacy-mapping`, built for 0.1.0 without the SDK).
//!
//! `docs/contract-versions.md` says how versions evolve and lists what adding one touches.

#[cfg(feature = "guest")]
pub mod guest;
mod names;
mod versions;

pub use names::{MAX_NAME_LEN, NAME_RULE, is_valid_name};
pub use versions::{CONTRACTS, Version};

/// The package of the plugin worlds. Its version is the contract's version.
pub const PLUGIN_PACKAGE: &str = "ml-connector:plugin";

/// The package of the host's capabilities (http, storage, clock, log, config, secrets).
pub const HOST_PACKAGE: &str = "ml-connector:host";

/// One version of the contract: one `since_v` folder.
#[derive(Debug)]
pub struct Contract {
    /// Which version it is; the host's switch from a version to its bindings matches on it.
    pub version: Version,
    /// The version of [`PLUGIN_PACKAGE`] it defines, e.g. `0.2.0`: the contract's version.
    pub plugin: &'static str,
    /// The version of [`HOST_PACKAGE`] its worlds import, e.g. `0.1.0`.
    pub host: &'static str,
    /// Its plugin worlds.
    pub worlds: &'static [&'static str],
    /// Its folder under `wit/`, e.g. `since_v0.2.0`.
    pub folder: &'static str,
    /// Its WIT, one package per entry, each after the packages it uses: those under `deps/`
    /// first, the folder's own `ml-connector:plugin` files last.
    pub packages: &'static [&'static [WitFile]],
}

/// One WIT file of a contract's folder.
#[derive(Debug)]
pub struct WitFile {
    /// Its path under `wit/`, e.g. `since_v0.2.0/deps/host/http.wit`.
    pub path: &'static str,
    pub text: &'static str,
}

/// The version plugins are built for today: the newest.
pub fn current() -> &'static Contract {
    &CONTRACTS[0]
}

/// The contract that serves a component built for `ml-connector:plugin@{plugin_version}`: the
/// supported version of the same semver series (a `0.2.1` plugin is served by `0.2.0`).
pub fn serving(plugin_version: &str) -> Option<&'static Contract> {
    let wanted = series(plugin_version);
    CONTRACTS
        .iter()
        .find(|contract| series(contract.plugin) == wanted)
}

/// The semver series of `version`, within which versions are compatible: `0.2.1` → `0.2`,
/// `1.4.0` → `1`.
pub fn series(version: &str) -> &str {
    let end_of_part = |from: usize| {
        version[from..]
            .find(['.', '-', '+'])
            .map_or(version.len(), |at| from + at)
    };
    let major = end_of_part(0);
    if &version[..major] == "0" && version[major..].starts_with('.') {
        &version[..end_of_part(major + 1)]
    } else {
        &version[..major]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_the_major_version_or_zero_and_the_minor() {
        assert_eq!(series("0.2.1"), "0.2");
        assert_eq!(series("0.2.0-rc.1"), "0.2");
        assert_eq!(series("0.21.0"), "0.21");
        assert_eq!(series("1.4.0"), "1");
        assert_eq!(series("2"), "2");
        assert_eq!(series("0"), "0");
        assert_eq!(series(""), "");
    }

    #[test]
    fn a_plugin_version_is_served_by_the_supported_version_of_its_series() {
        for contract in CONTRACTS {
            assert!(std::ptr::eq(serving(contract.plugin).unwrap(), contract));
            let (minor, patch) = contract.plugin.rsplit_once('.').unwrap();
            let later_patch = format!("{minor}.{}", patch.parse::<u32>().unwrap() + 7);
            assert!(std::ptr::eq(serving(&later_patch).unwrap(), contract));
        }
        for unsupported in ["0.0.1", "0.99.0", "99.0.0", "", "garbage"] {
            assert!(serving(unsupported).is_none(), "{unsupported}");
        }
    }

    #[test]
    fn the_current_version_is_the_newest() {
        let parse = |version: &str| -> Vec<u64> {
            version
                .split('.')
                .map(|part| part.parse().unwrap())
                .collect()
        };
        assert!(std::ptr::eq(current(), &CONTRACTS[0]));
        for pair in CONTRACTS.windows(2) {
            assert!(parse(pair[0].plugin) > parse(pair[1].plugin), "{pair:?}");
        }
    }
}
