//! Which version of the WIT contract a component was built for, read from its imports (every
//! plugin imports `ml-connector:plugin/types@X`, and each host capability as
//! `ml-connector:host/<name>@Y`), and the one list of versions this host supports. A component
//! built for any other version is refused before it is linked, with a message naming what is
//! supported.

use anyhow::bail;

const PLUGIN_PACKAGE: &str = "ml-connector:plugin";
const HOST_PACKAGE: &str = "ml-connector:host";

/// The bindings that call a plugin of a supported plugin-package series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Series {
    /// `ml-connector:plugin@0.2.x`: the current worlds.
    V0_2,
    /// `ml-connector:plugin@0.1.x`: the same connector world; a mapping without `check-config`.
    V0_1,
}

/// What this host supports, newest first. A series takes every semver-compatible version (`0.2`
/// takes 0.2.0, 0.2.1, ...).
pub(crate) struct Supported {
    pub plugin: &'static [(&'static str, Series)],
    pub host: &'static [&'static str],
}

/// The contract versions this host links; loading and its refusals read only this.
pub(crate) const SUPPORTED: Supported = Supported {
    plugin: &[("0.2", Series::V0_2), ("0.1", Series::V0_1)],
    host: &["0.1"],
};

/// The plugin package series a component was built for, read from its imported interface names;
/// refuses an unsupported plugin or host package version.
pub(crate) fn series(imports: &[String]) -> anyhow::Result<Series> {
    let Some((version, import)) = plugin_import(imports) else {
        bail!(
            "it imports no `{PLUGIN_PACKAGE}/types` interface, so it was not built for a plugin \
             world; this host supports {PLUGIN_PACKAGE} {} (build it with an ml-connector SDK for \
             one of those)",
            plugin_list().join(" and ")
        );
    };
    let Some(series) = plugin_series(version) else {
        bail!(refusal(PLUGIN_PACKAGE, version, import, &plugin_list()));
    };
    for (package, version, import) in imports.iter().filter_map(|name| versioned(name)) {
        if package == HOST_PACKAGE && !SUPPORTED.host.contains(&series_of(version).as_str()) {
            bail!(refusal(HOST_PACKAGE, version, import, SUPPORTED.host));
        }
    }
    Ok(series)
}

/// The plugin package version a component imports (`ml-connector:plugin/types@0.2.0`: `0.2.0`).
pub(crate) fn plugin_version(imports: &[String]) -> Option<&str> {
    plugin_import(imports).map(|(version, _)| version)
}

/// The version and name of the first import from the plugin package.
fn plugin_import(imports: &[String]) -> Option<(&str, &str)> {
    imports
        .iter()
        .filter_map(|name| versioned(name))
        .find(|(package, _, _)| *package == PLUGIN_PACKAGE)
        .map(|(_, version, import)| (version, import))
}

/// `(package, version, the import)` of `ml-connector:host/log@0.1.0`; None for unversioned names.
fn versioned(import: &str) -> Option<(&str, &str, &str)> {
    let (name, version) = import.split_once('@')?;
    let package = name.split_once('/').map_or(name, |(package, _)| package);
    Some((package, version, import))
}

/// The semver-compatible series of `version`: `0.2.1` → `0.2`, `1.4.0` → `1`.
fn series_of(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_owned(),
        (None, _) => String::new(),
    }
}

fn plugin_series(version: &str) -> Option<Series> {
    let wanted = series_of(version);
    SUPPORTED
        .plugin
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|&(_, series)| series)
}

fn plugin_list() -> Vec<&'static str> {
    SUPPORTED.plugin.iter().map(|&(name, _)| name).collect()
}

fn refusal(package: &str, version: &str, import: &str, supported: &[&str]) -> String {
    format!(
        "it was built for {package}@{version} (it imports {import}); this host supports {package} \
         {} (rebuild it with an ml-connector SDK for one of those)",
        supported.join(" and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn reads_the_plugin_package_version_and_its_series() {
        let current = imports(&[
            "ml-connector:host/log@0.1.0",
            "ml-connector:plugin/types@0.2.0",
            "wasi:cli/stdout@0.2.6",
        ]);
        assert_eq!(series(&current).unwrap(), Series::V0_2);
        assert_eq!(plugin_version(&current), Some("0.2.0"));
        let patched = imports(&[
            "ml-connector:plugin/types@0.1.3",
            "ml-connector:host/config@0.1.7",
        ]);
        assert_eq!(series(&patched).unwrap(), Series::V0_1);
        assert_eq!(plugin_version(&patched), Some("0.1.3"));
    }

    #[test]
    fn refuses_other_versions_naming_the_supported_ones() {
        let error = series(&imports(&["ml-connector:plugin/types@0.9.0"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it was built for ml-connector:plugin@0.9.0 (it imports \
             ml-connector:plugin/types@0.9.0); this host supports ml-connector:plugin 0.2 and 0.1 \
             (rebuild it with an ml-connector SDK for one of those)"
        );
        for version in ["0.21.0", "1.2.0", "0.0.1"] {
            let import = format!("ml-connector:plugin/types@{version}");
            assert!(series(&[import]).is_err(), "{version}");
        }
        let error = series(&imports(&[
            "ml-connector:plugin/types@0.2.0",
            "ml-connector:host/log@0.5.0",
        ]))
        .unwrap_err();
        assert!(
            error.to_string().contains(
                "built for ml-connector:host@0.5.0 (it imports ml-connector:host/log@0.5.0); \
                 this host supports ml-connector:host 0.1 "
            ),
            "{error}"
        );
        let error = series(&imports(&["ml-connector:host/log@0.1.0"])).unwrap_err();
        assert!(error.to_string().contains("no `ml-connector:plugin/types`"));
    }
}
