"""TLS on jppd's listening port (--tls-cert, --tls-key) with real clients: Python's ssl and http.client, OpenSSL's
s_client, the WebSocket example clients (Python and Node) over wss://, headless Chromium on the invoice page,
bitcore-wallet-client paying through the JSON Payment Protocol with a regtest node, and the certificate reloaded
on SIGHUP while connections are open. The certificates are made here with the openssl command line, signed by a
test CA that the clients are told to trust."""
import base64
import json
import os
import pathlib
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
                      sign, txid_of, wait_for)

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
    # (No metrics listener: this module runs several daemons at once, and they would all want its default port.)
    return ["--tls-cert", str(cert), "--tls-key", str(key), "--metrics-listen", "off"]


def peer_serial(sock):
    """The serial number (hex, as Python's ssl reports it) of the certificate a TLS socket's server presented."""
    return sock.getpeercert()["serialNumber"]


def handshake(pki, port, context=None, **versions):
    """A TLS connection to jppd, handshake done; the caller closes it."""
    context = context or pki.client_context(**versions)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
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


def test_connection_limits_count_tls_connections(limited, pki):
    # Two connections of one client, stalled before their handshakes: its third is refused (429, written before
    # any TLS, so a TLS client cannot complete a handshake on it).
    stalled = [socket.create_connection(("127.0.0.1", limited.port)) for _ in range(2)]
    try:
        status, headers, body = parse_response(read_until_closed_after(limited.port))
        assert status == 429 and json.loads(body)["code"] == "too_many_client_connections", body
        assert headers["retry-after"] == "1" and len(headers.get("x-request-id", "")) == 16, headers
        with pytest.raises((ssl.SSLError, ConnectionError)):
            handshake(pki, limited.port).close()
        # Another client (127.0.0.2) takes the third connection; the fourth is over the server's limit: 503.
        with socket.create_connection(("127.0.0.1", limited.port), source_address=("127.0.0.2", 0)):
            status, headers, body = parse_response(read_until_closed_after(limited.port, source=("127.0.0.2", 0)))
            assert status == 503 and json.loads(body)["code"] == "too_many_connections", body
            assert headers["retry-after"] == "1" and len(headers.get("x-request-id", "")) == 16, headers
    finally:
        for s in stalled:
            s.close()
    # Once the stalled ones are cut off (or closed), TLS clients are served again.
    wait_for(lambda: _served(limited), 10, "a TLS client to be served again")


def _served(jppd):
    try:
        return jppd.request("GET", "/healthz", timeout=2).status == 200
    except (OSError, ssl.SSLError):
        return False
