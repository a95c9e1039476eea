#!/usr/bin/env bash
# A soak: jppd under steady mixed traffic (creates, reads in every format, wallet-protocol steps, WebSocket watchers,
# payments) for SECONDS, with its resident memory and open descriptors sampled every 15 s; exits non-zero on any
# error response or a payment whose watcher was not told.
# usage: bench/soak.sh [SECONDS] [INVOICES_PER_SECOND]      (default 600 s at 40/s; builds into build-bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source bench/common.sh
install_packages "${BUILD_PACKAGES[@]}" python3-websocket
seconds=${1:-600}
rate=${2:-40}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd > /dev/null

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2> /dev/null; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(free_port)
# The soak's clients all come from 127.0.0.1: the per-client limits are lifted.
build-bench/jppd/jppd --dev-mode --network regtest --listen "127.0.0.1:$port" --db "$work/jppd.sqlite3" \
  --client-rate 0 --max-client-connections 0 --max-client-websockets 0 --log-level warn 2> "$work/jppd.log" &
pid=$!
wait_port "$port"
echo "== soak: ${seconds}s at $rate invoices/s (each: create, 4-6 reads, a watcher, a payment)"
/usr/bin/python3 bench/soak.py "$port" "$pid" "$seconds" "$rate"
