#!/usr/bin/env bash
# Create, pay and GET throughput and WebSocket fan-out latency on SQLite (one jppd), PostgreSQL (one jppd) and
# PostgreSQL with three jppd behind HAProxy, printed side by side from one run.
# usage: bench/instances.sh      (BENCH_SECONDS per wrk run, 5; BENCH_WATCHERS, 300; builds into build-bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_packages "${BUILD_PACKAGES[@]}" wrk haproxy postgresql python3-websocket
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd jpp_test_wallet > /dev/null

pg=$(mktemp -d)
chmod 755 "$pg"
trap 'tests/postgres/server.sh stop "$pg"; rm -rf "$pg"' EXIT
url=$(tests/postgres/server.sh start "$pg")
/usr/bin/python3 bench/instances.py build-bench/jppd/jppd build-bench/tests/jpp_test_wallet "$url"
