"""The Python package over the C ABI: the same surface the C tests cover, with Python callbacks."""
import gc
import threading
import time
import weakref

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


# Threads, callbacks and closing (the embedding contract of Service's docstring).

WIF = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"


def signed_payment(tag, outputs=None):
    """A payment of 12,345 sat to MERCHANT from a made-up coin of key 1; `tag` makes the transaction unique."""
    return jpp.sign_p2pkh(WIF, [{"txid": f"{tag:016x}" + "11" * 24, "vout": 0, "value": 100_000_000}],
                          outputs or [{"address": MERCHANT, "amount": 12345}])


def new_invoice(service):
    return service.create_invoice({"outputs": [{"amount": 12345, "address": MERCHANT}]})["payment_id"]


def run_threads(count, target):
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    assert errors == []


def test_no_callback_after_unsubscribe_under_threads(tmp_path):
    # 8 threads subscribe, pay and unsubscribe; each payment reaches the callbacks of every thread. The library used
    # to call callbacks after unsubscribe had returned, and the binding had dropped the ctypes thunk by then: a
    # segmentation fault within seconds.
    late = []
    with jpp.Service(tmp_path / "db.sqlite") as service:
        def worker(t):
            for i in range(15):
                state = {"unsubscribed": False, "calls": 0}

                def on_event(message, state=state):
                    time.sleep(0.0005)  # a window for the owner to unsubscribe
                    if state["unsubscribed"]:
                        late.append(message["txid"])
                    state["calls"] += 1

                sid = service.subscribe(on_event)
                invoice = new_invoice(service)
                service.pay(invoice, signed_payment(t << 16 | i))
                service.unsubscribe(sid)
                state["unsubscribed"] = True
                assert state["calls"] >= 1

        run_threads(8, worker)
    assert late == []


def test_unsubscribe_is_idempotent_and_may_come_from_the_callback(tmp_path):
    with jpp.Service(tmp_path / "db.sqlite") as service:
        calls = []
        sid = None

        def once(message):
            calls.append(message["type"])
            service.unsubscribe(sid)  # itself, from inside: no wait for itself
            service.unsubscribe(sid)

        sid = service.subscribe(once)
        service.pay(new_invoice(service), signed_payment(1))
        service.pay(new_invoice(service), signed_payment(2))
        assert calls == ["payment_received"]
        service.unsubscribe(sid)  # again, and an id never issued: nothing happens
        service.unsubscribe(123456789)
        with pytest.raises(ValueError):
            service.unsubscribe(-1)


def test_close_from_inside_a_callback(tmp_path):
    service = jpp.Service(tmp_path / "db.sqlite")
    seen = []

    def close_on_payment(message):  # what it sees is checked outside: ctypes swallows exceptions of callbacks
        service.close()  # the service is released once the pay call running this callback returns
        seen.append(service.closed)
        try:
            service.get_invoice(message["invoice"]["payment_id"])
        except ValueError as error:
            seen.append(str(error))

    after = []
    service.subscribe(close_on_payment)
    service.subscribe(after.append)  # not called: no callback starts once close() was called
    invoice = new_invoice(service)
    paid = service.pay(invoice, signed_payment(3))
    assert paid["status"] == "paid"
    assert seen == [True, "the service is closed"]
    assert after == []
    with pytest.raises(ValueError, match="the service is closed"):
        service.get_invoice(invoice)
    service.close()  # idempotent
    # The database was closed: another service opens it and sees the payment.
    with jpp.Service(tmp_path / "db.sqlite") as again:
        assert again.get_invoice(invoice)["status"] == "paid"


