//! The bindings of contract 0.1.0 (`wit/since_v0.1.0`): its mapping world, which lacks
//! `check-config`. It imports the same host package version as the current one and its plugin
//! types have the same shapes, so it takes those from `latest` (`with`) and the one
//! implementation of each capability serves it. A 0.1.0 connector exports what a current one
//! does and is called through the current connector bindings (see the switch in `super`).

pub mod mapping {
    wasmtime::component::bindgen!({
        world: "ml-connector:plugin/mapping@0.1.0",
        path: "../wit/since_v0.1.0",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "ml-connector:host/log": crate::wit::latest::log,
            "ml-connector:host/config": crate::wit::latest::config,
            "ml-connector:plugin/types": crate::wit::latest::types,
        },
    });
}
