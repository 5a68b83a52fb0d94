#!/usr/bin/env bash
# Installs what the project needs on Debian 12: system packages with apt
# (only when root and only the missing ones), then .venv from pyproject.toml
# pinned by requirements.lock.  Idempotent; safe to run on every `make`.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(build-essential cmake pkg-config git
  libmsgpack-dev libjansson-dev libcurl4-openssl-dev libwebsockets-dev libuv1-dev
  libssl-dev libcmocka-dev libhiredis-dev libsecp256k1-dev clang libclang-rt-14-dev
  postgresql redis-server python3-venv chromium chromium-driver)

install_system() {
  local missing=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Debian's python3-venv is not needed when python3 already makes venvs (pyenv).
  if [[ ${#missing[@]} -eq 1 && ${missing[0]} == python3-venv ]] && python3 -m venv --help >/dev/null 2>&1; then
    missing=()
  fi
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "install_deps: missing system packages: ${missing[*]}" >&2
    echo "install_deps: run 'sudo scripts/install_deps.sh' or install them with apt" >&2
    exit 1
  fi
  echo "install_deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
  if [[ -f .venv/.installed && .venv/.installed -nt pyproject.toml && .venv/.installed -nt requirements.lock ]]; then
    return 0
  fi
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v 'is ignored' || true
  .venv/bin/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]' 2>&1 \
    | grep -v 'is ignored' || true
  .venv/bin/python -c 'import msgpack, uvloop, cffi, asyncpg, redis, web3, py_clob_client_v2' 
  touch .venv/.installed
}

if [[ ${1:-} != --python-only ]]; then install_system; fi
install_python
