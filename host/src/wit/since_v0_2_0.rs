//! The bindings of contract 0.2.0 (`wit/since_v0.2.0`): its connector world, which lacks
//! `history` (its mapping world is the current one's, called through `latest`). It imports the
//! same host package version as the current one and its plugin types have the same shapes, so it
//! takes those from `latest` (`with`) and the one implementation of each capability serves it.
//! A 0.1.0 connector exports what a 0.2.0 one does and is called through these bindings (see the
//! switch in `super`).

pub mod connector {
    wasmtime::component::bindgen!({
        world: "ml-connector:plugin/connector@0.2.0",
        path: "../wit/since_v0.2.0",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "ml-connector:host/http": crate::wit::latest::http,
            "ml-connector:host/storage": crate::wit::latest::storage,
            "ml-connector:host/clock": crate::wit::latest::clock,
            "ml-connector:host/log": crate::wit::latest::log,
            "ml-connector:host/config": crate::wit::latest::config,
            "ml-connector:host/secrets": crate::wit::latest::secrets,
            "ml-connector:plugin/types": crate::wit::latest::types,
        },
    });
}
