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
