//! Which toolchain route reaches a wasm target on this machine, and what to install when none does.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's `rustc-web` toolchain and the standard library source it ships.
pub(crate) const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
pub(crate) const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_STD_SOURCE: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_LINKER: &str = "/usr/bin/rust-lld";

/// How plugin crates reach a wasm target, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The active rustup toolchain has `wasm32-wasip2`: cargo's output is already a component.
    RustupWasip2,
    /// The active rustup toolchain has `wasm32-unknown-unknown`: build, then componentize.
    RustupWasm32Unknown,
    /// Debian's `rustc-web`, `cargo-web`, `rust-web-src` and `lld-22`: build the standard library
    /// from source for `wasm32-unknown-unknown` (`-Zbuild-std`), then componentize.
    DebianBuildStd,
}

impl Route {
    pub fn target(self) -> &'static str {
        match self {
            Self::RustupWasip2 => "wasm32-wasip2",
            Self::RustupWasm32Unknown | Self::DebianBuildStd => "wasm32-unknown-unknown",
        }
    }

    /// Whether cargo already produces a component (no componentize step).
    pub fn yields_component(self) -> bool {
        self == Self::RustupWasip2
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RustupWasip2 => f.write_str("rustup toolchain, target wasm32-wasip2"),
            Self::RustupWasm32Unknown => {
                f.write_str("rustup toolchain, target wasm32-unknown-unknown, then componentize")
            }
            Self::DebianBuildStd => f.write_str(
                "Debian rustc-web building std for wasm32-unknown-unknown, then componentize",
            ),
        }
    }
}

/// No route to a wasm target exists; the message says what to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoToolchain;

impl fmt::Display for NoToolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "no Rust toolchain here can build WebAssembly plugins. Install one of:\n  \
             - with rustup: `rustup target add wasm32-wasip2`\n  \
             - on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src lld-22`\n\
             (plugins/toolchain.sh does the right one for this machine)",
        )
    }
}

impl std::error::Error for NoToolchain {}

/// Picks the first available route: rustup's wasip2, rustup's wasm32-unknown-unknown, Debian.
pub fn detect_route() -> Result<Route, NoToolchain> {
    let sysroot = rustup_sysroot();
    let has_target = |target: &str| {
        sysroot
            .as_deref()
            .is_some_and(|root| root.join("lib/rustlib").join(target).join("lib").is_dir())
    };
    if has_target(Route::RustupWasip2.target()) {
        Ok(Route::RustupWasip2)
    } else if has_target(Route::RustupWasm32Unknown.target()) {
        Ok(Route::RustupWasm32Unknown)
    } else if [DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_STD_SOURCE, DEBIAN_LINKER]
        .iter()
        .all(|path| Path::new(path).exists())
    {
        Ok(Route::DebianBuildStd)
    } else {
        Err(NoToolchain)
    }
}

/// The script that installs a route where the machine allows it (`plugins/toolchain.sh`).
const TOOLCHAIN_SCRIPT: &str = include_str!("../../../plugins/toolchain.sh");

/// Like [`detect_route`], but when no route exists, first runs the toolchain script (which, as root
/// with apt-get, installs Debian's route; otherwise it says what to install). `progress` gets a line
/// saying so.
pub fn ensure_route(progress: &mut dyn FnMut(&str)) -> anyhow::Result<Route> {
    if let Ok(route) = detect_route() {
        return Ok(route);
    }
    progress("no Rust toolchain here builds WebAssembly yet: running plugins/toolchain.sh");
    let status = Command::new("bash")
        .args(["-c", TOOLCHAIN_SCRIPT])
        .status()
        .map_err(|error| anyhow::anyhow!("cannot run bash for the toolchain script: {error}"))?;
    match (status.success(), detect_route()) {
        (true, Ok(route)) => Ok(route),
        _ => Err(NoToolchain.into()),
    }
}

/// The sysroot of the `rustc` on PATH (rustup's proxy when rustup is installed).
fn rustup_sysroot() -> Option<PathBuf> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .env_remove("RUSTC")
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    output.status.success().then(|| PathBuf::from(text.trim()))
}
