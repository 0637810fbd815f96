//! Compiled components, keyed by the SHA-256 of the component bytes. Compiling is the slow part of
//! loading a plugin (hundreds of milliseconds), so each compiled component is kept in memory and,
//! when the host has a cache directory, on disk as `<sha256>-<engine>.cwasm`, where `<engine>`
//! fingerprints the wasmtime build and settings that must match to reuse it.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::to_anyhow;

pub(crate) struct ComponentCache {
    engine: Engine,
    dir: Option<PathBuf>,
    compiled: Mutex<HashMap<String, Component>>,
}

/// The SHA-256 of a component, hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
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

    /// The compiled component of `bytes` (whose hash is `hash`), from memory, disk, or compiled now.
    pub fn component(&self, hash: &str, bytes: &[u8]) -> anyhow::Result<Component> {
        if let Some(component) = self.compiled().get(hash) {
            return Ok(component.clone());
        }
        let component = match &self.dir {
            Some(dir) => self.through_disk(dir, hash, bytes)?,
            None => Component::new(&self.engine, bytes).map_err(to_anyhow)?,
        };
        self.compiled().insert(hash.to_owned(), component.clone());
        Ok(component)
    }

    fn compiled(&self) -> std::sync::MutexGuard<'_, HashMap<String, Component>> {
        self.compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn through_disk(&self, dir: &PathBuf, hash: &str, bytes: &[u8]) -> anyhow::Result<Component> {
        let path = dir.join(format!("{hash}-{}.cwasm", self.engine_fingerprint()));
        if path.is_file() {
            // SAFETY: the file is one this cache wrote with `precompile_component` for an engine
            // with the same fingerprint, under a name only it uses.
            match unsafe { Component::deserialize_file(&self.engine, &path) } {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(path = %path.display(), error = %error, "recompiling an unusable cached component")
                }
            }
        }
        let compiled = self.engine.precompile_component(bytes).map_err(to_anyhow)?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the component cache {}", dir.display()))?;
        // A name of its own per writer (hosts in one process, or several processes, may compile
        // the same component at once); each rename into place is atomic, and the last one wins.
        let writer: u64 = rand::random();
        let partial = path.with_extension(format!("{}-{writer}.partial", std::process::id()));
        std::fs::write(&partial, &compiled)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("cannot move {} into place", partial.display()))?;
        // SAFETY: as above; the bytes were produced by this engine a moment ago.
        unsafe { Component::deserialize(&self.engine, &compiled) }.map_err(to_anyhow)
    }

    fn engine_fingerprint(&self) -> String {
        let mut hasher = DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}
