//! Another version of one of the workspace's plugins, built the way a vendor ships an upgrade: the
//! crate's sources in a workspace of their own whose package version is `version`, built by the
//! plugin builder into a component that differs from the workspace's build by its version (what
//! `describe` says) and so by its content hash. The wasm build shares the workspace's target
//! directory, so only the crate itself compiles again; its package is renamed so that its output
//! does not overwrite the workspace build's. Each variant is built once per test process: tests
//! that run at the same time and ask for the same variant share one build instead of deleting each
//! other's output. A variant may also give itself another name in `describe`, to test how the
//! host treats names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ml_connector_builder::{BuildOptions, build_plugins};
use toml::{Table, Value};

use super::{plugin_dir, workspace_root};

/// Builds plugin crate `name` (a directory under `plugins/`) as version `version`; returns the
/// component's path.
pub fn build_variant(name: &str, version: &str) -> PathBuf {
    built_once(Variant {
        name,
        version,
        calls_itself: None,
    })
}

/// Builds plugin crate `name` as version `version` with its `describe` giving `calls_itself` as
/// the plugin's name (a vendor's mistake, or an attack on paths); returns the component's path.
pub fn build_variant_calling_itself(name: &str, version: &str, calls_itself: &str) -> PathBuf {
    built_once(Variant {
        name,
        version,
        calls_itself: Some(calls_itself),
    })
}

/// What a variant differs from the workspace's plugin by.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Variant<'a> {
    name: &'a str,
    version: &'a str,
    calls_itself: Option<&'a str>,
}

impl Variant<'_> {
    /// A package name of its own, so variants never overwrite each other's output.
    fn package(&self) -> String {
        let renamed = if self.calls_itself.is_some() {
            "-renamed"
        } else {
            ""
        };
        format!("{}-{}{renamed}", self.name, self.version.replace('.', "-"))
    }
}

/// The component of `variant`, built by the first test of the process that asks for it.
fn built_once(variant: Variant<'_>) -> PathBuf {
    type Key = (String, String, Option<String>);
    static BUILT: Mutex<BTreeMap<Key, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = (
        variant.name.to_owned(),
        variant.version.to_owned(),
        variant.calls_itself.map(str::to_owned),
    );
    built.entry(key).or_insert_with(|| build(variant)).clone()
}

/// Builds the variant afresh, in a scratch workspace it empties first.
fn build(variant: Variant<'_>) -> PathBuf {
    let Variant { name, version, .. } = variant;
    plugin_dir(); // the workspace's own build first: the variant reuses its standard library
    let root = workspace_root();
    let package = variant.package();
    let scratch = root.join("target/variants").join(&package);
    let _ = std::fs::remove_dir_all(&scratch);
    let crate_dir = scratch.join("plugins").join(name);
    copy_dir(&root.join("plugins").join(name), &crate_dir);
    rename_package(&crate_dir.join("Cargo.toml"), &package);
    if let Some(calls_itself) = variant.calls_itself {
        rename_in_describe(&crate_dir.join("src/lib.rs"), name, calls_itself);
    }
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).expect("copying Cargo.lock");
    std::fs::write(
        scratch.join("Cargo.toml"),
        manifest(root, name, version).to_string(),
    )
    .expect("writing the variant's workspace manifest");
    let options = BuildOptions {
        out_dir: scratch.join("out"),
        target_dir: root.join("target/plugin-build"),
        ..BuildOptions::workspace(&scratch)
    };
    let built = build_plugins(&options, &mut |line| eprintln!("{line}"))
        .unwrap_or_else(|error| panic!("building {name} {version}: {error:#}"));
    built
        .into_iter()
        .find(|plugin| plugin.name == package)
        .expect("the variant was built")
        .component
}

/// The workspace's root manifest, with `name` its only member, `version` its package version and
/// every path dependency made absolute.
fn manifest(root: &Path, name: &str, version: &str) -> Table {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).expect("reading Cargo.toml");
    let mut manifest: Table = text.parse().expect("Cargo.toml is TOML");
    let workspace = manifest
        .get_mut("workspace")
        .and_then(Value::as_table_mut)
        .expect("a [workspace] table");
    workspace.insert(
        "members".into(),
        Value::Array(vec![Value::String(format!("plugins/{name}"))]),
    );
    workspace.remove("default-members");
    workspace
        .get_mut("package")
        .and_then(Value::as_table_mut)
        .expect("a [workspace.package] table")
        .insert("version".into(), Value::String(version.to_owned()));
    let dependencies = workspace
        .get_mut("dependencies")
        .and_then(Value::as_table_mut)
        .expect("a [workspace.dependencies] table");
    for (_, dependency) in dependencies.iter_mut() {
        if let Some(path) = dependency.get_mut("path") {
            let absolute = root.join(path.as_str().expect("a path is text"));
            *path = Value::String(absolute.display().to_string());
        }
    }
    manifest
}

/// Makes the `describe` of the crate whose root is `lib` give `calls_itself` as its name.
fn rename_in_describe(lib: &Path, name: &str, calls_itself: &str) {
    let text = std::fs::read_to_string(lib).expect("reading the crate's lib.rs");
    let named = format!("name: {name:?}.into()");
    assert!(
        text.contains(&named),
        "{} has no `{named}` to rename",
        lib.display()
    );
    let renamed = text.replace(&named, &format!("name: {calls_itself:?}.into()"));
    std::fs::write(lib, renamed).expect("writing the crate's lib.rs");
}

/// The copy's package (and so library and artifact) name differs from the original's, so the two
/// builds, sharing one target directory, never overwrite each other's output.
fn rename_package(manifest: &Path, package: &str) {
    let text = std::fs::read_to_string(manifest).expect("reading the crate's manifest");
    let mut table: Table = text.parse().expect("the crate's manifest is TOML");
    table
        .get_mut("package")
        .and_then(Value::as_table_mut)
        .expect("a [package] table")
        .insert("name".into(), Value::String(package.to_owned()));
    std::fs::write(manifest, table.to_string()).expect("writing the crate's manifest");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the variant's crate directory");
    for entry in std::fs::read_dir(from).expect("listing the plugin crate") {
        let entry = entry.expect("a directory entry");
        let path = entry.path();
        if path.file_name().is_some_and(|name| name == "target") {
            continue;
        }
        let destination = to.join(entry.file_name());
        match path.is_dir() {
            true => copy_dir(&path, &destination),
            false => {
                std::fs::copy(&path, &destination).expect("copying a source file");
            }
        }
    }
}
