#!/usr/bin/env bash
# jppd's HTTP service beside nginx serving the same bytes as a static file, with the same wrk settings (wrk -t2 on
# two cores, nginx with as many workers as jppd has I/O threads).
# Both figures: requests per second, and the server's CPU time per request (user + system, all its processes).
# usage: bench/http.sh [SECONDS] [CONNECTIONS]      (builds jppd into build-bench/, Release; needs wrk and nginx)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source bench/common.sh
install_packages "${BUILD_PACKAGES[@]}" wrk nginx-light curl
seconds=${1:-10}
connections=${2:-32}
threads=$(nproc)

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd > /dev/null

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# measure LABEL URL LUA PID...: runs wrk and prints "REQUESTS_PER_SECOND CPU_MICROSECONDS_PER_REQUEST", the
# second being the user + system time of the server's processes (PIDs: each with all its threads) during the run
# divided by the requests served. With the load generator on the same cores, requests per second mostly measure
# wrk; CPU per request measures the server.
measure() {
  local label=$1 url=$2 lua=$3 out before after
  shift 3
  before=$(cpu_ticks "$@")
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" ${lua:+-s "$lua"} "$url")
  after=$(cpu_ticks "$@")
  grep -q "Non-2xx" <<< "$out" && { echo "$label: wrk saw error responses" >&2; echo "$out" >&2; exit 1; }
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /requests in/ {requests = $1} /Requests\/sec/ {rps = $2}
    END {printf "%s %.1f\n", rps, ticks / hz * 1e6 / requests}' <<< "$out"
}

start_jppd() {  # start_jppd LOG_LEVEL -> sets JPPD_PORT
  JPPD_PORT=$(free_port)
  # wrk is one client: the per-client limits are lifted.
  build-bench/jppd/jppd --dev-mode --listen "127.0.0.1:$JPPD_PORT" --db "$work/jppd.sqlite3" --threads "$threads" \
    --client-rate 0 --max-client-connections 0 --log-level "$1" 2> "$work/jppd-$1.log" &
  pids+=($!)
  wait_port "$JPPD_PORT"
}

start_jppd warn
base="http://127.0.0.1:$JPPD_PORT"
create='{"outputs":[{"address":"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a","amount":125000}],"memo":"benchmark invoice"}'
id=$(curl -sf -H 'Content-Type: application/json' -d "$create" "$base/jpp/invoices/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["payment_id"])')
curl -sf "$base/jpp/invoices/$id/" > "$work/invoice.json"
size=$(stat -c %s "$work/invoice.json")

nginx_port=$(free_port)
mkdir -p "$work/www" && cp "$work/invoice.json" "$work/www/invoice.json" && chmod -R a+rX "$work/www"
cat > "$work/nginx.conf" << CONF
worker_processes $threads;
daemon off;
pid $work/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  types { application/json json; }
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
wait_port "$nginx_port"

cat > "$work/create.lua" << LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$create'
LUA

nginx_pids=("$(cat "$work/nginx.pid")" $(pgrep -P "$(cat "$work/nginx.pid")"))
echo "== HTTP: wrk -t$threads -c$connections -d${seconds}s on $(nproc) cores; jppd --threads $threads, nginx worker_processes $threads; response $size bytes"
read -r nginx_rps nginx_cpu <<< "$(measure nginx "http://127.0.0.1:$nginx_port/invoice.json" "" "${nginx_pids[@]}")"
read -r quiet_rps quiet_cpu <<< "$(measure jppd-get "$base/jpp/invoices/$id/" "" "${pids[0]}")"
read -r post_rps post_cpu <<< "$(measure jppd-post "$base/jpp/invoices/" "$work/create.lua" "${pids[0]}")"
kill "${pids[0]}" && wait "${pids[0]}" 2> /dev/null || true  # the database is one process's at a time
start_jppd info
read -r get_rps get_cpu <<< "$(measure jppd-get-logged "http://127.0.0.1:$JPPD_PORT/jpp/invoices/$id/" "" "${pids[-1]}")"

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf "%-58s %11s %9s %13s %9s\n" "" "requests/s" "vs nginx" "CPU/request" "vs nginx"
line() { printf "%-58s %11.0f %9s %10.1f us %9s\n" "$1" "$2" "$(ratio "$2" "$nginx_rps")" "$3" "$(ratio "$3" "$nginx_cpu")"; }
line "nginx, static file of the same bytes (access_log off)" "$nginx_rps" "$nginx_cpu"
line "jppd GET /jpp/invoices/{id}/ (--log-level info, the default)" "$get_rps" "$get_cpu"
line "jppd GET, no request log (--log-level warn)" "$quiet_rps" "$quiet_cpu"
line "jppd POST /jpp/invoices/ (SQLite synchronous=FULL)" "$post_rps" "$post_cpu"
echo "goal: GET's CPU per request (default log level) within 1.1x nginx's"
row HTTP "GET an invoice, server CPU per request (us)" "$get_cpu" "nginx, static file of the same bytes" "$nginx_cpu" \
  "us" lower
row HTTP "GET an invoice (requests/s)" "$get_rps" "nginx, static file of the same bytes" "$nginx_rps" "req/s" higher
