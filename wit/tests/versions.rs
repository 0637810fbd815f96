//! The table of versions agrees with the `since_v` folders on disk, each folder stands alone and
//! defines what its row says, a package copied into several folders is the same in each, the
//! guest bindings follow the current version, and `docs/contract-versions.md` names places that
//! exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ml_connector_wit::{CONTRACTS, Contract, HOST_PACKAGE, PLUGIN_PACKAGE, current};
use wit_parser::{PackageId, Resolve, SourceMap, WorldItem};

fn wit_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_folder_is_in_the_table_and_every_row_has_its_folder() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(wit_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("since_v"))
        .collect();
    let in_table: BTreeSet<String> = CONTRACTS
        .iter()
        .map(|contract| contract.folder.to_owned())
        .collect();
    assert_eq!(on_disk, in_table);
    for contract in CONTRACTS {
        assert_eq!(contract.folder, format!("since_v{}", contract.plugin));
    }
}

#[test]
fn each_row_embeds_exactly_its_folders_files_grouped_by_package() {
    for contract in CONTRACTS {
        let mut on_disk = Vec::new();
        files_under(&wit_dir().join(contract.folder), &mut on_disk);
        let on_disk: BTreeSet<String> = on_disk.iter().map(|path| relative(path)).collect();
        let in_table: BTreeSet<String> = contract
            .packages
            .iter()
            .flat_map(|files| files.iter().map(|file| file.path.to_owned()))
            .collect();
        assert_eq!(on_disk, in_table, "{}", contract.folder);

        let (own, deps) = contract.packages.split_last().unwrap();
        for file in *own {
            assert_eq!(package_dir(file.path), contract.folder, "{}", file.path);
        }
        for files in deps {
            let dirs: BTreeSet<&str> = files.iter().map(|file| package_dir(file.path)).collect();
            assert_eq!(dirs.len(), 1, "one package per entry: {dirs:?}");
            let dir = dirs.first().unwrap();
            assert!(
                dir.starts_with(&format!("{}/deps/", contract.folder)),
                "{dir}"
            );
        }
    }
}

#[test]
fn each_folder_alone_defines_the_packages_and_worlds_of_its_row() {
    for contract in CONTRACTS {
        // As wasmtime's and wit-bindgen's `bindgen!` read it: the folder and its `deps/`.
        let mut resolve = Resolve::default();
        let (package, _) = resolve
            .push_dir(wit_dir().join(contract.folder))
            .unwrap_or_else(|error| panic!("{}: {error:#}", contract.folder));
        check_row(contract, &resolve, package);

        // As the builder reads it: the embedded text, package by package.
        let mut resolve = Resolve::default();
        let mut groups: Vec<_> = contract.packages.iter().map(|files| parse(files)).collect();
        let own = groups.pop().unwrap();
        let package = resolve.push_groups(own, groups).unwrap();
        check_row(contract, &resolve, package);
    }
}

/// `package` is the row's plugin package, with the row's worlds, which import the host package
/// of the row's version and nothing else outside their own package.
fn check_row(contract: &Contract, resolve: &Resolve, package: PackageId) {
    let package = &resolve.packages[package];
    assert_eq!(
        package.name.to_string(),
        format!("{PLUGIN_PACKAGE}@{}", contract.plugin)
    );
    let worlds: Vec<&str> = package.worlds.keys().map(String::as_str).collect();
    assert_eq!(worlds, contract.worlds, "{}", contract.folder);
    let own = format!("{PLUGIN_PACKAGE}/");
    let host = format!("{HOST_PACKAGE}/");
    for &world in package.worlds.values() {
        for (key, item) in &resolve.worlds[world].imports {
            if matches!(item, WorldItem::Type { .. }) {
                continue;
            }
            let name = resolve.name_world_key(key);
            let version = name.split_once('@').map(|(_, version)| version);
            assert!(
                (name.starts_with(&host) && version == Some(contract.host))
                    || name.starts_with(&own),
                "{} imports {name}",
                contract.folder
            );
        }
    }
}

#[test]
fn a_package_copied_into_several_folders_is_the_same_in_each() {
    let mut copies: BTreeMap<String, Vec<(&str, String)>> = BTreeMap::new();
    for contract in CONTRACTS {
        for files in contract.packages {
            let name = parse(files).main.name.to_string();
            let text: String = files.iter().map(|file| file.text).collect();
            copies
                .entry(name)
                .or_default()
                .push((contract.folder, text));
        }
    }
    for (name, copies) in &copies {
        let (first_folder, first_text) = &copies[0];
        for (folder, text) in &copies[1..] {
            assert!(
                text == first_text,
                "{name} differs between {first_folder} and {folder}: a released package is \
                 frozen; a change is a new version of it"
            );
        }
    }
}

#[test]
fn the_guest_bindings_are_of_the_current_version() {
    let current = current();
    let source = std::fs::read_to_string(wit_dir().join("src/guest.rs")).unwrap();
    assert!(
        source.contains(&format!("path: \"{}\"", current.folder)),
        "src/guest.rs does not read {}",
        current.folder
    );
    for world in current.worlds {
        let world = format!("world: \"{PLUGIN_PACKAGE}/{world}@{}\"", current.plugin);
        assert!(source.contains(&world), "src/guest.rs lacks {world}");
    }
}

#[test]
fn the_docs_name_places_that_exist() {
    let workspace = wit_dir().parent().unwrap();
    let doc = std::fs::read_to_string(workspace.join("docs/contract-versions.md")).unwrap();
    let mut in_fence = false;
    let prose: Vec<&str> = doc
        .lines()
        .filter(|line| {
            in_fence ^= line.starts_with("```");
            !in_fence && !line.starts_with("```")
        })
        .collect();
    let current = current();
    let underscored = current.plugin.replace('.', "_");
    let mut named = 0;
    for quoted in prose.join("\n").split('`').skip(1).step_by(2) {
        let top = quoted.split('/').next().unwrap();
        if !quoted.contains('/')
            || !["docs", "host", "plugins", "sdk", "tests", "wit"].contains(&top)
        {
            continue;
        }
        // The doc's pattern names stand for the current version's.
        let path = quoted
            .replace("X.Y.Z", current.plugin)
            .replace("X_Y_Z", &underscored);
        assert!(
            workspace.join(&path).exists(),
            "docs/contract-versions.md names `{quoted}`, but {path} does not exist"
        );
        named += 1;
    }
    assert!(named >= 10, "only {named} paths found in the doc");
}

fn files_under(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let path = entry.path();
        assert!(
            !kind.is_symlink(),
            "{} is a link: a folder holds its own copies",
            path.display()
        );
        if kind.is_dir() {
            files_under(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// `path` relative to `wit/`, with `/` separators.
fn relative(path: &Path) -> String {
    let relative = path.strip_prefix(wit_dir()).unwrap();
    let parts: Vec<&str> = relative.iter().map(|part| part.to_str().unwrap()).collect();
    parts.join("/")
}

/// The directory of a table path: `since_v0.2.0/deps/host/log.wit` → `since_v0.2.0/deps/host`.
fn package_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn parse(files: &[ml_connector_wit::WitFile]) -> wit_parser::UnresolvedPackageGroup {
    let mut map = SourceMap::default();
    for file in files {
        map.push_str(file.path, file.text);
    }
    map.parse().map_err(|(_, error)| error).unwrap()
}
