"""What a client may learn from jppd's answers: a stable code and a plain message, never the node's RPC URL, the
cookie file's path or SQLite's own words, which go to the log for the operator."""
import json
import os
import sqlite3

import pytest

from conftest import MERCHANT_WIF, PAYER_WIF, Daemon, address_of, free_port, sign, wait_for

MERCHANT = address_of(MERCHANT_WIF)


def payment_tx(amount=10_000):
    return sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": amount + 2_000}],
                [{"address": MERCHANT, "amount": amount}])


def bip70_payment(raw_hex):
    tx = bytes.fromhex(raw_hex)
    n, length = len(tx), b""
    while True:
        length += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            break
    return b"\x12" + length + tx


def every_answer(jppd, pid, raw):
    """/healthz, and an attempt to verify and to pay in every protocol."""
    v2 = {"chain": "BCH", "transactions": [{"tx": raw}]}
    yield "healthz", jppd.request("GET", "/healthz")
    yield "verify", jppd.request("POST", f"/jpp/invoices/{pid}/verify", {"raw_tx_hex": raw})
    yield "pay", jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    yield "v2 verification", jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps(v2),
                                          {"Content-Type": "application/payment-verification"})
    yield "v2 payment", jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps(v2),
                                     {"Content-Type": "application/payment", "x-paypro-version": "2"})
    yield "v1 payment", jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps({"transactions": [raw]}),
                                     {"Content-Type": "application/payment"})
    yield "bip70 payment", jppd.request("POST", f"/jpp/i/{pid}/", bip70_payment(raw),
                                        {"Content-Type": "application/bitcoincash-payment",
                                         "Accept": "application/bitcoincash-paymentack"})


@pytest.mark.parametrize("cookie", ["present", "missing"])
def test_node_details_stay_in_the_log(tmp_path, cookie):
    """A node RPC URL on a closed loopback port, with a cookie file (the URL is then in the node client's errors)
    or without one (its path is)."""
    closed = free_port()
    rpc_url = f"http://127.0.0.1:{closed}/"
    secret_dir = tmp_path / "secret-node-dir"
    secret_dir.mkdir()
    cookie_path = secret_dir / "secret.cookie"
    if cookie == "present":
        cookie_path.write_text("__cookie__:s3cr3t-p4ssw0rd\n")
    jppd = Daemon(tmp_path, ["--network", "regtest", "--node-rpc", rpc_url, "--node-rpc-cookie", str(cookie_path),
                             "--node-rpc-timeout", "1", "--open-invoice-creation"]).start()
    try:
        pid = jppd.create_invoice([{"address": MERCHANT, "amount": 10_000}])["payment_id"]
        raw = payment_tx()
        secrets = [rpc_url, f"127.0.0.1:{closed}", f":{closed}", str(cookie_path), "secret-node-dir",
                   "secret.cookie", "s3cr3t"]
        seen = set()
        for name, r in every_answer(jppd, pid, raw):
            seen.add(r.status)
            for secret in secrets:
                assert secret not in r.body, f"{name} shows {secret!r}: {r}"
            if name == "healthz":
                message = "the node cannot be reached" if cookie == "present" else "the node's credentials cannot be read"
                assert r.status == 503 and r.json()["chain"] == {"ok": False, "code": "chain_unavailable",
                                                                 "message": message}, r
            elif name in ("pay", "v2 payment"):
                assert r.status == 503 and r.json()["code"] == "chain_unavailable", r
                assert r.headers["retry-after"]
            elif name in ("v1 payment", "bip70 payment"):
                assert r.status == 503 and "cannot reach the network" in r.body, r
        assert jppd.invoice(pid)["payment"] is None
        # The operator reads what failed, and where, in the log.
        log = jppd.log_text()
        assert (rpc_url if cookie == "present" else str(cookie_path)) in log
        assert f"pay {pid}" in log
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_sqlite_words_stay_in_the_log(tmp_path):
    """The database locked by another process beyond the busy timeout: the clients are told the server cannot
    record now (503 store_failure), not what SQLite said."""
    jppd = Daemon(tmp_path, ["--dev-mode", "--network", "regtest"]).start()
    try:
        pid = jppd.create_invoice([{"address": MERCHANT, "amount": 10_000}])["payment_id"]
        raw = payment_tx()
        holder = sqlite3.connect(jppd.db, timeout=0, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            answers = {
                "create": jppd.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 1000}]}),
                "pay": jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}),
                "v2 payment": jppd.request("POST", f"/jpp/i/bitpay/{pid}/",
                                           json.dumps({"chain": "BCH", "transactions": [{"tx": raw}]}),
                                           {"Content-Type": "application/payment", "x-paypro-version": "2"}),
            }
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for name, r in answers.items():
            assert r.status == 503 and r.json()["code"] == "store_failure", (name, r)
            for word in ("locked", "sqlite", "SQLite", "SQLITE", "database is", "busy", str(jppd.db)):
                assert word not in r.body, f"{name} shows {word!r}: {r}"
        assert "locked" in jppd.log_text()  # the operator's to read
        assert jppd.invoice(pid)["payment"] is None
        assert jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}).status == 200
    finally:
        assert jppd.stop() == 0, jppd.log_text()
