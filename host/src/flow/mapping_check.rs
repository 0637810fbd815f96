//! The mapping configs of a config's flows, checked by their mapping plugins (`check-config`)
//! before any event is mapped, so a mistake in `mlc.toml` stops the host at start, naming the key,
//! instead of failing every event.

use anyhow::Context;

use crate::call::MappingCall;
use crate::config::{Config, ConfigError, FlowConfig};
use crate::host::{Host, PreparedPlugin};

/// Asks each flow's mapping whether it accepts the flow's `mapping_config` (the JSON text `map`
/// receives). The first refusal is a [`ConfigError`] naming the file, `flows.<name>.mapping_config`
/// and the plugin's reason. A mapping built for contract 0.1 has no check, and passes.
pub async fn check_mapping_configs(host: &Host, config: &Config) -> anyhow::Result<()> {
    for flow in config.flows.values() {
        let mapping = host.mapping(&flow.mapping, flow.mapping_settings())?;
        check_flow(config, flow, mapping).await?;
    }
    Ok(())
}

/// The flows that would map with `prepared` (a mapping about to be installed), checked by it.
pub(crate) async fn check_with(
    host: &Host,
    config: &Config,
    prepared: &PreparedPlugin,
) -> anyhow::Result<()> {
    let name = &prepared.summary().name;
    for flow in config.flows.values().filter(|flow| &flow.mapping == name) {
        let mapping = host.prepared_mapping(prepared, flow.mapping_settings())?;
        check_flow(config, flow, mapping).await?;
    }
    Ok(())
}

/// Asks `mapping` whether it accepts `flow`'s mapping config.
async fn check_flow(
    config: &Config,
    flow: &FlowConfig,
    mapping: MappingCall,
) -> anyhow::Result<()> {
    let key = flow.key("mapping_config");
    let report = mapping.check_config(&flow.mapping_config.to_string()).await;
    let answer = report.result.with_context(|| {
        format!(
            "{}: {key}: mapping `{}` could not check it",
            config.path.display(),
            flow.mapping
        )
    })?;
    match answer {
        Ok(()) => Ok(()),
        Err(reason) => Err(ConfigError {
            file: config.path.clone(),
            key,
            problem: format!("mapping `{}` refuses it: {reason}", flow.mapping),
            fix: "change it as the mapping's reason says".into(),
        }
        .into()),
    }
}
