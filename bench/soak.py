"""Steady mixed traffic against a running jppd (development mode), sampling its resident memory and open
descriptors: creates, reads (JSON, the page, each wallet protocol), WebSocket watchers, payments.
usage: python3 bench/soak.py PORT PID SECONDS [RATE]      (RATE: invoices per second, default 40)"""
import hashlib
import http.client
import json
import os
import sys
import threading
import time

import websocket

port, pid, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 40.0

# The merchant: a made-up key hash, as a legacy regtest address (jppd accepts both forms).
PKH = bytes(range(1, 21))
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = ALPHABET[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


MERCHANT = base58check(b"\x6f" + PKH)
SCRIPT = b"\x76\xa9\x14" + PKH + b"\x88\xac"


def payment(amount):
    """An unsigned transaction paying the merchant from a made-up coin: development mode records it without
    looking the coin up, which is all a soak needs."""
    out = amount.to_bytes(8, "little") + bytes([len(SCRIPT)]) + SCRIPT
    return (b"\x02\0\0\0" + b"\x01" + os.urandom(32) + b"\0\0\0\0" + b"\x00" + b"\xff\xff\xff\xff" + b"\x01" + out +
            b"\0\0\0\0").hex()


counts = {"requests": 0, "payments": 0, "notified": 0, "errors": 0}
lock = threading.Lock()
stop = threading.Event()


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    with lock:
        counts["requests"] += 1
        if r.status >= 400:
            counts["errors"] += 1
    return r.status, data


def worker(share):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    interval = 1.0 / share
    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        n += 1
        amount = 10_000 + n
        _, body = request(conn, "POST", "/jpp/invoices/", json.dumps(
            {"outputs": [{"address": MERCHANT, "amount": amount}], "memo": "soak"}), {"Content-Type": "application/json"})
        pid_ = json.loads(body)["payment_id"]
        request(conn, "GET", f"/jpp/invoices/{pid_}/")
        request(conn, "GET", f"/jpp/i/bitpay/{pid_}/", headers={"Accept": "application/payment-options"})
        request(conn, "POST", f"/jpp/i/bitpay/{pid_}/", json.dumps({"chain": "BCH", "currency": "BCH"}),
                {"Content-Type": "application/payment-request"})
        if n % 10 == 0:
            request(conn, "GET", f"/jpp/i/{pid_}/", headers={"Accept": "application/bitcoincash-paymentrequest"})
            request(conn, "GET", f"/jpp/i/bitpay/{pid_}/", headers={"Accept": "text/html"})
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws/jpp/invoice/{pid_}/", timeout=30)
        status, _ = request(conn, "POST", f"/jpp/invoices/{pid_}/pay", json.dumps({"raw_tx_hex": payment(amount)}),
                            {"Content-Type": "application/json"})
        if status == 200:
            with lock:
                counts["payments"] += 1
            if json.loads(ws.recv())["type"] == "payment_received":
                with lock:
                    counts["notified"] += 1
        ws.close()
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


def sample():
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


threads = [threading.Thread(target=worker, args=(rate / 4,)) for _ in range(4)]
for t in threads:
    t.start()
start = time.monotonic()
samples = []
print(f"{'time':>6} {'RSS KiB':>9} {'fds':>5} {'requests':>9} {'payments':>9} {'notified':>9} {'errors':>7}")
while time.monotonic() - start < seconds:
    time.sleep(min(15.0, max(0.1, seconds - (time.monotonic() - start))))
    rss, fds = sample()
    samples.append((time.monotonic() - start, rss, fds))
    with lock:
        print(f"{samples[-1][0]:>5.0f}s {rss:>9} {fds:>5} {counts['requests']:>9} {counts['payments']:>9} "
              f"{counts['notified']:>9} {counts['errors']:>7}", flush=True)
stop.set()
for t in threads:
    t.join()

# Growth after warm-up: the first fifth of the run against the last fifth.
fifth = max(1, len(samples) // 5)
early = samples[fifth:2 * fifth] or samples[:1]
late = samples[-fifth:]
rss_early = sum(s[1] for s in early) / len(early)
rss_late = sum(s[1] for s in late) / len(late)
print(f"{counts['payments']} payments ({counts['payments'] / seconds:.1f}/s), {counts['requests']} requests, "
      f"{counts['notified']} watchers told, {counts['errors']} error responses")
print(f"resident memory after warm-up {rss_early:.0f} KiB, at the end {rss_late:.0f} KiB "
      f"({rss_late - rss_early:+.0f} KiB); descriptors {early[0][2]} -> {late[-1][2]}")
sys.exit(1 if counts["errors"] or counts["notified"] != counts["payments"] else 0)
