//! Runs cargo for a route: the command line, an environment scrubbed of what an outer cargo leaks,
//! and cargo's output streamed line by line to the caller.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::BuildOptions;
use crate::route::{DEBIAN_CARGO, DEBIAN_RUSTC, DEBIAN_WASI_LIBC, Route};

/// The Cargo profile plugins build with (defined in the workspace's `Cargo.toml`).
const PROFILE: &str = "plugin";
/// How many of cargo's last diagnostic lines (status lines left out) a build error quotes.
const ERROR_TAIL_LINES: usize = 60;
/// Variables an outer cargo or rustup sets that would steer the inner build wrongly, removed by
/// prefix. `CARGO_HOME` and cargo's network and registry settings are kept.
const LEAKED_PREFIXES: &[&str] = &["CARGO", "RUSTC", "RUSTDOC", "RUSTFLAGS", "RUSTUP"];
const KEPT_PREFIXES: &[&str] = &["CARGO_HOME", "CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTR"];

/// A command for `cargo <args>` on `route`, with a scrubbed environment.
pub fn command(route: Route) -> Command {
    let keep_rustup = !route.is_debian();
    let mut command = match route.is_debian() {
        true => Command::new(DEBIAN_CARGO),
        false => Command::new("cargo"),
    };
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let leaked = LEAKED_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
            && !KEPT_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            && !(keep_rustup && name.starts_with("RUSTUP"));
        if leaked {
            command.env_remove(name.as_ref());
        }
    }
    if route.is_debian() {
        command
            .env("PATH", debian_path())
            .env("RUSTC", DEBIAN_RUSTC)
            .env("RUSTC_BOOTSTRAP", "1");
    }
    if route == Route::DebianWasip2 {
        command.env("RUSTFLAGS", format!("-L native={DEBIAN_WASI_LIBC}"));
    }
    command
}

/// Builds `packages` for the route's target with the plugin profile, in one invocation.
pub fn build(
    route: Route,
    options: &BuildOptions,
    packages: &[&str],
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let mut command = command(route);
    command
        .current_dir(&options.workspace_root)
        .arg("build")
        .args(["--profile", PROFILE, "--target", route.target()])
        .arg("--target-dir")
        .arg(&options.target_dir)
        .arg("--manifest-path")
        .arg(options.workspace_root.join("Cargo.toml"));
    if route.is_debian() {
        command.arg("-Zbuild-std=std,panic_abort");
    }
    for package in packages {
        command.args(["-p", package]);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());

    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run cargo for route {route}"))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let forward_stdout = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut tail = VecDeque::with_capacity(ERROR_TAIL_LINES);
    let stderr = child.stderr.take().context("cargo's stderr")?;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        progress(&line);
        if is_status_line(&line) {
            continue;
        }
        if tail.len() == ERROR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    let status = child.wait().context("waiting for cargo")?;
    for line in forward_stdout.join().unwrap_or_default() {
        progress(&line);
    }
    if !status.success() {
        let quoted: Vec<String> = tail.into_iter().collect();
        bail!(
            "cargo build of the plugins failed ({status}):\n{}",
            quoted.join("\n")
        );
    }
    Ok(())
}

/// Where cargo leaves the core module (or, on wasip2, the component) of library `lib_name`.
pub fn artifact(route: Route, options: &BuildOptions, lib_name: &str) -> PathBuf {
    options
        .target_dir
        .join(route.target())
        .join(PROFILE)
        .join(format!("{lib_name}.wasm"))
}

/// Cargo's progress lines (`Compiling …`), which a build error does not need to quote.
fn is_status_line(line: &str) -> bool {
    const STATUSES: &[&str] = &[
        "Compiling ",
        "Downloading ",
        "Downloaded ",
        "Updating ",
        "Locking ",
        "Adding ",
        "Blocking ",
    ];
    let line = line.trim_start();
    STATUSES.iter().any(|status| line.starts_with(status))
}

/// `/usr/bin` first, so cargo and rustc find Debian's `rust-lld`.
fn debian_path() -> OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![PathBuf::from("/usr/bin")];
    paths.extend(std::env::split_paths(&rest));
    std::env::join_paths(paths).unwrap_or_else(|_| OsString::from("/usr/bin"))
}
