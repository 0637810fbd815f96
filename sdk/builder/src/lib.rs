//! Builds ml-connector plugin crates into WebAssembly components (the library behind
//! `mlc plugin build`).
//!
//! [`ensure_route`] picks how to reach a wasm target on this machine (installing one where it
//! can), [`build_plugins`] runs one cargo invocation for all plugin crates (so they share one
//! standard library build), turns each core module into a component where the route needs it,
//! validates it, checks it against the plugin worlds of the WIT contract and writes
//! `<out_dir>/<crate-name>.wasm`.

mod cargo;
mod componentize;
mod contract;
mod inspect;
mod route;
mod workspace;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use componentize::{componentize, validate_component};
pub use inspect::{ComponentSurface, inspect};
pub use route::{NoToolchain, PluginTarget, Route, detect_route, ensure_route};

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The Cargo workspace holding the plugin crates (its root `Cargo.toml` defines the `plugin`
    /// profile).
    pub workspace_root: PathBuf,
    /// Plugin crate directories; empty means every crate under `<workspace_root>/plugins/`.
    pub crates: Vec<PathBuf>,
    /// Where the components go, e.g. `target/plugins`.
    pub out_dir: PathBuf,
    /// Cargo's target directory for the wasm build, e.g. `target/plugin-build`.
    pub target_dir: PathBuf,
    /// Any wasm target, or a `wasm32-wasip2` component.
    pub target: PluginTarget,
}

impl BuildOptions {
    /// Every plugin crate of the workspace at `workspace_root`, into `<root>/target/plugins`,
    /// built in `<target>/plugin-build`, where `<target>` is `$CARGO_TARGET_DIR` when it is set
    /// (cargo's convention; relative to the current directory) and `<root>/target` otherwise.
    pub fn workspace(workspace_root: impl Into<PathBuf>) -> Self {
        let workspace_root = workspace_root.into();
        let target = target_root(&workspace_root, std::env::var_os("CARGO_TARGET_DIR"));
        Self {
            crates: Vec::new(),
            out_dir: workspace_root.join("target/plugins"),
            target_dir: target.join("plugin-build"),
            target: PluginTarget::Any,
            workspace_root,
        }
    }
}

/// Cargo's target directory: `cargo_target_dir` (the value of `CARGO_TARGET_DIR`) when it is set,
/// made absolute, else `<workspace_root>/target`.
fn target_root(workspace_root: &Path, cargo_target_dir: Option<OsString>) -> PathBuf {
    match cargo_target_dir {
        Some(dir) if !dir.is_empty() => {
            std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(dir))
        }
        _ => workspace_root.join("target"),
    }
}

/// One component written by [`build_plugins`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPlugin {
    /// The crate name, e.g. `testkit-mapping`.
    pub name: String,
    /// `<out_dir>/<name>.wasm`.
    pub component: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Builds the plugin crates into validated components, each fitting one plugin world of the
/// contract (its exports, and no import the world lacks). `progress` receives cargo's output line by
/// line and one line per step of this builder.
pub fn build_plugins(
    options: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Vec<BuiltPlugin>> {
    let route = route::ensure_route(options.target, progress)?;
    progress(&format!("plugin build route: {route}"));
    let crates = workspace::plugin_crates(route, options)?;
    let names: Vec<&str> = crates.iter().map(|krate| krate.name.as_str()).collect();
    progress(&format!("building {}", names.join(", ")));
    cargo::build(route, options, &names, progress)?;

    std::fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("cannot create {}", options.out_dir.display()))?;
    crates
        .iter()
        .map(|krate| {
            let artifact = cargo::artifact(route, options, &krate.lib_name);
            let built = std::fs::read(&artifact)
                .with_context(|| format!("cargo left no {}", artifact.display()))?;
            let component = match route.yields_component() {
                true => validate_component(&built).map(|()| built),
                false => componentize(&built),
            }
            .with_context(|| format!("plugin `{}` is not a valid component", krate.name))?;
            let world = contract::check(&inspect(&component)?)
                .with_context(|| format!("plugin `{}` does not fit the contract", krate.name))?;
            let path = options.out_dir.join(format!("{}.wasm", krate.name));
            write_whole(&path, &component)?;
            let plugin = BuiltPlugin {
                name: krate.name.clone(),
                component: path,
                size: component.len() as u64,
            };
            progress(&format!(
                "component {} ({world}, {} KiB)",
                plugin.component.display(),
                plugin.size.div_ceil(1024)
            ));
            Ok(plugin)
        })
        .collect()
}

/// Writes `bytes` to `path` whole or not at all: into a file beside it, then renamed over it, so
/// that a host loading the plugin directory meanwhile reads the old component or the new one,
/// never half of one.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = path.with_extension(format!("wasm.partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_follows_cargo_target_dir_and_the_components_stay_in_the_workspace() {
        let root = Path::new("/work/acme");
        assert_eq!(target_root(root, None), root.join("target"));
        assert_eq!(target_root(root, Some("".into())), root.join("target"));
        assert_eq!(
            target_root(root, Some("/cache/target".into())),
            Path::new("/cache/target")
        );
        let relative = target_root(root, Some("shared".into()));
        assert_eq!(relative, std::env::current_dir().unwrap().join("shared"));
        let options = BuildOptions::workspace(root);
        assert_eq!(options.out_dir, root.join("target/plugins"));
        assert!(options.target_dir.ends_with("plugin-build"));
    }
}
