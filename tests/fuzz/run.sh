#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 15) from its seeds.
# usage: tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      e.g. tests/fuzz/run.sh 3600 for a long run
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
build=${2:-build/fuzz}
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJPP_BUILD_FUZZ=ON \
  -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_BENCH=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build "$build" > /dev/null
status=0
export UBSAN_OPTIONS="suppressions=$PWD/tests/fuzz/ubsan.supp:halt_on_error=1:print_stacktrace=1"
for target in transaction token_prefix cashaddr base58 json_bodies http_request proxy_header ws_frames \
              wallet_protocols; do
  corpus="$build/corpus/$target"
  log="$build/fuzz_$target.log"
  mkdir -p "$corpus"
  if "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz_$target-" "$corpus" "tests/fuzz/seeds/$target" > "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$target: ${seconds}s, $runs inputs, no crash, leak or undefined behaviour"
  else
    echo "fuzz_$target: FAILED (artifact and log in $build)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" || tail -n 20 "$log"
    status=1
  fi
done
exit $status
