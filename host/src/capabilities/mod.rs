//! The host side of the WIT capabilities, one module per interface, and the linkers of the two
//! plugin worlds. A connector's linker has every capability; a mapping's only `log` and `config`, so
//! a mapping that imports anything else fails to load, before it ever runs.
//!
//! The same linkers serve plugins built for either supported contract version: they import the
//! same host interfaces, and their `ml-connector:plugin/types` import holds only types, which
//! wasmtime links without a definition.

mod clock;
mod config;
mod http;
mod log;
mod storage;
pub(crate) mod wasi;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings;
use crate::error::to_anyhow;
use crate::sandbox::CallState;

/// Every capability, plus WASI denied by default.
pub(crate) fn connector_linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    bindings::connector::Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .map_err(to_anyhow)?;
    wasi::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// `log` and `config`, plus WASI denied by default.
pub(crate) fn mapping_linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    bindings::mapping::Mapping::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .map_err(to_anyhow)?;
    wasi::add_to_linker(&mut linker)?;
    Ok(linker)
}

impl bindings::types::Host for CallState {}
