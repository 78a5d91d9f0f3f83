#!/usr/bin/env bash
# Install what the tests need (only what is missing) and run them:
#
#     scripts/test.sh [pytest arguments]      e.g. scripts/test.sh -k invoicing -x
#
# Works from a clean clone on Debian 12. As root or with sudo it apt-gets the system libraries Qt
# needs offscreen (and Python's venv support) when they are missing; it creates .venv with Python
# 3.11+, installs Duebook with its test extra (again only after pyproject.toml changed) and runs
# pytest with QT_QPA_PLATFORM=offscreen. The exit status is pytest's (5: no tests were collected).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

QT_PACKAGES=(libegl1 libgl1 libxkbcommon0 libfontconfig1 fonts-dejavu-core libdbus-1-3
  libglib2.0-0 libx11-6 libfreetype6)
ME=$(basename "$0")

log() { printf '%s: %s\n' "$ME" "$*" >&2; }
die() { log "$*"; exit 1; }

# --- system packages (Debian) ------------------------------------------------------------------

missing_debs() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local pkg
  for pkg in "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

can_be_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  command -v sudo >/dev/null 2>&1 || return 1
  sudo -n true 2>/dev/null || [[ -t 0 ]]
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  # Try with the package lists we have; update them only when that fails (none yet, or stale).
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null 2>&1 && return 0
  log "apt-get update"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}

ensure_debs() {
  local missing
  mapfile -t missing < <(missing_debs "$@")
  ((${#missing[@]})) || return 0
  if ! command -v apt-get >/dev/null 2>&1 || ! can_be_root; then
    log "missing system packages: ${missing[*]} (install them: sudo apt-get install ${missing[*]})"
    return 0
  fi
  log "installing ${missing[*]}"
  apt_install "${missing[@]}" || log "could not install ${missing[*]}; carrying on without them"
}

# --- the virtual environment -------------------------------------------------------------------

is_new_enough() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

find_python() {
  local candidate
  for candidate in ${PYTHON:+"$PYTHON"} python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && is_new_enough "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

create_venv() {
  local python
  if ! python=$(find_python); then
    ensure_debs python3 python3-venv
    python=$(find_python) || die "Duebook needs Python 3.11 or newer as python3 (or set PYTHON)"
  fi
  log "creating .venv with $("$python" --version 2>&1)"
  rm -rf .venv
  if ! "$python" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    ensure_debs python3-venv # Debian keeps ensurepip apart
    "$python" -m venv .venv || die "could not create .venv with $python"
  fi
}

ensure_venv() {
  # usage: ensure_venv test|run -- the stamp remembers what was installed for which pyproject.toml
  local want=$1 stamp=.venv/.duebook-installed hash have=""
  if [[ ! -x .venv/bin/python ]] || ! is_new_enough .venv/bin/python; then
    create_venv
  fi
  hash="$(sha256sum pyproject.toml | cut -d' ' -f1) $PWD"
  [[ -f $stamp ]] && have=$(<"$stamp")
  if [[ $have == "$hash test" || ($want == run && $have == "$hash run") ]]; then
    return 0
  fi
  local target=.
  [[ $want == test ]] && target=".[test]"
  log "installing Duebook into .venv (pip install -e '$target')"
  rm -f "$stamp"
  .venv/bin/python -m pip install --disable-pip-version-check --no-input -q -e "$target"
  printf '%s %s\n' "$hash" "$want" >"$stamp"
}

with_lock() {
  # Two copies started at once (two terminals, two developers) must not build .venv together.
  if command -v flock >/dev/null 2>&1; then
    local lock
    lock="${TMPDIR:-/tmp}/duebook-venv-$(printf '%s' "$PWD" | sha256sum | cut -c1-16).lock"
    exec 9>"$lock"
    flock 9
  fi
  "$@"
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
}

# scripts/run.sh sources this file for the functions above and stops here.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  return 0
fi

ensure_debs "${QT_PACKAGES[@]}"
with_lock ensure_venv test

export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
