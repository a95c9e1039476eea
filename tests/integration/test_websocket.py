"""WebSocket notifications at /ws/jpp/invoice/{id}/ against a real jppd (dev mode): what real clients (Python
websocket-client, Node ws, the example clients) receive, the protocol's edge cases on a raw socket, and the limits
that keep one client from hurting the others."""
import base64
import json
import os
import pathlib
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest
import websocket

import openapi_check
from conftest import HERE, MERCHANT_WIF, PAYER_WIF, ROOT, Daemon, address_of, sign, wait_for, wait_for_line

MERCHANT = address_of(MERCHANT_WIF)
NODE_MODULES = HERE / "node_modules"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def jppd(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--ws-ping-interval", "1",
                         "--ws-max-message-bytes", "4096", "--ws-send-queue-bytes", "2097152"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def new_invoice(jppd, amount=10_000, **extra):
    return jppd.create_invoice([{"address": MERCHANT, "amount": amount}], memo="websocket test", **extra)["payment_id"]


def payment_tx(amount=10_000):
    """A transaction paying `amount` to the merchant, from a made-up coin (dev mode does not look it up)."""
    return sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": amount + 2_000}],
                [{"address": MERCHANT, "amount": amount}])


def pay(jppd, pid, amount=10_000, memo=None):
    body = {"raw_tx_hex": payment_tx(amount)}
    if memo is not None:
        body["memo"] = memo
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", body)
    assert r.status == 200, r
    return r.json()


def ws_url(jppd, pid, query=""):
    return f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/{query}"


def watch(jppd, pid, query=""):
    return websocket.create_connection(ws_url(jppd, pid, query), timeout=5)


def next_message(ws):
    """The next data message, skipping the server's pings (answered by websocket-client)."""
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            message = json.loads(frame.data)
            openapi_check.check_message("WatcherMessage", message, "a WebSocket message")
            return message
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise AssertionError(f"closed: {frame.data!r}")