def test_close_racing_with_calls_on_other_threads(tmp_path):
    for round_ in range(5):
        service = jpp.Service(tmp_path / f"db{round_}.sqlite")
        invoice = new_invoice(service)
        started = threading.Barrier(9)
        outcomes = []

        def caller(t, service=service, invoice=invoice, started=started):
            started.wait()
            while True:
                try:
                    service.get_invoice(invoice)
                    service.verify(invoice, PAYMENT)
                    service.subscribe(lambda message: None)
                except ValueError as error:
                    assert "the service is closed" in str(error)
                    outcomes.append("closed")
                    return

        threads = [threading.Thread(target=caller, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        started.wait()
        time.sleep(0.01 * round_)
        with service:  # __exit__ closes, racing with the 8 callers
            pass
        for t in threads:
            t.join(60)
        assert outcomes == ["closed"] * 8
        del service
        gc.collect()


def test_dropping_the_last_reference_closes(tmp_path):
    service = jpp.Service(tmp_path / "db.sqlite", chain=FakeChain())
    invoice = new_invoice(service)
    ref = weakref.ref(service)
    del service  # no reference cycle through the ctypes callbacks: closed at once
    assert ref() is None
    with jpp.Service(tmp_path / "db.sqlite") as again:
        assert again.get_invoice(invoice)["status"] == "open"


def test_strings_with_nul_are_refused(tmp_path):
    with jpp.Service(tmp_path / "db.sqlite") as service:
        invoice = new_invoice(service)
        assert service.get_invoice(invoice)["payment_id"] == invoice
        with pytest.raises(ValueError, match="NUL"):
            service.get_invoice(invoice + "\0junk")
        with pytest.raises(ValueError, match="NUL"):
            service.verify(invoice, PAYMENT + "\0")
        with pytest.raises(ValueError, match="NUL"):
            service.pay(invoice + "\0", PAYMENT)
    with pytest.raises(ValueError, match="NUL"):
        jpp.decode_transaction(PAYMENT + "\0" + "00")
    with pytest.raises(ValueError, match="NUL"):
        jpp.address_to_locking_bytecode(MERCHANT + "\0x")
    with pytest.raises(ValueError, match="NUL"):
        jpp.sign_p2pkh(WIF + "\0", [], [])
    with pytest.raises(ValueError, match="NUL"):
        jpp.Service(str(tmp_path / "db.sqlite") + "\0other")
    with pytest.raises(ValueError, match="NUL"):
        jpp.verify_offline({"outputs": [{"amount": 12345, "address": MERCHANT}]}, PAYMENT, spent_outputs=["00\0"])


def test_a_90_kB_payment(tmp_path):
    # A standard transaction may have 100,000 bytes; its pay body is twice that in hex, beyond a 64 KiB JSON limit.
    outputs = [{"address": MERCHANT, "amount": 12345}]
    outputs += [{"address": "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "amount": 1000}] * 2620
    raw = signed_payment(4, outputs)
    assert 88_000 < len(raw) // 2 < 100_000
    with jpp.Service(tmp_path / "db.sqlite") as service:
        invoice = new_invoice(service)
        assert service.pay(invoice, raw)["status"] == "paid"


class NodeLikeChain(FakeChain):
    """Answers as a node does: a transaction it holds already is AlreadyKnown; `down` makes the outcome unknown."""

    def __init__(self):
        super().__init__()
        self.down = False

    def broadcast(self, raw_hex, txid):
        if self.down:
            raise jpp.ChainUnavailable("no answer within 10 s")
        if txid in self.broadcasts:
            raise jpp.AlreadyKnown("txn-already-known")
        self.broadcasts.append(txid)


def test_a_transaction_sent_elsewhere_settles_nothing_and_a_lost_answer_is_retried(tmp_path):
    chain = NodeLikeChain()
    request = {"outputs": [{"amount": 12345, "address": MERCHANT}]}
    with jpp.Service(tmp_path / "invoices.sqlite", chain=chain) as service:
        replayed = service.create_invoice(request)["payment_id"]
        chain.broadcasts.append(TXID)  # paid to the address outside the service
        with pytest.raises(jpp.JppError) as error:
            service.pay(replayed, PAYMENT)
        assert error.value.name == "payment_tx_not_new"
        assert service.get_invoice(replayed)["payment"] is None

    chain = NodeLikeChain()
    with jpp.Service(tmp_path / "other.sqlite", chain=chain) as service:
        invoice_id = service.create_invoice(request)["payment_id"]
        chain.down = True
        with pytest.raises(jpp.JppError) as error:
            service.pay(invoice_id, PAYMENT)
        assert error.value.name == "chain_unavailable"
        chain.down = False
        chain.broadcasts.append(TXID)  # the node had taken it after all
        assert service.pay(invoice_id, PAYMENT)["payment"]["txid"] == TXID  # the retry is this service's own
