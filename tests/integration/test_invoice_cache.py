"""GET /jpp/invoices/{id}/ serves a kept serialized answer (api/invoice_cache.hpp); these check that it is never
stale where it matters: once a payment is acknowledged every later read says paid, even with readers filling the
cache while the payment is recorded; an invoice reads expired from its expiry on; a cancelled one reads
cancelled at once."""
import json
import os
import threading
import time

from conftest import MERCHANT_WIF, PAYER_WIF, Daemon, address_of, sign

MERCHANT = address_of(MERCHANT_WIF)


def payment(amount):
    return sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": amount + 2_000}],
                [{"address": MERCHANT, "amount": amount}])


def test_no_read_after_an_acknowledged_payment_says_unpaid(tmp_path):
    jppd = Daemon(tmp_path, ["--dev-mode", "--network", "regtest", "--client-rate", "0",
                             "--max-client-connections", "0"]).start()
    try:
        for round_ in range(12):
            pid = jppd.create_invoice([{"address": MERCHANT, "amount": 10_000 + round_}])["payment_id"]
            raw = payment(10_000 + round_)
            acknowledged = threading.Event()
            stale = []

            def poll():
                # Readers keep the invoice's answer in the cache before, during and after the payment.
                while True:
                    after_ack = acknowledged.is_set()
                    status = jppd.invoice(pid)["status"]
                    if after_ack and status != "paid":
                        stale.append(status)
                    if after_ack:
                        return

            readers = [threading.Thread(target=poll) for _ in range(4)]
            for r in readers:
                r.start()
            time.sleep(0.05)
            # The payment and a read pipelined behind it on one connection: the read is served the moment the
            # payment is answered, before the event log's follower (another thread) could have told the cache.
            body = json.dumps({"raw_tx_hex": raw})
            host = f"Host: 127.0.0.1:{jppd.port}\r\n"
            answers = jppd.raw((f"POST /jpp/invoices/{pid}/pay HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                                f"Content-Length: {len(body)}\r\n\r\n{body}"
                                f"GET /jpp/invoices/{pid}/ HTTP/1.1\r\n{host}Connection: close\r\n\r\n").encode(),
                               responses=2).decode()
            acknowledged.set()
            assert answers.startswith("HTTP/1.1 200"), answers[:300]
            read = answers[answers.index("HTTP/1.1", 10):]
            assert read.startswith("HTTP/1.1 200"), read[:300]
            assert json.loads(read[read.index("\r\n\r\n") + 4:])["status"] == "paid"
            for reader in readers:
                reader.join()
            assert not stale, f"read {stale} after the payment was acknowledged"
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_an_invoice_reads_expired_from_its_expiry_on(tmp_path):
    jppd = Daemon(tmp_path, ["--dev-mode", "--network", "regtest"]).start()
    try:
        r = jppd.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 1000}],
                                                    "expires_in": 2})
        assert r.status == 201, r
        pid = r.json()["payment_id"]
        expires = r.json()["expires"]
        assert jppd.invoice(pid)["status"] == "open"  # kept now
        deadline = time.time() + 10
        while time.time() < deadline:
            body = jppd.invoice(pid)
            if body["status"] == "expired":
                break
            time.sleep(0.05)
        assert body["status"] == "expired", body
        assert body["expires"] == expires
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_with_the_cache_off_reads_are_the_same(tmp_path):
    on = Daemon(tmp_path, ["--dev-mode", "--network", "regtest"])
    off = Daemon(tmp_path, ["--dev-mode", "--network", "regtest", "--invoice-cache", "0"])
    try:
        for d in (on, off):
            d.start()
            pid = d.create_invoice([{"address": MERCHANT, "amount": 5000}])["payment_id"]
            first, second = d.request("GET", f"/jpp/invoices/{pid}/"), d.request("GET", f"/jpp/invoices/{pid}/")
            assert first.status == second.status == 200
            assert first.body == second.body
            assert first.headers["content-type"] == second.headers["content-type"] == "application/json; charset=utf-8"
            assert first.headers["vary"] == "Accept"
    finally:
        for d in (on, off):
            if d.proc:
                assert d.stop() == 0, d.log_text()
