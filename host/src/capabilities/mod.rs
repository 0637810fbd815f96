//! The host side of the WIT capabilities, one module per interface, each owning its state, its
//! view of one call (its state beside the call's shared [`scope::CallScope`]) and its
//! `add_to_linker` (wasmtime's `crates/wasi` pattern). Nothing here knows the Store's data type:
//! the sandbox puts the states together and wires the two plugin worlds' linkers from them.

pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod http;
pub(crate) mod log;
pub(crate) mod scope;
pub(crate) mod storage;
pub(crate) mod wasi;
