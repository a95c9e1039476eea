"""Throughput and WebSocket fan-out latency of jppd on SQLite (one instance), on PostgreSQL (one instance) and on
PostgreSQL with three instances behind HAProxy, printed side by side. Run by bench/instances.sh."""
import concurrent.futures
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import websocket

JPPD, WALLET, POSTGRES = sys.argv[1], sys.argv[2], sys.argv[3]
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
MERCHANT = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
PAYER = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
CREATE = json.dumps({"outputs": [{"address": MERCHANT, "amount": 10_000}], "memo": "benchmark"})
WATCHERS = int(os.environ.get("BENCH_WATCHERS", "300"))
work = tempfile.mkdtemp(prefix="jpp-bench-")
os.chmod(work, 0o755)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def wrk(port, path, script=None):
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{SECONDS}s", *(["-s", script] if script else []),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit("wrk saw error responses:\n" + out)
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def paying_tx(amount=10_000):
    coin = {"txid": "%064x" % random.getrandbits(256), "vout": 0, "value": amount + 5_000}
    return subprocess.run([WALLET, "sign", PAYER, "main", json.dumps([coin]),
                           json.dumps([{"address": MERCHANT, "amount": amount}])],
                          capture_output=True, text=True, check=True).stdout.strip()


def pay_throughput(ports, count=300):
    pids = [json.loads(request(ports[i % len(ports)], "POST", "/jpp/invoices/", CREATE)[1])["payment_id"]
            for i in range(count)]
    raws = [paying_tx() for _ in range(count)]

    def pay(i):
        status, body = request(ports[i % len(ports)], "POST", f"/jpp/invoices/{pids[i]}/pay",
                               json.dumps({"raw_tx_hex": raws[i]}))
        assert status == 200, body

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(pay, range(count)))
    return count / (time.monotonic() - started)


def fanout(ports):
    pid = json.loads(request(ports[0], "POST", "/jpp/invoices/", CREATE)[1])["payment_id"]
    sockets = [websocket.create_connection(f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/jpp/invoice/{pid}/",
                                           timeout=30) for i in range(WATCHERS)]
    times = []
    lock = threading.Lock()

    def read(s):
        s.recv()
        with lock:
            times.append(time.monotonic())

    readers = [threading.Thread(target=read, args=(s,)) for s in sockets]
    for t in readers:
        t.start()
    time.sleep(0.5)
    status, body = request(ports[-1], "POST", f"/jpp/invoices/{pid}/pay", json.dumps({"raw_tx_hex": paying_tx()}))
    answered = time.monotonic()
    assert status == 200, body
    for t in readers:
        t.join(30)
    for s in sockets:
        s.close()
    delays = sorted(max(0.0, t - answered) * 1000 for t in times)
    assert len(delays) == WATCHERS
    return statistics.median(delays), delays[-1]


def start(db, count, log, extra=()):
    procs, ports = [], []
    for i in range(count):
        port = free_port()
        procs.append(subprocess.Popen([JPPD, "--dev-mode", "--listen", f"127.0.0.1:{port}", "--db", db,
                                       "--metrics-listen", "off", "--threads", "1", "--client-rate", "0",
                                       "--max-client-connections", "0", "--max-client-websockets", "0",
                                       "--log-level", "warn", *extra],
                                      stdout=subprocess.DEVNULL, stderr=open(f"{work}/{log}-{i}.log", "w")))
        ports.append(port)
    for port in ports:
        wait_port(port)
    return procs, ports


def haproxy(ports, port):
    servers = "\n".join(f"    server j{i} 127.0.0.1:{p}" for i, p in enumerate(ports))
    with open(f"{work}/haproxy.cfg", "w") as f:
        f.write(f"""global
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend jpp
    bind 127.0.0.1:{port}
    default_backend jppd
backend jppd
    balance roundrobin
{servers}
""")
    proc = subprocess.Popen(["haproxy", "-f", f"{work}/haproxy.cfg", "-db"], stdout=subprocess.DEVNULL)
    wait_port(port)
    return proc, port


def psql(sql):
    subprocess.run(["psql", "-X", "-q", "-d", POSTGRES, "-c", sql], check=True)


def measure(label, db, count, behind_proxy):
    # Behind the balancer, the instances answer for its address (the Host clients send): their public URL.
    proxy_port = free_port() if behind_proxy else None
    procs, ports = start(db, count, label.replace(" ", "_"),
                         ["--public-url", f"http://127.0.0.1:{proxy_port}"] if behind_proxy else [])
    proxy = None
    try:
        front = ports
        if behind_proxy:
            proxy, port = haproxy(ports, proxy_port)
            front = [port]
        with open(f"{work}/create.lua", "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f"wrk.body = {json.dumps(CREATE)}\n")
        creates = wrk(front[0], "/jpp/invoices/", f"{work}/create.lua")
        pid = json.loads(request(front[0], "POST", "/jpp/invoices/", CREATE)[1])["payment_id"]
        gets = wrk(front[0], f"/jpp/invoices/{pid}/")
        pays = pay_throughput(front)
        median, worst = fanout(ports)  # watchers on every instance, paid through the last
        return label, creates, gets, pays, median, worst
    finally:
        if proxy:
            proxy.terminate()
            proxy.wait()
        for p in procs:
            p.terminate()
            p.wait()


rows = [measure("SQLite, 1 instance", f"{work}/bench.sqlite3", 1, False)]
psql("CREATE DATABASE bench_one")
rows.append(measure("PostgreSQL, 1 instance", POSTGRES.rsplit("/", 1)[0] + "/bench_one", 1, False))
psql("CREATE DATABASE bench_three")
rows.append(measure("PostgreSQL, 3 behind HAProxy", POSTGRES.rsplit("/", 1)[0] + "/bench_three", 3, True))

print(f"\n{SECONDS:.0f} s per wrk run, 32 connections; 300 payments from 16 threads; {WATCHERS} watchers")
print(f"{'setup':32} {'create/s':>10} {'GET/s':>10} {'pay/s':>10} {'fan-out median ms':>18} {'max ms':>8}")
for label, creates, gets, pays, median, worst in rows:
    print(f"{label:32} {creates:10.0f} {gets:10.0f} {pays:10.1f} {median:18.1f} {worst:8.1f}")
