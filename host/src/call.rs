//! Running one plugin call: a fresh Store from the plugin's InstancePre, the memory limiter, the
//! CPU deadline (checked on every epoch tick, yielding to the executor between ticks so the
//! wall-clock timeout can fire), then the export, then a [`CallReport`]. [`ConnectorCall`] and
//! [`MappingCall`] are the typed handles over it, one method per export; they copy their arguments
//! into the call, so a call's future borrows nothing from its caller. A mapping built for an older
//! contract version is called through its own bindings ([`AnyMapping`]). Each call runs in a
//! `plugin_call` tracing span (plugin, version, export, connection) and is counted in the
//! [`metrics`].

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;
use wasmtime::{Engine, Store, UpdateDeadline};

use crate::bindings::mapping::{Mapping, MappingPre};
use crate::bindings::types::{
    Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
    VerifyError,
};
use crate::capabilities::scope::Grant;
use crate::connection::Connection;
use crate::error::{CallError, HostError, SandboxStop, chain_text};
use crate::limits::Limits;
use crate::metrics;
use crate::plugin::{AnyConnectorPre, AnyMappingPre, PluginSummary};
use crate::sandbox::{CallState, Services};
use crate::trace::{CallReport, CallTrace};
use crate::wit::{AnyConnector, AnyMapping};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A plugin's own answer when it is not a success.
pub(crate) enum Failure {
    Plugin(PluginError),
    Verify(VerifyError),
}

impl From<PluginError> for Failure {
    fn from(error: PluginError) -> Self {
        Self::Plugin(error)
    }
}

impl From<VerifyError> for Failure {
    fn from(error: VerifyError) -> Self {
        Self::Verify(error)
    }
}

type Answer<T> = wasmtime::Result<Result<T, Failure>>;

/// Instantiates a world's bindings in a Store.
pub(crate) trait WorldPre: Send + Sync {
    type Bindings: Send;
    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> BoxFuture<'a, wasmtime::Result<Self::Bindings>>;
    /// Calls the world's `describe` export (both worlds have one).
    fn describe(
        store: &mut Store<CallState>,
        bindings: Self::Bindings,
    ) -> BoxFuture<'_, Answer<PluginInfo>>;
}

impl WorldPre for AnyConnectorPre {
    type Bindings = AnyConnector;
    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> BoxFuture<'a, wasmtime::Result<AnyConnector>> {
        Box::pin(self.instantiate_async(store))
    }
    fn describe(
        store: &mut Store<CallState>,
        plugin: AnyConnector,
    ) -> BoxFuture<'_, Answer<PluginInfo>> {
        Box::pin(async move { Ok(Ok(plugin.call_describe(store).await?)) })
    }
}

impl WorldPre for MappingPre<CallState> {
    type Bindings = Mapping;
    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> BoxFuture<'a, wasmtime::Result<Mapping>> {
        Box::pin(self.instantiate_async(store))
    }
    fn describe(
        store: &mut Store<CallState>,
        plugin: Mapping,
    ) -> BoxFuture<'_, Answer<PluginInfo>> {
        Box::pin(async move { Ok(Ok(plugin.call_describe(store).await?)) })
    }
}

impl WorldPre for AnyMappingPre {
    type Bindings = AnyMapping;
    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> BoxFuture<'a, wasmtime::Result<AnyMapping>> {
        Box::pin(self.instantiate_async(store))
    }
    fn describe(
        store: &mut Store<CallState>,
        plugin: AnyMapping,
    ) -> BoxFuture<'_, Answer<PluginInfo>> {
        Box::pin(async move { Ok(Ok(plugin.call_describe(store).await?)) })
    }
}

/// What every call of a host shares.
#[derive(Clone)]
pub(crate) struct Runner {
    pub engine: Engine,
    pub limits: Limits,
    pub services: Arc<Services>,
}

