//! The one wasmtime Engine of a host: component model, async host calls, epoch interruption for CPU
//! deadlines, and the pooling instance allocator where the machine can reserve its address space
//! (else the on-demand allocator, with a warning). A ticker thread advances the epoch; it ends by
//! itself once the engine is dropped.

use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::to_anyhow;
use crate::limits::Limits;

/// How often the epoch advances: the resolution of CPU deadlines.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Whether to use the pooling instance allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    /// Use it where the machine allows, with room for 256 instances at once, else fall back to
    /// on-demand allocation.
    #[default]
    Auto,
    /// As `Auto`, with room for this many instances at once. A call beyond it is not
    /// instantiated ([`HostError::PoolExhausted`](crate::HostError::PoolExhausted)): the flow
    /// engine runs its event again a moment later.
    Instances(u32),
    /// Never use it.
    Off,
}

/// Instances the pool holds at once by default; well above the number of calls a host runs
/// concurrently (workers, pollers and sink lanes).
const POOLED_INSTANCES: u32 = 256;

/// Bytes at the start of a pooled linear memory, and of a pooled table, that a finished instance
/// zeroes in place instead of handing back to the kernel. Giving pages back (`madvise`) makes every
/// other core flush its TLB, and the next instance faults them in again: in the pipeline benchmark
/// that cost a tenth of the samples; keeping these resident halved it (docs/benchmarks.md).
const MEMORY_KEPT_RESIDENT: usize = 256 << 10;
const TABLE_KEPT_RESIDENT: usize = 64 << 10;

/// The engine, and whether it pools instances.
pub(crate) fn build(limits: &Limits, pooling: Pooling) -> anyhow::Result<(Engine, bool)> {
    let instances = match pooling {
        Pooling::Auto => Some(POOLED_INSTANCES),
        Pooling::Instances(instances) => Some(instances.max(1)),
        Pooling::Off => None,
    };
    let engine = instances.and_then(|instances| {
        Engine::new(&config(Some((limits, instances))))
            .inspect_err(|error| {
                tracing::warn!(%error, "pooling allocator unavailable here; using on-demand allocation")
            })
            .ok()
    });
    let pooled = engine.is_some();
    let engine = match engine {
        Some(engine) => engine,
        None => Engine::new(&config(None)).map_err(to_anyhow)?,
    };
    start_ticker(&engine);
    Ok((engine, pooled))
}

/// The engine's config; with a pool when given its limits and its number of instances.
fn config(pool: Option<(&Limits, u32)>) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if let Some((limits, instances)) = pool {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(4))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            .total_stacks(instances)
            .max_memory_size(limits.memory_bytes)
            .max_component_instance_size(4 << 20)
            .max_core_instance_size(4 << 20)
            .max_memories_per_component(4)
            .max_tables_per_component(8)
            .linear_memory_keep_resident(MEMORY_KEPT_RESIDENT)
            .table_keep_resident(TABLE_KEPT_RESIDENT);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("mlc-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
