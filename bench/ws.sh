#!/usr/bin/env bash
# WebSocket fan-out: jppd beside a minimal Node ws broadcast server, measured by the same client.
# For N watchers of one invoice: the time from sending the pay request (for jppd: verification and the committed
# write included) or the publish request (Node) until the last watcher has the message, p50 and p99 over rounds;
# and the server's resident memory per idle connection with 10,000 open.
# usage: bench/ws.sh [ROUNDS_SCALE]      (builds into build-bench/, Release; installs Node's ws into bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source bench/common.sh
install_packages "${BUILD_PACKAGES[@]}"
install_node
scale=${1:-1}
ulimit -n "$(ulimit -Hn)"

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd jpp_bench_ws_fanout > /dev/null
npm ci --prefix bench --no-audit --no-fund --loglevel=error > /dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
client=build-bench/bench/jpp_bench_ws_fanout
sizes=(1 100 1000 10000)
rounds=($((30 * scale)) $((20 * scale)) $((10 * scale)) $((5 * scale)))

# measure TARGET PORT PID: memory at 10,000 idle watchers first (a fresh process), then each N.
measure() {
  "$client" --target "$1" --port "$2" --pid "$3" --watchers 10000 --rounds 1 --memory --calibrate | grep -v RESULT
  for i in "${!sizes[@]}"; do
    "$client" --target "$1" --port "$2" --pid "$3" --watchers "${sizes[$i]}" --rounds "${rounds[$i]}"
  done
}

port=$(free_port)
build-bench/jppd/jppd --dev-mode --listen "127.0.0.1:$port" --db "$work/jppd.sqlite3" --log-level warn \
  --max-connections 30000 --max-websockets 25000 --ws-ping-interval 3600 \
  --client-rate 0 --max-client-connections 0 --max-client-websockets 0 2> "$work/jppd.log" &
pids+=($!)
wait_port "$port"
measure jppd "$port" "${pids[-1]}" > "$work/jppd.txt"

port=$(free_port)
node bench/ws_broadcast_server.js "$port" &
pids+=($!)
wait_port "$port"
measure node "$port" "${pids[-1]}" > "$work/node.txt"

echo "== WebSocket fan-out ($(nproc) cores; time from the trigger request to the last watcher's receipt)"
python3 - "$work/jppd.txt" "$work/node.txt" << 'PY'
import os
import sys
def load(path):
    rows, memory, pay = {}, None, 0.0
    for line in open(path):
        f = line.split()
        if f[0] == "RESULT":
            rows[int(f[2])] = (float(f[3]), float(f[4]), float(f[5]), int(f[6]))
        elif f[0] == "MEMORY":
            memory = float(f[3])
        elif f[0] == "CALIBRATION":
            pay = float(f[2])
    return rows, memory, pay
ours, our_mem, pay = load(sys.argv[1])
theirs, their_mem, _ = load(sys.argv[2])
print(f"{'watchers':>9} {'rounds':>6} | {'jppd p50':>9} {'p99':>8} {'from commit':>12} | {'Node ws p50':>11} {'p99':>8} | "
      f"{'Node/jppd p50':>13}")
for n in sorted(ours):
    a, b = ours[n], theirs[n]
    print(f"{n:>9} {a[3]:>6} | {a[0]:>7.2f}ms {a[1]:>6.2f}ms {a[0] - pay:>10.2f}ms | {b[0]:>9.2f}ms {b[1]:>6.2f}ms | "
          f"{b[0] / a[0]:>12.2f}x")
print(f"jppd's times include the pay request itself: {pay:.2f} ms (median) with nobody watching, which 'from commit' "
      f"subtracts. The ratio does not.")
print(f"resident memory per idle connection at 10,000: jppd {our_mem / 1024:.2f} KiB, Node ws {their_mem / 1024:.2f} KiB "
      f"({their_mem / our_mem:.1f}x less)")
if os.environ.get("BENCH_ROWS"):
    with open(os.environ["BENCH_ROWS"], "a") as out:
        for n in sorted(ours):
            out.write(f"WebSocket\tpayment to the last of {n:,} watchers, p50 (ms)\t{ours[n][0]:.2f}\t"
                      f"Node ws broadcast server\t{theirs[n][0]:.2f}\tms\tlower\n")
        out.write(f"WebSocket\tmemory per idle connection at 10,000 (KiB)\t{our_mem / 1024:.2f}\t"
                  f"Node ws broadcast server\t{their_mem / 1024:.2f}\tKiB\tlower\n")
PY
