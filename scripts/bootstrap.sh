#!/usr/bin/env bash
# Install what the local stack needs: PostgreSQL and Redis server binaries,
# uv and the project's virtualenv, the toxiproxy server, and Chromium for the dashboard's browser tests.
# Idempotent and quick when everything is already present.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATE_DIR="${ICP_STACK_STATE_DIR:-.stack}"
TOXIPROXY_VERSION="v2.12.0"
TOXIPROXY_MODULE="github.com/Shopify/toxiproxy/v2/cmd/server"

is_root() { [ "$(id -u)" -eq 0 ]; }
say() { printf 'bootstrap: %s\n' "$*"; }

have_postgres() {
  if [ -n "${ICP_STACK_POSTGRES_BIN_DIR:-}" ] && [ -x "${ICP_STACK_POSTGRES_BIN_DIR}/initdb" ]; then
    return 0
  fi
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

ensure_system_packages() {
  local missing=()
  have_postgres || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)  # the replicated Redis (ICP_STACK_REDIS_HA)
  [ -x /usr/bin/chromium ] || missing+=(chromium)  # the dashboard's browser tests drive it headless
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! is_root; then
    say "missing: ${missing[*]}"
    say "install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    say "(or set ICP_STACK_POSTGRES_BIN_DIR to a folder holding initdb and postgres)"
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
}

UV=(uv)

ensure_uv() {
  command -v uv >/dev/null 2>&1 && return 0
  say "installing uv"
  if is_root; then
    python3 -m pip install uv
  else
    python3 -m pip install --user uv
    export PATH="${HOME}/.local/bin:${PATH}"
  fi
  hash -r
  # Not on PATH (e.g. a pyenv shim not yet rehashed): the module works the same.
  command -v uv >/dev/null 2>&1 || UV=(python3 -m uv)
}

ensure_toxiproxy() {
  if [ -n "${ICP_STACK_TOXIPROXY_BIN:-}" ] && [ -x "${ICP_STACK_TOXIPROXY_BIN}" ]; then
    return 0
  fi
  mkdir -p "${STATE_DIR}/bin"
  local bin_dir
  bin_dir="$(cd "${STATE_DIR}/bin" && pwd)"
  [ -x "${bin_dir}/server" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    say "the toxiproxy server is missing and building it needs Go (https://go.dev/doc/install),"
    say "or set ICP_STACK_TOXIPROXY_BIN to an existing toxiproxy server binary"
    exit 1
  fi
  say "building toxiproxy ${TOXIPROXY_VERSION} into ${bin_dir}"
  GOBIN="${bin_dir}" go install "${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}"
}

ensure_system_packages
ensure_uv
"${UV[@]}" sync --frozen --quiet
ensure_toxiproxy
say "ready"
