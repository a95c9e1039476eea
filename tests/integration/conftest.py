"""Fixtures for driving the real jppd as a subprocess, and a real BCH regtest node (bcash from npm).

Environment (set by CTest): JPPD_BIN (the daemon), JPP_TEST_WALLET (signer tool). The node comes from
node_modules/ here (npm ci, which the test script runs first); without it those tests fail, they are not skipped.
"""
import http.client
import json
import os
import pathlib
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

import openapi_check

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
JPPD = os.environ.get("JPPD_BIN", str(ROOT / "build" / "jppd" / "jppd"))
WALLET = os.environ.get("JPP_TEST_WALLET", str(ROOT / "build" / "tests" / "jpp_test_wallet"))
BCASH = HERE / "node_modules" / "bcash" / "bin" / "node"

# Two fixed test keys (WIF, compressed, regtest/testnet prefix 0xef): the payer and the merchant.
PAYER_WIF = "cQZ74u4uP1Q9reQZdz6QqbWzf8wnqjqwGr5xM6pKWnq19ymtqMqv"  # sha256("jppd payer")
MERCHANT_WIF = "cR7uTPfGLtu38uCmgewJu9vb8gSWx3E337AfK4Qr4HLbN9Ns9RNn"  # sha256("jppd merchant")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_line(proc, text, timeout=15):
    """Reads the process's output (a text pipe) until a line holds `text`; the lines read so far."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"'{text}' not printed; got: {''.join(lines)}")


def wallet(*args):
    return subprocess.run([WALLET, *args], check=True, capture_output=True, text=True).stdout.strip()


def address_of(wif, network="regtest", token_aware=False):
    return wallet("address", wif, network, *(["token"] if token_aware else []))


def sign(wif, coins, outputs, network="regtest"):
    return wallet("sign", wif, network, json.dumps(coins), json.dumps(outputs))


FEE = 1000  # sat, well above 1 sat/byte for a one-input transaction


def pay_tx(coin, outputs):
    """A transaction signed by the payer, spending `coin` to `outputs` with the rest (less FEE) back to the payer."""
    change = coin["value"] - sum(o["amount"] for o in outputs) - FEE
    return sign(PAYER_WIF, [coin], outputs + [{"address": address_of(PAYER_WIF), "amount": change}])


def txid_of(raw_hex):
    import hashlib
    return hashlib.sha256(hashlib.sha256(bytes.fromhex(raw_hex)).digest()).digest()[::-1].hex()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Daemon:
    """jppd as a subprocess on a free loopback port, with a database of its own; its log goes to a file the tests
    can read. start() again after a stop (or a kill) runs it on the same port and database."""

    tls = None  # set per instance (below); here for helpers made without __init__ (a proxy's address)

    def __init__(self, workdir, args, env=None, db=None, tls=None):
        self.port = free_port()
        self.workdir = pathlib.Path(workdir)
        self.log_path = self.workdir / f"jppd-{self.port}.log"
        # A database per daemon (SQLite serves one process), unless `db` names a shared one (a PostgreSQL URL).
        self.db = db or self.workdir / f"jppd-{self.port}.sqlite3"
        # Metrics on a port of the kernel's choice, unless the test names one: several daemons run at once.
        metrics = [] if any(a.startswith("--metrics-listen") for a in args) else ["--metrics-listen", "127.0.0.1:0"]
        self.args = ["--listen", f"127.0.0.1:{self.port}", "--db", str(self.db), *metrics, *args]
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        # A client ssl.SSLContext trusting jppd's certificate, when jppd serves TLS (--tls-cert): the helpers below
        # then speak HTTPS.
        self.tls = tls

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def connection(self, timeout=30):
        """A new http.client connection to jppd (HTTPS when it serves TLS), for requests on one connection."""
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([JPPD, *self.args], stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            wait_for(self._accepting, 15, "jppd to listen")
        return self

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"jppd exited with {self.proc.returncode}:\n{self.log_text()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                stacks = ""
                if shutil.which("gdb"):
                    stacks = subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt"],
                                            capture_output=True, text=True, timeout=60).stdout
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"jppd did not stop on {sig}; its log:\n{self.log_text()}\n{stacks}")
        self.log.close()
        return self.proc.returncode

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = self.connection(timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            reply = Reply(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
        finally:
            conn.close()
        # Every answer is held to the OpenAPI document (what it does not describe passes: openapi_check.py).
        openapi_check.check(method, path, headers, reply)
        return reply

    def create_invoice(self, outputs, **extra):
        r = self.request("POST", "/jpp/invoices/", {"outputs": outputs, **extra})
        assert r.status == 201, r
        return r.json()

    def invoice(self, invoice_id):
        r = self.request("GET", f"/jpp/invoices/{invoice_id}/")
        assert r.status == 200, r
        return r.json()

    def raw(self, data, read_timeout=5.0, responses=1):
        """Sends raw bytes on a fresh connection and returns what is read until the server closes it, `responses`
        complete responses have arrived, or read_timeout passes."""
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(data)
            return read_responses(s, responses, read_timeout)


def read_responses(s, count=1, timeout=5):
    """What arrives on `s` until `count` complete responses are in, the peer closes, or `timeout` passes."""
    s.settimeout(timeout)
    data = b""
    try:
        while not _complete_responses(data, count):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def _complete_responses(data, count):
    """Whether `data` holds `count` complete HTTP responses framed by Content-Length."""
    for _ in range(count):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            return False
        if head.startswith(b"HTTP/1.1 1"):  # an interim response: not counted
            data = rest
            continue
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(rest) < length:
            return False
        data = rest[length:]
    return True


class Node:
    """A bcash regtest node in memory, with JSON-RPC on a free loopback port."""

    API_KEY = "jppd-test-key"

    def __init__(self, workdir):
        self.workdir = pathlib.Path(workdir)
        self.rpc_port = free_port()
        self.proc = None
        self.log_path = self.workdir / f"bcash-{self.rpc_port}.log"

    @property
    def rpc_url(self):
        return f"http://127.0.0.1:{self.rpc_port}/"

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["node", str(BCASH), "--network=regtest", "--memory=true", "--no-wallet", "--workers=false",
             "--listen=false", "--http-host=127.0.0.1", f"--http-port={self.rpc_port}",
             f"--port={free_port()}", f"--api-key={self.API_KEY}", f"--log-level={os.environ.get('BCASH_LOG_LEVEL', 'warning')}",
             f"--prefix={self.workdir / ('bcash-' + str(self.rpc_port))}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._answers, 60, "bcash to answer RPC")
        return self

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("bcash exited:\n" + self.log_path.read_text(errors="replace"))
        try:
            self.rpc("getblockchaininfo")
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def rpc(self, method, *params):
        conn = http.client.HTTPConnection("127.0.0.1", self.rpc_port, timeout=30)
        try:
            import base64
            auth = base64.b64encode(f"x:{self.API_KEY}".encode()).decode()
            conn.request("POST", "/", json.dumps({"method": method, "params": list(params), "id": 1}),
                         {"Content-Type": "application/json", "Authorization": "Basic " + auth})
            reply = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        if reply.get("error"):
            raise RpcError(reply["error"])
        return reply["result"]


class NodeProxy:
    """A TCP proxy (loopback) in front of the node's RPC port that can refuse connections (the node is down) or hold each
    answer back for a while (the node is slow)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.mode = "pass"
        self.delay = 0.0
        self.accepted = 0  # connections taken
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "down":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()  # a reset, as from a port nobody listens on
                continue
            threading.Thread(target=self._relay, args=(client, self.delay), daemon=True).start()

    def _relay(self, client, delay):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        with client, upstream:
            sockets = [client, upstream]
            idle = 0.0
            while idle < 30 and self.mode != "down":  # going down cuts the connections already relayed too
                ready, _, _ = select.select(sockets, [], [], 0.1)
                idle = 0.0 if ready else idle + 0.1
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is upstream and delay:
                        time.sleep(delay)
                    (upstream if s is client else client).sendall(data)
            if self.mode == "down":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self):
        self.stopped = True
        self.listener.close()


