//! Turns a core wasm module built with the SDK into a component, using the component-type custom
//! sections wit-bindgen embedded in it, and validates components.

use anyhow::Context;
use wasmparser::{Validator, WasmFeatures};
use wit_component::ComponentEncoder;

/// Wraps `core_module` into a component and validates the result.
pub fn componentize(core_module: &[u8]) -> anyhow::Result<Vec<u8>> {
    let component = ComponentEncoder::default()
        .validate(true)
        .module(core_module)
        .context("reading the core module's component-type sections")?
        .encode()
        .context("encoding the component")?;
    validate_component(&component)?;
    Ok(component)
}

/// Checks that `bytes` is a component and valid.
pub fn validate_component(bytes: &[u8]) -> anyhow::Result<()> {
    anyhow::ensure!(
        wasmparser::Parser::is_component(bytes),
        "not a WebAssembly component (a core module?)"
    );
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .context("component validation")?;
    Ok(())
}
