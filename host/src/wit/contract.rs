//! Which version of the WIT contract serves a component, read from its imports (every plugin
//! imports `ml-connector:plugin/types@X`, and each host capability as
//! `ml-connector:host/<name>@Y`) against the table of supported versions in `ml-connector-wit`.
//! A component built for any other version is refused before it is linked, with a message naming
//! what is supported.

use anyhow::bail;
use ml_connector_wit::{CONTRACTS, Contract, HOST_PACKAGE, PLUGIN_PACKAGE, series, serving};

/// The supported contract that serves a component with these imports: the one of the semver
/// series of its plugin package (a 0.2.x plugin is served by 0.2.0), whose host package series
/// its host imports must be of.
pub(crate) fn check(imports: &[String]) -> anyhow::Result<&'static Contract> {
    let Some((version, import)) = plugin_import(imports) else {
        bail!(
            "it imports no `{PLUGIN_PACKAGE}/types` interface, so it was not built for a plugin \
             world; this host supports {PLUGIN_PACKAGE} {} (build it with an ml-connector SDK for \
             one of those)",
            listed(&plugin_series())
        );
    };
    let Some(contract) = serving(version) else {
        bail!(refusal(PLUGIN_PACKAGE, version, import, &plugin_series()));
    };
    let host = series(contract.host);
    for (package, version, import) in imports.iter().filter_map(|name| versioned(name)) {
        if package == HOST_PACKAGE && series(version) != host {
            bail!(refusal(HOST_PACKAGE, version, import, &[host]));
        }
    }
    Ok(contract)
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

/// The series of every supported plugin package version, newest first: `["0.2", "0.1"]`.
fn plugin_series() -> Vec<&'static str> {
    CONTRACTS
        .iter()
        .map(|contract| series(contract.plugin))
        .collect()
}

fn refusal(package: &str, version: &str, import: &str, supported: &[&str]) -> String {
    format!(
        "it was built for {package}@{version} (it imports {import}); this host supports {package} \
         {} (rebuild it with an ml-connector SDK for one of those)",
        listed(supported)
    )
}

/// `0.3, 0.2 and 0.1`.
fn listed(versions: &[&str]) -> String {
    match versions.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_connector_wit::Version;

    fn imports(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn reads_the_plugin_package_version_and_the_contract_serving_it() {
        let current = imports(&[
            "ml-connector:host/log@0.1.0",
            "ml-connector:plugin/types@0.2.0",
            "wasi:cli/stdout@0.2.6",
        ]);
        assert_eq!(check(&current).unwrap().version, Version::V0_2_0);
        assert_eq!(plugin_version(&current), Some("0.2.0"));
        let patched = imports(&[
            "ml-connector:plugin/types@0.1.3",
            "ml-connector:host/config@0.1.7",
        ]);
        assert_eq!(check(&patched).unwrap().version, Version::V0_1_0);
        assert_eq!(plugin_version(&patched), Some("0.1.3"));
    }

    #[test]
    fn refuses_other_versions_naming_the_supported_ones() {
        let error = check(&imports(&["ml-connector:plugin/types@0.9.0"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it was built for ml-connector:plugin@0.9.0 (it imports \
             ml-connector:plugin/types@0.9.0); this host supports ml-connector:plugin 0.3, 0.2 and \
             0.1 (rebuild it with an ml-connector SDK for one of those)"
        );
        for version in ["0.21.0", "1.2.0", "0.0.1"] {
            let import = format!("ml-connector:plugin/types@{version}");
            assert!(check(&[import]).is_err(), "{version}");
        }
        let error = check(&imports(&[
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
        let error = check(&imports(&["ml-connector:host/log@0.1.0"])).unwrap_err();
        assert!(error.to_string().contains("no `ml-connector:plugin/types`"));
    }
}
