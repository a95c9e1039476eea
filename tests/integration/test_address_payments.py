"""Payments outside the protocols, on the real regtest node: a wallet that ignores r= pays the invoice's address
with the amount of its BIP21 URI (a transaction signed by libjpp's signer, sent with sendrawtransaction). jppd finds
it in the mempool or in a block, records it through the same exactly-once path as the protocols, and tells watchers
and webhooks; under, over and late payments are recorded and flagged."""
import json
import time

import pytest
import websocket

from conftest import MERCHANT_WIF, Daemon, Funds, address_of, node_args, pay_tx, txid_of, wait_for
from test_merchants import admin, create_key

MERCHANT = address_of(MERCHANT_WIF)
FOLLOW = ["--chain-poll-ms", "200"]


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=16)


@pytest.fixture
def jppd(node, tmp_path):
    d = Daemon(tmp_path, node_args(node.rpc_url) + FOLLOW).start()
    wait_for(lambda: "this instance now follows the chain" in d.log_text(), 10, "the follower")
    yield d
    assert d.stop() == 0


def watch(daemon, pid, query="?events=all"):
    return websocket.create_connection(f"ws://127.0.0.1:{daemon.port}/ws/jpp/invoice/{pid}/{query}", timeout=15)


def send(node, raw):
    """What a plain wallet does: hand the transaction to the network. Not in the second the invoice was made: a
    transaction the node took in then (or earlier) is never its payment (times are whole seconds), and a customer
    takes longer than that to pay anyway."""
    time.sleep(1.1)
    node.rpc("sendrawtransaction", raw)
    wait_for(lambda: txid_of(raw) in node.rpc("getrawmempool"), 10, "the transaction in the mempool")


def test_a_plain_send_to_the_address_pays_the_invoice_once(jppd, node, funds):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 50_000}])
    pid = invoice["payment_id"]
    assert invoice["payment_uri"] == f"{MERCHANT}?amount=0.0005&r={jppd.url}/jpp/i/bitpay/{pid}/"
    seed = watch(jppd, pid, "")  # the seed's clients: one payment message
    everything = watch(jppd, pid)
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    started = time.monotonic()
    send(node, raw)
    for w in (seed, everything):
        m = json.loads(w.recv())
        assert m["type"] == "payment_received" and m["txid"] == txid_of(raw)
    assert time.monotonic() - started < 10
    paid = jppd.invoice(pid)
    assert paid["status"] == "paid"
    assert paid["payment"]["source"] == "address"
    assert paid["payment"]["overpaid_by"] == 0 and paid["payment"]["late"] is False
    # The same transaction offered afterwards through a protocol is the same payment, not a second one.
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    assert r.json()["payment"]["txid"] == txid_of(raw) and r.json()["payment"]["source"] == "address"
    node.rpc("generatetoaddress", 1, MERCHANT)
    m = json.loads(everything.recv())
    assert m["type"] == "payment_confirmed"
    for w in (seed, everything):
        w.settimeout(1)
        with pytest.raises(websocket.WebSocketTimeoutException):
            w.recv()
        w.close()
    # The address is free again: the next invoice there is payable at it.
    assert jppd.create_invoice([{"address": MERCHANT, "amount": 1_000}])["payment_uri"].startswith(MERCHANT)


def test_only_one_open_invoice_per_address_is_payable_there(jppd):
    first = jppd.create_invoice([{"address": MERCHANT, "amount": 10_000}])
    second = jppd.create_invoice([{"address": MERCHANT, "amount": 20_000}])
    assert first["payment_uri"].startswith(MERCHANT + "?amount=0.0001&r=")
    assert second["payment_uri"] == f"bitcoincash:?r={jppd.url}/jpp/i/bitpay/{second['payment_id']}/"
    two = jppd.create_invoice([{"address": MERCHANT, "amount": 10_000}, {"address": address_of(MERCHANT_WIF),
                                                                            "amount": 600}])
    assert two["payment_uri"].startswith("bitcoincash:?r=")  # two outputs: a plain URI cannot say it


