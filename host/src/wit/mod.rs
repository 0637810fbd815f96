//! The contract's versions on the host's side, after the table in `ml-connector-wit`: one
//! bindings module per supported version (`since_v0_3_0`, `since_v0_2_0`, `since_v0_1_0`),
//! [`contract`], which tells from a component's imports which version serves it, and the one
//! switch from a version to the bindings that call it ([`connector_pre`], [`mapping_pre`]). The
//! rest of the host speaks the current version only, through [`latest`], and [`AnyConnector`] and
//! [`AnyMapping`], which call an older plugin through its own bindings.
//!
//! `docs/contract-versions.md` lists what adding a version touches.

pub(crate) mod contract;
mod since_v0_1_0;
mod since_v0_2_0;
mod since_v0_3_0;

/// The current version as the rest of the host speaks it (`crate::bindings`): its worlds, and
/// the host interfaces and plugin types that every version's bindings share, so that each
/// capability is implemented once.
pub(crate) mod latest {
    pub use super::since_v0_3_0::connector::ml_connector::host::{
        clock, config, http, log, secrets, storage,
    };
    pub use super::since_v0_3_0::connector::ml_connector::plugin::types;
    pub use super::since_v0_3_0::{connector, mapping};
}

use ml_connector_wit::{Contract, Version};
use wasmtime::Store;
use wasmtime::component::InstancePre;

use latest::types::{
    Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
    VerifyError,
};

/// The bindings that call a connector built for `contract`. The connector world gained
/// `history` in 0.3.0 and was the same from 0.1.0 to 0.2.0 (same exports, same shapes), so the
/// 0.2.0 bindings call both of those.
pub(crate) fn connector_pre<T: 'static>(
    contract: &Contract,
    pre: InstancePre<T>,
) -> wasmtime::Result<AnyConnectorPre<T>> {
    Ok(match contract.version {
        Version::V0_3_0 => AnyConnectorPre::V0_3_0(latest::connector::ConnectorPre::new(pre)?),
        Version::V0_2_0 | Version::V0_1_0 => {
            AnyConnectorPre::V0_2_0(since_v0_2_0::connector::ConnectorPre::new(pre)?)
        }
    })
}

/// The bindings that call a mapping built for `contract`. The mapping world gained
/// `check-config` in 0.2.0 and has not changed since, so the current bindings call 0.2.0 too.
pub(crate) fn mapping_pre<T: 'static>(
    contract: &Contract,
    pre: InstancePre<T>,
) -> wasmtime::Result<AnyMappingPre<T>> {
    Ok(match contract.version {
        Version::V0_3_0 | Version::V0_2_0 => {
            AnyMappingPre::Current(latest::mapping::MappingPre::new(pre)?)
        }
        Version::V0_1_0 => AnyMappingPre::V0_1_0(since_v0_1_0::mapping::MappingPre::new(pre)?),
    })
}

/// A connector's ready-to-instantiate form, with the bindings of its contract version.
pub(crate) enum AnyConnectorPre<T: 'static> {
    V0_3_0(latest::connector::ConnectorPre<T>),
    V0_2_0(since_v0_2_0::connector::ConnectorPre<T>),
}

impl<T: 'static> Clone for AnyConnectorPre<T> {
    fn clone(&self) -> Self {
        match self {
            Self::V0_3_0(pre) => Self::V0_3_0(pre.clone()),
            Self::V0_2_0(pre) => Self::V0_2_0(pre.clone()),
        }
    }
}

