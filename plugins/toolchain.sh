#!/usr/bin/env bash
# Makes sure this machine can build plugins to WebAssembly; quiet and idempotent when it can.
# Routes, in the order the builder (sdk/builder) prefers them:
#   1. rustup with wasm32-wasip2 or wasm32-unknown-unknown installed;
#   2. Debian's rustc-web, cargo-web, rust-web-src and lld-22 (std built from source);
# otherwise, as root with apt-get, installs route 2; else says what to install.
set -euo pipefail

debian_packages=(rustc-web cargo-web rust-web-src lld-22)

has_rustup_target() {
    command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -xE 'wasm32-wasip2|wasm32-unknown-unknown' >/dev/null
}

has_debian_route() {
    [[ -x /usr/bin/rustc && -x /usr/bin/cargo && -d /usr/lib/rustlib/src/rust/library && -x /usr/bin/rust-lld ]]
}

if has_rustup_target || has_debian_route; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "toolchain.sh: no wasm-capable Rust toolchain; installing ${debian_packages[*]}" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${debian_packages[@]}"
    if has_debian_route; then
        exit 0
    fi
    echo "toolchain.sh: installed ${debian_packages[*]} but /usr/bin/rustc, /usr/bin/cargo," \
        "/usr/lib/rustlib/src/rust/library or /usr/bin/rust-lld is still missing" >&2
    exit 1
fi

cat >&2 <<'MSG'
toolchain.sh: no Rust toolchain here can build WebAssembly plugins. Install one of:
  - with rustup:          rustup target add wasm32-wasip2
  - on Debian/Ubuntu:     sudo apt-get install rustc-web cargo-web rust-web-src lld-22
MSG
exit 1
