#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests, in a directory of its own:
#
#   tests/postgres/server.sh start DIR   initdb into DIR/data (unless there), start on a free port of 127.0.0.1 (the
#                                        one it had, on a restart) and print the URL:
#                                        postgresql://postgres@127.0.0.1:PORT/postgres
#   tests/postgres/server.sh stop DIR    stop the server DIR holds (by its PID file), if it runs
#   tests/postgres/server.sh run DIR COMMAND...
#                                        start a fresh cluster, run COMMAND with JPP_TEST_POSTGRES_URL set, stop
#                                        (always), and exit with COMMAND's status (77 when no server is installed)
#
# Trust authentication, for loopback and the server's own socket only (in DIR, not /var/run): nothing beyond this
# machine can reach it. fsync stays on, as in production. initdb refuses to run as root, so as root the server
# runs as the unprivileged `postgres` user (JPP_PG_USER to choose another). JPP_PG_BIN names the server's bin
# directory; the newest /usr/lib/postgresql/*/bin otherwise.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR | run DIR COMMAND..." >&2
  exit 64
}
[ $# -ge 2 ] || usage
command=$1
dir=$2
shift 2

bin=${JPP_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)}
if [ ! -x "$bin/pg_ctl" ]; then
  echo "no PostgreSQL server found (install postgresql, or set JPP_PG_BIN)" >&2
  [ "$command" != run ] || exit 77  # CTest's "skipped"
  exit 1
fi

server_user=""
if [ "$(id -u)" -eq 0 ]; then server_user=${JPP_PG_USER:-postgres}; fi
as_server() {
  if [ -n "$server_user" ]; then runuser -u "$server_user" -- "$@"; else "$@"; fi
}

# A port nobody listens on now. Another program could take it before the server does; start() then tries again.
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local data=$dir/data
  [ -z "$server_user" ] || chown "$server_user" "$dir"
  if [ ! -f "$data/PG_VERSION" ]; then
    # --no-sync: only initdb's own flush of the fresh files is skipped; the server runs with fsync on.
    as_server "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync > "$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    cat > "$data/pg_hba.conf" << 'HBA'
# The server's own socket and loopback only.
local all all trust
host all all 127.0.0.1/32 trust
HBA
  fi
  local attempt port
  for attempt in 1 2 3; do
    # A restart keeps the port it had, so that clients reconnect to the same URL.
    if [ "$attempt" -eq 1 ] && [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); fi
    cat > "$data/postgresql.auto.conf" << CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
max_connections = 300
CONF
    # -w -t: wait until the server accepts connections, patiently (a busy machine).
    if as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 180 start > /dev/null; then
      for _ in $(seq 1 120); do
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5; then
          echo "$port" > "$dir/port"
          echo "postgresql://postgres@127.0.0.1:$port/postgres"
          return 0
        fi
        sleep 0.5
      done
      stop
    fi
    echo "attempt $attempt to start the server failed; log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
  done
  exit 1
}

stop() {
  [ -d "$dir" ] || return 0  # nothing was ever started there
  dir=$(cd "$dir" && pwd)
  local data=$dir/data
  [ -f "$data/postmaster.pid" ] || return 0
  if ! as_server "$bin/pg_ctl" -D "$data" -m fast -w -t 120 stop > /dev/null 2>&1; then
    # pg_ctl gave up: end the postmaster named by the PID file, and its children with it.
    # Said on stderr, and a failure when it outlives that too: a server left behind is not quietly ignored.
    echo "pg_ctl could not stop the server in $data; ending its postmaster" >&2
    local pid
    pid=$(head -n 1 "$data/postmaster.pid" 2> /dev/null || true)
    [ -n "$pid" ] || return 0  # the PID file went with the server
    kill -QUIT "$pid" 2> /dev/null || return 0  # already gone
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2> /dev/null || return 0
      sleep 0.25
    done
    echo "the server (PID $pid) is still running" >&2
    return 1
  fi
}

case $command in
  start) start ;;
  stop) stop ;;
  run)
    [ $# -ge 1 ] || usage
    # A fresh cluster each run: nothing left over from a run that was killed, a server it left running included.
    stop
    rm -rf "${dir:?}/data"
    trap stop EXIT
    trap 'exit 143' TERM INT  # a timeout's signal still runs the EXIT trap
    url=$(start)
    status=0
    JPP_TEST_POSTGRES_URL=$url "$@" || status=$?
    exit $status
    ;;
  *) usage ;;
esac
