#!/usr/bin/env bash
# Start Duebook from a clean clone:
#
#     scripts/run.sh [duebook arguments]
#
# Sets up what it needs first, only when missing: as root or with sudo the Debian packages a Qt
# window needs, then .venv with Duebook installed (see scripts/test.sh, whose set-up it shares).
# Opens the ledger named with --db or $DUEBOOK_DB, else the one in the per-user data folder; while
# there is none yet, a fresh demo ledger of a small company.
set -euo pipefail

# shellcheck source=scripts/test.sh
source "$(dirname "${BASH_SOURCE[0]}")/test.sh"

WINDOW_PACKAGES=(libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0
  libxcb-xkb1 libxkbcommon-x11-0)

ensure_debs "${QT_PACKAGES[@]}" "${WINDOW_PACKAGES[@]}"
with_lock ensure_venv run

# A ledger named with --db (or $DUEBOOK_DB) is opened, created when missing; the demo is only for
# a first start with nothing named and nothing in the data folder yet.
named=""
for arg in "$@"; do
  case "$arg" in --db | --db=*) named=yes ;; esac
done
if [[ -n "$named" || -n "${DUEBOOK_DB:-}" ]] || .venv/bin/python -m app.paths --exists; then
  exec .venv/bin/duebook "$@"
else
  exec .venv/bin/duebook --demo "$@"
fi
