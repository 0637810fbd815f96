//! [`Host`], the library's entry point, and its builder: one engine, the two world linkers, the
//! component cache, the services behind the capabilities, and the loaded plugins by name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use wasmtime::component::Linker;

use crate::call::{ConnectorCall, MappingCall, Runner, WorldPre};
use crate::capabilities::scope::Grant;
use crate::clock::{Clock, SystemClock};
use crate::connection::Connection;
use crate::engine::{self, Pooling};
use crate::error::{CallError, HostError};
use crate::limits::Limits;
use crate::outbound::{OutboundHttp, ReqwestHttp};
use crate::plugin::cache::{Compiled, ComponentCache, content_hash};
use crate::plugin::{self, Plugin, PluginPre, PluginSummary, World};
use crate::sandbox::{self, CallState, Services};
use crate::storage::{KvStore, SqliteStore};

/// Configures a [`Host`].
#[derive(Default)]
pub struct HostBuilder {
    limits: Limits,
    pooling: Pooling,
    storage: Option<Arc<dyn KvStore>>,
    clock: Option<Arc<dyn Clock>>,
    cache_dir: Option<PathBuf>,
    outbound_http: Option<Arc<dyn OutboundHttp>>,
}

impl HostBuilder {
    /// The bounds of every plugin call (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether to use the pooling instance allocator (default: where the machine allows).
    pub fn pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = pooling;
        self
    }

    /// Plugin storage (default: a private in-memory SQLite database).
    pub fn storage(mut self, storage: Arc<dyn KvStore>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The clock plugins see (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// What connectors' HTTP requests go through once the sandbox allowed them (default:
    /// [`ReqwestHttp`]): a recorder, a replayer, a test double.
    pub fn outbound_http(mut self, http: Arc<dyn OutboundHttp>) -> Self {
        self.outbound_http = Some(http);
        self
    }

    /// Where compiled components are kept between runs (default: memory only).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The engine (compiling components here), the linkers and the capability services.
    pub fn build(self) -> anyhow::Result<Host> {
        let (engine, pooled) = engine::build(&self.limits, self.pooling)?;
        let storage = match self.storage {
            Some(storage) => storage,
            None => Arc::new(SqliteStore::in_memory()?),
        };
        let http = match self.outbound_http {
            Some(http) => http,
            None => Arc::new(ReqwestHttp::new()?),
        };
        let services = Services {
            http,
            storage,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        };
        Ok(Host {
            inner: Arc::new(Inner {
                connector_linker: sandbox::connector_linker(&engine)?,
                mapping_linker: sandbox::mapping_linker(&engine)?,
                cache: ComponentCache::new(engine.clone(), self.cache_dir),
                runner: Runner {
                    engine,
                    limits: self.limits,
                    services: Arc::new(services),
                },
                pooled,
                plugins: RwLock::default(),
            }),
        })
    }
}

/// A component compiled, linked and described, not yet active (see [`Host::activate`]). Dropped
/// without being activated, it leaves nothing behind: its compiled code is cached only once active.
pub struct PreparedPlugin {
    plugin: Arc<Plugin>,
    compiled: Compiled,
}

impl PreparedPlugin {
    /// What the component said about itself, its world, contract version and hash.
    pub fn summary(&self) -> &PluginSummary {
        &self.plugin.summary
    }
}

/// An embeddable host. Cheap to clone; clones share plugins and storage.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    runner: Runner,
    pooled: bool,
    connector_linker: Linker<CallState>,
    mapping_linker: Linker<CallState>,
    cache: ComponentCache,
    plugins: RwLock<BTreeMap<String, Arc<Plugin>>>,
}

