#!/usr/bin/env bash
# Runs the benchmarks with their comparisons on this machine and prints the figures.
# usage: bench/run.sh [SECONDS_PER_MEASUREMENT]     (builds into build-bench/, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
seconds=${1:-2}
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jpp_bench_decode jpp_bench_service > /dev/null
[ -d tests/oracle/node_modules ] || npm ci --prefix tests/oracle --no-audit --no-fund > /dev/null

mix=$(mktemp)
trap 'rm -f "$mix"' EXIT
echo "== transaction decode + txid ($(nproc) cores, ${seconds}s per figure)"
decode=$(build-bench/bench/jpp_bench_decode --dump "$mix" --seconds "$seconds")
libauth=$(node tests/oracle/libauth_bench.mjs "$mix" "$seconds")
printf '%s\n%s\n' "$decode" "$libauth"
ours=$(figure "libjpp decode + txid" tx/s <<< "$decode")
row Decode "decode + txid (transactions/s)" "$ours" "libauth decodeTransaction + hashTransaction" \
  "$(figure "libauth decodeTransaction + hashTransaction" tx/s <<< "$libauth")" tx/s higher
row Decode "decode + txid (transactions/s)" "$ours" "OpenSSL double SHA-256 of the same bytes alone" \
  "$(figure "OpenSSL double SHA-256 (floor)" tx/s <<< "$decode")" tx/s higher

echo
echo "== invoice service on SQLite"
service=$(build-bench/bench/jpp_bench_service --seconds "$seconds")
echo "$service"
build-bench/bench/jpp_bench_service --seconds "$seconds" --normal | head -n 4
floor=$(figure "disk commit floor" /s <<< "$service")
row SQLite "create invoice, synchronous=FULL (/s)" "$(figure "create invoice" /s <<< "$service")" \
  "the disk's commit floor (4 KiB rewritten + fdatasync)" "$floor" /s higher
row SQLite "pay invoice: decode, verify, record (/s)" "$(figure "pay invoice" /s <<< "$service")" \
  "the disk's commit floor (4 KiB rewritten + fdatasync)" "$floor" /s higher
