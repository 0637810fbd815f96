//! Adapts a [`Connector`] to the generated `connector` world exports.

use std::marker::PhantomData;

use super::panic::install_hook;
use crate::Connector;
use crate::bindings::connector::{self as wit, ml_connector::plugin::types};

/// The type the export macro hands to wit-bindgen for a connector `T`.
pub struct ConnectorAdapter<T>(PhantomData<T>);

impl<T: Connector> wit::Guest for ConnectorAdapter<T> {
    fn describe() -> types::PluginInfo {
        install_hook();
        T::describe().into()
    }

    fn ping() -> Result<String, types::PluginError> {
        install_hook();
        T::ping().map_err(Into::into)
    }

    fn verify(request: types::InboundRequest) -> Result<Vec<types::Event>, types::VerifyError> {
        install_hook();
        T::verify(request.into())
            .map(|events| events.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn fetch(event: types::Event) -> Result<Vec<types::Entity>, types::PluginError> {
        install_hook();
        T::fetch(event.into())
            .map(|entities| entities.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn poll(cursor: Option<String>) -> Result<types::PollResult, types::PluginError> {
        install_hook();
        T::poll(cursor).map(Into::into).map_err(Into::into)
    }

    fn history(
        since: String,
        until: String,
        cursor: Option<String>,
    ) -> Result<types::PollResult, types::PluginError> {
        install_hook();
        let range = crate::TimeRange::parse(&since, &until)?;
        T::history(range, cursor)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn apply(
        commands: Vec<types::Command>,
    ) -> Result<Vec<Result<types::Applied, types::PluginError>>, types::PluginError> {
        install_hook();
        let results = T::apply(commands.into_iter().map(Into::into).collect())?;
        Ok(results
            .into_iter()
            .map(|result| result.map(Into::into).map_err(Into::into))
            .collect())
    }
}
