"""TLS on jppd's listening port (--tls-cert, --tls-key) with real clients: Python's ssl and http.client, OpenSSL's
s_client, the WebSocket example clients (Python and Node) over wss://, headless Chromium on the invoice page,
bitcore-wallet-client paying through the JSON Payment Protocol with a regtest node, and the certificate reloaded
on SIGHUP while connections are open. The certificates are made here with the openssl command line, signed by a
test CA that the clients are told to trust."""
import base64
import json
import os
import pathlib
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings

import pytest
import websocket

from browser import Browser, artifacts_dir
from conftest import (HERE, JPPD, MERCHANT_WIF, PAYER_WIF, ROOT, Daemon, Funds, address_of, node_args, pay_tx,
                      sign, txid_of, wait_for, wait_for_line)

MERCHANT = address_of(MERCHANT_WIF)
NODE_MODULES = HERE / "node_modules"
EXAMPLES = ROOT / "examples"
# bitpay_wallet.js checks signed answers against this key (the one test_wallet_protocols.py uses).
SIGNING_KEY = "5d649f89db31b5ef21330898a7a70a523527a8cb2d542508ea0c065b640da7df"
IDENTITY = "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR"
PUBLIC_KEY = "02c6467b7e621144105ed3e4835b0b4ab7e35266a2ae1c4f8baa19e9ca93452997"


# ----------------------------------------------------------------------------------------------------------------
# Certificates


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"openssl {' '.join(args)}: {r.stderr}"
    return r.stdout


class Pki:
    """A test CA and two server certificates it signed for 127.0.0.1 and localhost: `one` (serial 0x1001) and
    `two` (serial 0x1002), each a (certificate, key) pair of paths, plus `other_key`, a key of neither."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(exist_ok=True)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                "/CN=jppd test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        (self.dir / "server.ext").write_text(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nsubjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n")
        self.ca = self.dir / "ca.pem"
        self.one = self._server("one", 0x1001)
        self.two = self._server("two", 0x1002)
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "other.key",
                cwd=self.dir)
        self.other_key = self.dir / "other.key"

    def _server(self, name, serial):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=jppd test server {name}",
                cwd=self.dir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
                str(serial), "-days", "2", "-extfile", "server.ext", "-out", f"{name}.pem", cwd=self.dir)
        return self.dir / f"{name}.pem", self.dir / f"{name}.key"

    def client_context(self, **versions):
        """What a client that trusts the test CA uses; `minimum_version`/`maximum_version` may force a version."""
        context = ssl.create_default_context(cafile=str(self.ca))
        for name, value in versions.items():
            setattr(context, name, value)
        return context

    @staticmethod
    def spki_sha256(cert):
        """Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (Chromium's SPKI pins), by openssl."""
        pubkey = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], check=True,
                                capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey, check=True,
                             capture_output=True).stdout
        digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True,
                                capture_output=True).stdout
        return base64.b64encode(digest).decode()


def tls_args(cert, key):
    return ["--tls-cert", str(cert), "--tls-key", str(key)]


def peer_serial(sock):
    """The serial number (hex, as Python's ssl reports it) of the certificate a TLS socket's server presented."""
    return sock.getpeercert()["serialNumber"]


def handshake(pki, port, context=None, source=None, **versions):
    """A TLS connection to jppd (from the address `source`, if given), handshake done; the caller closes it."""
    context = context or pki.client_context(**versions)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=source)
    try:
        return context.wrap_socket(raw, server_hostname="127.0.0.1")
    except BaseException:
        raw.close()
        raise


def closed_after(sock, timeout):
    """Seconds until the peer ends the stream (EOF or a reset), reading and dropping what arrives; None if it is
    still open after `timeout`."""
    start = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            sock.settimeout(max(0.01, timeout - (time.monotonic() - start)))
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return None
    return time.monotonic() - start


