#!/usr/bin/env bash
# Makes sure this machine can run the CLI's headless-browser tests; quiet and idempotent when it can.
# Owns one check: `chromium` and `chromedriver` (Debian's names) are both on PATH and report the
# same major version (chromedriver drives only its own major). Otherwise, as root with apt-get,
# installs chromium and chromium-driver; else says what to install.
set -euo pipefail

debian_packages=(chromium chromium-driver)

# The major version in `<Name> <major>.<minor>...`; Debian's chromium wrapper chatters on stderr.
major_version() {
    "$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9.]+' | head -n1 | cut -d. -f1
}

has_matching_browser() {
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || return 1
    local browser driver
    browser=$(major_version chromium)
    driver=$(major_version chromedriver)
    [[ -n $browser && $browser == "$driver" ]]
}

if has_matching_browser; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "browser.sh: no chromium and chromedriver of one major version; installing ${debian_packages[*]}" >&2
    apt-get -o DPkg::Lock::Timeout=300 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y "${debian_packages[@]}"
    if has_matching_browser; then
        exit 0
    fi
    echo "browser.sh: installed ${debian_packages[*]} but chromium and chromedriver are still" \
        "missing from PATH or report different major versions" >&2
    exit 1
fi

cat >&2 <<'MSG'
browser.sh: the CLI's browser tests need chromium and a chromedriver of the same major version
on PATH, named `chromium` and `chromedriver`. Install them:
  - on Debian/Ubuntu:     sudo apt-get install chromium chromium-driver
  - elsewhere:            Chromium (or Chrome for Testing) and its matching chromedriver,
                          with `chromium` and `chromedriver` on PATH
MSG
exit 1
