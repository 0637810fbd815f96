//! The table of supported contract versions, newest first, each with its folder's WIT text
//! embedded. A new version is a new row here (and a new variant of [`Version`]), next to its new
//! `since_v` folder; `tests/versions.rs` checks the table against the folders.

use crate::{Contract, WitFile};

/// The supported versions of the contract, by their folders. The host's switch from a version
/// to its bindings matches on this exhaustively, so a new variant does not compile until the
/// host has bindings for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `since_v0.1.0`: the connector world, and a mapping world of `describe` and `map`.
    V0_1_0,
    /// `since_v0.2.0`: as 0.1.0, and the mapping exports `check-config`.
    V0_2_0,
    /// `since_v0.3.0`: as 0.2.0, and the connector exports `history`.
    V0_3_0,
}

/// `WitFile`s of the given paths under `wit/`, their text embedded.
macro_rules! wit_files {
    ($($path:literal),+ $(,)?) => {
        &[$(WitFile { path: $path, text: include_str!(concat!("../", $path)) }),+]
    };
}

/// Every supported version, newest first: the first is the current one (the SDK builds plugins
/// for it), the others are kept so that plugins built for them still load.
pub static CONTRACTS: &[Contract] = &[
    Contract {
        version: Version::V0_3_0,
        plugin: "0.3.0",
        host: "0.1.0",
        worlds: &["connector", "mapping"],
        folder: "since_v0.3.0",
        packages: &[
            wit_files!(
                "since_v0.3.0/deps/host/clock.wit",
                "since_v0.3.0/deps/host/config.wit",
                "since_v0.3.0/deps/host/http.wit",
                "since_v0.3.0/deps/host/log.wit",
                "since_v0.3.0/deps/host/storage.wit",
            ),
            wit_files!("since_v0.3.0/types.wit", "since_v0.3.0/worlds.wit"),
        ],
    },
    Contract {
        version: Version::V0_2_0,
        plugin: "0.2.0",
        host: "0.1.0",
        worlds: &["connector", "mapping"],
        folder: "since_v0.2.0",
        packages: &[
            wit_files!(
                "since_v0.2.0/deps/host/clock.wit",
                "since_v0.2.0/deps/host/config.wit",
                "since_v0.2.0/deps/host/http.wit",
                "since_v0.2.0/deps/host/log.wit",
                "since_v0.2.0/deps/host/storage.wit",
            ),
            wit_files!("since_v0.2.0/types.wit", "since_v0.2.0/worlds.wit"),
        ],
    },
    Contract {
        version: Version::V0_1_0,
        plugin: "0.1.0",
        host: "0.1.0",
        worlds: &["connector", "mapping"],
        folder: "since_v0.1.0",
        packages: &[
            wit_files!(
                "since_v0.1.0/deps/host/clock.wit",
                "since_v0.1.0/deps/host/config.wit",
                "since_v0.1.0/deps/host/http.wit",
                "since_v0.1.0/deps/host/log.wit",
                "since_v0.1.0/deps/host/storage.wit",
            ),
            wit_files!("since_v0.1.0/types.wit", "since_v0.1.0/worlds.wit"),
        ],
    },
];
