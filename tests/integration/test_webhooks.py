"""Webhooks, against a real receiver on loopback: signed deliveries of every event, in order per endpoint, retried
on 5xx and timeouts and not on other 4xx, surviving a SIGKILL of jppd, refused for private addresses unless the
operator allows them, redelivered on request, and never holding up payments or other endpoints."""
import re
import signal
import time

import pytest

from conftest import (MERCHANT_WIF, Daemon, Funds, address_of, node_args, pay_tx, txid_of, verify_signature,
                      wait_for)
from test_merchants import admin, create_key

MERCHANT = address_of(MERCHANT_WIF)
FAST_RETRIES = ["--webhook-retry-schedule", "1,1,1,1", "--webhook-timeout", "2"]


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=6)


def shop(tmp_path, node, *extra, allow_private=True):
    """jppd on the regtest node with a merchant 'shop' and its key, allowed to call the receiver on loopback unless
    told otherwise; not started."""
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False) + list(extra) +
               (["--webhook-allow-private"] if allow_private else []))
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    d.key, _ = create_key(d.db, "shop", "invoices:create,invoices:read,webhooks:manage")
    return d


def add_endpoint(jppd, url, *extra):
    r = admin(jppd.db, "webhook", "add", "--merchant", "shop", "--url", url, "--webhook-allow-private", *extra)
    assert r.returncode == 0, r.stderr
    endpoint = re.search(r"^endpoint id:\s+(we_\w+)$", r.stdout, re.M).group(1)
    secret = re.search(r"^secret:\s+(whsec_[0-9a-f]{64})$", r.stdout, re.M).group(1)
    return endpoint, secret


def create(jppd, amount=10_000, **extra):
    r = jppd.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": amount}], **extra},
                     headers={"Authorization": f"Bearer {jppd.key}"})
    assert r.status == 201, r
    return r.json()["payment_id"]


def deliveries(jppd, endpoint):
    r = jppd.request("GET", f"/api/v1/webhooks/{endpoint}/deliveries?limit=100",
                     headers={"Authorization": f"Bearer {jppd.key}"})
    assert r.status == 200, r
    return r.json()["deliveries"]


