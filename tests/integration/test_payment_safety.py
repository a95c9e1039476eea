"""Money safety against a real regtest node: a transaction that reached the network without this server settles
no invoice (mempool and mined); a broadcast whose record failed, or was cut short by SIGKILL, is recorded by the
wallet's retry after expiry or by the reconciliation at start, once; cheap checks come before questions to the
node, and the node's connections are kept alive."""
import json
import signal
import sqlite3
import threading

import pytest
import websocket

from conftest import (MERCHANT_WIF, Daemon, Funds, NodeProxy, address_of, node_args, pay_tx, txid_of, wait_for)

MERCHANT = address_of(MERCHANT_WIF)


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=12)


@pytest.fixture
def jppd(tmp_path, node):
    d = Daemon(tmp_path, node_args(node.rpc_url)).start()
    yield d
    assert d.stop() == 0, d.log_text()


def pay(jppd, pid, raw, **extra):
    return jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw, **extra})


def bitpay_v2_payment(jppd, pid, raw):
    return jppd.request("POST", f"/jpp/i/bitpay/{pid}/", {"chain": "BCH", "currency": "BCH",
                                                          "transactions": [{"tx": raw}]},
                        headers={"Content-Type": "application/payment", "x-paypro-version": "2"})


@pytest.mark.parametrize("mined", [False, True], ids=["in the mempool", "mined"])
def test_replay_of_a_transaction_sent_elsewhere_is_refused(jppd, node, funds, mined):
    # A customer paid the merchant's address directly (a static address, a fixed price).
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 25_000}])
    node.rpc("sendrawtransaction", raw)
    if mined:
        node.rpc("generatetoaddress", 1, MERCHANT)
        assert txid_of(raw) not in node.rpc("getrawmempool")
    # Someone offers that transaction to a new invoice with the same output.
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 25_000}])["payment_id"]
    r = pay(jppd, pid, raw)
    assert r.status == 400, r
    if not mined:
        assert r.json()["code"] == "payment_tx_not_new", r
    else:  # the node has it in a block: "already known", or its inputs are spent; refused either way
        assert r.json()["code"] in ("payment_tx_not_new", "broadcast_rejected"), r
    payment = bitpay_v2_payment(jppd, pid, raw)  # the wallet protocols go through the same rule
    assert payment.status in (400, 500) and payment.json()["code"] == r.json()["code"], payment
    assert jppd.invoice(pid)["payment"] is None
    assert jppd.invoice(pid)["status"] == "open"


def test_record_fails_after_broadcast_then_retry_after_expiry(tmp_path, node, funds):
    proxy = NodeProxy(node.rpc_port)
    jppd = Daemon(tmp_path, node_args(proxy.url)).start()
    try:
        pid = jppd.create_invoice([{"address": MERCHANT, "amount": 26_000}], expires_in=4)["payment_id"]
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 26_000}])
        watcher = websocket.create_connection(f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/?events=all",
                                              timeout=30)
        proxy.delay = 1.0  # the node's answers come late: time to take the database's lock meanwhile
        answer = {}
        paying = threading.Thread(target=lambda: answer.setdefault("r", pay(jppd, pid, raw)))
        paying.start()
        wait_for(lambda: txid_of(raw) in node.rpc("getrawmempool"), 30, "the node to take the transaction")
        db = sqlite3.connect(jppd.db, timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # another writer holds the lock past jppd's busy timeout
        paying.join(60)
        db.execute("ROLLBACK")
        db.close()
        proxy.delay = 0.0
        r = answer["r"]
        assert r.status == 503 and r.json()["code"] == "store_failure", r
        assert jppd.invoice(pid)["payment"] is None

        # The invoice expires; with a broadcast under way it is not announced, and the retry records it.
        wait_for(lambda: jppd.invoice(pid)["status"] == "expired", 30, "the invoice's expiry")
        r = pay(jppd, pid, raw)
        assert r.status == 200, r
        assert r.json()["payment"]["txid"] == txid_of(raw)
        message = json.loads(watcher.recv())
        assert message["type"] == "payment_received", message  # never invoice_expired first
        assert message["txid"] == txid_of(raw)
        watcher.close()
    finally:
        assert jppd.stop() == 0, jppd.log_text()
        proxy.close()


def test_sigkill_between_broadcast_and_record_is_reconciled_at_start(tmp_path, node, funds):
    proxy = NodeProxy(node.rpc_port)
    jppd = Daemon(tmp_path, node_args(proxy.url, timeout=30)).start()
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 27_000}])["payment_id"]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 27_000}])
    proxy.delay = 5.0
    lost = []  # the wallet's answer: lost with the daemon

    def wallet():
        try:
            lost.append(pay(jppd, pid, raw))
        except OSError as error:
            lost.append(error)
    paying = threading.Thread(target=wallet)
    paying.start()
    wait_for(lambda: txid_of(raw) in node.rpc("getrawmempool"), 30, "the node to take the transaction")
    jppd.stop(sig=signal.SIGKILL)  # before the node's answer arrives: nothing recorded
    proxy.close()
    paying.join(30)
    assert len(lost) == 1 and isinstance(lost[0], OSError), lost

    check = sqlite3.connect(jppd.db)
    assert check.execute("SELECT count(*) FROM payments").fetchone()[0] == 0
    assert check.execute("SELECT count(*) FROM broadcast_intents").fetchone()[0] == 1
    check.close()

    # Back up, straight to the node: the open intent is settled with no wallet retry.
    jppd.args[jppd.args.index(proxy.url)] = node.rpc_url
    jppd.start()
    try:
        wait_for(lambda: jppd.invoice(pid)["payment"] is not None, 30, "the reconciliation to record the payment")
        assert jppd.invoice(pid)["payment"]["txid"] == txid_of(raw)
        ws = websocket.create_connection(f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/", timeout=10)
        message = json.loads(ws.recv())
        ws.close()
        assert message["type"] == "payment_received" and message["txid"] == txid_of(raw)
        assert "recorded 1 payment(s) whose broadcast had not been recorded" in jppd.log_text()
    finally:
        assert jppd.stop() == 0, jppd.log_text()


def test_cheap_checks_first_and_node_connections_kept_alive(tmp_path, node, funds):
    proxy = NodeProxy(node.rpc_port)
    jppd = Daemon(tmp_path, node_args(proxy.url)).start()
    try:
        coin = funds.coin()
        pid = jppd.create_invoice([{"address": MERCHANT, "amount": 28_000}])["payment_id"]
        # Pays nothing the invoice asks for: refused before any question to the node.
        before = proxy.accepted
        r = pay(jppd, pid, pay_tx(coin, [{"address": MERCHANT, "amount": 1_000}]))
        assert r.status == 400 and r.json()["code"] == "payment_output_missing", r
        assert proxy.accepted == before
        # Verifications ask the node for the spent outputs over connections kept open between calls.
        good = pay_tx(coin, [{"address": MERCHANT, "amount": 28_000}])
        before = proxy.accepted
        for _ in range(10):
            r = jppd.request("POST", f"/jpp/invoices/{pid}/verify", {"raw_tx_hex": good})
            assert r.status == 200, r
        assert proxy.accepted - before <= 2, f"{proxy.accepted - before} connections for 10 verifications"
        assert pay(jppd, pid, good).status == 200
    finally:
        assert jppd.stop() == 0, jppd.log_text()
        proxy.close()
