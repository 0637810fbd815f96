//! What the engine's parts share: the host, the inbox, the plugin store, the clock, the flows and
//! connections from the config, one sink lane per sink connection, and the signal that new work is
//! waiting, and the backfills the admin API runs. Plugin installs and rollbacks go through here,
//! one at a time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Notify;

use crate::call::{ConnectorCall, MappingCall};
use crate::clock::Clock;
use crate::config::{Config, FlowConfig};
use crate::connection::Connection;
use crate::error::{CallError, HostError};
use crate::flow::backfill;
use crate::flow::inbox::Inbox;
use crate::flow::lane_gate::LaneGate;
use crate::flow::pins;
use crate::flow::plugins::{self, Installed};
use crate::flow::sink::SinkLane;
use crate::host::Host;
use crate::plugin::PluginSummary;
use crate::plugin_store::PluginStore;

pub(crate) struct Shared {
    pub host: Host,
    pub inbox: Inbox,
    pub store: PluginStore,
    /// Held while the served plugin versions change: installs, rollbacks, the store watcher.
    lifecycle: tokio::sync::Mutex<()>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    connections: BTreeMap<String, Arc<Connection>>,
    lanes: BTreeMap<String, SinkLane>,
    /// Set when new events are in the inbox (a webhook, a poll, a replay) or a worker slot came
    /// free.
    pub work: Notify,
    /// Cleared when shutdown begins: webhooks are refused from then on.
    pub accepting: AtomicBool,
    /// The backfills the admin API started.
    pub backfills: backfill::Runs,
    /// Versions no longer active, loaded for the events pinned to them.
    pub kept: pins::Kept,
}

/// The plugin handles of one attempt, resolved when it starts.
pub(crate) struct FlowCalls {
    pub source: ConnectorCall,
    pub mapping: MappingCall,
    pub mapping_config: Value,
    pub sink: ConnectorCall,
    pub lane: SinkLane,
}

impl Shared {
    pub fn new(
        host: Host,
        inbox: Inbox,
        store: PluginStore,
        config: Config,
    ) -> anyhow::Result<Self> {
        let mut connections = BTreeMap::new();
        for (name, connection) in &config.connections {
            connections.insert(name.clone(), Arc::new(connection.connection()?));
        }
        let gate = LaneGate::of(&config);
        let lanes = config
            .flows
            .values()
            .map(|flow| {
                let sink = &config.connections[&flow.sink];
                (
                    flow.sink.clone(),
                    SinkLane::start(
                        &flow.sink,
                        gate.slots(&flow.sink, sink.concurrency),
                        sink.batch,
                        config.recording.enabled,
                    ),
                )
            })
            .collect();
        Ok(Self {
            clock: host.clock(),
            host,
            inbox,
            store,
            lifecycle: tokio::sync::Mutex::new(()),
            config,
            connections,
            lanes,
            work: Notify::new(),
            accepting: AtomicBool::new(true),
            backfills: backfill::Runs::default(),
            kept: pins::Kept::default(),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }

    /// A handle on the connector of connection `name`.
    pub fn connector(&self, name: &str) -> Result<ConnectorCall, CallError> {
        let (Some(config), Some(connection)) = (
            self.config.connections.get(name),
            self.connections.get(name),
        ) else {
            return Err(HostError::UnknownConnection {
                name: name.to_owned(),
            }
            .into());
        };
        self.host.connector(&config.connector, connection.clone())
    }

    pub fn flow(&self, name: &str) -> Result<&FlowConfig, CallError> {
        self.config.flows.get(name).ok_or_else(|| {
            HostError::FlowRemoved {
                flow: name.to_owned(),
            }
            .into()
        })
    }

    /// Installs `component` and makes it serve new events (see [`plugins::install`]).
    pub async fn install_plugin(
        &self,
        component: &[u8],
        origin: &str,
    ) -> anyhow::Result<Installed> {
        let _one_at_a_time = self.lifecycle.lock().await;
        plugins::install(&self.host, &self.store, &self.config, component, origin).await
    }

    /// Makes the version of `name` installed before the active one serve again.
    pub async fn rollback_plugin(&self, name: &str) -> anyhow::Result<Installed> {
        let _one_at_a_time = self.lifecycle.lock().await;
        plugins::rollback(&self.host, &self.store, &self.config, name).await
    }

    /// Loads the versions another process made active.
    pub async fn sync_plugins(&self) -> anyhow::Result<Vec<PluginSummary>> {
        let _one_at_a_time = self.lifecycle.lock().await;
        plugins::sync(&self.host, &self.store).await
    }

    pub fn calls(&self, flow: &str) -> Result<FlowCalls, CallError> {
        let flow = self.flow(flow)?;
        Ok(FlowCalls {
            source: self.connector(&flow.source)?,
            mapping: self.host.mapping(&flow.mapping, flow.mapping_settings())?,
            mapping_config: flow.mapping_config.clone(),
            sink: self.connector(&flow.sink)?,
            lane: self.lanes[&flow.sink].clone(),
        })
    }
}