def client_hello():
    """The first flight of a real TLS client (Python's ssl): a ClientHello record."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 0x16 and len(hello) > 100  # a handshake record
    return hello


def new_invoice(jppd, amount=10_000, **extra):
    return jppd.create_invoice([{"address": MERCHANT, "amount": amount}], memo="tls test", **extra)["payment_id"]


def pay(jppd, pid, amount=10_000):
    """Pays in dev mode, with a transaction from a made-up coin (dev mode does not look it up)."""
    raw = sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": amount + 2_000}],
               [{"address": MERCHANT, "amount": amount}])
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    return r.json()["payment"]["txid"]


def wss_url(jppd, pid):
    return f"wss://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/"


def watch(jppd, pki, pid):
    return websocket.create_connection(wss_url(jppd, pid), timeout=10, sslopt={"ca_certs": str(pki.ca)})


def next_message(ws):
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return json.loads(frame.data)
        assert opcode != websocket.ABNF.OPCODE_CLOSE, f"closed: {frame.data!r}"


# ----------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def pki(workdir):
    return Pki(workdir / "tls-pki")


@pytest.fixture(scope="module")
def jppd(workdir, pki):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", *tls_args(*pki.one)], tls=pki.client_context())
    d.start()
    yield d
    assert d.stop() == 0, d.log_text()


# ----------------------------------------------------------------------------------------------------------------
# HTTPS with Python's ssl


def test_https_serves_the_api_and_payment_urls_are_https(jppd):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 25_000}], memo="over https")
    pid = invoice["payment_id"]
    base = f"https://127.0.0.1:{jppd.port}"
    assert invoice["payment_url"].startswith(base + "/")
    assert invoice["payment_uri"].split("r=", 1)[1].startswith(base + "/")
    r = jppd.request("GET", f"/jpp/invoices/{pid}/")
    assert r.status == 200, r
    assert r.json() == invoice
    assert r.headers["x-request-id"]


def test_alpn_http11_and_both_tls_versions(jppd, pki):
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        context = pki.client_context(minimum_version=version, maximum_version=version)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with handshake(pki, jppd.port, context) as tls:
            assert tls.version() == {ssl.TLSVersion.TLSv1_3: "TLSv1.3", ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[version]
            assert tls.selected_alpn_protocol() == "http/1.1"
            cipher = tls.cipher()[0]
            if version == ssl.TLSVersion.TLSv1_2:  # forward secret and AEAD
                assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher
            tls.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{jppd.port}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    # No ALPN offered at all is served too.
    with handshake(pki, jppd.port) as tls:
        assert tls.selected_alpn_protocol() is None


def test_tls11_is_refused_by_the_server(jppd, pki):
    # The client is let down to TLS 1.1 at security level 0, so that it does offer it: the refusal seen is then
    # the server's protocol_version alert, not the client's own policy.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (that TLS 1.1 is deprecated is the point)
        context = pki.client_context(minimum_version=ssl.TLSVersion.TLSv1_1,
                                     maximum_version=ssl.TLSVersion.TLSv1_1)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError) as refused:
        handshake(pki, jppd.port, context).close()
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", refused.value
    # And OpenSSL's own client, offering TLS 1.1 alone, is told the same by the server.
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{jppd.port}", "-tls1_1", "-cipher",
                          "DEFAULT:@SECLEVEL=0", "-CAfile", str(pki.ca)], input="", capture_output=True,
                         text=True, timeout=15)
    assert out.returncode != 0
    assert "alert protocol version" in out.stdout + out.stderr, out.stdout + out.stderr
    # TLS 1.2 without forward secrecy or AEAD is refused as well (the server answers handshake_failure).
    context = pki.client_context(maximum_version=ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:AES128-GCM-SHA256")
    with pytest.raises(ssl.SSLError) as refused:
        handshake(pki, jppd.port, context).close()
    assert refused.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE", refused.value


def test_alpn_without_http11_is_a_fatal_alert(jppd, pki):
    context = pki.client_context()
    context.set_alpn_protocols(["h2"])
    with pytest.raises(ssl.SSLError) as refused:
        handshake(pki, jppd.port, context).close()
    assert "alert no application protocol" in str(refused.value), refused.value
    assert jppd.request("GET", "/healthz").status == 200  # and nothing else is hurt


def test_large_answers_and_pipelined_requests_over_tls(jppd, pki):
    # The OpenAPI document spans many TLS records; it arrives byte for byte.
    r = jppd.request("GET", "/openapi.json")
    assert r.status == 200 and r.body == (ROOT / "jppd" / "openapi.json").read_text(encoding="utf-8")
    # Three requests in one TLS write: three answers, in order, on the one connection.
    with handshake(pki, jppd.port) as tls:
        head = f"Host: 127.0.0.1:{jppd.port}\r\n"
        tls.sendall((f"GET /healthz HTTP/1.1\r\n{head}\r\n" f"GET /jpp/invoices/{'0' * 32}/ HTTP/1.1\r\n{head}\r\n"
                     f"GET /healthz HTTP/1.1\r\n{head}Connection: close\r\n\r\n").encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200", b"404", b"200"], answer


# ----------------------------------------------------------------------------------------------------------------
# Plain HTTP to the TLS port


def read_until_closed_after(port, data=b"", source=None):
    """Sends `data` on a new plain TCP connection and returns all that arrives until the server closes it, which
    must be within 3 seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=source) as s:
        s.sendall(data)
        answer = b""
        start = time.monotonic()
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        assert time.monotonic() - start < 3, "not closed by the server"
    return answer


