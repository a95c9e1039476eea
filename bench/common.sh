# Sourced by the benchmark scripts.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.1; done; return 1; }

# figure NAME UNIT < TEXT: the number before UNIT on the line that starts with NAME (then a space), as the
# benchmark programs print them ("libjpp decode + txid      1234567 tx/s ...").
figure() {
  awk -v name="$1" -v unit="$2" 'index($0, name) == 1 && substr($0, length(name) + 1, 1) == " " {
    for (i = 1; i < NF; i++) if ($(i + 1) == unit) { print $i; exit } }'
}

# row SECTION MEASURE OURS COMPARISON THEIRS UNIT BETTER: one row for bench/report.sh's table, when it asked for
# them (BENCH_ROWS names the file). BETTER is "higher" or "lower": which way ours beating theirs goes.
row() {
  [ -n "${BENCH_ROWS:-}" ] || return 0
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$BENCH_ROWS"
}

# cpu_ticks PID...: user + system CPU time of the processes (each with all its threads) so far, in clock ticks
# (getconf CLK_TCK per second).
cpu_ticks() {
  local pid total=0
  for pid in "$@"; do
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
