//! The contract's versions on the host's side, after the table in `ml-connector-wit`: one
//! bindings module per supported version (`since_v0_2_0`, `since_v0_1_0`), [`contract`], which
//! tells from a component's imports which version serves it, and the one switch from a version
//! to the bindings that call it ([`connector_pre`], [`mapping_pre`]). The rest of the host speaks
//! the current version only, through [`latest`].
//!
//! `docs/contract-versions.md` lists what adding a version touches.

pub(crate) mod contract;
mod since_v0_1_0;
mod since_v0_2_0;

/// The current version as the rest of the host speaks it (`crate::bindings`): its worlds, and
/// the host interfaces and plugin types that every version's bindings share, so that each
/// capability is implemented once.
pub(crate) mod latest {
    pub use super::since_v0_2_0::connector::ml_connector::host::{
        clock, config, http, log, secrets, storage,
    };
    pub use super::since_v0_2_0::connector::ml_connector::plugin::types;
    pub use super::since_v0_2_0::{connector, mapping};
}

use ml_connector_wit::{Contract, Version};
use wasmtime::Store;
use wasmtime::component::InstancePre;

use latest::connector::ConnectorPre;
use latest::types::{Command, Entity, Event, PluginError, PluginInfo};

/// The bindings that call a connector built for `contract`. The connector world has not changed
/// since 0.1.0 (same exports, same shapes), so the current bindings call every version.
pub(crate) fn connector_pre<T: 'static>(
    contract: &Contract,
    pre: InstancePre<T>,
) -> wasmtime::Result<ConnectorPre<T>> {
    match contract.version {
        Version::V0_2_0 | Version::V0_1_0 => ConnectorPre::new(pre),
    }
}

/// The bindings that call a mapping built for `contract`.
pub(crate) fn mapping_pre<T: 'static>(
    contract: &Contract,
    pre: InstancePre<T>,
) -> wasmtime::Result<AnyMappingPre<T>> {
    Ok(match contract.version {
        Version::V0_2_0 => AnyMappingPre::V0_2_0(latest::mapping::MappingPre::new(pre)?),
        Version::V0_1_0 => AnyMappingPre::V0_1_0(since_v0_1_0::mapping::MappingPre::new(pre)?),
    })
}

/// A mapping's ready-to-instantiate form, with the bindings of its contract version.
pub(crate) enum AnyMappingPre<T: 'static> {
    V0_2_0(latest::mapping::MappingPre<T>),
    V0_1_0(since_v0_1_0::mapping::MappingPre<T>),
}

impl<T: 'static> Clone for AnyMappingPre<T> {
    fn clone(&self) -> Self {
        match self {
            Self::V0_2_0(pre) => Self::V0_2_0(pre.clone()),
            Self::V0_1_0(pre) => Self::V0_1_0(pre.clone()),
        }
    }
}

impl<T: Send + 'static> AnyMappingPre<T> {
    pub(crate) async fn instantiate_async(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<AnyMapping> {
        Ok(match self {
            Self::V0_2_0(pre) => AnyMapping::V0_2_0(pre.instantiate_async(store).await?),
            Self::V0_1_0(pre) => AnyMapping::V0_1_0(pre.instantiate_async(store).await?),
        })
    }

    /// The bindings that call `check-config`, if the mapping's version exports it (since 0.2.0).
    pub(crate) fn checking_config(&self) -> Option<&latest::mapping::MappingPre<T>> {
        match self {
            Self::V0_2_0(pre) => Some(pre),
            Self::V0_1_0(_) => None,
        }
    }
}

/// An instance of a mapping, with the bindings of its contract version.
pub(crate) enum AnyMapping {
    V0_2_0(latest::mapping::Mapping),
    V0_1_0(since_v0_1_0::mapping::Mapping),
}

impl AnyMapping {
    pub(crate) async fn call_describe<T: Send>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<PluginInfo> {
        match self {
            Self::V0_2_0(plugin) => plugin.call_describe(store).await,
            Self::V0_1_0(plugin) => plugin.call_describe(store).await,
        }
    }

    pub(crate) async fn call_map<T: Send>(
        &self,
        store: &mut Store<T>,
        event: &Event,
        records: &[Entity],
        config: &str,
    ) -> wasmtime::Result<Result<Vec<Command>, PluginError>> {
        match self {
            Self::V0_2_0(plugin) => plugin.call_map(store, event, records, config).await,
            Self::V0_1_0(plugin) => plugin.call_map(store, event, records, config).await,
        }
    }
}
