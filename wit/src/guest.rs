//! The wit-bindgen guest bindings of the current contract's two worlds (`since_v0.3.0`,
//! `ml-connector:plugin@0.3.0`), for the SDK, which wraps them in its own types and traits:
//! plugin authors never see them.
//!
//! Both worlds are generated with `pub_export_macro`, so this crate embeds only their imports and
//! a plugin crate's export macro expansion embeds the world it exports. The mapping world reuses
//! the connector world's types and imports (`with`), so conversions and host calls exist once.
//! When the current version changes, the folder and world versions here follow it.

// Generated code: its ABI shims take one argument per flattened value.
#[allow(clippy::too_many_arguments)]
pub mod connector {
    wit_bindgen::generate!({
        path: "since_v0.3.0",
        world: "ml-connector:plugin/connector@0.3.0",
        pub_export_macro: true,
        generate_all,
        export_macro_name: "export_connector_world",
        default_bindings_module: "ml_connector_wit::guest::connector",
    });
}

#[allow(clippy::too_many_arguments)]
pub mod mapping {
    wit_bindgen::generate!({
        path: "since_v0.3.0",
        world: "ml-connector:plugin/mapping@0.3.0",
        pub_export_macro: true,
        generate_all,
        export_macro_name: "export_mapping_world",
        default_bindings_module: "ml_connector_wit::guest::mapping",
        with: {
            "ml-connector:plugin/types@0.3.0": super::connector::ml_connector::plugin::types,
            "ml-connector:host/log@0.1.0": super::connector::ml_connector::host::log,
            "ml-connector:host/config@0.1.0": super::connector::ml_connector::host::config,
        },
    });
}
