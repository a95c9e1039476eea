"""The Python package over the C ABI: the same surface the C tests cover, with Python callbacks."""
import threading

import pytest

import jpp

MERCHANT = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
# A payment of 12,345 sat to MERCHANT with change, signed by libjpp's offline signer (key 1, coin 11..11:0).
PAYMENT = (
    "02000000011111111111111111111111111111111111111111111111111111111111111111000000006a4730440220475b32ef8f3bc553"
    "b4c13761afbc82296a2b5fb63ec5956a8e4f3d166e40bbe802201c20f07772a3c41968db1a6321a4975bdad97dc933ad556b5864b61f5c"
    "cbb75741210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ffffffff0239300000000000001976a914"
    "76a04053bda0a88bda5177b86a15c3b29f55987388ac85550100000000001976a914751e76e8199196d454941c45d1b3a323f1433bd688"
    "ac00000000"
)
TXID = "0fe8150d56b2822da81747ea819ab7bf4e9bbe64dea19862b01b417e8977f992"
# The coin PAYMENT spends, in wire form: 100,000 sat to key 1's P2PKH.
SPENT = bytes.fromhex("a086010000000000" "19" "76a914751e76e8199196d454941c45d1b3a323f1433bd688ac")


def test_versions():
    assert jpp.__version__ == "0.1.0"
    assert jpp.abi_version() == "0.1.0"


def test_decode_transaction():
    tx = jpp.decode_transaction(PAYMENT)
    assert tx["txid"] == TXID
    assert tx["version"] == 2
    assert tx["size"] == len(PAYMENT) // 2
    assert [o["value"] for o in tx["outputs"]] == [12345, 87429]
    assert tx["outputs"][0]["address"] == MERCHANT
    with pytest.raises(jpp.JppError) as error:
        jpp.decode_transaction(PAYMENT + "00")
    assert error.value.name == "trailing_bytes"
    assert "unexpected bytes" in error.value.message
    with pytest.raises(ValueError):
        jpp.decode_transaction(PAYMENT, network="chipnet")


def test_addresses():
    script = jpp.address_to_locking_bytecode(MERCHANT)
    assert script.hex() == "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac"
    assert jpp.locking_bytecode_to_address(script) == MERCHANT
    assert jpp.locking_bytecode_to_address(script, token_aware=True).startswith("bitcoincash:z")
    with pytest.raises(jpp.JppError) as error:
        jpp.address_to_locking_bytecode(MERCHANT, network=jpp.TEST)
    assert error.value.name == "address_wrong_network"


def test_signer_reproduces_the_known_payment():
    raw = jpp.sign_p2pkh(
        "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn",
        [{"txid": "11" * 32, "vout": 0, "value": 100000}],
        [{"address": MERCHANT, "amount": 12345}, {"address": "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "amount": 87429}],
    )
    assert raw == PAYMENT
    with pytest.raises(jpp.JppError) as error:
        jpp.sign_p2pkh("nonsense", [], [])
    assert error.value.name == "invalid_private_key"


def test_offline_invoice_and_verification():
    request = {"outputs": [{"amount": 12345, "address": MERCHANT}], "memo": "coffee"}
    invoice = jpp.build_invoice(request)
    assert invoice["status"] == "open"
    assert invoice["outputs"][0]["address"] == MERCHANT
    assert jpp.verify_offline(request, PAYMENT)["inputs_checked"] is False
    assert jpp.verify_offline(request, PAYMENT, spent_outputs=[SPENT])["fee"] == 226
    with pytest.raises(jpp.JppError) as error:
        jpp.verify_offline({"outputs": [{"amount": 20000, "address": MERCHANT}]}, PAYMENT)
    assert error.value.name == "payment_output_missing"
    with pytest.raises(jpp.JppError) as error:
        jpp.build_invoice({"outputs": [{"amount": 1, "address": MERCHANT}]})
    assert error.value.name == "invoice_invalid"


class FakeChain(jpp.ChainBackend):
    def __init__(self):
        self.broadcasts = []
        self.refuse = None

    def broadcast(self, raw_hex, txid):
        if self.refuse:
            raise RuntimeError(self.refuse)
        self.broadcasts.append(txid)

    def spent_outputs(self, raw_hex):
        return [SPENT]


def test_service_with_a_python_chain_and_events(tmp_path):
    chain = FakeChain()
    events = []
    done = threading.Event()
    with jpp.Service(tmp_path / "invoices.sqlite", chain=chain, public_url="https://pay.example.com") as service:
        service.subscribe(lambda message: (events.append(message), done.set()))
        invoice = service.create_invoice({"outputs": [{"amount": 12345, "address": MERCHANT}], "memo": "coffee"})
        assert invoice["payment_url"].startswith("https://pay.example.com/jpp/invoices/")
        assert invoice["status"] == "open"
        invoice_id = invoice["payment_id"]

        verdict = service.verify(invoice_id, PAYMENT)
        assert verdict["valid"] is True
        assert verdict["inputs_checked"] is True  # the Python chain supplied the spent output
        assert verdict["fee"] == 100000 - 12345 - 87429

        chain.refuse = "txn-mempool-conflict"
        with pytest.raises(jpp.JppError) as error:
            service.pay(invoice_id, PAYMENT)
        assert error.value.name == "broadcast_rejected"
        assert error.value.message == "txn-mempool-conflict"
        assert service.get_invoice(invoice_id)["payment"] is None

        chain.refuse = None
        paid = service.pay(invoice_id, PAYMENT, memo="thanks")
        assert paid["payment"]["txid"] == TXID
        assert service.pay(invoice_id, PAYMENT)["payment"]["txid"] == TXID  # a retry
        assert done.wait(5)
        assert chain.broadcasts == [TXID]
        assert len(events) == 1
        assert events[0]["type"] == "payment_received"
        assert events[0]["memo"] == "thanks"
        assert events[0]["invoice"]["payment_id"] == invoice_id

        with pytest.raises(jpp.JppError) as error:
            service.get_invoice("0" * 32)
        assert error.value.name == "invoice_not_found"
        with pytest.raises(jpp.JppError) as error:
            service.create_invoice({"outputs": []})
        assert error.value.name == "invoice_invalid"
        assert service.announce_expired() == 0
    with pytest.raises(ValueError):
        service.get_invoice(invoice_id)


def test_service_without_a_chain(tmp_path):
    with jpp.Service(str(tmp_path / "db.sqlite")) as service:
        invoice = service.create_invoice({"outputs": [{"amount": 12345, "address": MERCHANT}]})
        verdict = service.verify(invoice["payment_id"], PAYMENT)
        assert verdict["inputs_checked"] is False
        assert verdict["message"].startswith("inputs not checked")
