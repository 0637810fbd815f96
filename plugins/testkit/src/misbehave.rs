//! The misbehaviours the host must survive: an endless loop, memory exhaustion and a panic.

use std::hint::black_box;

use ml_connector_sdk::PluginError;
use serde_json::{Value, json};

const MIB: usize = 1 << 20;
const PAGE: usize = 4096;

/// Spins forever. The condition is a volatile read, which the optimiser must perform every time,
/// so the loop cannot be removed or proven endless.
pub fn spin() -> Result<Value, PluginError> {
    let spinning = true;
    // SAFETY: reads a live, aligned, initialised local.
    while unsafe { std::ptr::read_volatile(&spinning) } {}
    Err(PluginError::transient("the endless loop ended"))
}

/// Allocates `mib` MiB and writes to every page of it, so the memory is really committed.
pub fn allocate(mib: usize) -> Value {
    let mut blocks = Vec::with_capacity(mib);
    for _ in 0..mib {
        let mut block = vec![0u8; MIB];
        block.iter_mut().step_by(PAGE).for_each(|byte| *byte = 1);
        blocks.push(black_box(block));
    }
    json!({ "mib": black_box(&blocks).len() })
}

pub fn panic(message: &str) -> Value {
    panic!("{message}")
}