def nothing_for(ws, seconds):
    """True when no data message arrives within `seconds` (pings are fine)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            opcode, _ = ws.recv_data_frame(True)
        except websocket.WebSocketTimeoutException:
            break
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return False
    ws.settimeout(5)
    return True


class RawWs:
    """A WebSocket client on a bare socket, for what well-behaved libraries will not send."""

    def __init__(self, jppd, pid, rcvbuf=None, extra_headers=""):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", jppd.port))
        self.sock.settimeout(5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET /ws/jpp/invoice/{pid}/ HTTP/1.1\r\nHost: 127.0.0.1:{jppd.port}\r\n"
                          f"Upgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                          f"{extra_headers}\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, "closed during the handshake"
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])

    @staticmethod
    def frame(opcode, payload=b"", fin=True, masked=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        mask_bit = 0x80 if masked else 0
        if n < 126:
            head += bytes([mask_bit | n])
        elif n <= 0xFFFF:
            head += bytes([mask_bit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
        if not masked:
            return head + payload
        mask = os.urandom(4)
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def send(self, opcode, payload=b"", **kw):
        self.sock.sendall(self.frame(opcode, payload, **kw))

    def _need(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read_frame(self):
        """(opcode, payload), or None at the end of the stream."""
        try:
            if not self._need(2):
                return None
            b0, b1 = self.buffer[0], self.buffer[1]
            assert not b1 & 0x80, "server frames are never masked"
            n, at = b1 & 0x7F, 2
            if n == 126:
                self._need(4)
                n, at = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, at = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if not self._need(at + n):
                return None
            payload = self.buffer[at:at + n]
            self.buffer = self.buffer[at + n:]
            return b0 & 0x0F, payload
        except ConnectionResetError:
            return None

    def read_until_close(self):
        """The close frame's code (None if the stream ended without one), skipping pings and data."""
        while True:
            frame = self.read_frame()
            if frame is None:
                return None
            if frame[0] == 8:
                return struct.unpack("!H", frame[1][:2])[0] if len(frame[1]) >= 2 else 1005

    def ended(self, timeout=5):
        """Whether the server ends the TCP stream within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


# ----------------------------------------------------------------------------------------------------------------
# What a watcher receives


def test_payment_reaches_every_watcher_in_the_seed_shape(jppd):
    pid = new_invoice(jppd)
    watchers = [watch(jppd, pid) for _ in range(3)]
    paid = pay(jppd, pid)
    messages = [next_message(w) for w in watchers]
    m = messages[0]
    assert set(m) == {"type", "invoice", "txid", "paid_at", "memo"}
    assert m["type"] == "payment_received"
    assert m["txid"] == paid["payment"]["txid"] and m["paid_at"] == paid["payment"]["paid_at"]
    assert m["memo"] == "websocket test"  # no payment memo: the invoice's
    assert m["invoice"] == jppd.invoice(pid)  # the full invoice, as GET shows it once paid
    assert all(x == m for x in messages)
    assert all(nothing_for(w, 0.5) for w in watchers)  # exactly once
    for w in watchers:
        w.close()


def test_payment_memo_is_sent(jppd):
    pid = new_invoice(jppd)
    w = watch(jppd, pid)
    pay(jppd, pid, memo="thanks!")
    assert next_message(w)["memo"] == "thanks!"
    w.close()


def test_a_watcher_that_connects_after_the_payment_is_told_at_once(jppd):
    pid = new_invoice(jppd)
    paid = pay(jppd, pid)
    w = watch(jppd, pid)
    m = next_message(w)
    assert m["type"] == "payment_received" and m["txid"] == paid["payment"]["txid"]
    assert nothing_for(w, 0.5)
    w.close()


def test_watchers_of_other_invoices_hear_nothing(jppd):
    pid, other = new_invoice(jppd), new_invoice(jppd)
    bystander = watch(jppd, other)
    w = watch(jppd, pid)
    pay(jppd, pid)
    assert next_message(w)["invoice"]["payment_id"] == pid
    assert nothing_for(bystander, 0.5)
    w.close()
    bystander.close()


def test_client_frames_are_never_relayed(jppd):
    pid = new_invoice(jppd)
    listener = watch(jppd, pid)
    talker = watch(jppd, pid)
    talker.send('{"type":"payment_received","txid":"forged"}')
    talker.send_binary(b"\x00\x01binary")
    talker.send_frame(websocket.ABNF.create_frame("part one ", websocket.ABNF.OPCODE_TEXT, fin=0))
    talker.send_frame(websocket.ABNF.create_frame("part two", websocket.ABNF.OPCODE_CONT, fin=1))
    assert nothing_for(listener, 0.7)
    paid = pay(jppd, pid)
    assert next_message(listener)["txid"] == paid["payment"]["txid"]
    assert next_message(talker)["txid"] == paid["payment"]["txid"]  # the talker is still served
    listener.close()
    talker.close()


def test_ping_is_answered_and_the_server_pings(jppd):
    pid = new_invoice(jppd)
    w = watch(jppd, pid)
    w.ping("are you there")
    opcode, frame = w.recv_data_frame(True)
    while opcode == websocket.ABNF.OPCODE_PING:  # the server's own ping may come first
        opcode, frame = w.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_PONG and frame.data == b"are you there"
    # With --ws-ping-interval 1, the server pings within about a second.
    w.settimeout(3)
    opcode, _ = w.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_PING
    w.close()


def test_a_watcher_that_answers_pings_stays_and_a_silent_one_is_dropped(jppd):
    pid = new_invoice(jppd)
    alive = watch(jppd, pid)
    received = []
    # websocket-client answers pings while it reads: this reader keeps the watcher alive.
    reader = threading.Thread(target=lambda: received.append(next_message(alive)), daemon=True)
    reader.start()
    silent = RawWs(jppd, pid)  # reads but never answers the pings
    assert silent.status == 101
    assert silent.ended(timeout=6), "a peer that never answers pings must be dropped"
    paid = pay(jppd, pid)
    reader.join(5)
    assert received and received[0]["txid"] == paid["payment"]["txid"]
    alive.close()


def test_close_handshake_echoes_the_code(jppd):
    raw = RawWs(jppd, new_invoice(jppd))
    raw.send(8, struct.pack("!H", 1000) + b"bye")
    assert raw.read_until_close() == 1000
    assert raw.ended()
    raw.close()
    raw = RawWs(jppd, new_invoice(jppd))
    raw.send(8)  # no code at all: the answer carries none either
    assert raw.read_until_close() == 1005
    raw.close()


@pytest.mark.parametrize("frames, code", [
    ([RawWs.frame(1, b"x" * 5000)], 1009),                                  # over --ws-max-message-bytes
    ([RawWs.frame(1, b"x" * 3000, fin=False), RawWs.frame(0, b"x" * 3000)], 1009),  # too big in fragments
    ([RawWs.frame(1, b"caf\xc3")], 1007),                                   # not UTF-8
    ([RawWs.frame(1, b"hi", masked=False)], 1002),                          # unmasked
    ([RawWs.frame(0, b"x")], 1002),                                         # continuation of nothing
    ([RawWs.frame(9, b"p" * 126)], 1002),                                   # control frame too long
    ([RawWs.frame(0x0B)], 1002),                                            # reserved opcode
    ([bytes([0xC1, 0x81]) + b"\x00\x00\x00\x00x"], 1002),                   # RSV1 set
    ([RawWs.frame(8, b"\x03\xed")], 1002),                                  # close code 1005 sent
])
def test_protocol_violations_close_with_the_right_code(jppd, frames, code):
    pid = new_invoice(jppd)
    bystander = watch(jppd, pid)
    raw = RawWs(jppd, pid)
    for f in frames:
        raw.sock.sendall(f)
    assert raw.read_until_close() == code
    assert raw.ended()
    raw.close()
    # Nothing of it reached the other watcher, which is still served.
    assert nothing_for(bystander, 0.3)
    pay(jppd, pid)
    assert next_message(bystander)["type"] == "payment_received"
    bystander.close()


def test_a_flooding_client_that_never_reads_is_dropped_and_others_are_not_delayed(jppd):
    pid = new_invoice(jppd)
    others = [watch(jppd, pid) for _ in range(5)]
    flooder = RawWs(jppd, pid, rcvbuf=4096)
    stop = threading.Event()
    sent = [0]

    def flood():
        ping = RawWs.frame(9, b"p" * 125)
        try:
            while not stop.is_set():
                flooder.sock.sendall(ping * 64)
                sent[0] += 64
        except OSError:
            pass  # dropped by the server: what the test waits for

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    pay(jppd, pid)
    for w in others:
        assert next_message(w)["type"] == "payment_received"
    took = time.monotonic() - started
    assert took < 1.0, f"the others waited {took:.2f}s behind a client that does not read"
    wait_for(lambda: "not reading" in jppd.log_text() or "stopped progressing" in jppd.log_text(), 10,
             "the flooder to be dropped")
    stop.set()
    thread.join(5)
    flooder.close()
    for w in others:
        w.close()


def test_data_sent_with_the_handshake_is_read(jppd):
    """A client may send its first frames in the same packet as the upgrade request."""
    pid = new_invoice(jppd)
    sock = socket.create_connection(("127.0.0.1", jppd.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET /ws/jpp/invoice/{pid}/ HTTP/1.1\r\nHost: 127.0.0.1:{jppd.port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode() + RawWs.frame(9, b"early"))
    data = b""
    while b"early" not in data:
        chunk = sock.recv(4096)
        assert chunk
        data += chunk
    assert data.startswith(b"HTTP/1.1 101 ")
    assert b"\x8a\x05early" in data  # the pong
    sock.close()


def test_invoice_expiry_is_announced_to_watchers_and_to_late_ones(jppd):
    pid = new_invoice(jppd, expires_in=1)
    w = watch(jppd, pid, "?events=all")
    w.settimeout(8)
    m = next_message(w)
    assert m["type"] == "invoice_expired" and m["invoice"]["payment_id"] == pid and m["invoice"]["status"] == "expired"
    assert m["expires"] == m["invoice"]["expires"]
    late = watch(jppd, pid, "?events=all")
    assert next_message(late)["type"] == "invoice_expired"
    w.close()
    late.close()


def pong_comes_first(ws, payload):
    """Sends a ping and reads until its pong: True when no data message came before it (the server's own pings
    are skipped). What a watcher was sent before the ping is on the wire before the pong."""
    ws.ping(payload)
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_PONG and frame.data == payload:
            return True
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return False


@pytest.fixture
def quiet_jppd(tmp_path):
    """A jppd of its own (its own database, so that only its sweeper announces expiries) with the default ping
    interval: watchers that do not read for a few seconds are not dropped."""
    d = Daemon(tmp_path, ["--dev-mode", "--network", "regtest"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def test_a_default_watcher_is_sent_payments_only_expiry_is_opt_in(quiet_jppd):
    """Watchtower's service sends payment_received and nothing else, and the seed's clients read every message as
    a payment: invoice_expired goes only to watchers that ask with ?events=all."""
    jppd = quiet_jppd
    pid = new_invoice(jppd, expires_in=1)
    default = watch(jppd, pid)
    explicit = watch(jppd, pid, "?events=payment_received")
    every = watch(jppd, pid, "?events=all")
    every.settimeout(8)
    assert next_message(every)["type"] == "invoice_expired"  # the sweep has announced it
    # The announcement reached every watcher's queue at once: the others' pongs come with nothing before them.
    assert pong_comes_first(default, b"after the expiry")
    assert pong_comes_first(explicit, b"after the expiry")
    assert nothing_for(default, 0.5)
    # A default watcher that connects after the expiry is not told of it either; an opted-in one is.
    late = watch(jppd, pid)
    assert pong_comes_first(late, b"late")
    assert next_message(watch(jppd, pid, "?events=all"))["type"] == "invoice_expired"
    for w in (default, explicit, every, late):
        w.close()

    # Payments still reach every kind of watcher.
    pid = new_invoice(jppd)
    watchers = [watch(jppd, pid), watch(jppd, pid, "?events=payment_received"), watch(jppd, pid, "?events=all")]
    paid = pay(jppd, pid)
    for w in watchers:
        assert next_message(w)["txid"] == paid["payment"]["txid"]
        w.close()


@pytest.mark.parametrize("query", ["?events=bogus", "?events=", "?foo=1", "?events=all&events=all",
                                   "?events=all&x=1", "?events=ALL", "?events=all;", "?events=invoice_expired"])
def test_the_watch_query_is_parsed_strictly(jppd, query):
    pid = new_invoice(jppd)
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        watch(jppd, pid, query)
    assert e.value.status_code == 400
    r = jppd.request("GET", f"/ws/jpp/invoice/{pid}/{query}",
                     headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert r.status == 400 and r.json()["code"] == "invalid_query", r
    for accepted in ("", "?", "?events=all", "?events=payment_received"):
        watch(jppd, pid, accepted).close()


# ----------------------------------------------------------------------------------------------------------------
# The handshake


def test_unknown_and_malformed_invoices_are_refused(jppd):
    for path, status in ((f"/ws/jpp/invoice/{'ab' * 16}/", 404), ("/ws/jpp/invoice/nothex/", 404)):
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            websocket.create_connection(f"ws://127.0.0.1:{jppd.port}{path}", timeout=5)
        assert e.value.status_code == status


def test_handshake_errors(jppd):
    pid = new_invoice(jppd)
    path = f"/ws/jpp/invoice/{pid}/"
    r = jppd.request("GET", path)
    assert r.status == 426 and r.headers["upgrade"] == "websocket" and r.json()["code"] == "websocket_upgrade_required"
    base = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    r = jppd.request("GET", path, headers={**base, "Sec-WebSocket-Version": "8"})
    assert r.status == 426 and r.headers["sec-websocket-version"] == "13"
    r = jppd.request("GET", path, headers={**base, "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "abc"})
    assert r.status == 400 and r.json()["code"] == "bad_websocket_handshake"
    r = jppd.request("POST", path, {})
    assert r.status == 405
    # A dashed id and no trailing slash are accepted like everywhere else.
    dashed = f"{pid[:8]}-{pid[8:12]}-{pid[12:16]}-{pid[16:20]}-{pid[20:]}"
    websocket.create_connection(f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{dashed}", timeout=5).close()


def test_watcher_limit_and_shutdown(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--max-websockets", "2"]).start()
    try:
        pid = new_invoice(d)
        a, b = watch(d, pid), watch(d, pid)
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            watch(d, pid)
        assert e.value.status_code == 503
        b.close()
        # The slot frees once the server has finished b's close handshake; until then a new watcher gets 503.
        watchers = []

        def slot_taken():
            raw = RawWs(d, pid)
            if raw.status == 101:
                watchers.append(raw)
                return True
            assert raw.status == 503
            raw.close()
            return False

        wait_for(slot_taken, 10, "a slot to free up")
        raw = watchers[0]
        # SIGTERM: watchers are told the server is going away (1001), and jppd exits cleanly.
        d.proc.send_signal(signal.SIGTERM)
        assert raw.read_until_close() == 1001
        raw.send(8, struct.pack("!H", 1001))
        a.settimeout(5)
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            while True:
                a.recv()
    finally:
        assert d.stop() == 0, d.log_text()


# ----------------------------------------------------------------------------------------------------------------
# The example clients and the Node ws client


@pytest.mark.parametrize("command", [
    ["/usr/bin/python3", str(EXAMPLES / "websocket_client_example.py")],
    ["node", str(EXAMPLES / "websocket_client_example.js")],
], ids=["python", "node"])
def test_example_client_prints_the_payment(jppd, command):
    pid = new_invoice(jppd)
    proc = subprocess.Popen([*command, pid, f"127.0.0.1:{jppd.port}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    try:
        wait_for_line(proc, "waiting for the payment")
        paid = pay(jppd, pid, memo="paid from the test")
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0, out
        assert "Payment received!" in out and paid["payment"]["txid"] in out and "paid from the test" in out
    finally:
        proc.kill()


@pytest.mark.parametrize("command", [
    ["/usr/bin/python3", str(EXAMPLES / "websocket_client_example.py")],
    ["node", str(EXAMPLES / "websocket_client_example.js")],
], ids=["python", "node"])
def test_example_client_reports_an_expiry_as_an_expiry(jppd, command):
    """The examples opt in to every event (?events=all), and an expiry is printed as one, never as a payment."""
    pid = new_invoice(jppd, expires_in=2)
    proc = subprocess.Popen([*command, pid, f"127.0.0.1:{jppd.port}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    try:
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 3, out
        assert "expired unpaid" in out and "Payment received" not in out and "Traceback" not in out, out
    finally:
        proc.kill()
    # Connecting after the expiry: told at once.
    p = subprocess.run([*command, pid, f"127.0.0.1:{jppd.port}"], capture_output=True, text=True, timeout=15,
                       env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert p.returncode == 3 and "expired unpaid" in p.stdout, p.stdout + p.stderr


@pytest.mark.parametrize("command", [
    ["/usr/bin/python3", str(EXAMPLES / "websocket_client_example.py")],
    ["node", str(EXAMPLES / "websocket_client_example.js")],
], ids=["python", "node"])
def test_example_client_refuses_an_unknown_invoice(jppd, command):
    p = subprocess.run([*command, "ab" * 16, f"127.0.0.1:{jppd.port}"], capture_output=True, text=True, timeout=15,
                       env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert p.returncode == 2 and "No such invoice" in p.stderr


def test_node_ws_client(jppd):
    pid = new_invoice(jppd)
    pending = new_invoice(jppd)
    paid_before = new_invoice(jppd)
    before = pay(jppd, paid_before)
    raw = payment_tx()
    p = subprocess.run(["node", str(HERE / "ws_node_client.js"), f"127.0.0.1:{jppd.port}", pid, raw, pending,
                        paid_before], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(p.stdout)
    txid = report["pay"]["payment"]["txid"]
    assert report["listener"] == [txid] and report["talker"] == [txid]  # once each, nothing relayed
    assert report["pong"] == "node ping"
    assert report["late"] == [before["payment"]["txid"]]
    assert report["pending"] == []
