"""jppd in dev mode: the native API's shapes, HTTP behaviour, bad input, limits, slow clients, configuration and
shutdown. Every test that sends something hostile also checks that a well-behaved client is still served."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import JPPD, MERCHANT_WIF, PAYER_WIF, Daemon, address_of, port_open, sign, wait_for

MERCHANT = address_of(MERCHANT_WIF)
PUBLIC = "https://pay.example.com"


@pytest.fixture(scope="module")
def jppd(workdir):
    # The raw requests below name the host "x", which an operator allows here like any other name.
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--public-url", PUBLIC + "/",
                         "--request-timeout", "2", "--idle-timeout", "5", "--max-body-bytes", "300000",
                         "--max-header-bytes", "4096", "--allowed-host", "x"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def served(jppd):
    """A well-behaved client gets its answer promptly."""
    started = time.monotonic()
    r = jppd.request("GET", "/healthz", timeout=5)
    assert r.status == 200, r
    return time.monotonic() - started


def offline_payment(amount, to=MERCHANT):
    return sign(PAYER_WIF, [{"txid": "22" * 32, "vout": 1, "value": amount + 5000}], [{"address": to, "amount": amount}])


# ----------------------------------------------------------------------------------------------------------------
# The API


def test_create_get_verify_pay(jppd):
    r = jppd.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 12_345}],
                                                "memo": "two coffees", "merchant_data": {"order": 7}})
    assert r.status == 201, r
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["access-control-allow-origin"] == "*"
    invoice = r.json()
    pid = invoice["payment_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", pid)
    # Built from --public-url, never from the Host header.
    assert invoice["payment_url"] == f"{PUBLIC}/jpp/invoices/{pid}/"
    assert r.headers["location"] == invoice["payment_url"]
    assert invoice["network"] == "regtest" and invoice["currency"] == "BCH" and invoice["memo"] == "two coffees"
    assert invoice["outputs"][0]["amount"] == 12_345 and invoice["outputs"][0]["address"] == MERCHANT
    assert invoice["merchant_data"] == {"order": 7}
    assert invoice["payment"] is None

    dashed = f"{pid[:8]}-{pid[8:12]}-{pid[12:16]}-{pid[16:20]}-{pid[20:]}"
    for path in (f"/jpp/invoices/{pid}/", f"/jpp/invoices/{pid}", f"/jpp/invoices/{dashed}/", f"/jpp/invoices/{pid.upper()}"):
        r = jppd.request("GET", path)
        assert r.status == 200, (path, r)
        assert r.json()["payment_id"] == pid
    r = jppd.request("HEAD", f"/jpp/invoices/{pid}/")
    assert r.status == 200 and r.body == "" and int(r.headers["content-length"]) > 100

    raw = offline_payment(12_345)
    r = jppd.request("POST", f"/jpp/invoices/{pid}/verify", {"raw_tx_hex": raw})
    assert r.status == 200 and r.json()["valid"] is True and r.json()["inputs_checked"] is False, r
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay/", {"raw_tx_hex": raw, "memo": "hi"})
    assert r.status == 200, r
    assert r.json()["payment"]["memo"] == "hi" and r.json()["status"] == "paid"
    assert "WITHOUT being broadcast" in jppd.log_text()  # dev mode says so for every payment


def test_an_unknown_invoice_is_404_varying_by_accept(jppd):
    # What the invoice URL answers depends on Accept (JSON, the page, each wallet protocol), its 404 included: a
    # shared cache must not hand the JSON 404 to a wallet.
    r = jppd.request("GET", "/jpp/invoices/" + "0" * 32 + "/")
    assert r.status == 404 and r.json()["code"] == "invoice_not_found", r
    assert r.headers["vary"] == "Accept"


def test_healthz_reports_dev_mode(jppd):
    r = jppd.request("GET", "/healthz")
    assert r.status == 200
    assert r.json()["dev_mode"] is True and "without being broadcast" in r.json()["warning"]
    assert r.json()["store"]["ok"] is True


def test_verify_errors_keep_watchtowers_fields(jppd):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 20_000}])["payment_id"]
    r = jppd.request("POST", f"/jpp/invoices/{pid}/verify", {"raw_tx_hex": "zz"})
    assert r.status == 400 and r.json()["valid"] is False and r.json()["code"] == "invalid_hex", r
    assert r.json()["error"] == r.json()["message"]
    r = jppd.request("POST", f"/jpp/invoices/{pid}/verify", {"raw_tx_hex": offline_payment(19_999)})
    assert r.status == 400 and r.json()["code"] == "payment_output_missing" and MERCHANT in r.json()["error"]


def test_pay_errors_keep_watchtowers_fields(jppd):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 20_000}])["payment_id"]
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": "0200"})
    assert r.status == 400 and r.json()["non_field_errors"] and r.json()["code"] == "truncated", r
    assert jppd.invoice(pid)["payment"] is None


def test_create_errors_name_the_field(jppd):
    cases = [
        ({"outputs": [{"address": MERCHANT, "amount": 100}]}, "invoice_invalid", "outputs[0].amount"),
        ({"outputs": [{"address": "bitcoincash:qqqq", "amount": 10_000}]}, "invoice_invalid", "outputs[0].address"),
        ({"outputs": [{"address": MERCHANT, "amount": "10000"}]}, "json_invalid", "outputs[0].amount"),
        ({"outputs": []}, "invoice_invalid", "outputs"),
        ({"memo": "no outputs"}, None, "outputs"),
        ([1, 2], "json_invalid", None),
    ]
    for body, code, field in cases:
        r = jppd.request("POST", "/jpp/invoices/", body)
        assert r.status == 400, (body, r)
        if code:
            assert r.json()["code"] == code, (body, r)
        if field:
            assert field in r.json()["message"], (body, r)


# ----------------------------------------------------------------------------------------------------------------
# A battery of bad requests: each its 4xx, the daemon serving others throughout


BAD_REQUESTS = [
    # (what, raw request, expected status, expected code)
    ("malformed JSON", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
                       b'Content-Length: 12\r\n\r\n{"outputs":[', 400, "json_invalid"),
    ("not UTF-8", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{"memo":"\xff\xfe"}  ', 400,
     "json_invalid"),
    ("wrong media type", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n'
                         b'Content-Length: 2\r\n\r\n{}', 415, "unsupported_media_type"),
    ("form post", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n'
                  b'Content-Length: 3\r\n\r\na=b', 415, "unsupported_media_type"),
    ("declared huge body", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n', 413,
     "body_too_large"),
    ("huge header", b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: ' + b"a" * 8000 + b'\r\n\r\n', 431,
     "headers_too_large"),
    ("huge URL", b'GET /' + b"a" * 8000 + b' HTTP/1.1\r\nHost: x\r\n\r\n', 431, "headers_too_large"),
    ("unknown method", b'BREW /jpp/invoices/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, "malformed_request"),
    ("not HTTP", b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b"\x00" * 40, 400, "malformed_request"),
    ("HTTP/2 preface", b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', None, None),
    ("bad chunk", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400,
     "malformed_request"),
    ("both lengths", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n'
                     b'0\r\n\r\n', 400, "malformed_request"),
    ("bad expectation", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}',
     417, "expectation_failed"),
    ("unknown path", b'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n', 404, "not_found"),
    ("bad invoice id", b'GET /jpp/invoices/not-an-id/ HTTP/1.1\r\nHost: x\r\n\r\n', 404, "invoice_not_found"),
    ("path traversal", b'GET /jpp/invoices/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', 404, None),
    ("wrong method", b'DELETE /jpp/invoices/00000000000040008000000000000000/ HTTP/1.1\r\nHost: x\r\n\r\n', 405,
     "method_not_allowed"),
    ("GET on pay", b'GET /jpp/invoices/00000000000040008000000000000000/pay HTTP/1.1\r\nHost: x\r\n\r\n', 405,
     "method_not_allowed"),
    ("wrong types", b'POST /jpp/invoices/00000000000040008000000000000000/pay HTTP/1.1\r\nHost: x\r\n'
                    b'Content-Length: 16\r\n\r\n{"raw_tx_hex":1}', 400, "json_invalid"),
    ("deep JSON", b'POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n' + b"[" * 2000, 400,
     "json_invalid"),
]


@pytest.mark.parametrize("what,raw,status,code", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request(jppd, what, raw, status, code):
    reply = jppd.raw(raw, read_timeout=4)
    head, _, body = reply.partition(b"\r\n\r\n")
    if status is None:  # anything but a crash: an error status or a closed connection
        assert reply == b"" or head.split(b" ")[1][:1] in (b"4", b"5"), reply
    else:
        assert head.startswith(b"HTTP/1.1 %d " % status), (what, reply[:300])
        if code:
            assert json.loads(body)["code"] == code, (what, body)
    if status == 405:
        assert b"\r\nAllow: " in head
    assert served(jppd) < 1.0


def test_huge_streamed_body_is_cut_off(jppd):
    with socket.create_connection(("127.0.0.1", jppd.port)) as s:
        s.sendall(b"POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n" % 65536 + b"a" * 65536 + b"\r\n"
        try:
            for _ in range(10):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(5)
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    assert served(jppd) < 1.0


def test_truncated_body_times_out_with_408(jppd):
    with socket.create_connection(("127.0.0.1", jppd.port)) as s:
        s.sendall(b"POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"outputs\":")
        s.settimeout(6)
        started = time.monotonic()
        reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert time.monotonic() - started < 4  # --request-timeout 2
        assert s.recv(10) == b""  # and the connection is closed


def test_slow_client_is_cut_off_while_others_are_served(jppd):
    """A client sending one byte a second is cut off by the request deadline; others are served meanwhile."""
    result = {}

    def slowloris():
        with socket.create_connection(("127.0.0.1", jppd.port)) as s:
            started = time.monotonic()
            try:
                for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 100:
                    s.sendall(bytes([byte]))
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                pass
            s.settimeout(5)
            try:
                result["reply"] = s.recv(1000)
            except ConnectionResetError:
                result["reply"] = b""
            result["after"] = time.monotonic() - started

    t = threading.Thread(target=slowloris)
    t.start()
    worst = max(served(jppd) for _ in range(20) if not time.sleep(0.1))
    t.join()
    assert worst < 0.5
    assert result["after"] < 5, result
    assert result["reply"] == b"" or result["reply"].startswith(b"HTTP/1.1 408 "), result


def test_idle_keep_alive_connection_is_closed(jppd):
    with socket.create_connection(("127.0.0.1", jppd.port)) as s:
        s.settimeout(10)
        started = time.monotonic()
        assert s.recv(10) == b""  # --idle-timeout 5: closed without a word
        assert 4 < time.monotonic() - started < 8


# ----------------------------------------------------------------------------------------------------------------
# HTTP/1.1 behaviour real clients rely on


def test_keep_alive_and_pipelining(jppd):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 30_000}])["payment_id"]
    get = f"GET /jpp/invoices/{pid}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    reply = jppd.raw(get * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", responses=5)
    assert reply.count(b"HTTP/1.1 200 OK") == 4, reply
    assert reply.count(pid.encode()) >= 3
    assert reply.rstrip().endswith(b"}")  # closed after the last, as asked


def test_http_10_closes(jppd):
    reply = jppd.raw(b"GET /healthz HTTP/1.0\r\n\r\n", read_timeout=5)
    assert reply.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in reply


def test_chunked_body_and_expect_continue(jppd):
    body = json.dumps({"outputs": [{"address": MERCHANT, "amount": 40_000}]}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 10]), body[i:i + 10]) for i in range(0, len(body), 10))
    reply = jppd.raw(b"POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked + b"0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 201 "), reply[:300]

    with socket.create_connection(("127.0.0.1", jppd.port)) as s:
        s.sendall(b"POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        s.settimeout(5)
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        assert s.recv(100).startswith(b"HTTP/1.1 201 ")


def test_cors_preflight(jppd):
    r = jppd.request("OPTIONS", "/jpp/invoices/", headers={"Origin": "https://wallet.example",
                                                           "Access-Control-Request-Method": "POST",
                                                           "Access-Control-Request-Headers": "content-type"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"] == "content-type"


def test_one_log_line_per_request(jppd):
    jppd.request("GET", "/jpp/invoices/00000000000040008000000000000000/")
    wait_for(lambda: re.search(r"info  GET /jpp/invoices/00000000000040008000000000000000/ 404 \d+B [\d.]+ms "
                               r"127\.0\.0\.1:\d+", jppd.log_text()), 5, "the request's log line")


# ----------------------------------------------------------------------------------------------------------------
# Limits, configuration, lifecycle


def test_connection_limit(workdir):
    d = Daemon(workdir, ["--dev-mode", "--max-connections", "4"]).start()
    try:
        held = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(4)]
        time.sleep(0.2)
        reply = d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=3)
        assert reply.startswith(b"HTTP/1.1 503 "), reply
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["code"] == "too_many_connections"
        # Written at accept, before any request, it still has an id of its own, like every response.
        ids = [re.search(rb"\r\nX-Request-Id: ([0-9a-f]{16})\r\n", r) for r in (reply, d.raw(b"", read_timeout=3))]
        assert all(ids) and ids[0][1] != ids[1][1], reply
        for s in held:
            s.close()
        wait_for(lambda: d.request("GET", "/healthz").status == 200, 5, "a free slot")
    finally:
        d.stop()


def test_graceful_shutdown_finishes_the_request_in_flight(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--allowed-host", "x"]).start()
    body = json.dumps({"outputs": [{"address": MERCHANT, "amount": 40_000}]}).encode()
    idle = socket.create_connection(("127.0.0.1", d.port))
    with socket.create_connection(("127.0.0.1", d.port)) as s:
        s.sendall(b"POST /jpp/invoices/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.3)
        d.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # No new connections; the idle one is closed; the one mid-request is still served.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", d.port), timeout=1).close()
        idle.settimeout(2)
        assert idle.recv(10) == b""
        s.sendall(body[10:])
        s.settimeout(5)
        reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 201 ") and b"Connection: close" in reply, reply[:300]
    assert d.proc.wait(10) == 0
    d.log.close()
    assert "stopped: every request answered, database closed" in d.log_text()


def test_refuses_to_start_without_a_node(workdir):
    p = subprocess.run([JPPD, "--db", str(workdir / "x.sqlite3")], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert "--node-rpc" in p.stderr and "--dev-mode" in p.stderr


def test_help_and_usage_errors():
    p = subprocess.run([JPPD, "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    for flag in ("--listen", "--db", "--network", "--public-url", "--node-rpc", "--node-rpc-user",
                 "--node-rpc-password", "--node-rpc-cookie", "--dev-mode", "--config", "SIGTERM", "JPPD_"):
        assert flag in p.stdout, flag
    assert "127.0.0.1:8000" in p.stdout
    p = subprocess.run([JPPD, "--dev-mode", "--network", "mainnet"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "network" in p.stderr
    p = subprocess.run([JPPD, "--dev-mode", "--listen", "localhost"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "HOST:PORT" in p.stderr


def test_config_file_and_environment(workdir):
    port = Daemon(workdir, []).port
    config = workdir / "jppd.conf"
    config.write_text(f'listen = "127.0.0.1:{port}"\nnetwork = "regtest"\ndev-mode = true\n'
                      f'public-url = "https://from-file.example"\n')
    env = {**os.environ, "JPPD_PUBLIC_URL": "https://from-env.example", "JPPD_DB": str(workdir / "cfg.sqlite3")}
    p = subprocess.Popen([JPPD, "--config", str(config)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        d = Daemon(workdir, [])
        d.port = port
        wait_for(lambda: port_open(port), 10, "jppd")
        r = d.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 10_000}]})
        assert r.status == 201, r
        assert r.json()["network"] == "regtest"
        assert r.json()["payment_url"].startswith("https://from-file.example/")  # the file beats the environment
        assert (workdir / "cfg.sqlite3").exists()  # the database path came from the environment
    finally:
        p.terminate()
        assert p.wait(10) == 0

