"""Following the chain on the real regtest node: confirmations as blocks are mined, double spends and dropped
payments reported reversed, reorganisations that un-mine and re-mine a payment, and catching up after downtime.
Watchers (?events=all) and webhook receivers are told of each change once."""
import json
import time

import pytest
import websocket

from conftest import MERCHANT_WIF, PAYER_WIF, Daemon, Funds, address_of, node_args, pay_tx, txid_of, wait_for
from regtest_blocks import mine_block
from test_merchants import admin, create_key

MERCHANT = address_of(MERCHANT_WIF)
OTHER = address_of(PAYER_WIF)
FOLLOW = ["--chain-poll-ms", "200"]


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=16)


@pytest.fixture
def jppd(node, tmp_path):
    d = Daemon(tmp_path, node_args(node.rpc_url) + FOLLOW).start()
    yield d
    assert d.stop() == 0


def watch(daemon, pid):
    w = websocket.create_connection(f"ws://127.0.0.1:{daemon.port}/ws/jpp/invoice/{pid}/?events=all", timeout=20)
    return w


def paid_invoice(daemon, funds, confirmations):
    invoice = daemon.create_invoice([{"address": MERCHANT, "amount": 50_000}], required_confirmations=confirmations)
    assert invoice["required_confirmations"] == confirmations
    coin = funds.coin()
    raw = pay_tx(coin, [{"address": MERCHANT, "amount": 50_000}])
    r = daemon.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    assert r.json()["status"] == "paid" and r.json()["payment"]["confirmations"] == 0
    return invoice["payment_id"], raw, coin


def mine(node, count=1):
    return node.rpc("generatetoaddress", count, OTHER)


def in_mempool(node, raw):
    wait_for(lambda: txid_of(raw) in node.rpc("getrawmempool"), 10, "the transaction in the mempool")


