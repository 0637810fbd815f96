//! Adapts a [`Mapping`] to the generated `mapping` world exports.

use std::marker::PhantomData;

use super::panic::install_hook;
use crate::bindings::connector::ml_connector::plugin::types;
use crate::bindings::mapping as wit;
use crate::{Mapping, PluginError};

/// The type the export macro hands to wit-bindgen for a mapping `T`.
pub struct MappingAdapter<T>(PhantomData<T>);

impl<T: Mapping> wit::Guest for MappingAdapter<T> {
    fn describe() -> types::PluginInfo {
        install_hook();
        T::describe().into()
    }

    fn map(
        event: types::Event,
        records: Vec<types::Entity>,
        config: String,
    ) -> Result<Vec<types::Command>, types::PluginError> {
        install_hook();
        let config = parse_config(&config)?;
        let commands = T::map(
            event.into(),
            records.into_iter().map(Into::into).collect(),
            &config,
        )?;
        Ok(commands.into_iter().map(Into::into).collect())
    }

    fn check_config(config: String) -> Result<(), String> {
        install_hook();
        check_config::<T>(&config)
    }
}

/// Reads the config text as `map` does, then asks `T`.
fn check_config<T: Mapping>(text: &str) -> Result<(), String> {
    let config = parse_config(text).map_err(|error| error.message().to_owned())?;
    T::check_config(&config)
}

/// The flow's mapping settings; empty text means none (`null`).
fn parse_config(text: &str) -> Result<serde_json::Value, PluginError> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(text).map_err(|error| {
        PluginError::rejected(format!("the flow's mapping config is not JSON: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{Command, Entity, Event, PluginInfo};

    /// Refuses a config whose `mode` is not `"fast"`; keeps the default check otherwise.
    struct Picky;

    impl Mapping for Picky {
        fn describe() -> PluginInfo {
            PluginInfo::default()
        }

        fn map(_: Event, _: Vec<Entity>, _: &Value) -> Result<Vec<Command>, PluginError> {
            Ok(Vec::new())
        }

        fn check_config(config: &Value) -> Result<(), String> {
            match config.get("mode") {
                None => Ok(()),
                Some(mode) if mode == "fast" => Ok(()),
                Some(mode) => Err(format!("`mode` must be \"fast\", not {mode}")),
            }
        }
    }

    struct Lenient;

    impl Mapping for Lenient {
        fn describe() -> PluginInfo {
            PluginInfo::default()
        }

        fn map(_: Event, _: Vec<Entity>, _: &Value) -> Result<Vec<Command>, PluginError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn check_config_reads_the_text_as_map_does_and_asks_the_mapping() {
        assert_eq!(check_config::<Picky>(r#"{"mode": "fast"}"#), Ok(()));
        assert_eq!(check_config::<Picky>(""), Ok(()));
        assert_eq!(
            check_config::<Picky>(r#"{"mode": "slow"}"#),
            Err("`mode` must be \"fast\", not \"slow\"".to_owned())
        );
        let not_json = check_config::<Picky>("{mode").unwrap_err();
        assert!(
            not_json.starts_with("the flow's mapping config is not JSON: "),
            "{not_json}"
        );
        assert_eq!(check_config::<Lenient>(r#"{"mode": "slow"}"#), Ok(()));
        assert!(check_config::<Lenient>("{mode").is_err());
    }
}