impl Runner {
    /// Runs `call` on a fresh instance of `pre` under the sandbox's limits; `taping` keeps what
    /// the plugin receives, whole, in the report's `tape`.
    pub async fn run<P: WorldPre, T>(
        &self,
        plugin: &Arc<str>,
        pre: &P,
        grant: Grant,
        taping: bool,
        call: impl for<'a> FnOnce(&'a mut Store<CallState>, P::Bindings) -> BoxFuture<'a, Answer<T>>
        + Send,
    ) -> CallReport<T> {
        let started = Instant::now();
        let trace = CallTrace::new(self.limits.log_records, taping);
        let state = CallState::new(
            plugin.clone(),
            grant,
            self.limits,
            &self.services,
            trace.clone(),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|context| {
            context
                .data()
                .scope
                .cpu
                .check()
                .map_err(wasmtime::Error::new)?;
            Ok(UpdateDeadline::Yield(1))
        });

        let answer = tokio::time::timeout(self.limits.wall_time, async {
            let bindings = pre
                .instantiate(&mut store)
                .await
                .map_err(Halt::Instantiation)?;
            call(&mut store, bindings).await.map_err(Halt::Trap)
        })
        .await;

        let state = store.data();
        state.flush_output();
        let result = match answer {
            Err(_elapsed) => Err(sandbox_stop(
                plugin,
                SandboxStop::WallTimeout {
                    limit: self.limits.wall_time,
                },
            )),
            Ok(Err(Halt::Instantiation(error))) => Err(instantiation_error(plugin, &error)),
            Ok(Err(Halt::Trap(trap))) => Err(sandbox_stop(plugin, classify(&trap, &trace))),
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(Failure::Plugin(error)))) => Err(CallError::Plugin {
                plugin: plugin.to_string(),
                error,
            }),
            Ok(Ok(Err(Failure::Verify(error)))) => Err(CallError::Verify {
                plugin: plugin.to_string(),
                error,
            }),
        };
        trace.report(result, state.scope.cpu.used(), started.elapsed())
    }
}

/// Where a call ended without an answer from the plugin.
enum Halt {
    /// No instance could be made.
    Instantiation(wasmtime::Error),
    /// The instance trapped (or the sandbox stopped it) during the call.
    Trap(wasmtime::Error),
}

fn sandbox_stop(plugin: &str, stop: SandboxStop) -> CallError {
    tracing::warn!(plugin = %plugin, %stop, "plugin call stopped");
    CallError::Sandbox {
        plugin: plugin.to_owned(),
        stop,
    }
}

/// A failed instantiation: a sandbox limit it ran into, the instance pool being full (capacity,
/// retried), or the component itself (a plugin fault).
fn instantiation_error(plugin: &str, error: &wasmtime::Error) -> CallError {
    if let Some(stop) = error.downcast_ref::<SandboxStop>() {
        return sandbox_stop(plugin, stop.clone());
    }
    let detail = chain_text(error);
    let error = match error.is::<wasmtime::PoolConcurrencyLimitError>() {
        true => HostError::PoolExhausted {
            plugin: plugin.to_owned(),
            detail,
        },
        false => HostError::InstantiationFailed {
            plugin: plugin.to_owned(),
            detail,
        },
    };
    tracing::warn!(%error, "plugin not instantiated");
    error.into()
}

/// Names what stopped the plugin: the sandbox's own reasons first, then a reported panic.
fn classify(trap: &wasmtime::Error, trace: &CallTrace) -> SandboxStop {
    if let Some(stop) = trap.downcast_ref::<SandboxStop>() {
        return stop.clone();
    }
    if let Some(message) = trace.panic_message() {
        return SandboxStop::Panic { message };
    }
    SandboxStop::Trap {
        message: chain_text(trap),
    }
}

/// Calls into one connector plugin for one connection.
#[derive(Clone)]
pub struct ConnectorCall {
    pub(crate) runner: Runner,
    pub(crate) plugin: Arc<str>,
    pub(crate) summary: Arc<PluginSummary>,
    pub(crate) pre: AnyConnectorPre,
    pub(crate) connection: Arc<Connection>,
}

impl ConnectorCall {
    /// The plugin version this handle calls, fixed when the handle was made.
    pub fn plugin(&self) -> &PluginSummary {
        &self.summary
    }

