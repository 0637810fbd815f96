//! The two traits a plugin implements, one per WIT world.
//!
//! Calls are stateless: the host may run each call in a fresh instance, so anything that must
//! outlive a call (cursors, sessions, tokens) goes through [`crate::storage`].

use crate::{
    Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
    TimeRange, VerifyError,
};

/// A connector: speaks to one external system as a source, a sink, or both. Export it with
/// [`crate::export_connector!`]. A source-only connector keeps the default `apply`; a sink-only
/// one keeps the defaults of `verify`, `fetch` and `poll`.
pub trait Connector {
    fn describe() -> PluginInfo;

    /// Checks the connection end to end; returns what a person needs to know.
    fn ping() -> Result<String, PluginError>;

    /// Checks an inbound webhook (signature, token) and turns it into events.
    fn verify(request: InboundRequest) -> Result<Vec<Event>, VerifyError> {
        let _ = request;
        Err(VerifyError::Malformed(
            "this connector takes no webhooks".into(),
        ))
    }

    /// Loads the full records behind an event.
    fn fetch(event: Event) -> Result<Vec<Entity>, PluginError> {
        let _ = event;
        Err(PluginError::rejected("this connector is not a source"))
    }

    /// Lists what changed since `cursor` (`None`: the connector's start point).
    fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
        let _ = cursor;
        Ok(PollResult::default())
    }

    /// Lists what changed in `range`, oldest first, one page a call, as the events a webhook or
    /// [`Connector::poll`] gives for the same changes (same topics, keys and references), for a
    /// backfill. `cursor` is the previous page's [`PollResult::cursor`] (`None`: the first page);
    /// [`PollResult::more`] says another page waits. A range the system no longer keeps is an
    /// error that says how far back it goes.
    fn history(range: TimeRange, cursor: Option<String>) -> Result<PollResult, PluginError> {
        let _ = (range, cursor);
        Err(PluginError::rejected("this connector lists no history"))
    }

    /// Applies commands. The outer error means nothing was applied; otherwise one result per
    /// command, in order.
    fn apply(commands: Vec<Command>) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
        let _ = commands;
        Err(PluginError::rejected("this connector is not a sink"))
    }
}

/// A mapping: turns the records behind an event into sink commands. It must be pure: the same
/// input always gives the same commands. Export it with [`crate::export_mapping!`].
pub trait Mapping {
    fn describe() -> PluginInfo;

    /// `config` is the flow's mapping settings (JSON `null` when the flow has none).
    fn map(
        event: Event,
        records: Vec<Entity>,
        config: &serde_json::Value,
    ) -> Result<Vec<Command>, PluginError>;

    /// Checks a flow's mapping config (the same `config` as [`Mapping::map`] receives) when the
    /// host starts the flow, before any event is mapped. `Err` refuses it: the host stops and
    /// shows the text beside the flow's `mapping_config` key, so it should name the key and the
    /// fix. Run the config parsing `map` runs, so the two cannot disagree. The default accepts
    /// any config.
    fn check_config(config: &serde_json::Value) -> Result<(), String> {
        let _ = config;
        Ok(())
    }
}
