//! The panic hook the export glue installs on a plugin's first call: it sends the panic message to
//! the host log (level error, field `panic=true`) before the trap, so the host can report why the
//! plugin died.

use std::sync::Once;

use crate::log::{self, Level};

static INSTALL: Once = Once::new();

/// Installs the hook once per instance.
pub fn install_hook() {
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = match info.payload().downcast_ref::<&str>() {
                Some(text) => (*text).to_owned(),
                None => info
                    .payload()
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panic with a non-text payload".to_owned()),
            };
            let location = info
                .location()
                .map(|place| format!("{}:{}:{}", place.file(), place.line(), place.column()))
                .unwrap_or_default();
            log::log(
                Level::Error,
                &format!("plugin panicked: {message}"),
                &[("panic", "true"), ("location", &location)],
            );
        }));
    });
}
