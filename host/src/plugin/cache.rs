//! Compiled components, keyed by the SHA-256 of the component bytes. Compiling is the slow part of
//! loading a plugin (hundreds of milliseconds), so each compiled component that becomes active is
//! kept in memory and, when the host has a cache directory, on disk as
//! `<sha256>-<engine>.cwasm`, where `<engine>` fingerprints the wasmtime build and settings that
//! must match to reuse it. A component compiled and then refused (it breaks a rule, or the
//! config) is kept nowhere; [`ComponentCache::retain`] removes what no version uses any more.

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::to_anyhow;

/// The extension of a compiled component on disk.
const COMPILED_EXTENSION: &str = "cwasm";

/// A half-written file older than this was left by a writer that died; clean-ups remove it.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

pub(crate) struct ComponentCache {
    engine: Engine,
    dir: Option<PathBuf>,
    compiled: Mutex<HashMap<String, Component>>,
}

/// A compiled component, and its serialized form when it was compiled now and is not on disk yet.
pub(crate) struct Compiled {
    pub component: Component,
    unsaved: Option<Vec<u8>>,
}

impl Compiled {
    /// A component with nothing to save: it came from the cache, or the cache has no directory.
    fn nothing_to_save(component: Component) -> Self {
        Self {
            component,
            unsaved: None,
        }
    }
}

/// The SHA-256 of a component, hex: what [`crate::PluginSummary::hash`] and the plugin store name
/// it by.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl ComponentCache {
    pub fn new(engine: Engine, dir: Option<PathBuf>) -> Self {
        Self {
            engine,
            dir,
            compiled: Mutex::default(),
        }
    }

    /// The compiled component of `bytes` (whose hash is `hash`), from memory, disk, or compiled
    /// now. Nothing is stored until [`ComponentCache::keep`].
    pub fn compile(&self, hash: &str, bytes: &[u8]) -> anyhow::Result<Compiled> {
        if let Some(component) = self.in_memory().get(hash) {
            return Ok(Compiled::nothing_to_save(component.clone()));
        }
        let Some(path) = self.path(hash) else {
            let component = Component::new(&self.engine, bytes).map_err(to_anyhow)?;
            return Ok(Compiled::nothing_to_save(component));
        };
        if path.is_file() {
            // SAFETY: the file is one this cache wrote with `precompile_component` for an engine
            // with the same fingerprint, under a name only it uses.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(component) => return Ok(Compiled::nothing_to_save(component)),
                Err(error) => {
                    tracing::warn!(path = %path.display(), error = %error, "recompiling an unusable cached component")
                }
            }
        }
        let serialized = self.engine.precompile_component(bytes).map_err(to_anyhow)?;
        // SAFETY: the bytes were produced by this engine a moment ago.
        let component =
            unsafe { Component::deserialize(&self.engine, &serialized) }.map_err(to_anyhow)?;
        Ok(Compiled {
            component,
            unsaved: Some(serialized),
        })
    }

    /// Keeps `compiled` (of the component whose hash is `hash`) in memory and on disk, for the
    /// next load of the same bytes. A failure to write only costs a compile later: it is logged.
    pub fn keep(&self, hash: &str, compiled: &Compiled) {
        self.in_memory()
            .insert(hash.to_owned(), compiled.component.clone());
        if let (Some(serialized), Some(path)) = (&compiled.unsaved, self.path(hash))
            && let Err(error) = write_into_place(&path, serialized)
        {
            tracing::warn!(
                error = format!("{error:#}"),
                "the compiled component is not cached on disk"
            );
        }
    }

    /// Removes from disk every compiled component whose hash is not in `in_use`, or that another
    /// engine build compiled, and half-written files abandoned by writers that died. Returns how
    /// many files it removed.
    pub fn retain(&self, in_use: &BTreeSet<String>) -> anyhow::Result<usize> {
        let Some(dir) = &self.dir else {
            return Ok(0);
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot list {}", dir.display()));
            }
        };
        let current = format!("-{}.{COMPILED_EXTENSION}", self.engine_fingerprint());
        let mut removed = 0;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", dir.display()))?
                .path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            let unused = match name.strip_suffix(&current) {
                Some(hash) => !in_use.contains(hash),
                None if name.ends_with(&format!(".{COMPILED_EXTENSION}")) => true,
                None => name.ends_with(".partial") && abandoned(&path),
            };
            if unused {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn in_memory(&self) -> std::sync::MutexGuard<'_, HashMap<String, Component>> {
        self.compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!(
            "{hash}-{}.{COMPILED_EXTENSION}",
            self.engine_fingerprint()
        )))
    }

    fn engine_fingerprint(&self) -> String {
        let mut hasher = DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

/// Writes `bytes` to `path` through a file of the writer's own (hosts in one process, or several
/// processes, may compile the same component at once); each rename into place is atomic, and the
/// last one wins.
fn write_into_place(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().expect("a cache file has a directory");
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the component cache {}", dir.display()))?;
    let writer: u64 = rand::random();
    let partial = path.with_extension(format!("{}-{writer}.partial", std::process::id()));
    std::fs::write(&partial, bytes)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot move {} into place", partial.display()))
}

/// Whether the file at `path` was last written long enough ago that no live writer owns it.
fn abandoned(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .is_some_and(|age| age > ABANDONED_AFTER)
}
