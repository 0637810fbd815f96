//! The wit-bindgen bindings of the two plugin worlds of the current contract
//! (`ml-connector:plugin@0.2.0`, `wit/plugin`). Nothing outside this crate sees them: the
//! export glue converts to and from the SDK's own types, and `sys` calls the host imports.
//!
//! Both worlds are generated with `pub_export_macro`, so this crate embeds only their imports and
//! the plugin crate's `export_*!` expansion embeds the world it exports. The mapping world reuses
//! the connector world's types and imports (`with`), so conversions and host calls exist once.

// Generated code: its ABI shims take one argument per flattened value.
#[allow(clippy::too_many_arguments)]
pub mod connector {
    wit_bindgen::generate!({
        path: "../wit/plugin",
        world: "ml-connector:plugin/connector@0.2.0",
        pub_export_macro: true,
        generate_all,
        export_macro_name: "export_connector_world",
        default_bindings_module: "ml_connector_sdk::__connector_bindings",
    });
}

#[allow(clippy::too_many_arguments)]
pub mod mapping {
    wit_bindgen::generate!({
        path: "../wit/plugin",
        world: "ml-connector:plugin/mapping@0.2.0",
        pub_export_macro: true,
        generate_all,
        export_macro_name: "export_mapping_world",
        default_bindings_module: "ml_connector_sdk::__mapping_bindings",
        with: {
            "ml-connector:plugin/types@0.2.0": super::connector::ml_connector::plugin::types,
            "ml-connector:host/log@0.1.0": super::connector::ml_connector::host::log,
            "ml-connector:host/config@0.1.0": super::connector::ml_connector::host::config,
        },
    });
}
