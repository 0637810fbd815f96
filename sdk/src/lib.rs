//! The crate ml-connector plugin authors depend on.
//!
//! A plugin is a Rust `cdylib` that implements one of two traits and exports it with one macro:
//!
//! - [`Connector`] with [`export_connector!`]: speaks to one external system (webhooks in through
//!   `verify`, records through `fetch` and `poll`, commands out through `apply`). It alone gets
//!   [`http`], [`storage`], [`clock`] and [`secrets`].
//! - [`Mapping`] with [`export_mapping!`]: turns a source system's records into a sink system's
//!   commands. It is pure: it may use only [`log`] and [`config`].
//!
//! Everything here is plain Rust: the WIT bindings that wit-bindgen generates (in
//! `ml-connector-wit`, the contract's one home) stay hidden behind it. Natively (any target but
//! wasm32) the host helpers run against in-memory test state that [`testing`] sets, so
//! `cargo test` exercises a plugin with no host at all.

mod bindings;
pub mod clock;
pub mod config;
mod error;
#[doc(hidden)]
pub mod export;
pub mod http;
mod level;
pub mod log;
pub mod mapping_config;
pub mod money;
mod plugin;
pub mod secrets;
pub mod storage;
mod sys;
mod types;
pub mod xml;

pub use error::{PluginError, VerifyError};
pub use plugin::{Connector, Mapping};
#[cfg(not(target_arch = "wasm32"))]
pub use sys::testing;
pub use types::{
    Applied, Command, Entity, Event, InboundRequest, PluginInfo, PollResult, TimeRange,
};

pub use chrono;
pub use serde_json;

#[doc(hidden)]
pub use bindings::{connector as __connector_bindings, mapping as __mapping_bindings};
