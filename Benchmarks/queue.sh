#!/usr/bin/env bash
# Measures the run queue and the journal on PostgreSQL against SQLite, and runs per second
# with 1, 2 and 3 workers: starts a throwaway PostgreSQL cluster (initdb in a temporary
# folder, an ephemeral port, the postgres user when run as root), runs
# `roster bench --queue --postgres URL`, and removes the cluster.
# Usage: Benchmarks/queue.sh [ROSTER_BINARY] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
roster=${1:-.build/release/roster}
shift || true
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (make deps installs it)"; exit 2; }
folder=$(mktemp -d /tmp/roster-bench-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$folder"
as_postgres "$bin/initdb" -D "$folder/data" -U roster --auth=trust -E UTF8 --no-sync >/dev/null
as_postgres "$bin/pg_ctl" -D "$folder/data" -l "$folder/log" -w \
  -o "-p $port -k $folder -c listen_addresses=127.0.0.1" start >/dev/null
trap 'as_postgres "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$folder"' EXIT
"$roster" bench --queue --postgres "postgres://roster@127.0.0.1:$port/postgres" "$@"
