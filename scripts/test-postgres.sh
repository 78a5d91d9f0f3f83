#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for tests/integration/test_postgresql.py and print its URL;
# stop it (and remove its folder) again with `stop`.
#
#     url=$(scripts/test-postgres.sh start) && export DUEBOOK_TEST_POSTGRES_URL=$url
#     scripts/test-postgres.sh stop
#
# Debian's postgresql package is installed when missing (as root); the cluster lives in a fresh
# temporary folder, listens on 127.0.0.1 only, trusts local connections and is never the
# machine's own. Exits non-zero, printing why on stderr, when that cannot be done here.
set -euo pipefail

log() { printf 'test-postgres: %s\n' "$*" >&2; }

# Where the running server's folder is noted, one per checkout.
state="${TMPDIR:-/tmp}/duebook-test-postgres-$(printf '%s' "$PWD" | sha256sum | cut -c1-16)"

newest_bin() {
  local dir found=""
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb ]] && found=$dir
  done
  printf '%s\n' "$found"
}

bin=$(newest_bin)
if [[ -z $bin ]]; then
  [[ $(id -u) -eq 0 ]] || { log "postgresql is not installed and we are not root"; exit 1; }
  log "installing postgresql"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql \
    >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql \
        >/dev/null; }
  bin=$(newest_bin)
fi

run_as=()
if [[ $(id -u) -eq 0 ]]; then run_as=(runuser -u postgres --); fi # initdb refuses to run as root

if [[ ${1:-start} == stop ]]; then
  [[ -f $state ]] || exit 0
  dir=$(<"$state")
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$state"
  exit 0
fi

"$0" stop # a server left by an earlier run of this checkout
dir=$(mktemp -d /tmp/duebook-pg.XXXXXX)
printf '%s\n' "$dir" >"$state"
chmod 755 "$dir"
[[ ${#run_as[@]} -eq 0 ]] || chown postgres "$dir"
port=$((50000 + RANDOM % 10000))
"${run_as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U duebook >"$dir/initdb.log" 2>&1 ||
  { log "initdb failed: see $dir/initdb.log"; exit 1; }
"${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -h 127.0.0.1" start >/dev/null ||
  { log "the server did not start: see $dir/server.log"; exit 1; }
"${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U duebook duebook_test
echo "postgresql+psycopg://duebook@127.0.0.1:$port/duebook_test"
