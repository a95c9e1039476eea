#!/usr/bin/env bash
# Every benchmark in one run, and one table: each row our figure beside its comparison measured in the same run,
# and the ratio. What each row means: docs/benchmarks.md.
# usage: bench/report.sh [SECONDS_PER_FIGURE] [WS_ROUNDS_SCALE]      (about 8 minutes with the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
scale=${2:-2}
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
export BENCH_ROWS=$rows

echo "#### bench/run.sh $seconds"; bench/run.sh "$seconds"; echo
echo "#### bench/http.sh"; bench/http.sh "$((seconds * 3))"; echo
echo "#### bench/writes.sh $seconds"; bench/writes.sh "$seconds"; echo
echo "#### bench/ws.sh $scale"; bench/ws.sh "$scale"; echo

python3 - "$rows" "$(nproc)" "$(git rev-parse --short HEAD 2> /dev/null || echo unknown)" << 'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
print(f"== libjpp / jppd benchmark report ({sys.argv[2]} cores, commit {sys.argv[3]})")
print("ratio: how many times better ours is than the comparison (above 1: ours is better)")
width = max(len(r[1]) for r in rows)
cwidth = max(len(r[3]) for r in rows)
print(f"{'':10} {'measure':<{width}} {'ours':>12}   {'comparison':<{cwidth}} {'theirs':>12} {'ratio':>7}")
for section, measure, ours, comparison, theirs, unit, better in rows:
    a, b = float(ours), float(theirs)
    ratio = a / b if better == "higher" else b / a
    fmt = (lambda x: f"{x:,.0f}") if max(a, b) >= 100 else (lambda x: f"{x:,.1f}") if max(a, b) >= 10 else (lambda x: f"{x:,.2f}")
    print(f"{section:10} {measure:<{width}} {fmt(a):>12}   {comparison:<{cwidth}} {fmt(b):>12} {ratio:>6.2f}x")
PY
