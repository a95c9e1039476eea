#!/usr/bin/env bash
# Durable writes over HTTP at 64 concurrent clients (invoice creation, then payment), beside the disk's
# single-commit floor measured in the same directory in the same run; on SQLite (synchronous=FULL), and on
# PostgreSQL (synchronous_commit on) when its server is installed.
# usage: bench/writes.sh [SECONDS] [CLIENTS]      (builds into build-bench/, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source bench/common.sh
install_packages "${BUILD_PACKAGES[@]}"
seconds=${1:-3}
clients=${2:-64}

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd jpp_bench_http_writes > /dev/null

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/jpp-writes.XXXXXX")
chmod 755 "$work"  # PostgreSQL runs as its own user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# writes DB: jppd on DB (a SQLite path or a PostgreSQL URL); prints the client's figures
writes() {
  local port
  port=$(free_port)
  # The client is one address: the per-client limits are lifted.
  build-bench/jppd/jppd --dev-mode --listen "127.0.0.1:$port" --db "$1" --metrics-listen off \
    --client-rate 0 --max-client-connections 0 --log-level warn ${JPPD_ARGS:-} 2> "$work/jppd.log" &
  pids+=($!)
  wait_port "$port"
  build-bench/bench/jpp_bench_http_writes --port "$port" --floor-dir "$work" --connections "$clients" \
    --seconds "$seconds"
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2> /dev/null || true
}

echo "== durable writes over HTTP, $clients clients ($(nproc) cores, ${seconds}s per figure, in $work)"
sqlite=$(writes "$work/jppd.sqlite3")
echo "SQLite, synchronous=FULL:"
echo "$sqlite"
floor=$(figure "disk commit floor" /s <<< "$sqlite")
row Writes "create invoice, $clients clients over HTTP, SQLite (/s)" "$(figure "create invoice" /s <<< "$sqlite")" \
  "the disk's single-commit floor" "$floor" /s higher
row Writes "pay invoice, $clients clients over HTTP, SQLite (/s)" "$(figure "pay invoice" /s <<< "$sqlite")" \
  "the disk's single-commit floor" "$floor" /s higher

# PostgreSQL, when its server is installed: it groups concurrent commits in its own WAL writer (each backend that
# commits while a flush is under way is covered by the next one). Measured with synchronous_commit on (the
# default: the commit waits for the WAL's fsync), then with commit_delay, which makes a committing backend wait
# that long for others to join its flush when at least commit_siblings other transactions are open.
if ls -d /usr/lib/postgresql/*/bin > /dev/null 2>&1; then
  pg=$work/postgres
  mkdir -p "$pg"
  url=$(tests/postgres/server.sh start "$pg")
  trap 'tests/postgres/server.sh stop "$pg" || true; cleanup' EXIT
  for delay in 0 1000; do
    psql -q "$url" -c "ALTER SYSTEM SET commit_delay = $delay" -c "ALTER SYSTEM SET commit_siblings = 5" \
      -c "SELECT pg_reload_conf()" > /dev/null
    out=$(writes "$url")
    echo "PostgreSQL, synchronous_commit on, commit_delay ${delay} us:"
    echo "$out"
    if [ "$delay" = 0 ]; then
      pg_floor=$(figure "disk commit floor" /s <<< "$out")
      row Writes "create invoice, $clients clients over HTTP, PostgreSQL (/s)" \
        "$(figure "create invoice" /s <<< "$out")" "the disk's single-commit floor" "$pg_floor" /s higher
      row Writes "pay invoice, $clients clients over HTTP, PostgreSQL (/s)" \
        "$(figure "pay invoice" /s <<< "$out")" "the disk's single-commit floor" "$pg_floor" /s higher
    fi
  done
else
  echo "PostgreSQL: no server installed (apt-get install postgresql), not measured"
fi
