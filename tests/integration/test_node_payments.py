"""Payments end to end: jppd with a real bcash regtest node as its chain backend."""

import pytest

from conftest import (MERCHANT_WIF, PAYER_WIF, FEE, Daemon, Funds, Node, address_of, node_args, pay_tx, require_node,
                      sign, txid_of, wait_for)

@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=12)


@pytest.fixture(scope="module")
def jppd(node, workdir):
    d = Daemon(workdir, node_args(node.rpc_url)).start()
    yield d
    assert d.stop() == 0


MERCHANT = address_of(MERCHANT_WIF)
PAYER = address_of(PAYER_WIF)


def test_pay_end_to_end(jppd, node, funds):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 100_000}], memo="order 1")
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 100_000}])

    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/verify", {"raw_tx_hex": raw})
    assert r.status == 200, r
    assert r.json()["valid"] is True
    assert r.json()["inputs_checked"] is True  # the node told jppd what the input spends
    assert r.json()["fee"] == FEE

    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw, "memo": "thanks"})
    assert r.status == 200, r
    paid = r.json()
    assert paid["payment"]["txid"] == txid_of(raw)
    assert paid["payment"]["memo"] == "thanks"
    assert txid_of(raw) in node.rpc("getrawmempool")

    # The same transaction again is a retry: 200, still one payment.
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    assert r.json()["payment"] == paid["payment"]

    # Another transaction for the paid invoice is refused, and the payment does not change.
    other = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 100_000}])
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": other})
    assert r.status == 400, r
    assert r.json()["code"] == "invoice_already_paid"
    assert r.json()["non_field_errors"]
    assert txid_of(other) not in node.rpc("getrawmempool")
    assert jppd.invoice(invoice["payment_id"])["payment"]["txid"] == txid_of(raw)


def test_underpayment_names_the_missing_output(jppd, node, funds):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 250_000}])
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 249_999}])
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/verify", {"raw_tx_hex": raw})
    assert r.status == 400 and r.json()["valid"] is False, r
    assert MERCHANT in r.json()["error"] and "250000" in r.json()["error"]
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
    assert r.status == 400, r
    assert r.json()["code"] == "payment_output_missing"
    assert MERCHANT in r.json()["non_field_errors"][0]
    assert txid_of(raw) not in node.rpc("getrawmempool")
    assert jppd.invoice(invoice["payment_id"])["payment"] is None


def test_expired_invoice_is_refused(jppd, node, funds):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 50_000}], expires_in=1)
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    # Never before the second asked for has passed (times are whole seconds: the expiry rounds up).
    wait_for(lambda: jppd.invoice(invoice["payment_id"])["status"] == "expired", 5, "the invoice to expire")
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
    assert r.status == 400, r
    assert r.json()["code"] == "invoice_expired"
    assert txid_of(raw) not in node.rpc("getrawmempool")
    got = jppd.invoice(invoice["payment_id"])
    assert got["payment"] is None and got["status"] == "expired"


def test_double_spend_rejected_by_the_node_records_nothing(jppd, node, funds):
    coin = funds.coin()
    # The payer spends the coin elsewhere first, straight through the node.
    first = pay_tx(coin, [{"address": PAYER, "amount": 10_000}])
    node.rpc("sendrawtransaction", first)
    wait_for(lambda: txid_of(first) in node.rpc("getrawmempool"), 10, "the first spend in the mempool")

    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 60_000}])
    second = pay_tx(coin, [{"address": MERCHANT, "amount": 60_000}])
    r = jppd.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": second})
    assert r.status == 400, r
    assert r.json()["code"] == "broadcast_rejected"
    assert txid_of(second) not in node.rpc("getrawmempool")
    assert jppd.invoice(invoice["payment_id"])["payment"] is None


def test_unknown_invoice_is_404(jppd):
    r = jppd.request("GET", "/jpp/invoices/00000000000040008000000000000000/")
    assert r.status == 404
    assert r.json()["detail"] == "Not found." and r.json()["code"] == "invoice_not_found"
    raw = sign(PAYER_WIF, [{"txid": "11" * 32, "vout": 0, "value": 100_000}], [{"address": MERCHANT, "amount": 90_000}])
    r = jppd.request("POST", "/jpp/invoices/00000000000040008000000000000000/pay", {"raw_tx_hex": raw})
    assert r.status == 404 and r.json()["code"] == "invoice_not_found"


def test_healthz_sees_the_node(jppd):
    r = jppd.request("GET", "/healthz")
    assert r.status == 200, r
    assert r.json()["chain"]["ok"] is True and r.json()["dev_mode"] is False


def test_node_down_is_503_and_records_nothing(workdir, tmp_path):
    require_node()
    node = Node(workdir).start()
    funds = Funds(node, count=1)
    daemon = Daemon(tmp_path, node_args(node.rpc_url, timeout=3)).start()
    try:
        invoice = daemon.create_invoice([{"address": MERCHANT, "amount": 70_000}])
        raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 70_000}])
        node.stop()
        r = daemon.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
        assert r.status == 503, r
        assert r.json()["code"] == "chain_unavailable"
        assert r.headers.get("retry-after")
        assert daemon.invoice(invoice["payment_id"])["payment"] is None
        r = daemon.request("GET", "/healthz")
        assert r.status == 503 and r.json()["chain"]["ok"] is False and r.json()["store"]["ok"] is True
    finally:
        node.stop()
        assert daemon.stop() == 0


def test_refuses_a_node_on_another_network(node, tmp_path):
    d = Daemon(tmp_path, ["--network", "main", "--node-rpc", node.rpc_url, "--node-rpc-user", "x",
                         "--node-rpc-password", Node.API_KEY])
    d.start(wait=False)
    assert d.proc.wait(15) == 1
    d.log.close()
    assert "refusing to start" in d.log_text()


def test_wrong_credentials_are_reported(node, tmp_path):
    d = Daemon(tmp_path, ["--network", "regtest", "--node-rpc", node.rpc_url, "--node-rpc-user", "x",
                         "--node-rpc-password", "wrong"]).start()
    try:
        r = d.request("GET", "/healthz")
        assert r.status == 503
        assert "credentials" in r.json()["chain"]["message"]
    finally:
        d.stop()