def parse_response(answer):
    """(status, headers with lower-case names, body) of one HTTP/1.1 response."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), answer
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def test_plain_http_to_the_tls_port_is_told_to_use_https(jppd):
    answer = read_until_closed_after(jppd.port, f"GET /jpp/invoices/ HTTP/1.1\r\nHost: 127.0.0.1:{jppd.port}\r\n\r\n"
                                     .encode())
    status, headers, body = parse_response(answer)
    assert status == 400, answer
    assert headers["content-type"].startswith("application/json")
    assert headers["connection"] == "close"
    assert json.loads(body)["code"] == "https_required"
    assert int(headers["content-length"]) == len(body)
    # Like every response, it has an id of its own.
    assert len(headers.get("x-request-id", "")) == 16, headers
    again = parse_response(read_until_closed_after(jppd.port, b"GET / HTTP/1.1\r\n\r\n"))[1]
    assert again["x-request-id"] != headers["x-request-id"]


# ----------------------------------------------------------------------------------------------------------------
# Slow clients and limits


@pytest.fixture(scope="module")
def strict(workdir, pki):
    """jppd with a one-second request timeout."""
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--request-timeout", "1", *tls_args(*pki.one)],
               tls=pki.client_context())
    d.start()
    yield d
    assert d.stop() == 0, d.log_text()


@pytest.fixture(scope="module")
def limited(workdir, pki):
    """jppd with three connections in all and two per client."""
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--max-connections", "3",
                         "--max-client-connections", "2", *tls_args(*pki.one)], tls=pki.client_context())
    d.start()
    yield d
    assert d.stop() == 0, d.log_text()


def test_a_client_that_sends_nothing_is_cut_off_after_the_request_timeout(strict):
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        took = closed_after(s, 5)
    assert took is not None, "still open after 5 s"
    assert 0.8 <= took <= 3, took


def test_half_a_client_hello_is_cut_off_after_the_request_timeout(strict):
    hello = client_hello()
    with socket.create_connection(("127.0.0.1", strict.port)) as s:
        s.sendall(hello[:10])
        took = closed_after(s, 5)
    assert took is not None, "still open after 5 s"
    assert 0.8 <= took <= 3, took


def stalled_connections(port, count):
    """`count` connections that jppd accepted and holds, none of which sends a byte. (Daemon.start's probes may
    still be counted for a moment, so that one of these is refused at first: then they are opened again.)"""
    deadline = time.monotonic() + 15
    while True:
        sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        # A refusal is written at once on accept; a held connection stays silent until the handshake times out.
        refused, _, _ = select.select(sockets, [], [], 0.3)
        if not refused:
            return sockets
        for s in sockets:
            s.close()
        assert time.monotonic() < deadline, "jppd kept refusing connections"


def test_connection_limits_count_tls_connections(limited, pki):
    # Two connections of one client, stalled before their handshakes: its third is closed at once, without a word
    # (a TLS client could not read a plain HTTP 429), so no TLS client gets through either.
    stalled = stalled_connections(limited.port, 2)
    try:
        assert read_until_closed_after(limited.port) == b""
        with pytest.raises((ssl.SSLError, ConnectionError)):
            handshake(pki, limited.port).close()
        # Another client (127.0.0.2) takes the third connection; the fourth is over the server's limit: closed too.
        with socket.create_connection(("127.0.0.1", limited.port), source_address=("127.0.0.2", 0)):
            assert read_until_closed_after(limited.port, source=("127.0.0.2", 0)) == b""
            with pytest.raises((ssl.SSLError, ConnectionError)):
                handshake(pki, limited.port, source=("127.0.0.2", 0)).close()
    finally:
        for s in stalled:
            s.close()
    # Once the stalled ones are closed, TLS clients are served again.
    wait_for(lambda: _served(limited), 10, "a TLS client to be served again")


def _served(jppd):
    try:
        return jppd.request("GET", "/healthz", timeout=2).status == 200
    except (OSError, ssl.SSLError):
        return False


# ----------------------------------------------------------------------------------------------------------------
# WebSocket over wss: the example clients


@pytest.mark.parametrize("command", [
    ["/usr/bin/python3", str(EXAMPLES / "websocket_client_example.py")],
    ["node", str(EXAMPLES / "websocket_client_example.js")],
], ids=["python", "node"])
def test_example_client_over_wss(jppd, pki, command):
    pid = new_invoice(jppd)
    # Each trusts the test CA the way its platform is told to: OpenSSL's SSL_CERT_FILE (Python), and
    # NODE_EXTRA_CA_CERTS (Node). The URL is given as it is, wss://.
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "SSL_CERT_FILE": str(pki.ca),
           "NODE_EXTRA_CA_CERTS": str(pki.ca)}
    proc = subprocess.Popen([*command, pid, f"wss://127.0.0.1:{jppd.port}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = wait_for_line(proc, "waiting for the payment")
        assert f"Connected to wss://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/" in "".join(lines)
        txid = pay(jppd, pid)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0, out
        assert "Payment received!" in out and txid in out
    finally:
        proc.kill()
        proc.wait()


def test_example_client_does_not_trust_an_unknown_certificate(jppd):
    """Without the CA, the Python example refuses the server (and keeps retrying), never watching through it."""
    pid = new_invoice(jppd)
    proc = subprocess.Popen(["/usr/bin/python3", str(EXAMPLES / "websocket_client_example.py"), pid,
                             f"wss://127.0.0.1:{jppd.port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"})
    try:
        lines = wait_for_line(proc, "Cannot connect")
        assert "CERTIFICATE_VERIFY_FAILED" in "".join(lines), lines
    finally:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------------------------------------------
# Headless Chromium on the invoice page over https


def test_invoice_page_over_https_turns_paid_over_wss(jppd, pki):
    # Chromium trusts the server's key by its SPKI pin, the way one trusts a test certificate without a CA store
    # (and without switching certificate checks off).
    browser = Browser([f"--ignore-certificate-errors-spki-list={Pki.spki_sha256(pki.one[0])}"])
    try:
        page = browser.new_page()
        page.call("Network.enable")
        invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 77_000}], memo="over https")
        pid = invoice["payment_id"]
        page.open(f"https://127.0.0.1:{jppd.port}/jpp/invoices/{pid}/")
        assert page.evaluate("location.protocol") == "https:"
        assert page.evaluate("document.documentElement.dataset.status") == "open"
        page.wait_for("document.getElementById('connection').textContent.startsWith('Live')", 5, "the WebSocket")
        sockets = [params["url"] for method, params in page.events if method == "Network.webSocketCreated"]
        assert sockets and all(url.startswith(f"wss://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/")
                               for url in sockets), sockets
        txid = pay(jppd, pid, 77_000)
        page.wait_for("document.documentElement.dataset.status === 'paid'", 5, "the page to show the payment")
        assert page.evaluate("document.getElementById('txid').textContent") == txid
        page.call("Runtime.evaluate", expression="0")  # (reads the events that arrived meanwhile)
        frames = [params["response"]["payloadData"] for method, params in page.events
                  if method == "Network.webSocketFrameReceived"]
        assert any(txid in frame and "payment_received" in frame for frame in frames), frames
        page.screenshot(artifacts_dir() / "invoice-page-paid-https.png")
        page.close()
    finally:
        browser.close()


# ----------------------------------------------------------------------------------------------------------------
# bitcore-wallet-client over https, with a regtest node


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=2)


def bitpay_wallet(*args, env):
    r = subprocess.run(["node", str(HERE / "bitpay_wallet.js"), *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, **env})
    steps = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return r.returncode, steps, r.stderr


def test_bitcore_pays_over_https(workdir, pki, node, funds):
    key = workdir / "tls-signing.key"
    key.write_text(SIGNING_KEY + "\n")
    key.chmod(0o600)
    d = Daemon(workdir, node_args(node.rpc_url) + ["--signing-key", str(key), *tls_args(*pki.one)],
               tls=pki.client_context()).start()
    try:
        from test_wallet_protocols import unsigned
        inv = d.create_invoice([{"address": MERCHANT, "amount": 40_000}], memo="bitcore over https")
        pid = inv["payment_id"]
        assert f"r=https://127.0.0.1:{d.port}/jpp/i/bitpay/{pid}/" in inv["payment_uri"]
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 40_000}])
        args = ("v2", inv["payment_uri"], IDENTITY, PUBLIC_KEY, unsigned(raw), raw)

        # Without the CA, bitcore refuses the server at the first step.
        code, steps, stderr = bitpay_wallet(*args, env={"NODE_EXTRA_CA_CERTS": ""})
        assert code == 1 and "error" in steps[-1], (steps, stderr)
        assert d.invoice(pid)["status"] == "open"

        code, steps, stderr = bitpay_wallet(*args, env={"NODE_EXTRA_CA_CERTS": str(pki.ca)})
        assert code == 0, (steps, stderr)
        options, request, again, verification, payment = steps
        assert options["paymentId"] == pid and options["verified"] is True
        assert options["payProUrl"] == f"https://127.0.0.1:{d.port}/jpp/i/bitpay/{pid}/"
        assert request["instructions"][0]["amount"] == 40_000
        assert verification["memo"] == "Payment appears valid"
        assert "paid" in payment["memo"]
        assert txid_of(raw) in node.rpc("getrawmempool")
        paid = d.invoice(pid)
        assert paid["status"] == "paid" and paid["payment"]["txid"] == txid_of(raw)
    finally:
        assert d.stop() == 0, d.log_text()


# ----------------------------------------------------------------------------------------------------------------
# The certificate reloaded on SIGHUP


def log_has(jppd, text):
    def check():
        assert jppd.proc.poll() is None, f"jppd exited with {jppd.proc.returncode}:\n{jppd.log_text()}"
        return text in jppd.log_text()
    return check


def new_connection_serial(jppd, pki):
    with handshake(pki, jppd.port) as tls:
        return peer_serial(tls)


def test_sighup_reloads_the_certificate_and_open_connections_keep_theirs(workdir, pki):
    files = workdir / "tls-reload"
    files.mkdir(exist_ok=True)
    cert, key = files / "cert.pem", files / "key.pem"
    shutil.copy(pki.one[0], cert)
    shutil.copy(pki.one[1], key)
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", *tls_args(cert, key)], tls=pki.client_context())
    d.start()
    try:
        assert "TLS certificate /CN=jppd test server one" in d.log_text()
        pid = new_invoice(d)
        # A keep-alive HTTPS connection and a watcher, both opened before the reload.
        kept = d.connection()
        kept.request("GET", f"/jpp/invoices/{pid}/")
        first = kept.getresponse()
        assert first.status == 200 and first.getheader("Connection") != "close"
        first.read()
        kept_socket = kept.sock
        assert peer_serial(kept_socket) == "1001"
        watcher = watch(d, pki, pid)

        shutil.copy(pki.two[0], cert)
        shutil.copy(pki.two[1], key)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(log_has(d, "SIGHUP: TLS certificate reloaded: /CN=jppd test server two"), 10, "the reload")

        # The open connection goes on, on the first certificate.
        kept.request("GET", f"/jpp/invoices/{pid}/")
        second = kept.getresponse()
        assert second.status == 200 and json.loads(second.read())["payment_id"] == pid
        assert kept.sock is kept_socket and peer_serial(kept.sock) == "1001"
        kept.close()
        # New connections get the second one.
        assert new_connection_serial(d, pki) == "1002"
        assert d.request("GET", "/healthz").status == 200
        # The watcher from before the reload still hears of the payment.
        txid = pay(d, pid)
        message = next_message(watcher)
        assert message["type"] == "payment_received" and message["txid"] == txid
        watcher.close()

        # A broken key: not reloaded, said so, and the second certificate stays.
        key.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(log_has(d, "SIGHUP: TLS certificate not reloaded, the current one stays"), 10, "the refusal")
        line = [l for l in d.log_text().splitlines() if "not reloaded" in l][-1]
        assert " error " in line and str(key) in line, line
        assert new_connection_serial(d, pki) == "1002"
        # A key of another certificate: the same.
        shutil.copy(pki.one[1], key)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.log_text().count("not reloaded, the current one stays") == 2, 10, "the second refusal")
        line = [l for l in d.log_text().splitlines() if "not reloaded" in l][-1]
        assert f"--tls-key {key}" in line and "mismatch" in line, line
        assert new_connection_serial(d, pki) == "1002"
        assert d.request("GET", "/healthz").status == 200 and d.proc.poll() is None
    finally:
        assert d.stop() == 0, d.log_text()


def test_sighup_without_tls_has_nothing_to_reload(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest"]).start()
    try:
        # At once, as soon as the port is open (as a reload right after a start would): SIGHUP's default action,
        # ending the process, must already be taken over.
        d.proc.send_signal(signal.SIGHUP)
        wait_for(log_has(d, "SIGHUP: nothing to reload"), 10, "the SIGHUP to be logged")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.log_text().count("SIGHUP: nothing to reload") == 2, 10, "the second SIGHUP")
        assert d.proc.poll() is None and d.request("GET", "/healthz").status == 200
    finally:
        assert d.stop() == 0, d.log_text()


def test_sigterm_says_goodbye_to_wss_watchers(workdir, pki):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", *tls_args(*pki.one)], tls=pki.client_context())
    d.start()
    try:
        watcher = watch(d, pki, new_invoice(d))
        d.proc.send_signal(signal.SIGTERM)
        opcode, frame = watcher.recv_data_frame(True)
        while opcode == websocket.ABNF.OPCODE_PING:
            opcode, frame = watcher.recv_data_frame(True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1001, frame.data
        watcher.close()
        d.proc.wait(20)
    finally:
        assert d.stop() == 0, d.log_text()


# ----------------------------------------------------------------------------------------------------------------
# Start-up errors


def run_jppd(workdir, *args):
    return subprocess.run([JPPD, "--dev-mode", "--network", "regtest", "--listen", "127.0.0.1:0", "--metrics-listen",
                           "off", "--db", str(workdir / "tls-startup.sqlite3"), *args], capture_output=True,
                          text=True, timeout=30)


def test_tls_cert_without_key_is_a_usage_error(workdir, pki):
    r = run_jppd(workdir, "--tls-cert", str(pki.one[0]))
    assert r.returncode == 2 and "--tls-cert and --tls-key go together" in r.stderr, r
    r = run_jppd(workdir, "--tls-key", str(pki.one[1]))
    assert r.returncode == 2 and "--tls-cert and --tls-key go together" in r.stderr, r


def test_a_key_that_is_not_the_certificates_is_refused_at_start(workdir, pki):
    r = run_jppd(workdir, *tls_args(pki.one[0], pki.other_key))
    assert r.returncode == 1, r
    assert f"error --tls-key {pki.other_key}: key values mismatch" in r.stderr, r.stderr
    # A file that is not there is named too.
    missing = workdir / "no-such-cert.pem"
    r = run_jppd(workdir, *tls_args(missing, pki.one[1]))
    assert r.returncode == 1 and f"error --tls-cert {missing}:" in r.stderr, r.stderr