    /// The connection it calls with: settings, secrets, allowed origins.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Runs the export `export` (named in the metrics); `taping` keeps what the plugin receives
    /// ([`crate::tape`]).
    async fn run<T>(
        &self,
        export: &'static str,
        taping: bool,
        call: impl for<'a> FnOnce(&'a mut Store<CallState>, AnyConnector) -> BoxFuture<'a, Answer<T>>
        + Send,
    ) -> CallReport<T> {
        let grant = Grant::Connection(self.connection.clone());
        let span = tracing::info_span!(
            "plugin_call",
            plugin = %self.summary.name,
            version = %self.summary.version,
            export,
            connection = %self.connection.name()
        );
        let report = self
            .runner
            .run(&self.plugin, &self.pre, grant, taping, call)
            .instrument(span)
            .await;
        metrics::plugin_call(&self.summary, export, Some(self.connection.name()), &report);
        report
    }

    /// What the connector says about itself.
    pub async fn describe(&self) -> CallReport<PluginInfo> {
        self.run("describe", false, AnyConnectorPre::describe).await
    }

    /// Checks the connection end to end; the text says what a person needs to know.
    pub async fn ping(&self) -> CallReport<String> {
        self.run("ping", false, |store, plugin| {
            Box::pin(async move { Ok(plugin.call_ping(store).await?.map_err(Failure::from)) })
        })
        .await
    }

    /// Checks an inbound webhook (signature, token) and turns it into events.
    pub async fn verify(&self, request: &InboundRequest) -> CallReport<Vec<Event>> {
        let request = request.clone();
        self.run("verify", false, move |store, plugin| {
            Box::pin(async move {
                Ok(plugin
                    .call_verify(store, &request)
                    .await?
                    .map_err(Failure::from))
            })
        })
        .await
    }

    /// Loads the full records behind an event.
    pub async fn fetch(&self, event: &Event) -> CallReport<Vec<Entity>> {
        self.fetch_with(event, false).await
    }

    /// [`ConnectorCall::fetch`], keeping what the connector receives from the host, whole, in
    /// the report's `tape` ([`crate::tape`]).
    pub async fn fetch_taped(&self, event: &Event) -> CallReport<Vec<Entity>> {
        self.fetch_with(event, true).await
    }

    async fn fetch_with(&self, event: &Event, taping: bool) -> CallReport<Vec<Entity>> {
        let event = event.clone();
        self.run("fetch", taping, move |store, plugin| {
            Box::pin(async move {
                Ok(plugin
                    .call_fetch(store, &event)
                    .await?
                    .map_err(Failure::from))
            })
        })
        .await
    }

    /// What changed since `cursor` (none: the connector's start point).
    pub async fn poll(&self, cursor: Option<&str>) -> CallReport<PollResult> {
        let cursor = cursor.map(str::to_owned);
        self.run("poll", false, move |store, plugin| {
            Box::pin(async move {
                Ok(plugin
                    .call_poll(store, cursor.as_deref())
                    .await?
                    .map_err(Failure::from))
            })
        })
        .await
    }

    /// What changed from `since` to `until` (RFC 3339), one page from `cursor` (none: the
    /// first). A connector built before contract 0.3.0 has no `history`: that is the report's
    /// error ([`HostError::NoSuchExport`]).
    pub async fn history(
        &self,
        since: &str,
        until: &str,
        cursor: Option<&str>,
    ) -> CallReport<PollResult> {
        let (since, until) = (since.to_owned(), until.to_owned());
        let cursor = cursor.map(str::to_owned);
        let report = self
            .run("history", false, move |store, plugin| {
                Box::pin(async move {
                    match plugin
                        .call_history(store, &since, &until, cursor.as_deref())
                        .await
                    {
                        Some(answer) => Ok(answer?.map(Some).map_err(Failure::from)),
                        None => Ok(Ok(None)),
                    }
                })
            })
            .await;
        report.and_then(|page| {
            page.ok_or_else(|| {
                HostError::NoSuchExport {
                    plugin: self.summary.name.clone(),
                    version: self.summary.version.clone(),
                    export: "history",
                    since_contract: "0.3.0",
                }
                .into()
            })
        })
    }

    /// One result per command, in order; an error for the whole batch is the report's error. A
    /// connector that answers another number of results breaks the contract: that is the
    /// report's error ([`HostError::MalformedAnswer`]), since no result can be matched to its
    /// command.
    pub async fn apply(
        &self,
        commands: &[Command],
    ) -> CallReport<Vec<Result<Applied, PluginError>>> {
        self.apply_with(commands, false).await
    }

    /// [`ConnectorCall::apply`], keeping what the connector receives from the host, whole, in
    /// the report's `tape` ([`crate::tape`]).
    pub async fn apply_taped(
        &self,
        commands: &[Command],
    ) -> CallReport<Vec<Result<Applied, PluginError>>> {
        self.apply_with(commands, true).await
    }

    async fn apply_with(
        &self,
        commands: &[Command],
        taping: bool,
    ) -> CallReport<Vec<Result<Applied, PluginError>>> {
        let sent = commands.len();
        let commands = commands.to_vec();
        let mut report = self
            .run("apply", taping, move |store, plugin| {
                Box::pin(async move {
                    Ok(plugin
                        .call_apply(store, &commands)
                        .await?
                        .map_err(Failure::from))
                })
            })
            .await;
        if let Ok(results) = &report.result
            && results.len() != sent
        {
            report.result = Err(HostError::MalformedAnswer {
                plugin: self.summary.name.clone(),
                version: self.summary.version.clone(),
                problem: format!(
                    "`apply` answered {} results for {sent} commands",
                    results.len()
                ),
            }
            .into());
        }
        report
    }
}