impl Host {
    /// A host with default limits, in-memory storage and the system clock, unless set otherwise.
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.inner.pooled
    }

    /// The bounds every plugin call runs under.
    pub fn limits(&self) -> Limits {
        self.inner.runner.limits
    }

    /// The clock plugins see; the flow engine schedules by it too.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.runner.services.clock.clone()
    }

    /// Validates, compiles and loads a component: it must implement one plugin world, link against
    /// it, and answer `describe`. It becomes the version of its name that new calls use.
    pub async fn load_plugin(&self, component: &[u8]) -> anyhow::Result<PluginSummary> {
        let prepared = self.prepare_plugin(component).await?;
        let summary = prepared.summary().clone();
        self.activate(prepared);
        Ok(summary)
    }

    /// Validates and compiles a component and asks it to describe itself, without making it
    /// active: [`Host::activate`] does that, once the caller has checked what it says. The name it
    /// gives itself must follow the rule connection and flow names follow
    /// ([`ml_connector_wit::NAME_RULE`]).
    pub async fn prepare_plugin(&self, component: &[u8]) -> anyhow::Result<PreparedPlugin> {
        let hash = content_hash(component);
        let inner = self.inner.clone();
        let bytes = component.to_vec();
        let key = hash.clone();
        let (world, imports, pre, compiled) = tokio::task::spawn_blocking(move || {
            let compiled = inner.cache.compile(&key, &bytes)?;
            let (world, imports) = plugin::surface(&inner.runner.engine, &compiled.component)?;
            let linker = match world {
                World::Connector => &inner.connector_linker,
                World::Mapping => &inner.mapping_linker,
            };
            let pre = plugin::prepare(world, linker, &compiled.component)?;
            anyhow::Ok((world, imports, pre, compiled))
        })
        .await??;

        let info = self.describe(&pre).await.context("its `describe` failed")?;
        if !ml_connector_wit::is_valid_name(&info.name) {
            anyhow::bail!(
                "it names itself {:?}: a plugin's name must be {}",
                info.name,
                ml_connector_wit::NAME_RULE
            );
        }
        let summary = PluginSummary::new(info, world, imports, hash);
        Ok(PreparedPlugin {
            plugin: Arc::new(Plugin {
                summary: Arc::new(summary),
                pre,
            }),
            compiled,
        })
    }

    /// Makes `prepared` the version of its name that new calls use, and returns the one it
    /// replaced. Calls already running, and handles already taken, keep their version.
    pub fn activate(&self, prepared: PreparedPlugin) -> Option<PluginSummary> {
        let summary = prepared.summary().clone();
        self.inner.cache.keep(&summary.hash, &prepared.compiled);
        let replaced = self
            .plugins_mut()
            .insert(summary.name.clone(), prepared.plugin);
        tracing::info!(plugin = %summary.name, version = %summary.version, hash = %&summary.hash[..12], world = %summary.world, "plugin active");
        replaced.map(|plugin| PluginSummary::clone(&plugin.summary))
    }

    /// A handle for calling mapping `prepared`, active or not (to check a flow's config against a
    /// version about to be installed, or for an event pinned to a version installed before).
    pub fn prepared_mapping(
        &self,
        prepared: &PreparedPlugin,
        settings: BTreeMap<String, String>,
    ) -> Result<MappingCall, CallError> {
        self.mapping_of(&prepared.plugin, settings)
    }

    /// Removes from the cache directory the compiled code of every component whose hash is not in
    /// `in_use` (and what an older wasmtime build compiled). Returns how many files went.
    pub fn remove_unused_compiled(&self, in_use: &BTreeSet<String>) -> anyhow::Result<usize> {
        self.inner.cache.retain(in_use)
    }

    /// Loads every `*.wasm` file of `dir`, in name order.
    pub async fn load_plugin_dir(&self, dir: &Path) -> anyhow::Result<Vec<PluginSummary>> {
        let mut loaded = Vec::new();
        for path in component_files(dir)? {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let summary = self
                .load_plugin(&bytes)
                .await
                .with_context(|| format!("plugin {} does not load", path.display()))?;
            loaded.push(summary);
        }
        Ok(loaded)
    }

    /// The loaded plugins, by name.
    pub fn plugins(&self) -> Vec<PluginSummary> {
        self.plugins_ref()
            .values()
            .map(|plugin| PluginSummary::clone(&plugin.summary))
            .collect()
    }

    /// A handle for calling connector `plugin` on `connection`.
    pub fn connector(
        &self,
        plugin: &str,
        connection: Arc<Connection>,
    ) -> Result<ConnectorCall, CallError> {
        self.connector_of(&*self.plugin(plugin)?, connection)
    }

    /// A handle for calling connector `prepared` on `connection`, active or not (an event pinned
    /// to a version installed before the active one).
    pub fn prepared_connector(
        &self,
        prepared: &PreparedPlugin,
        connection: Arc<Connection>,
    ) -> Result<ConnectorCall, CallError> {
        self.connector_of(&prepared.plugin, connection)
    }

    fn connector_of(
        &self,
        loaded: &Plugin,
        connection: Arc<Connection>,
    ) -> Result<ConnectorCall, CallError> {
        match &loaded.pre {
            PluginPre::Connector(pre) => Ok(ConnectorCall {
                runner: self.inner.runner.clone(),
                plugin: loaded.summary.name.as_str().into(),
                summary: loaded.summary.clone(),
                pre: pre.clone(),
                connection,
            }),
            PluginPre::Mapping(_) => Err(wrong_world(&loaded.summary, World::Connector)),
        }
    }

    /// A handle for calling mapping `plugin` with a flow's `settings` (what its `config` reads).
    pub fn mapping(
        &self,
        plugin: &str,
        settings: BTreeMap<String, String>,
    ) -> Result<MappingCall, CallError> {
        self.mapping_of(&*self.plugin(plugin)?, settings)
    }

    fn mapping_of(
        &self,
        loaded: &Plugin,
        settings: BTreeMap<String, String>,
    ) -> Result<MappingCall, CallError> {
        match &loaded.pre {
            PluginPre::Mapping(pre) => Ok(MappingCall {
                runner: self.inner.runner.clone(),
                plugin: loaded.summary.name.as_str().into(),
                summary: loaded.summary.clone(),
                pre: pre.clone(),
                settings: Arc::new(settings),
            }),
            PluginPre::Connector(_) => Err(wrong_world(&loaded.summary, World::Mapping)),
        }
    }

    fn plugin(&self, name: &str) -> Result<Arc<Plugin>, CallError> {
        let plugins = self.plugins_ref();
        plugins.get(name).cloned().ok_or_else(|| {
            CallError::from(HostError::PluginNotLoaded {
                name: name.to_owned(),
                loaded: plugins.keys().cloned().collect(),
            })
        })
    }

    /// Runs `describe` with no connection and no settings.
    async fn describe(&self, pre: &PluginPre) -> anyhow::Result<crate::types::PluginInfo> {
        let runner = &self.inner.runner;
        let name: Arc<str> = "(loading)".into();
        let grant = Grant::Settings(Arc::default());
        let report = match pre {
            PluginPre::Connector(pre) => {
                runner
                    .run(&name, pre, grant, false, plugin::AnyConnectorPre::describe)
                    .await
            }
            PluginPre::Mapping(pre) => {
                runner
                    .run(&name, pre, grant, false, plugin::AnyMappingPre::describe)
                    .await
            }
        };
        Ok(report.result?)
    }

    fn plugins_ref(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Plugin>>> {
        self.inner
            .plugins
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn plugins_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Plugin>>> {
        self.inner
            .plugins
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The `*.wasm` files of `dir`, in name order: the components a plugin directory holds.
pub fn component_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the plugin directory {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    paths.sort();
    Ok(paths)
}

fn wrong_world(summary: &PluginSummary, wanted: World) -> CallError {
    CallError::from(HostError::WrongWorld {
        plugin: summary.name.clone(),
        actual: summary.world,
        wanted,
    })
}