impl<T: Send + 'static> AnyConnectorPre<T> {
    pub(crate) async fn instantiate_async(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<AnyConnector> {
        Ok(match self {
            Self::V0_3_0(pre) => AnyConnector::V0_3_0(pre.instantiate_async(store).await?),
            Self::V0_2_0(pre) => AnyConnector::V0_2_0(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance of a connector, with the bindings of its contract version.
pub(crate) enum AnyConnector {
    V0_3_0(latest::connector::Connector),
    V0_2_0(since_v0_2_0::connector::Connector),
}

/// Calls the same export through whichever bindings `$connector` holds.
macro_rules! each_version {
    ($connector:expr, $plugin:ident => $call:expr) => {
        match $connector {
            AnyConnector::V0_3_0($plugin) => $call,
            AnyConnector::V0_2_0($plugin) => $call,
        }
    };
}

impl AnyConnector {
    pub(crate) async fn call_describe<T: Send>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<PluginInfo> {
        each_version!(self, plugin => plugin.call_describe(store).await)
    }

    pub(crate) async fn call_ping<T: Send>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<Result<String, PluginError>> {
        each_version!(self, plugin => plugin.call_ping(store).await)
    }

    pub(crate) async fn call_verify<T: Send>(
        &self,
        store: &mut Store<T>,
        request: &InboundRequest,
    ) -> wasmtime::Result<Result<Vec<Event>, VerifyError>> {
        each_version!(self, plugin => plugin.call_verify(store, request).await)
    }

    pub(crate) async fn call_fetch<T: Send>(
        &self,
        store: &mut Store<T>,
        event: &Event,
    ) -> wasmtime::Result<Result<Vec<Entity>, PluginError>> {
        each_version!(self, plugin => plugin.call_fetch(store, event).await)
    }

    pub(crate) async fn call_poll<T: Send>(
        &self,
        store: &mut Store<T>,
        cursor: Option<&str>,
    ) -> wasmtime::Result<Result<PollResult, PluginError>> {
        each_version!(self, plugin => plugin.call_poll(store, cursor).await)
    }

    pub(crate) async fn call_apply<T: Send>(
        &self,
        store: &mut Store<T>,
        commands: &[Command],
    ) -> wasmtime::Result<Result<Vec<Result<Applied, PluginError>>, PluginError>> {
        each_version!(self, plugin => plugin.call_apply(store, commands).await)
    }

    /// `history`, if the connector's version exports it (since 0.3.0).
    pub(crate) async fn call_history<T: Send>(
        &self,
        store: &mut Store<T>,
        since: &str,
        until: &str,
        cursor: Option<&str>,
    ) -> Option<wasmtime::Result<Result<PollResult, PluginError>>> {
        match self {
            Self::V0_3_0(plugin) => Some(plugin.call_history(store, since, until, cursor).await),
            Self::V0_2_0(_) => None,
        }
    }
}

/// A mapping's ready-to-instantiate form, with the bindings of its contract version.
pub(crate) enum AnyMappingPre<T: 'static> {
    /// 0.2.0 and later, whose mapping world is the current one.
    Current(latest::mapping::MappingPre<T>),
    V0_1_0(since_v0_1_0::mapping::MappingPre<T>),
}

impl<T: 'static> Clone for AnyMappingPre<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Current(pre) => Self::Current(pre.clone()),
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
            Self::Current(pre) => AnyMapping::Current(pre.instantiate_async(store).await?),
            Self::V0_1_0(pre) => AnyMapping::V0_1_0(pre.instantiate_async(store).await?),
        })
    }

    /// The bindings that call `check-config`, if the mapping's version exports it (since 0.2.0).
    pub(crate) fn checking_config(&self) -> Option<&latest::mapping::MappingPre<T>> {
        match self {
            Self::Current(pre) => Some(pre),
            Self::V0_1_0(_) => None,
        }
    }
}

/// An instance of a mapping, with the bindings of its contract version.
pub(crate) enum AnyMapping {
    /// 0.2.0 and later.
    Current(latest::mapping::Mapping),
    V0_1_0(since_v0_1_0::mapping::Mapping),
}

impl AnyMapping {
    pub(crate) async fn call_describe<T: Send>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<PluginInfo> {
        match self {
            Self::Current(plugin) => plugin.call_describe(store).await,
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
            Self::Current(plugin) => plugin.call_map(store, event, records, config).await,
            Self::V0_1_0(plugin) => plugin.call_map(store, event, records, config).await,
        }
    }
}
