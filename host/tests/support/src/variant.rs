//! Another version of one of the workspace's plugins, built the way a vendor ships an upgrade: the
//! crate's sources in a workspace of their own whose package version is `version`, built by the
//! plugin builder into a component that differs from the workspace's build by its version (what
//! `describe` says) and so by its content hash. The wasm build shares the workspace's target
//! directory, so only the crate itself compiles again; its package is renamed so that its output
//! does not overwrite the workspace build's. Each variant is built once per test process: tests
//! that run at the same time and ask for the same variant share one build instead of deleting each
//! other's output. A variant may also have one text replaced in a source file: to give itself
//! another name in `describe` (to test how the host treats names), or to behave otherwise (a
//! candidate mapping for a dry-run).

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
        name: name.to_owned(),
        version: version.to_owned(),
        patch: None,
    })
}

/// Builds plugin crate `name` as version `version` with its `describe` giving `calls_itself` as
/// the plugin's name (a vendor's mistake, or an attack on paths); returns the component's path.
pub fn build_variant_calling_itself(name: &str, version: &str, calls_itself: &str) -> PathBuf {
    build_variant_patched(
        name,
        version,
        "src/lib.rs",
        &format!("name: {name:?}.into()"),
        &format!("name: {calls_itself:?}.into()"),
    )
}

/// Builds plugin crate `name` as version `version` with the text `from` replaced by `to` in its
/// source file `file` (relative to the crate): a vendor's change of behaviour. Returns the
/// component's path.
pub fn build_variant_patched(
    name: &str,
    version: &str,
    file: &str,
    from: &str,
    to: &str,
) -> PathBuf {
    built_once(Variant {
        name: name.to_owned(),
        version: version.to_owned(),
        patch: Some(Patch {
            file: file.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        }),
    })
}

/// A candidate `shopify-intacct` 0.9.0 that posts shipping to the order type's revenue account
/// instead of its shipping account (4000 instead of 4100 in the demo config): a mapping change a
/// dry-run should show as exactly the shipping amounts moving.
pub fn shipping_to_revenue() -> PathBuf {
    build_variant_patched(
        "shopify-intacct",
        "0.9.0",
        "src/rules.rs",
        "self.order_level(self.accounts.shipping.as_ref())",
        "self.order_level(self.accounts.revenue.as_ref())",
    )
}

/// What a variant differs from the workspace's plugin by.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Variant {
    name: String,
    version: String,
    patch: Option<Patch>,
}

/// A text replacement in one source file of the copy.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Patch {
    file: String,
    from: String,
    to: String,
}

impl Variant {
    /// A package name of its own, so variants never overwrite each other's output.
    fn package(&self) -> String {
        let patched = match &self.patch {
            Some(patch) if patch.from.starts_with("name: ") => "-renamed".to_owned(),
            Some(patch) => {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(patch, &mut hasher);
                format!("-patched-{:08x}", std::hash::Hasher::finish(&hasher) as u32)
            }
            None => String::new(),
        };
        format!("{}-{}{patched}", self.name, self.version.replace('.', "-"))
    }
}

/// The component of `variant`, built by the first test of the process that asks for it.
fn built_once(variant: Variant) -> PathBuf {
    static BUILT: Mutex<BTreeMap<Variant, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built
        .entry(variant.clone())
        .or_insert_with(|| build(&variant))
        .clone()
}

/// Builds the variant afresh, in a scratch workspace it empties first.
fn build(variant: &Variant) -> PathBuf {
    let (name, version) = (variant.name.as_str(), variant.version.as_str());
    plugin_dir(); // the workspace's own build first: the variant reuses its standard library
    let root = workspace_root();
    let package = variant.package();
    let scratch = root.join("target/variants").join(&package);
    let _ = std::fs::remove_dir_all(&scratch);
    let crate_dir = scratch.join("plugins").join(name);
    copy_dir(&root.join("plugins").join(name), &crate_dir);
    rename_package(
        &crate_dir.join("Cargo.toml"),
        &package,
        &root.join("plugins").join(name),
    );
    if let Some(patch) = &variant.patch {
        apply(&crate_dir, patch);
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

/// Replaces `patch.from` by `patch.to` in the copy's `patch.file`; the text must be there.
fn apply(crate_dir: &Path, patch: &Patch) {
    let path = crate_dir.join(&patch.file);
    let text = std::fs::read_to_string(&path).expect("reading the file to patch");
    assert!(
        text.contains(&patch.from),
        "{} has no `{}` to replace",
        path.display(),
        patch.from
    );
    std::fs::write(&path, text.replace(&patch.from, &patch.to)).expect("writing the patched file");
}

/// The copy's package (and so library and artifact) name differs from the original's, so the two
/// builds, sharing one target directory, never overwrite each other's output. Its path
/// dependencies (a plugin's dev-dependency on another) are made absolute, from `original`.
fn rename_package(manifest: &Path, package: &str, original: &Path) {
    let text = std::fs::read_to_string(manifest).expect("reading the crate's manifest");
    let mut table: Table = text.parse().expect("the crate's manifest is TOML");
    table
        .get_mut("package")
        .and_then(Value::as_table_mut)
        .expect("a [package] table")
        .insert("name".into(), Value::String(package.to_owned()));
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(dependencies) = table.get_mut(section).and_then(Value::as_table_mut) else {
            continue;
        };
        for (_, dependency) in dependencies.iter_mut() {
            if let Some(path) = dependency.get_mut("path") {
                let absolute = original.join(path.as_str().expect("a path is text"));
                *path = Value::String(absolute.display().to_string());
            }
        }
    }
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
