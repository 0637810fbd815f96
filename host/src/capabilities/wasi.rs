//! WASI 0.2, linked so that components built for wasm32-wasip2 load, and denied by default: no
//! preopened directories, no environment, no arguments, no sockets, no name lookups. stdout and
//! stderr go to a bounded in-memory pipe whose text the host copies into the call's log, and the
//! wall clock is the host's clock, so WASI gives a plugin nothing the WIT capabilities do not. A
//! component that imports WASI's network interfaces (`wasi:http`, `wasi:sockets`) is refused at
//! load ([`refuse_network`]): a plugin reaches the network only through the host's `http`.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::clock::Clock;
use crate::error::to_anyhow;

/// Largest stdout + stderr text kept from one call.
const OUTPUT_BYTES: usize = 64 << 10;

/// One call's WASI context, its resources and its output.
pub(crate) struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
    output: MemoryOutputPipe,
}

impl WasiState {
    /// A context that grants nothing but output into memory and the host's time.
    pub fn deny_by_default(clock: &Arc<dyn Clock>) -> Self {
        let output = MemoryOutputPipe::new(OUTPUT_BYTES);
        let ctx = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .wall_clock(HostClock(clock.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Self {
            ctx,
            table: ResourceTable::new(),
            output,
        }
    }

    /// What the plugin wrote to stdout and stderr.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.contents()).into_owned()
    }

    pub fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The WASI packages that would reach the network around the host's `http` and its allowlist.
const NETWORK_PACKAGES: &[&str] = &["wasi:http/", "wasi:sockets/"];

/// Refuses a component whose `imports` include a WASI network interface, naming it.
pub(crate) fn refuse_network(imports: &[String]) -> anyhow::Result<()> {
    let Some(import) = imports.iter().find(|import| {
        NETWORK_PACKAGES
            .iter()
            .any(|package| import.starts_with(package))
    }) else {
        return Ok(());
    };
    anyhow::bail!(
        "it imports {import}: a plugin reaches the network only through the host's `http` \
         capability, within its connection's allowlist (a mapping not at all); rebuild it without \
         WASI's network (componentize-js: `--disable http fetch-event`)"
    )
}

pub(crate) fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker).map_err(to_anyhow)
}

/// The host clock as WASI's wall clock.
struct HostClock(Arc<dyn Clock>);

impl HostWallClock for HostClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let now = self.0.now();
        Duration::new(now.timestamp().max(0) as u64, now.timestamp_subsec_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_imports_are_refused_naming_the_import() {
        let allowed = [
            "ml-connector:plugin/types@0.2.0".to_owned(),
            "wasi:cli/stdout@0.2.3".to_owned(),
            "wasi:clocks/wall-clock@0.2.3".to_owned(),
        ];
        assert!(refuse_network(&allowed).is_ok());
        for network in ["wasi:http/outgoing-handler@0.2.3", "wasi:sockets/tcp@0.2.0"] {
            let mut imports = allowed.to_vec();
            imports.push(network.to_owned());
            let refusal = refuse_network(&imports).unwrap_err().to_string();
            assert!(
                refusal.starts_with(&format!("it imports {network}: a plugin reaches")),
                "{refusal}"
            );
        }
    }
}