def test_a_payment_made_and_mined_while_jppd_is_stopped_is_found_at_start(jppd, node, funds):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 40_000}])["payment_id"]
    assert jppd.stop() == 0
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 40_000}])
    send(node, raw)
    node.rpc("generatetoaddress", 2, MERCHANT)  # the coinbases pay the address too: a miner is not a customer
    assert txid_of(raw) not in node.rpc("getrawmempool")
    jppd.start()  # the blocks are dated after the invoice (send() waited a second), and read after the restart
    wait_for(lambda: jppd.invoice(pid)["status"] == "confirmed", 15, "the payment found")
    payment = jppd.invoice(pid)["payment"]
    assert payment["txid"] == txid_of(raw) and payment["source"] == "address" and payment["confirmations"] == 2
    assert payment["overpaid_by"] == 0 and payment["reversed_at"] is None


def test_under_then_full_payment(jppd, node, funds):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 30_000}])["payment_id"]
    w = watch(jppd, pid)
    part = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 12_000}])
    send(node, part)
    m = json.loads(w.recv())
    assert m["type"] == "payment_underpaid" and m["txid"] == txid_of(part) and m["amount"] == 12_000
    invoice = jppd.invoice(pid)
    assert invoice["status"] == "open" and invoice["payment"] is None
    assert invoice["underpayments"][0]["txid"] == txid_of(part) and invoice["underpayments"][0]["amount"] == 12_000
    full = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 30_000}])
    send(node, full)
    m = json.loads(w.recv())
    assert m["type"] == "payment_received" and m["txid"] == txid_of(full)
    w.close()


def test_overpayment_is_a_payment_flagged_with_the_excess(jppd, node, funds):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 30_000}])["payment_id"]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 31_234}])
    send(node, raw)
    wait_for(lambda: jppd.invoice(pid)["status"] == "paid", 10, "the payment")
    assert jppd.invoice(pid)["payment"]["overpaid_by"] == 1_234


def test_late_payment_is_recorded_and_flagged(jppd, node, funds):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 30_000}], expires_in=1)["payment_id"]
    wait_for(lambda: jppd.invoice(pid)["status"] == "expired", 10, "the expiry")
    w = watch(jppd, pid)
    assert json.loads(w.recv())["type"] == "invoice_expired"
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 30_000}])
    send(node, raw)
    m = json.loads(w.recv())
    assert m["type"] == "payment_received" and m["txid"] == txid_of(raw)
    assert m["invoice"]["payment"]["late"] is True and m["invoice"]["status"] == "paid"
    w.close()


def test_the_merchants_webhook_is_told_of_an_address_payment(node, funds, tmp_path, webhook_receiver):
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False) + FOLLOW + ["--webhook-allow-private"])
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    key, _ = create_key(d.db, "shop", "invoices:create,invoices:read")
    r = admin(d.db, "webhook", "add", "--merchant", "shop", "--url", webhook_receiver.url("/hook"),
              "--events", "payment_received", "--webhook-allow-private")
    assert r.returncode == 0, r.stderr
    d.start()
    try:
        r = d.request("POST", "/api/v1/invoices", {"outputs": [{"address": MERCHANT, "amount": 45_000}]},
                      headers={"Authorization": f"Bearer {key}"})
        assert r.status == 201, r
        pid = r.json()["payment_id"]
        assert r.json()["payment_uri"].startswith(MERCHANT + "?amount=0.00045&r=")
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 45_000}])
        send(node, raw)
        wait_for(lambda: len(webhook_receiver.events("/hook")) >= 1, 15, "the webhook")
        time.sleep(1)
        [event] = webhook_receiver.events("/hook")
        assert event["type"] == "payment_received" and event["invoice"]["payment_id"] == pid
        assert event["invoice"]["payment"]["txid"] == txid_of(raw)
        assert event["invoice"]["payment"]["source"] == "address"
    finally:
        assert d.stop() == 0