/// Calls into one mapping plugin with one flow's settings.
#[derive(Clone)]
pub struct MappingCall {
    pub(crate) runner: Runner,
    pub(crate) plugin: Arc<str>,
    pub(crate) summary: Arc<PluginSummary>,
    pub(crate) pre: AnyMappingPre,
    pub(crate) settings: Arc<BTreeMap<String, String>>,
}

impl MappingCall {
    /// The plugin version this handle calls, fixed when the handle was made.
    pub fn plugin(&self) -> &PluginSummary {
        &self.summary
    }

    /// Runs the export `export` (named in the metrics).
    async fn run<P: WorldPre, T>(
        &self,
        export: &'static str,
        pre: &P,
        call: impl for<'a> FnOnce(&'a mut Store<CallState>, P::Bindings) -> BoxFuture<'a, Answer<T>>
        + Send,
    ) -> CallReport<T> {
        let grant = Grant::Settings(self.settings.clone());
        let span = tracing::info_span!(
            "plugin_call",
            plugin = %self.summary.name,
            version = %self.summary.version,
            export
        );
        let report = self
            .runner
            .run(&self.plugin, pre, grant, false, call)
            .instrument(span)
            .await;
        metrics::plugin_call(&self.summary, export, None, &report);
        report
    }

    pub async fn describe(&self) -> CallReport<PluginInfo> {
        self.run("describe", &self.pre, AnyMappingPre::describe)
            .await
    }

    /// Checks the flow's mapping config (JSON text, as `map` takes it) before any event is mapped:
    /// `Ok(Err(reason))` is the plugin's refusal, naming the key and the fix. A mapping built for
    /// contract 0.1 has no such export: it is not called, and the config passes.
    pub async fn check_config(&self, config: &str) -> CallReport<Result<(), String>> {
        let Some(pre) = self.pre.checking_config() else {
            return CallTrace::new(0, false).report(Ok(Ok(())), Duration::ZERO, Duration::ZERO);
        };
        let config = config.to_owned();
        self.run("check-config", pre, move |store, plugin| {
            Box::pin(async move { Ok(Ok(plugin.call_check_config(store, &config).await?)) })
        })
        .await
    }

    /// Maps the records behind `event` into commands. `config` is the flow's mapping config, JSON.
    pub async fn map(
        &self,
        event: &Event,
        records: &[Entity],
        config: &str,
    ) -> CallReport<Vec<Command>> {
        let (event, records, config) = (event.clone(), records.to_vec(), config.to_owned());
        self.run("map", &self.pre, move |store, plugin| {
            Box::pin(async move {
                Ok(plugin
                    .call_map(store, &event, &records, &config)
                    .await?
                    .map_err(Failure::from))
            })
        })
        .await
    }
}
