//! The checks of a configuration against the loaded plugins: each name resolves to a plugin of
//! the right world, and each flow's topics and command kinds are ones its plugins handle.

use std::collections::BTreeMap;

use super::parse::unknown_connection;
use super::table::segment;
use super::{Config, ConfigError};
use crate::{PluginSummary, World};

/// `a, b, c`, or `none`.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The loaded plugin `name` of `world`, for the key `key`.
fn plugin<'p>(
    config: &Config,
    plugins: &'p [PluginSummary],
    key: &str,
    name: &str,
    world: World,
) -> Result<&'p PluginSummary, ConfigError> {
    let of_world: Vec<String> = plugins
        .iter()
        .filter(|plugin| plugin.world == world)
        .map(|plugin| plugin.name.clone())
        .collect();
    match plugins.iter().find(|plugin| plugin.name == name) {
        Some(plugin) if plugin.world == world => Ok(plugin),
        Some(plugin) => Err(ConfigError::new(
            &config.path,
            key,
            format!("plugin `{name}` is a {}, not a {world}", plugin.world),
            format!(
                "name a {world} plugin; the loaded ones are: {}",
                list(&of_world)
            ),
        )),
        None => Err(ConfigError::new(
            &config.path,
            key,
            format!("no plugin named `{name}` is loaded"),
            format!(
                "the loaded {world} plugins are: {}; plugins are looked for in {}: put the \
                 plugin there or correct the name",
                list(&of_world),
                config.plugin_dir.display()
            ),
        )),
    }
}