class RpcError(Exception):
    pass


class Funds:
    """Mature coinbase coins of the payer's key, handed out one at a time."""

    def __init__(self, node, count=20):
        self.node = node
        self.address = address_of(PAYER_WIF)
        node.rpc("generatetoaddress", 100 + count, self.address)
        self.heights = list(range(1, count + 1))

    def coin(self):
        height = self.heights.pop(0)
        block = self.node.rpc("getblock", self.node.rpc("getblockhash", height))
        txid = block["tx"][0] if isinstance(block["tx"][0], str) else block["tx"][0]["txid"]
        out = self.node.rpc("gettxout", txid, 0, True)
        return {"txid": txid, "vout": 0, "value": round(out["value"] * 100_000_000)}


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="jppd-it-")
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


def require_node():
    assert BCASH.exists(), "bcash is not installed: run npm ci --prefix tests/integration"
    assert shutil.which("node"), "node (Node.js) is not installed"


@pytest.fixture(scope="module")
def node(workdir):
    """A fresh regtest node for each test module that asks for one."""
    require_node()
    n = Node(workdir).start()
    yield n
    n.stop()


POSTGRES_SERVER = HERE.parent / "postgres" / "server.sh"
postgres_folders = {}  # URL -> the folder its server runs in (for tests that restart it)


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server on loopback (tests/postgres/server.sh), for the module that asks for one."""
    if not shutil.which("psql"):
        pytest.fail("PostgreSQL is not installed (scripts/deps.sh installs it)")
    # Outside pytest's private temporary folders: as root, the server runs as another user, who must reach it.
    folder = tempfile.mkdtemp(prefix="jpp-pg-")
    os.chmod(folder, 0o755)
    try:
        url = subprocess.run([str(POSTGRES_SERVER), "start", folder], check=True, capture_output=True, text=True,
                             timeout=300).stdout.strip()
        postgres_folders[url] = folder
        yield url
    finally:
        subprocess.run([str(POSTGRES_SERVER), "stop", folder], check=True, timeout=300)
        shutil.rmtree(folder, ignore_errors=True)


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-A", "-t", "-d", url, "-c", sql], check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


def node_args(rpc_url, timeout=5, open_creation=True):
    """jppd's flags for a regtest node at `rpc_url`; the payment tests create invoices without keys (open
    creation), test_merchants.py the other way."""
    return ["--network", "regtest", "--node-rpc", rpc_url, "--node-rpc-user", "x", "--node-rpc-password",
            Node.API_KEY, "--node-rpc-timeout", str(timeout), *(["--open-invoice-creation"] if open_creation else [])]


class WebhookReceiver:
    """A real HTTP server on loopback that receives webhook deliveries. `script[path]` is the list of what to do
    for each request to that path, in turn (the last one repeats): a status code, or ("sleep", seconds, status).
    Every request is recorded as (path, headers, body bytes, time received)."""

    def __init__(self):
        import http.server
        receiver = self
        self.script = {}
        self.received = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body, time.monotonic()))
                    steps = receiver.script.get(self.path, [200])
                    step = steps.pop(0) if len(steps) > 1 else steps[0]
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = step[2]
                try:
                    self.send_response(step)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path=None):
        with self.lock:
            return [r for r in self.received if path is None or r[0] == path]

    def events(self, path=None):
        """The JSON bodies received (at `path`), in order, each held to the OpenAPI document's WebhookEvent."""
        bodies = [json.loads(r[2]) for r in self.requests(path)]
        for body in bodies:
            openapi_check.check_message("WebhookEvent", body, f"a webhook delivery to {path or 'the receiver'}")
        return bodies

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def verify_signature(secret, header, body, tolerance=300):
    """The receiver's check, written independently of jppd: HMAC-SHA256(secret, "<t>.<body>") against v1, and t
    within the tolerance."""
    import hashlib
    import hmac
    items = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), items["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, items["v1"]) and abs(time.time() - int(items["t"])) <= tolerance
