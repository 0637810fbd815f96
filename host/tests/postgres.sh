#!/usr/bin/env bash
# Makes sure this machine can run the tests that need PostgreSQL; quiet and idempotent when it can.
# Owns one check: `pg_virtualenv` (Debian's postgresql-common, which makes a throwaway cluster) is
# on PATH with a PostgreSQL server beside it. Otherwise, as root with apt-get, installs postgresql
# and postgresql-common; else says what to install.
set -euo pipefail

debian_packages=(postgresql postgresql-common)

has_postgres() {
    command -v pg_virtualenv >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

if has_postgres; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: no pg_virtualenv with a PostgreSQL server; installing ${debian_packages[*]}" >&2
    apt-get -o DPkg::Lock::Timeout=300 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y "${debian_packages[@]}"
    if has_postgres; then
        exit 0
    fi
    echo "postgres.sh: installed ${debian_packages[*]} but pg_virtualenv or the server is still missing" >&2
    exit 1
fi

cat >&2 <<'MSG'
postgres.sh: the scale-out and shared-storage tests need PostgreSQL. Either install it:
  - on Debian/Ubuntu:     sudo apt-get install postgresql postgresql-common
or point the tests at a server you have:
  MLC_TEST_POSTGRES_URL=postgresql://user:password@host:port/database cargo test
MSG
exit 1
