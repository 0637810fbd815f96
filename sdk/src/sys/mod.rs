//! The one place where wasm32 and native builds differ. On wasm32 every capability is a host
//! import; natively it is thread-local test state that [`testing`] sets, so plugins run under
//! `cargo test` with no host. Both sides offer the same functions.

#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
pub use host::*;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
