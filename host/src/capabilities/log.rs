//! `log`: a plugin's log records go to the host log (tracing, target `plugin`) and into the call's
//! trace, both with the connection's secrets redacted ([`CallScope::record_log`]). It has no
//! state of its own.

use wasmtime::component::{HasData, Linker};

use crate::bindings::log::{self, Host, Level};
use crate::capabilities::scope::CallScope;
use crate::error::to_anyhow;

struct HasLog;

impl HasData for HasLog {
    type Data<'a> = &'a mut CallScope;
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> &mut CallScope,
) -> anyhow::Result<()> {
    log::add_to_linker::<T, HasLog>(linker, view).map_err(to_anyhow)
}

impl Host for &mut CallScope {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.record_log(level, &message, fields);
        Ok(())
    }
}