def test_one_and_six_confirmations_are_told_in_order_with_their_counts(jppd, node, funds):
    one, raw_one, _ = paid_invoice(jppd, funds, 1)
    six, raw_six, _ = paid_invoice(jppd, funds, 6)
    watchers = {one: watch(jppd, one), six: watch(jppd, six)}
    for pid, w in watchers.items():
        assert json.loads(w.recv())["type"] == "payment_received"  # the state at once: paid
    in_mempool(node, raw_one)
    in_mempool(node, raw_six)
    block = mine(node)[0]
    m = json.loads(watchers[one].recv())
    assert m["type"] == "payment_confirmed" and m["confirmations"] == 1 and m["txid"] == txid_of(raw_one)
    assert m["invoice"]["status"] == "confirmed"
    assert m["invoice"]["payment"]["block_hash"] == block
    assert m["invoice"]["payment"]["block_height"] == node.rpc("getblockcount")
    wait_for(lambda: jppd.invoice(six)["payment"]["confirmations"] == 1, 10, "one confirmation counted")
    assert jppd.invoice(six)["status"] == "paid"
    for count in range(2, 6):
        mine(node)
        wait_for(lambda: jppd.invoice(six)["payment"]["confirmations"] == count, 10, f"{count} confirmations")
        assert jppd.invoice(six)["status"] == "paid"
    mine(node)
    m = json.loads(watchers[six].recv())
    assert m["type"] == "payment_confirmed" and m["confirmations"] == 6 and m["invoice"]["status"] == "confirmed"
    for w in watchers.values():  # each told once
        w.settimeout(1)
        with pytest.raises(websocket.WebSocketTimeoutException):
            w.recv()
        w.close()
    # The seed's watchers (payments only) get the payment message, with the invoice's state now.
    seed = websocket.create_connection(f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{six}/", timeout=5)
    m = json.loads(seed.recv())
    assert m["type"] == "payment_received" and m["invoice"]["status"] == "confirmed"
    seed.close()


def test_double_spend_after_invalidateblock_is_reversed(jppd, node, funds):
    pid, raw, coin = paid_invoice(jppd, funds, 1)
    in_mempool(node, raw)
    block = mine(node)[0]
    wait_for(lambda: jppd.invoice(pid)["status"] == "confirmed", 10, "the payment confirmed")
    w = watch(jppd, pid)
    assert json.loads(w.recv())["type"] == "payment_received"
    # The block leaves the chain (bcash empties its mempool with it), and a block with a double spend of the
    # payment's coin takes its place.
    node.rpc("invalidateblock", block)
    conflict = pay_tx(coin, [{"address": OTHER, "amount": 40_000}])
    mine_block(node, [conflict])
    m = json.loads(w.recv())
    assert m["type"] == "payment_reversed" and m["txid"] == txid_of(raw)
    assert m["invoice"]["status"] == "reversed" and m["reversed_at"]
    assert jppd.invoice(pid)["payment"]["reversed_at"] == m["reversed_at"]
    assert jppd.invoice(pid)["payment"]["block_hash"] is None
    w.settimeout(1.5)
    with pytest.raises(websocket.WebSocketTimeoutException):
        w.recv()
    w.close()
    # Told to a late watcher too, and the payment is not followed any more: more blocks change nothing.
    late = watch(jppd, pid)
    assert json.loads(late.recv())["type"] == "payment_reversed"
    late.close()
    mine(node, 2)
    assert jppd.invoice(pid)["status"] == "reversed"


def test_a_reorganisation_that_re_mines_the_payment_is_not_a_reversal(jppd, node, funds):
    pid, raw, _ = paid_invoice(jppd, funds, 2)
    in_mempool(node, raw)
    parent = node.rpc("getbestblockhash")
    first = mine(node)[0]
    wait_for(lambda: jppd.invoice(pid)["payment"]["block_hash"] == first, 10, "the payment mined")
    w = watch(jppd, pid)
    assert json.loads(w.recv())["type"] == "payment_received"
    # A longer branch from the same parent, with the payment in its second block: the node reorganises to it.
    fork = mine_block(node, [], parent=parent)
    fork_tip = mine_block(node, [raw], parent=fork)
    assert node.rpc("getbestblockhash") == fork_tip
    wait_for(lambda: jppd.invoice(pid)["payment"]["block_hash"] == fork_tip, 10, "the payment found in its new block")
    assert jppd.invoice(pid)["payment"]["confirmations"] == 1
    assert jppd.invoice(pid)["status"] == "paid"
    mine(node)
    m = json.loads(w.recv())
    assert m["type"] == "payment_confirmed" and m["confirmations"] == 2  # the first event since paid
    w.close()


def test_a_dropped_payment_is_reversed_after_the_window(node, funds, tmp_path):
    d = Daemon(tmp_path, node_args(node.rpc_url) + FOLLOW + ["--reversal-window", "3"]).start()
    try:
        pid, raw, _ = paid_invoice(d, funds, 1)
        in_mempool(node, raw)
        w = watch(d, pid)
        assert json.loads(w.recv())["type"] == "payment_received"
        # invalidateblock on the tip empties bcash's mempool (and the tip leaves the chain, to come back as
        # another block): the payment is in no block and no mempool.
        node.rpc("invalidateblock", node.rpc("getbestblockhash"))
        assert txid_of(raw) not in node.rpc("getrawmempool")
        mine_block(node, [])
        m = json.loads(w.recv())
        assert m["type"] == "payment_reversed" and m["invoice"]["status"] == "reversed"
        missing = d.invoice(pid)["payment"]
        assert missing["confirmations"] == 0 and missing["block_height"] is None
        w.close()
    finally:
        assert d.stop() == 0


def test_confirmations_that_happen_while_jppd_is_stopped_are_found_at_start(node, funds, tmp_path):
    d = Daemon(tmp_path, node_args(node.rpc_url) + FOLLOW).start()
    pid, raw, _ = paid_invoice(d, funds, 3)
    in_mempool(node, raw)
    wait_for(lambda: "this instance now follows the chain" in d.log_text(), 10, "the follower")
    assert d.stop() == 0
    mine(node, 4)
    d.start()
    w = watch(d, pid)
    # Caught up from the last block it handled: told at once (the state) and the confirmation event, if it had
    # not been logged before the watcher came; either way the invoice is confirmed with 4 confirmations.
    wait_for(lambda: d.invoice(pid)["status"] == "confirmed", 10, "the confirmation found")
    assert d.invoice(pid)["payment"]["confirmations"] == 4
    types = [json.loads(w.recv())["type"]]
    w.settimeout(1.5)
    try:
        types.append(json.loads(w.recv())["type"])
    except websocket.WebSocketTimeoutException:
        pass
    assert types[0] == "payment_received"
    assert types[1:] in ([], ["payment_confirmed"])
    w.close()
    assert d.stop() == 0


def test_webhooks_are_told_of_the_confirmation_and_the_reversal(node, funds, tmp_path, webhook_receiver):
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False) + FOLLOW + ["--webhook-allow-private"])
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    key, _ = create_key(d.db, "shop", "invoices:create,invoices:read")
    r = admin(d.db, "webhook", "add", "--merchant", "shop", "--url", webhook_receiver.url("/hook"),
              "--webhook-allow-private")
    assert r.returncode == 0, r.stderr
    d.start()
    try:
        r = d.request("POST", "/api/v1/invoices", {"outputs": [{"address": MERCHANT, "amount": 50_000}]},
                      headers={"Authorization": f"Bearer {key}"})
        assert r.status == 201, r
        pid = r.json()["payment_id"]
        coin = funds.coin()
        raw = pay_tx(coin, [{"address": MERCHANT, "amount": 50_000}])
        assert d.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}).status == 200
        in_mempool(node, raw)
        block = mine(node)[0]
        wait_for(lambda: len(webhook_receiver.events("/hook")) >= 3, 15, "the confirmation's webhook")
        confirmed = webhook_receiver.events("/hook")[2]
        assert confirmed["type"] == "payment_confirmed"
        assert confirmed["invoice"]["status"] == "confirmed"
        assert confirmed["invoice"]["payment"]["confirmations"] == 1
        node.rpc("invalidateblock", block)
        mine_block(node, [pay_tx(coin, [{"address": OTHER, "amount": 40_000}])])
        wait_for(lambda: len(webhook_receiver.events("/hook")) >= 4, 15, "the reversal's webhook")
        time.sleep(1)
        events = webhook_receiver.events("/hook")
        assert [e["type"] for e in events] == ["invoice_created", "payment_received", "payment_confirmed",
                                               "payment_reversed"]
        assert events[3]["invoice"]["status"] == "reversed"
        assert all(e["invoice"]["payment_id"] == pid for e in events)
    finally:
        assert d.stop() == 0