def test_every_event_is_delivered_signed_with_the_invoice_and_its_metadata(tmp_path, node, funds, webhook_receiver):
    jppd = shop(tmp_path, node, *FAST_RETRIES)
    endpoint, secret = add_endpoint(jppd, webhook_receiver.url("/hook"))
    jppd.start()
    try:
        pid = create(jppd, metadata={"order": 17}, order_id="17")
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
        assert jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}).status == 200
        wait_for(lambda: len(webhook_receiver.requests("/hook")) >= 2, 10, "two deliveries")
        time.sleep(0.5)
        received = webhook_receiver.requests("/hook")
        assert len(received) == 2  # no duplicate
        events = []
        for _path, headers, body, _at in received:
            assert headers["Content-Type"] == "application/json"
            assert verify_signature(secret, headers["X-JPP-Signature"], body)
            assert not verify_signature(secret, headers["X-JPP-Signature"], body + b" ")  # the exact bytes
            assert not verify_signature("whsec_" + "0" * 64, headers["X-JPP-Signature"], body)
            event = __import__("json").loads(body)
            assert headers["X-JPP-Event-Id"] == event["id"] and headers["X-JPP-Delivery-Id"] == event["delivery_id"]
            assert re.fullmatch(r"evt_[0-9a-f]{32}", event["id"]) and re.fullmatch(r"dlv_[0-9a-f]{32}",
                                                                                   event["delivery_id"])
            assert event["redelivery_of"] is None
            assert event["invoice"]["payment_id"] == pid
            assert event["invoice"]["metadata"] == {"order": 17} and event["invoice"]["order_id"] == "17"
            events.append(event)
        assert [e["type"] for e in events] == ["invoice_created", "payment_received"]
        assert events[1]["invoice"]["payment"]["txid"] == txid_of(raw)
        assert events[0]["id"] != events[1]["id"]
        log = deliveries(jppd, endpoint)
        assert [d["state"] for d in log] == ["delivered", "delivered"]
        assert all(d["attempts"][0]["status_code"] == 200 for d in log)
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_retries_in_order_on_5xx_no_retry_on_4xx_and_timeouts_retried(tmp_path, node, webhook_receiver):
    jppd = shop(tmp_path, node, *FAST_RETRIES)
    flaky, _ = add_endpoint(jppd, webhook_receiver.url("/flaky"), "--events", "invoice_created")
    refusing, _ = add_endpoint(jppd, webhook_receiver.url("/refusing"), "--events", "invoice_created")
    slow, _ = add_endpoint(jppd, webhook_receiver.url("/slow"), "--events", "invoice_created")
    webhook_receiver.script["/flaky"] = [500, 503, 200]
    webhook_receiver.script["/refusing"] = [400, 200]
    webhook_receiver.script["/slow"] = [("sleep", 4, 200), 200]  # beyond the 2 s timeout, once
    jppd.start()
    try:
        first, second = create(jppd), create(jppd)
        wait_for(lambda: len(webhook_receiver.requests("/flaky")) >= 4, 15, "the flaky endpoint's deliveries")
        wait_for(lambda: len(webhook_receiver.requests("/slow")) >= 3, 15, "the slow endpoint's deliveries")
        time.sleep(1.5)
        # Per endpoint, in order: the first invoice's event until it is taken, only then the second's.
        flaky_order = [e["invoice"]["payment_id"] for e in webhook_receiver.events("/flaky")]
        assert flaky_order == [first, first, first, second]
        # A 400 is final: the first event failed at once, the queue moved on to the second.
        assert [e["invoice"]["payment_id"] for e in webhook_receiver.events("/refusing")] == [first, second]
        # A timeout is retried; the late answer of the first try does not count.
        assert [e["invoice"]["payment_id"] for e in webhook_receiver.events("/slow")] == [first, first, second]

        log = {e: list(reversed(deliveries(jppd, e))) for e in (flaky, refusing, slow)}  # oldest first
        assert [a["status_code"] for a in log[flaky][0]["attempts"]] == [500, 503, 200]
        assert log[flaky][0]["attempts"][0]["error"] == "HTTP 500"
        assert [d["state"] for d in log[flaky]] == ["delivered", "delivered"]
        assert [d["state"] for d in log[refusing]] == ["failed", "delivered"]
        assert [a["status_code"] for a in log[refusing][0]["attempts"]] == [400]
        timed_out = log[slow][0]["attempts"][0]
        assert timed_out["status_code"] is None and "timeout" in timed_out["error"].lower(), timed_out
        assert [d["state"] for d in log[slow]] == ["delivered", "delivered"]
        # The same event id on each try: what a receiver deduplicates by.
        assert len({e["id"] for e in webhook_receiver.events("/flaky")[:3]}) == 1
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_gives_up_after_the_schedule(tmp_path, node, webhook_receiver):
    jppd = shop(tmp_path, node, "--webhook-retry-schedule", "1,1", "--webhook-timeout", "2")
    endpoint, _ = add_endpoint(jppd, webhook_receiver.url("/down"), "--events", "invoice_created")
    webhook_receiver.script["/down"] = [502]
    jppd.start()
    try:
        create(jppd)
        wait_for(lambda: deliveries(jppd, endpoint)[0]["state"] == "failed", 15, "the delivery to fail")
        assert len(webhook_receiver.requests("/down")) == 3  # the first try and two retries
        assert "failed after 3 attempt(s)" in jppd.log_text()
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_pending_deliveries_survive_a_sigkill(tmp_path, node, webhook_receiver):
    jppd = shop(tmp_path, node, "--webhook-retry-schedule", ",".join(["1"] * 30), "--webhook-timeout", "2")
    endpoint, secret = add_endpoint(jppd, webhook_receiver.url("/later"), "--events", "invoice_created")
    webhook_receiver.script["/later"] = [503]  # down for now
    jppd.start()
    made = [create(jppd) for _ in range(5)]
    wait_for(lambda: len(webhook_receiver.requests("/later")) >= 2, 10, "failing attempts")
    jppd.stop(signal.SIGKILL)
    assert deliveries_pending(jppd, endpoint)
    webhook_receiver.script["/later"] = [200]  # the receiver is back
    seen_before = len(webhook_receiver.requests("/later"))
    jppd.start()
    try:
        wait_for(lambda: all(d["state"] == "delivered" for d in deliveries(jppd, endpoint)), 30,
                 "every delivery after the restart")
        delivered = [e for e in webhook_receiver.events("/later")]
        assert {e["invoice"]["payment_id"] for e in delivered[seen_before:]} == set(made)
        # In order, each event once after the restart (the receiver answered 503 before it).
        assert [e["invoice"]["payment_id"] for e in delivered[seen_before:]] == made
        for _path, headers, body, _at in webhook_receiver.requests("/later"):
            assert verify_signature(secret, headers["X-JPP-Signature"], body)
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def deliveries_pending(jppd, endpoint):
    """Read from the database while jppd is down: deliveries not yet delivered."""
    import sqlite3
    with sqlite3.connect(jppd.db) as db:
        return db.execute("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ? AND state = 0",
                          (endpoint,)).fetchone()[0]


