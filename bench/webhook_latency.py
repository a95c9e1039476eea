"""Webhook delivery latency: from an invoice's creation (its answer) to the receiver getting its invoice_created
delivery, for invoices created at a steady rate against one endpoint, with a real HTTP receiver on loopback.
usage: /usr/bin/python3 bench/webhook_latency.py JPPD [COUNT] [PER_SECOND]"""
import http.client
import http.server
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

jppd = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 50.0
work = tempfile.mkdtemp(prefix="jpp-webhook-bench-")
db = os.path.join(work, "bench.sqlite3")
arrivals = {}


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        arrivals[event["invoice"]["payment_id"]] = time.monotonic()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
admin = lambda *args: subprocess.run([jppd, *args, "--db", db], check=True, capture_output=True, text=True).stdout
admin("merchant", "add", "shop")
key = re.search(r"^key:\s+(\S+)$", admin("key", "create", "--merchant", "shop", "--permissions", "invoices:create"),
                re.M).group(1)
admin("webhook", "add", "--merchant", "shop", "--url", f"http://127.0.0.1:{server.server_address[1]}/hook",
      "--events", "invoice_created", "--webhook-allow-private")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
daemon = subprocess.Popen([jppd, "--dev-mode", "--listen", f"127.0.0.1:{port}", "--db", db, "--webhook-allow-private",
                           "--log-level", "warn"], stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    body = json.dumps({"outputs": [{"address": "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
                                    "amount": 10000}]})
    created = {}
    started = time.monotonic()
    for i in range(count):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/jpp/invoices/", body, {"Content-Type": "application/json",
                                                      "Authorization": "Bearer " + key})
        pid = json.loads(conn.getresponse().read())["payment_id"]
        created[pid] = time.monotonic()
        conn.close()
    deadline = time.monotonic() + 30
    while len(arrivals) < count and time.monotonic() < deadline:
        time.sleep(0.05)
finally:
    daemon.terminate()
    daemon.wait()
delays = sorted((arrivals[pid] - t) * 1000 for pid, t in created.items() if pid in arrivals)
print(f"webhook latency: {len(delays)}/{count} delivered at {rate:.0f} invoices/s; creation answered -> receiver: "
      f"median {statistics.median(delays):.1f} ms, p99 {delays[max(0, int(len(delays) * 0.99) - 1)]:.1f} ms, "
      f"max {delays[-1]:.1f} ms")
