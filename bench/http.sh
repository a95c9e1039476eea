#!/usr/bin/env bash
# jppd's HTTP throughput beside nginx serving the same bytes as a static file, with the same wrk settings.
# usage: bench/http.sh [SECONDS] [CONNECTIONS]      (builds jppd into build-bench/, Release; needs wrk and nginx)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source bench/common.sh
install_packages "${BUILD_PACKAGES[@]}" wrk nginx-light curl
seconds=${1:-10}
connections=${2:-64}
threads=$(nproc)

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DJPP_BUILD_TESTS=OFF -DJPP_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-bench --target jppd > /dev/null

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# rps LABEL URL [LUA]: runs wrk and prints its requests/s
rps() {
  local out
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" ${3:+-s "$3"} "$2")
  grep -q "Non-2xx" <<< "$out" && { echo "$1: wrk saw error responses" >&2; echo "$out" >&2; exit 1; }
  awk '/Requests\/sec/ {print $2}' <<< "$out"
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

echo "== HTTP: wrk -t1 -c$connections -d${seconds}s on $(nproc) cores; jppd --threads $threads, nginx worker_processes $threads; response $size bytes"
nginx_rps=$(rps nginx "http://127.0.0.1:$nginx_port/invoice.json")
get_rps=$(rps jppd-get "$base/jpp/invoices/$id/")
post_rps=$(rps jppd-post "$base/jpp/invoices/" "$work/create.lua")
start_jppd info
logged_rps=$(rps jppd-get-logged "http://127.0.0.1:$JPPD_PORT/jpp/invoices/$id/")

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf "%-52s %12s %10s\n" "" "requests/s" "vs nginx"
printf "%-52s %12.0f %10s\n" "nginx, static file of the same bytes" "$nginx_rps" "1.00"
printf "%-52s %12.0f %10s\n" "jppd GET /jpp/invoices/{id}/" "$get_rps" "$(ratio "$get_rps" "$nginx_rps")"
printf "%-52s %12.0f %10s\n" "jppd GET, one log line per request (--log-level info)" "$logged_rps" "$(ratio "$logged_rps" "$nginx_rps")"
printf "%-52s %12.0f %10s\n" "jppd POST /jpp/invoices/ (SQLite synchronous=FULL)" "$post_rps" "$(ratio "$post_rps" "$nginx_rps")"
echo "goal: GET at least 0.50 of nginx"
row HTTP "GET an invoice (requests/s)" "$get_rps" "nginx, static file of the same bytes" "$nginx_rps" "req/s" higher
row HTTP "POST create invoice, synchronous=FULL (requests/s)" "$post_rps" "nginx, static file of the same bytes" "$nginx_rps" "req/s" higher