def test_private_addresses_are_refused_unless_allowed(tmp_path, node, webhook_receiver):
    jppd = shop(tmp_path, node, *FAST_RETRIES, allow_private=False)
    refused = admin(jppd.db, "webhook", "add", "--merchant", "shop", "--url", webhook_receiver.url("/x"))
    assert refused.returncode == 1 and "private address" in refused.stderr
    for url in ("http://localhost:1/x", "http://[::1]:1/x", "http://10.1.2.3/x", "http://169.254.169.254/x",
                "http://[::ffff:127.0.0.1]/x", "ftp://example.com/x", "http://user:pw@example.com/x"):
        assert admin(jppd.db, "webhook", "add", "--merchant", "shop", "--url", url).returncode == 1, url
    # Registered while allowed, then jppd runs without the permission: the address is checked when connecting too.
    endpoint, _ = add_endpoint(jppd, webhook_receiver.url("/private"), "--events", "invoice_created")
    jppd.start()
    try:
        create(jppd)
        wait_for(lambda: deliveries(jppd, endpoint)[0]["state"] == "failed", 10, "the delivery to be refused")
        attempt = deliveries(jppd, endpoint)[0]["attempts"]
        assert len(attempt) == 1 and "not public" in attempt[0]["error"]
        assert webhook_receiver.requests("/private") == []
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_redelivery_and_a_slow_receiver_holds_up_nothing_else(tmp_path, node, funds, webhook_receiver):
    jppd = shop(tmp_path, node, "--webhook-retry-schedule", "1", "--webhook-timeout", "5")
    fast, secret = add_endpoint(jppd, webhook_receiver.url("/fast"))
    add_endpoint(jppd, webhook_receiver.url("/stuck"))
    webhook_receiver.script["/stuck"] = [("sleep", 4.5, 200)]
    jppd.start()
    try:
        started = time.monotonic()
        pid = create(jppd)
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
        r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
        assert r.status == 200 and time.monotonic() - started < 3, r  # the stuck receiver delays no payment
        wait_for(lambda: len(webhook_receiver.requests("/fast")) >= 2, 3, "the other endpoint's deliveries")
        assert webhook_receiver.requests("/fast")[1][3] - started < 3

        original = webhook_receiver.events("/fast")[1]
        again = jppd.request("POST", f"/api/v1/webhooks/{fast}/redeliver", {"event_id": original["id"]},
                             headers={"Authorization": f"Bearer {jppd.key}"})
        assert again.status == 202, again
        wait_for(lambda: len(webhook_receiver.requests("/fast")) >= 3, 5, "the redelivery")
        _path, headers, body, _at = webhook_receiver.requests("/fast")[2]
        assert verify_signature(secret, headers["X-JPP-Signature"], body)
        redelivered = __import__("json").loads(body)
        assert redelivered["id"] == original["id"] and redelivered["type"] == "payment_received"
        assert redelivered["delivery_id"] != original["delivery_id"]
        assert redelivered["redelivery_of"] == original["delivery_id"]
        assert again.json()["delivery_id"] == redelivered["delivery_id"]
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_https_receivers_must_present_a_trusted_certificate(tmp_path, node):
    """A receiver whose certificate no CA vouches for (self-signed here) gets nothing: libcurl verifies the peer."""
    import http.server
    import ssl
    import subprocess
    import threading
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    jppd = shop(tmp_path, node, "--webhook-retry-schedule", "", "--webhook-timeout", "5")
    endpoint, _ = add_endpoint(jppd, f"https://127.0.0.1:{server.server_address[1]}/hook", "--events",
                               "invoice_created")
    jppd.start()
    try:
        create(jppd)
        wait_for(lambda: deliveries(jppd, endpoint)[0]["state"] == "failed", 10, "the delivery to be refused")
        attempt = deliveries(jppd, endpoint)[0]["attempts"]
        assert len(attempt) == 1 and "certificate" in attempt[0]["error"].lower(), attempt
        assert received == []
    finally:
        assert jppd.stop() == 0, jppd.log_text()
        server.shutdown()
