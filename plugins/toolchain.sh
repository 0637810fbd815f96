#!/usr/bin/env bash
# Makes sure this machine can build plugins to WebAssembly; quiet and idempotent when it can.
# Routes, in the order the builder (sdk/builder) prefers them:
#   1. rustup with wasm32-wasip2 or wasm32-unknown-unknown installed;
#   2. Debian's rustc-web, cargo-web, rust-web-src and lld-22 (std built from source);
# otherwise, as root with apt-get, installs route 2; else says what to install.
# `toolchain.sh wasip2` asks for wasm32-wasip2 components: rustup's target, or route 2 with
# Debian's wasi-libc.
set -euo pipefail

wasip2=false
[[ ${1:-} == wasip2 ]] && wasip2=true

debian_packages=(rustc-web cargo-web rust-web-src lld-22)
$wasip2 && debian_packages+=(wasi-libc)

has_rustup_target() {
    local targets='wasm32-wasip2|wasm32-unknown-unknown'
    $wasip2 && targets='wasm32-wasip2'
    command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -xE "$targets" >/dev/null
}

has_debian_route() {
    [[ -x /usr/bin/rustc && -x /usr/bin/cargo && -d /usr/lib/rustlib/src/rust/library && -x /usr/bin/rust-lld ]] &&
        { ! $wasip2 || [[ -f /usr/lib/wasm32-wasi/libc.a ]]; }
}

if has_rustup_target || has_debian_route; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "toolchain.sh: no wasm-capable Rust toolchain; installing ${debian_packages[*]}" >&2
    apt-get -o DPkg::Lock::Timeout=300 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y "${debian_packages[@]}"
    if has_debian_route; then
        exit 0
    fi
    echo "toolchain.sh: installed ${debian_packages[*]} but /usr/bin/rustc, /usr/bin/cargo," \
        "/usr/lib/rustlib/src/rust/library, /usr/bin/rust-lld or (for wasip2)" \
        "/usr/lib/wasm32-wasi/libc.a is still missing" >&2
    exit 1
fi

cat >&2 <<MSG
toolchain.sh: no Rust toolchain here can build WebAssembly plugins$($wasip2 && echo " for wasm32-wasip2"). Install one of:
  - with rustup:          rustup target add wasm32-wasip2
  - on Debian/Ubuntu:     sudo apt-get install ${debian_packages[*]}
MSG
exit 1
