//! The export glue: adapters from the SDK traits to the generated WIT exports, and the two export
//! macros plugin crates invoke.
//!
//! The macros expand to the WIT exports only on wasm32. Natively they only check that the type
//! implements its trait, so a native `cargo test` binary does not export symbols named `map` or
//! `poll` over the C library's.

mod connector;
mod convert;
mod mapping;
mod panic;

pub use connector::ConnectorAdapter;
pub use mapping::MappingAdapter;

/// Exports a [`Connector`](crate::Connector) implementation as the plugin's `connector` world.
///
/// ```ignore
/// struct MyConnector;
/// impl ml_connector_sdk::Connector for MyConnector { /* ... */ }
/// ml_connector_sdk::export_connector!(MyConnector);
/// ```
#[macro_export]
macro_rules! export_connector {
    ($ty:ty) => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            type __MlcConnectorExport = $crate::export::ConnectorAdapter<$ty>;
            #[cfg(target_arch = "wasm32")]
            $crate::__connector_bindings::export_connector_world!(
                __MlcConnectorExport with_types_in $crate::__connector_bindings
            );
            #[cfg(not(target_arch = "wasm32"))]
            $crate::export::assert_connector::<$ty>();
        };
    };
}

/// Exports a [`Mapping`](crate::Mapping) implementation as the plugin's `mapping` world.
///
/// ```ignore
/// struct MyMapping;
/// impl ml_connector_sdk::Mapping for MyMapping { /* ... */ }
/// ml_connector_sdk::export_mapping!(MyMapping);
/// ```
#[macro_export]
macro_rules! export_mapping {
    ($ty:ty) => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            type __MlcMappingExport = $crate::export::MappingAdapter<$ty>;
            #[cfg(target_arch = "wasm32")]
            $crate::__mapping_bindings::export_mapping_world!(
                __MlcMappingExport with_types_in $crate::__mapping_bindings
            );
            #[cfg(not(target_arch = "wasm32"))]
            $crate::export::assert_mapping::<$ty>();
        };
    };
}

/// Compile-time check used by [`export_connector!`] on native targets.
pub const fn assert_connector<T: crate::Connector>() {}

/// Compile-time check used by [`export_mapping!`] on native targets.
pub const fn assert_mapping<T: crate::Mapping>() {}
