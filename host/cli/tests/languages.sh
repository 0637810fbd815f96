#!/usr/bin/env bash
# Makes sure this machine can build JavaScript and Python plugins; quiet and idempotent when it can.
# Owns one check: Node.js 18 or newer with npm, and Python 3.10 or newer with venv, on PATH.
# Otherwise, as root with apt-get, installs Debian's nodejs, npm, python3 and python3-venv; else
# says what to install. (The toolchains themselves, componentize-js and componentize-py, are
# `mlc plugin build`'s to install, into each project.)
set -euo pipefail

debian_packages=(nodejs npm python3 python3-venv)

has_node() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
    local major
    major=$(node --version | grep -oE '[0-9]+' | head -n1)
    [[ -n $major && $major -ge 18 ]]
}

has_python() {
    command -v python3 >/dev/null 2>&1 || return 1
    python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null
}

if has_node && has_python; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "languages.sh: no Node.js 18+ with npm, or no Python 3.10+ with venv; installing ${debian_packages[*]}" >&2
    apt-get -o DPkg::Lock::Timeout=300 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y "${debian_packages[@]}"
    if has_node && has_python; then
        exit 0
    fi
    echo "languages.sh: installed ${debian_packages[*]} but Node.js 18+ with npm or Python 3.10+" \
        "with venv is still missing from PATH" >&2
    exit 1
fi

cat >&2 <<'MSG'
languages.sh: the tests of JavaScript and Python plugins need Node.js 18 or newer with npm, and
Python 3.10 or newer with its venv module, on PATH. Install them:
  - on Debian/Ubuntu:     sudo apt-get install nodejs npm python3 python3-venv
  - elsewhere:            from nodejs.org and python.org, or your system's packages
MSG
exit 1