pub(super) fn check_plugins(config: &Config, plugins: &[PluginSummary]) -> Result<(), ConfigError> {
    let mut connectors = BTreeMap::new();
    for (name, connection) in &config.connections {
        let key = format!("connections.{}.connector", segment(name));
        let connector = plugin(
            config,
            plugins,
            &key,
            &connection.connector,
            World::Connector,
        )?;
        connectors.insert(name.as_str(), connector);
    }
    for (name, flow) in &config.flows {
        let key = |leaf: &str| format!("flows.{}.{leaf}", segment(name));
        let connector = |leaf: &str, connection: &str| {
            connectors.get(connection).copied().ok_or_else(|| {
                unknown_connection(
                    &config.path,
                    key(leaf),
                    connection,
                    config.connections.keys(),
                )
            })
        };
        let source = connector("source", &flow.source)?;
        let mapping = plugin(
            config,
            plugins,
            &key("mapping"),
            &flow.mapping,
            World::Mapping,
        )?;
        let sink = connector("sink", &flow.sink)?;
        for topic in &flow.events {
            if !source.topics.contains(topic) {
                return Err(ConfigError::new(
                    &config.path,
                    key("events"),
                    format!(
                        "`{topic}` is not a topic of connector `{}` (the plugin of source `{}`)",
                        source.name, flow.source
                    ),
                    format!("name topics it emits: {}", list(&source.topics)),
                ));
            }
            if !mapping.topics.contains(topic) {
                return Err(ConfigError::new(
                    &config.path,
                    key("mapping"),
                    format!("mapping `{}` does not map `{topic}`", mapping.name),
                    format!(
                        "it maps: {}; name a mapping that maps `{topic}`, or take `{topic}` out \
                         of events",
                        list(&mapping.topics)
                    ),
                ));
            }
        }
        let unsupported: Vec<String> = mapping
            .commands
            .iter()
            .filter(|kind| !sink.commands.contains(kind))
            .cloned()
            .collect();
        if !unsupported.is_empty() {
            return Err(ConfigError::new(
                &config.path,
                key("sink"),
                format!(
                    "mapping `{}` emits command kinds that connector `{}` (the plugin of sink \
                     `{}`) does not apply: {}",
                    mapping.name,
                    sink.name,
                    flow.sink,
                    unsupported.join(", ")
                ),
                format!(
                    "it applies: {}; name a sink whose connector applies them, or a mapping that \
                     emits only those",
                    list(&sink.commands)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{example, load, plugin};
    use super::super::{Config, ConfigError};
    use crate::{PluginSummary, World};

    fn plugins() -> Vec<PluginSummary> {
        vec![
            plugin(
                "testkit",
                World::Connector,
                &["testkit.event", "testkit.polled"],
                &["testkit.storage-set", "testkit.post"],
            ),
            plugin(
                "testkit-mapping",
                World::Mapping,
                &["testkit.event", "testkit.polled"],
                &["testkit.storage-set", "testkit.post"],
            ),
        ]
    }

    /// The error of checking the example, changed by `change`, against `plugins`; its file is
    /// `mlc.toml` and its plugin directory `<plugins>`.
    fn check(change: impl FnOnce(&mut Config), plugins: &[PluginSummary]) -> ConfigError {
        let mut config = load(&example()).unwrap();
        change(&mut config);
        let mut error = config.check_plugins(plugins).unwrap_err();
        error.file = "mlc.toml".into();
        error.fix = error
            .fix
            .replace(&config.plugin_dir.display().to_string(), "<plugins>");
        error
    }

    fn unchanged(_: &mut Config) {}

    fn connector(connection: &'static str, name: &'static str) -> impl FnOnce(&mut Config) {
        move |config| {
            config.connections.get_mut(connection).unwrap().connector = name.to_owned();
        }
    }

    #[test]
    fn the_example_matches_the_testkit_plugins() {
        load(&example()).unwrap().check_plugins(&plugins()).unwrap();
    }

    #[test]
    fn a_connector_that_is_not_loaded_is_named_with_the_loaded_ones() {
        assert_eq!(
            check(connector("shop", "shopify"), &plugins()).to_string(),
            "mlc.toml: connections.shop.connector: no plugin named `shopify` is loaded\n  \
             fix: the loaded connector plugins are: testkit; plugins are looked for in \
             <plugins>: put the plugin there or correct the name"
        );
        assert_eq!(
            check(unchanged, &[]).fix,
            "the loaded connector plugins are: none; plugins are looked for in <plugins>: put \
             the plugin there or correct the name"
        );
    }

    #[test]
    fn a_plugin_of_the_other_world_is_refused() {
        assert_eq!(
            check(connector("ledger", "testkit-mapping"), &plugins()).to_string(),
            "mlc.toml: connections.ledger.connector: plugin `testkit-mapping` is a mapping, not a \
             connector\n  fix: name a connector plugin; the loaded ones are: testkit"
        );
        let error = check(
            |config| config.flows.get_mut("orders").unwrap().mapping = "testkit".to_owned(),
            &plugins(),
        );
        assert_eq!(
            (error.key.as_str(), error.problem.as_str()),
            (
                "flows.orders.mapping",
                "plugin `testkit` is a connector, not a mapping"
            )
        );
    }

    #[test]
    fn an_event_the_source_does_not_emit_is_refused_with_its_topics() {
        let typo = |config: &mut Config| {
            config.flows.get_mut("orders").unwrap().events = vec!["testkit.evnt".to_owned()];
        };
        assert_eq!(
            check(typo, &plugins()).to_string(),
            "mlc.toml: flows.orders.events: `testkit.evnt` is not a topic of connector `testkit` \
             (the plugin of source `shop`)\n  fix: name topics it emits: testkit.event, \
             testkit.polled"
        );
    }

    #[test]
    fn a_mapping_that_does_not_map_the_event_is_refused() {
        let mut plugins = plugins();
        plugins[1].topics = vec!["testkit.polled".to_owned()];
        assert_eq!(
            check(unchanged, &plugins).to_string(),
            "mlc.toml: flows.orders.mapping: mapping `testkit-mapping` does not map \
             `testkit.event`\n  fix: it maps: testkit.polled; name a mapping that maps \
             `testkit.event`, or take `testkit.event` out of events"
        );
    }

    #[test]
    fn command_kinds_the_sink_does_not_apply_are_named() {
        let mut plugins = plugins();
        plugins[1]
            .commands
            .extend(["testkit.refund".to_owned(), "testkit.void".to_owned()]);
        assert_eq!(
            check(unchanged, &plugins).to_string(),
            "mlc.toml: flows.orders.sink: mapping `testkit-mapping` emits command kinds that \
             connector `testkit` (the plugin of sink `ledger`) does not apply: testkit.refund, \
             testkit.void\n  fix: it applies: testkit.storage-set, testkit.post; name a sink \
             whose connector applies them, or a mapping that emits only those"
        );
    }

    #[test]
    fn a_flow_whose_connection_was_removed_is_refused() {
        let error = check(
            |config| {
                config.connections.remove("ledger");
            },
            &plugins(),
        );
        assert_eq!(
            (error.key.as_str(), error.problem.as_str()),
            ("flows.orders.sink", "`ledger` is not a connection")
        );
    }
}
