#!/usr/bin/env bash
# Runs the benchmarks with their comparisons on this machine and prints the figures.
# usage: bench/run.sh [SECONDS_PER_MEASUREMENT]     (builds into build-bench/, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-2}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jpp_bench_decode jpp_bench_service > /dev/null
[ -d tests/oracle/node_modules ] || npm ci --prefix tests/oracle --no-audit --no-fund > /dev/null

mix=$(mktemp)
trap 'rm -f "$mix"' EXIT
echo "== transaction decode + txid ($(nproc) cores, ${seconds}s per figure)"
build-bench/bench/jpp_bench_decode --dump "$mix" --seconds "$seconds"
node tests/oracle/libauth_bench.mjs "$mix" "$seconds"

echo
echo "== invoice service on SQLite"
build-bench/bench/jpp_bench_service --seconds "$seconds"
build-bench/bench/jpp_bench_service --seconds "$seconds" --normal | head -n 4
