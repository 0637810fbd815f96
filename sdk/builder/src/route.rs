//! Which toolchain route reaches a wasm target on this machine, and what to install when none does.
//! A build asks for any target ([`PluginTarget::Any`], the first route that works) or for a
//! standard `wasm32-wasip2` component ([`PluginTarget::Wasip2`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's `rustc-web` toolchain and the standard library source it ships.
pub(crate) const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
pub(crate) const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_STD_SOURCE: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_LINKER: &str = "/usr/bin/rust-lld";
/// Debian's `wasi-libc`: the C library a `wasm32-wasip2` standard library links against.
pub(crate) const DEBIAN_WASI_LIBC: &str = "/usr/lib/wasm32-wasi";
/// Where `rustc-web` keeps `wasm-component-ld`, the linker that makes a wasip2 component, under
/// `/usr/lib/rustlib/<host triple>/`.
const DEBIAN_COMPONENT_LINKER: &str = "bin/wasm-component-ld";

/// What a build asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PluginTarget {
    /// Whichever wasm target the first route reaches: a component either way.
    #[default]
    Any,
    /// A `wasm32-wasip2` component, as rustup's target or `cargo component` make them: its
    /// standard library imports WASI 0.2, which the host links deny-by-default.
    Wasip2,
}

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
    /// The same with Debian's `wasi-libc`, for `wasm32-wasip2`: `rustc-web`'s
    /// `wasm-component-ld` links the component.
    DebianWasip2,
}

impl Route {
    pub fn target(self) -> &'static str {
        match self {
            Self::RustupWasip2 | Self::DebianWasip2 => "wasm32-wasip2",
            Self::RustupWasm32Unknown | Self::DebianBuildStd => "wasm32-unknown-unknown",
        }
    }

    /// Whether cargo already produces a component (no componentize step).
    pub fn yields_component(self) -> bool {
        matches!(self, Self::RustupWasip2 | Self::DebianWasip2)
    }

    /// Whether it is Debian's toolchain, building the standard library from source.
    pub fn is_debian(self) -> bool {
        matches!(self, Self::DebianBuildStd | Self::DebianWasip2)
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
            Self::DebianWasip2 => f.write_str(
                "Debian rustc-web building std for wasm32-wasip2 against Debian's wasi-libc",
            ),
        }
    }
}

/// No route to the target asked for exists; the message says what to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoToolchain(pub PluginTarget);

impl fmt::Display for NoToolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            PluginTarget::Any => f.write_str(
                "no Rust toolchain here can build WebAssembly plugins. Install one of:\n  \
                 - with rustup: `rustup target add wasm32-wasip2`\n  \
                 - on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src lld-22`\n\
                 (plugins/toolchain.sh does the right one for this machine)",
            ),
            PluginTarget::Wasip2 => f.write_str(
                "no Rust toolchain here can build wasm32-wasip2 components. Install one of:\n  \
                 - with rustup: `rustup target add wasm32-wasip2`\n  \
                 - on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src lld-22 \
                 wasi-libc`\n\
                 (`plugins/toolchain.sh wasip2` does the right one for this machine)",
            ),
        }
    }
}

impl std::error::Error for NoToolchain {}

/// Picks the first available route to `target`: rustup's wasip2, then (for any target) rustup's
/// wasm32-unknown-unknown, then Debian's.
pub fn detect_route(target: PluginTarget) -> Result<Route, NoToolchain> {
    let sysroot = rustup_sysroot();
    let has_target = |target: &str| {
        sysroot
            .as_deref()
            .is_some_and(|root| root.join("lib/rustlib").join(target).join("lib").is_dir())
    };
    let debian = [DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_STD_SOURCE, DEBIAN_LINKER]
        .iter()
        .all(|path| Path::new(path).exists());
    match target {
        _ if has_target(Route::RustupWasip2.target()) => Ok(Route::RustupWasip2),
        PluginTarget::Any if has_target(Route::RustupWasm32Unknown.target()) => {
            Ok(Route::RustupWasm32Unknown)
        }
        PluginTarget::Any if debian => Ok(Route::DebianBuildStd),
        PluginTarget::Wasip2 if debian && debian_wasip2_parts() => Ok(Route::DebianWasip2),
        _ => Err(NoToolchain(target)),
    }
}

/// Debian's wasi-libc and `rustc-web`'s `wasm-component-ld` are installed.
fn debian_wasip2_parts() -> bool {
    let linker = std::fs::read_dir("/usr/lib/rustlib").is_ok_and(|hosts| {
        hosts
            .filter_map(Result::ok)
            .any(|host| host.path().join(DEBIAN_COMPONENT_LINKER).is_file())
    });
    linker && Path::new(DEBIAN_WASI_LIBC).join("libc.a").is_file()
}

/// The script that installs a route where the machine allows it (`plugins/toolchain.sh`).
const TOOLCHAIN_SCRIPT: &str = include_str!("../../../plugins/toolchain.sh");

/// Like [`detect_route`], but when no route exists, first runs the toolchain script (which, as root
/// with apt-get, installs Debian's route, with wasi-libc for wasip2; otherwise it says what to
/// install). `progress` gets a line saying so.
pub fn ensure_route(target: PluginTarget, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Route> {
    if let Ok(route) = detect_route(target) {
        return Ok(route);
    }
    let mut script = Command::new("bash");
    script.args(["-c", TOOLCHAIN_SCRIPT, "toolchain.sh"]);
    match target {
        PluginTarget::Any => {
            progress("no Rust toolchain here builds WebAssembly yet: running plugins/toolchain.sh")
        }
        PluginTarget::Wasip2 => {
            progress(
                "no Rust toolchain here builds wasm32-wasip2 yet: running plugins/toolchain.sh wasip2",
            );
            script.arg("wasip2");
        }
    }
    let status = script
        .status()
        .map_err(|error| anyhow::anyhow!("cannot run bash for the toolchain script: {error}"))?;
    match (status.success(), detect_route(target)) {
        (true, Ok(route)) => Ok(route),
        _ => Err(NoToolchain(target).into()),
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
