"""The wallet protocols against a real jppd and a real bcash regtest node: BitPay's JSON Payment Protocol (v2 and
v1) driven by bitcore-wallet-client itself, BIP70 decoded and built with Debian's protoc and python3-protobuf from
the canonical schema, the error texts wallets show, and the content negotiation of the invoice URLs."""
import hashlib
import http.client
import importlib.util
import json
import subprocess
import time

import pytest
import websocket

from conftest import (HERE, MERCHANT_WIF, PAYER_WIF, Daemon, Funds, address_of, node_args, pay_tx, txid_of,
                      wait_for)

MERCHANT = address_of(MERCHANT_WIF)
PAYER = address_of(PAYER_WIF)
# Electron Cash's test key, so the identity is known: 17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR.
SIGNING_KEY = "5d649f89db31b5ef21330898a7a70a523527a8cb2d542508ea0c065b640da7df"
IDENTITY = "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR"
PUBLIC_KEY = "02c6467b7e621144105ed3e4835b0b4ab7e35266a2ae1c4f8baa19e9ca93452997"

# BIP70's messages as the BIP publishes them (proto2, full runtime): an independent decoder of what jppd sends.
CANONICAL_SCHEMA = """
syntax = "proto2";
package payments;
message Output { optional uint64 amount = 1 [default = 0]; required bytes script = 2; }
message PaymentDetails {
    optional string network = 1 [default = "main"]; repeated Output outputs = 2; required uint64 time = 3;
    optional uint64 expires = 4; optional string memo = 5; optional string payment_url = 6;
    optional bytes merchant_data = 7;
}
message PaymentRequest {
    optional uint32 payment_details_version = 1 [default = 1]; optional string pki_type = 2 [default = "none"];
    optional bytes pki_data = 3; required bytes serialized_payment_details = 4; optional bytes signature = 5;
}
message X509Certificates { repeated bytes certificate = 1; }
message Payment {
    optional bytes merchant_data = 1; repeated bytes transactions = 2; repeated Output refund_to = 3;
    optional string memo = 4;
}
message PaymentACK { required Payment payment = 1; optional string memo = 2; }
"""
BIP70_REQUEST = "application/bitcoincash-paymentrequest"
BIP70_PAYMENT = "application/bitcoincash-payment"
BIP70_ACK = "application/bitcoincash-paymentack"


@pytest.fixture(scope="module")
def pb(workdir):
    out = workdir / "bip70"
    out.mkdir(exist_ok=True)
    (out / "paymentrequest.proto").write_text(CANONICAL_SCHEMA)
    subprocess.run(["protoc", f"--python_out={out}", f"-I{out}", str(out / "paymentrequest.proto")], check=True)
    spec = importlib.util.spec_from_file_location("paymentrequest_pb2", out / "paymentrequest_pb2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=16)


@pytest.fixture(scope="module")
def jppd(node, workdir):
    key = workdir / "signing.key"
    key.write_text(SIGNING_KEY + "\n")
    key.chmod(0o600)
    d = Daemon(workdir, node_args(node.rpc_url) + ["--signing-key", str(key)]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def test_print_identity_names_the_signing_key(workdir):
    key = workdir / "identity.key"
    key.write_text("KzMFjMC2MPadjvX5Cd7b8AKKjjpBSoRKUTpoAtN6B3J9ezWYyXS6\n")  # the same key, as WIF
    key.chmod(0o600)
    from conftest import JPPD
    out = subprocess.run([JPPD, "--signing-key", str(key), "--print-identity"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"x-identity: {IDENTITY}" in out.stdout and f"public key: {PUBLIC_KEY}" in out.stdout
    assert "readable by other users" not in out.stderr
    key.chmod(0o644)
    out = subprocess.run([JPPD, "--signing-key", str(key), "--print-identity"], capture_output=True, text=True)
    assert "readable by other users" in out.stderr
    out = subprocess.run([JPPD, "--print-identity"], capture_output=True, text=True)
    assert out.returncode == 2 and "--signing-key" in out.stderr


def script_of(node, address):
    return bytes.fromhex(node.rpc("validateaddress", address)["scriptPubKey"])


def unsigned(raw_hex):
    """The transaction with every unlocking script emptied: what wallets send to be verified before signing."""
    raw = bytes.fromhex(raw_hex)

    def varint(at):
        first = raw[at]
        if first < 0xfd:
            return first, at + 1
        size = {0xfd: 2, 0xfe: 4, 0xff: 8}[first]
        return int.from_bytes(raw[at + 1:at + 1 + size], "little"), at + 1 + size

    out = bytearray(raw[:4])
    count, at = varint(4)
    out += raw[4:at]
    for _ in range(count):
        out += raw[at:at + 36]
        length, at = varint(at + 36)
        out += b"\x00"
        at += length
        out += raw[at:at + 4]
        at += 4
    out += raw[at:]
    return out.hex()


def invoice(jppd, amount=50_000, **extra):
    return jppd.create_invoice([{"address": MERCHANT, "amount": amount}], memo="order 42 \u2014 caf\u00e9", **extra)


def watch(jppd, pid):
    return websocket.create_connection(f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{pid}/", timeout=10)


def notified(ws):
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return json.loads(frame.data)


def assert_signed(reply):
    """The JSON Payment Protocol headers, with the digest of the body as received."""
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.headers["digest"] == "SHA-256=" + hashlib.sha256(reply.body.encode()).hexdigest()
    assert reply.headers["x-identity"] == IDENTITY
    assert reply.headers["x-signature-type"] == "ecc"
    assert len(reply.headers["signature"]) == 128
    assert reply.headers["x-signature"] == reply.headers["signature"]


def bitpay_wallet(*args):
    r = subprocess.run(["node", str(HERE / "bitpay_wallet.js"), *args], capture_output=True, text=True, timeout=120)
    steps = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert r.returncode == 0, (r.stdout, r.stderr)
    return steps


# --- BitPay JSON Payment Protocol, with bitcore-wallet-client --------------------------------------------------

def test_bitcore_v2_pays_through_signed_responses(jppd, node, funds):
    inv = invoice(jppd)
    pid = inv["payment_id"]
    # The protocol URL as r=, alone or after the address and amount when the invoice is payable at its address.
    assert inv["payment_uri"] in (f"bitcoincash:?r={jppd.url}/jpp/i/bitpay/{pid}/",
                                  f"{MERCHANT}?amount=0.0005&r={jppd.url}/jpp/i/bitpay/{pid}/")
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    ws = watch(jppd, pid)

    steps = bitpay_wallet("v2", inv["payment_uri"], IDENTITY, PUBLIC_KEY, unsigned(raw), raw)
    options, request, again, verification, payment = steps
    assert options["paymentId"] == pid and options["verified"] is True
    assert options["payProUrl"] == f"{jppd.url}/jpp/i/bitpay/{pid}/"
    assert options["paymentOptions"][0]["network"] == "regtest"  # bitcore's name for our "regtest"
    assert options["paymentOptions"][0]["estimatedAmount"] == 50_000
    assert request["instructions"][0]["toAddress"] == MERCHANT
    assert request["instructions"][0]["amount"] == 50_000
    assert request["chain"] == "bch" and request["network"] == "regtest"
    assert again["instructions"] == request["instructions"]
    assert verification["memo"] == "Payment appears valid"
    assert "paid" in payment["memo"]

    assert txid_of(raw) in node.rpc("getrawmempool")
    message = notified(ws)
    assert message["type"] == "payment_received" and message["txid"] == txid_of(raw)
    assert jppd.invoice(pid)["payment"]["txid"] == txid_of(raw)

    # The same payment again is a retry: 200 and the same echo.
    body = {"chain": "BCH", "currency": "BCH", "transactions": [{"tx": raw, "weightedSize": len(raw) // 2}]}
    r = jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps(body),
                     {"Content-Type": "application/payment", "x-paypro-version": "2"})
    assert r.status == 200, r
    assert r.json()["payment"]["transactions"][0]["tx"] == raw
    assert_signed(r)


def test_bitcore_v1_gets_and_sends(jppd, node, funds):
    inv = invoice(jppd, amount=60_000)
    pid = inv["payment_id"]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 60_000}])
    url = f"{jppd.url}/jpp/i/bitpay/{pid}/"
    request, payment = bitpay_wallet("v1", url, IDENTITY, PUBLIC_KEY, unsigned(raw), raw)
    assert request["amount"] == 60_000 and request["paymentId"] == pid and request["verified"] is True
    assert request["memo"] == "order 42 \u2014 caf\u00e9"
    assert "paid" in payment["memo"]
    assert txid_of(raw) in node.rpc("getrawmempool")
    assert jppd.invoice(pid)["payment"]["txid"] == txid_of(raw)


def test_bitpay_responses_carry_every_field_with_its_type(jppd):
    inv = jppd.create_invoice([{"address": MERCHANT, "amount": 12_345}, {"address": PAYER, "amount": 1_000}],
                              required_fee_per_byte=1.5)
    pid = inv["payment_id"]
    r = jppd.request("GET", f"/jpp/i/bitpay/{pid}/", headers={"Accept": "application/payment-options",
                                                              "x-paypro-version": "2"})
    assert r.status == 200, r
    assert_signed(r)
    options = r.json()
    assert options["memo"] == f"Payment request for invoice {pid}"  # a string, never null
    assert options["paymentUrl"] == f"{jppd.url}/jpp/i/bitpay/{pid}/" and options["paymentId"] == pid
    assert options["time"].endswith(".000Z") and options["expires"].endswith(".000Z")
    [option] = options["paymentOptions"]
    assert option == {"chain": "BCH", "currency": "BCH", "network": "regtest", "estimatedAmount": 13_345,
                      "requiredFeeRate": 1.5, "minerFee": 0, "decimals": 8, "selected": False}

    # No Accept on this POST, unknown keys in the body: both as real wallets send them.
    r = jppd.request("POST", f"/jpp/i/bitpay/{pid}/",
                     json.dumps({"chain": "BCH", "currency": "BCH", "network": "regtest", "estimatedAmount": 13_345,
                                 "payload": {"address": "x"}}), {"Content-Type": "application/payment-request"})
    assert r.status == 200, r
    assert_signed(r)
    request = r.json()
    assert request["chain"] == "BCH" and request["network"] == "regtest"
    [instruction] = request["instructions"]
    assert instruction["type"] == "transaction" and instruction["requiredFeeRate"] == 1.5
    assert instruction["outputs"] == [{"amount": 12_345, "address": MERCHANT}, {"amount": 1_000, "address": PAYER}]

    r = jppd.request("GET", f"/jpp/i/bitpay/{pid}/", headers={"Accept": "application/payment-request"})
    assert r.status == 200, r
    assert_signed(r)
    v1 = r.json()
    assert v1["currency"] == "BCH" and v1["requiredFeeRate"] == 1.5 and v1["requiredFeePerByte"] == 1.5
    assert v1["outputs"] == instruction["outputs"]
    for key in ("paymentId", "memo", "paymentUrl", "time", "expires", "network"):
        assert isinstance(v1[key], str)

    # A CashTokens output: the token-aware address, with its prefix, and the token as Paytaca reads it.
    token_address = address_of(MERCHANT_WIF, token_aware=True)
    assert token_address.startswith("bchreg:z")
    pid = jppd.create_invoice([{"address": token_address, "amount": 1000,
                                "token": {"category": "ab" * 32, "amount": 7,
                                          "nft": {"capability": "mutable", "commitment": "c0de"}}}])["payment_id"]
    r = jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps({"chain": "BCH"}),
                     {"Content-Type": "application/payment-request"})
    assert r.status == 200, r
    assert r.json()["instructions"][0]["outputs"] == [
        {"amount": 1000, "address": token_address,
         "token": {"category": "ab" * 32, "amount": 7, "nft": {"capability": "mutable", "commitment": "c0de"}}}]


def test_bitpay_verification_echoes_the_request_exactly(jppd, funds):
    pid = invoice(jppd)["payment_id"]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    body = {"chain": "BCH", "currency": "BCH", "transactions": [{"tx": unsigned(raw), "weightedSize": 999}]}
    r = jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps(body),
                     {"Content-Type": "application/payment-verification", "x-paypro-version": "2"})
    assert r.status == 200, r
    assert_signed(r)
    assert r.json() == {"payment": body, "memo": "Payment appears valid"}
    # v1, with the signed transaction where the unsigned one belongs (as Electron Cash sends it).
    body = {"currency": "BCH", "unsignedTransaction": raw, "weightedSize": len(raw) // 2}
    r = jppd.request("POST", f"/jpp/i/bitpay/{pid}/", json.dumps(body), {"Content-Type": "application/verify-payment"})
    assert r.status == 200, r
    assert r.json()["payment"] == body and "valid" in r.json()["memo"]


def bitpay_post(jppd, pid, content_type, body, v2=True):
    headers = {"Content-Type": content_type}
    if v2:
        headers["x-paypro-version"] = "2"
    return jppd.request("POST", f"/jpp/i/bitpay/{pid}/", body if isinstance(body, str) else json.dumps(body), headers)


def v2_payment(tx):
    return {"chain": "BCH", "currency": "BCH", "transactions": [{"tx": tx, "weightedSize": len(tx) // 2}]}


def assert_v2_error(r, status, text):
    assert r.status == status, r
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    assert body["msg"] == body["message"] == body["error"]
    assert body["msg"].startswith(text), body
    assert body["code"]


def assert_v1_error(r, status, text):
    assert r.status == status, r
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.body.startswith(text), r


def test_bitpay_errors_carry_the_texts_wallets_recognise(jppd, node, funds):
    coin = funds.coin()
    pid = invoice(jppd)["payment_id"]

    wrong_amount = pay_tx(coin, [{"address": MERCHANT, "amount": 49_999}])
    r = bitpay_post(jppd, pid, "application/payment", v2_payment(wrong_amount))
    assert_v2_error(r, 400, "The amount on the transaction (0.00049999 BCH) does not match the amount requested "
                            "(0.0005 BCH). This payment will not be accepted.")
    r = bitpay_post(jppd, pid, "application/payment", {"currency": "BCH", "transactions": [wrong_amount]}, v2=False)
    assert_v1_error(r, 400, "The amount on the transaction (0.00049999 BCH) does not match")

    wrong_address = pay_tx(coin, [{"address": PAYER, "amount": 50_000}])
    r = bitpay_post(jppd, pid, "application/payment-verification", v2_payment(wrong_address))
    assert_v2_error(r, 400, "The transaction you sent does not have any output to the bitcoin address on the invoice")
    r = bitpay_post(jppd, pid, "application/verify-payment", {"unsignedTransaction": wrong_address}, v2=False)
    assert_v1_error(r, 400, "The transaction you sent does not have any output to the bitcoin address")
    assert txid_of(wrong_amount) not in node.rpc("getrawmempool")

    assert_v2_error(bitpay_post(jppd, pid, "application/payment", "{not json"), 400,
                    "We were unable to parse your payment")
    assert_v1_error(bitpay_post(jppd, pid, "application/payment", "\x00\x01garbage", v2=False), 400,
                    "We were unable to parse your payment")
    assert_v2_error(bitpay_post(jppd, pid, "application/payment", v2_payment("zz")), 400,
                    "Your transaction was an in an invalid format, it must be a hexadecimal string")
    assert_v2_error(bitpay_post(jppd, pid, "application/payment", v2_payment("0200000001")), 400,
                    "We were unable to parse the transaction you sent")
    assert_v2_error(bitpay_post(jppd, pid, "application/payment", {"chain": "BCH", "transactions": []}), 400,
                    "Request must include exactly one (1) transaction")
    assert_v2_error(bitpay_post(jppd, pid, "application/payment-request", {"chain": "BTC", "currency": "BTC"}), 400,
                    "This invoice is priced in BCH, not BTC")
    oversize = json.dumps(v2_payment("00" * 150_000))
    assert_v2_error(bitpay_post(jppd, pid, "application/payment", oversize), 400, "Payment too large")
    assert_v1_error(bitpay_post(jppd, pid, "application/json", {"transactions": []}, v2=False), 400,
                    "Unsupported Content-Type for payment")
    r = jppd.request("GET", f"/jpp/i/bitpay/{'0' * 32}/", headers={"Accept": "application/payment-options"})
    assert_v2_error(r, 404, "This invoice was not found or has been archived")

    # Paid: every step says the invoice no longer takes payments, except the same payment again.
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    assert bitpay_post(jppd, pid, "application/payment", v2_payment(raw)).status == 200
    other = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 50_000}])
    assert_v2_error(bitpay_post(jppd, pid, "application/payment", v2_payment(other)), 400,
                    "Invoice no longer accepting payments")
    assert_v1_error(bitpay_post(jppd, pid, "application/payment", {"transactions": [other]}, v2=False), 400,
                    "Invoice no longer accepting payments")
    assert_v2_error(bitpay_post(jppd, pid, "application/payment-request", {"chain": "BCH"}), 400,
                    "Invoice no longer accepting payments")
    r = jppd.request("GET", f"/jpp/i/bitpay/{pid}/", headers={"Accept": "application/payment-options"})
    assert_v2_error(r, 400, "Invoice no longer accepting payments")
    assert txid_of(other) not in node.rpc("getrawmempool")

    # Expired.
    late = invoice(jppd, expires_in=1)["payment_id"]
    wait_for(lambda: jppd.invoice(late)["status"] == "expired", 5, "the invoice to expire")
    for content_type in ("application/payment-request", "application/payment-verification", "application/payment"):
        assert_v2_error(bitpay_post(jppd, late, content_type, v2_payment(raw)), 400,
                        "Invoice no longer accepting payments")
    r = jppd.request("GET", f"/jpp/i/bitpay/{late}/", headers={"Accept": "application/payment-request"})
    assert_v1_error(r, 400, "Invoice no longer accepting payments")


# --- BIP70 ----------------------------------------------------------------------------------------------------

def test_bip70_payment_request_field_by_field(jppd, node, pb):
    inv = jppd.create_invoice([{"address": MERCHANT, "amount": 70_000}, {"address": PAYER, "amount": 546}],
                              memo="BIP70 order", expires_in=600)
    pid = inv["payment_id"]
    r = jppd.request("GET", f"/jpp/i/{pid}/", headers={"Accept": BIP70_REQUEST, "User-Agent": "Electron-Cash"})
    assert r.status == 200, r
    assert r.headers["content-type"] == BIP70_REQUEST  # exactly: Electron Cash compares the whole value
    conn_body = jppd_raw_body(jppd, f"/jpp/i/{pid}/", BIP70_REQUEST)
    request = pb.PaymentRequest()
    request.ParseFromString(conn_body)
    assert request.HasField("payment_details_version") and request.payment_details_version == 1
    assert request.HasField("pki_type") and request.pki_type == "none"
    assert not request.HasField("signature") and not request.HasField("pki_data")
    assert conn_body.startswith(bytes.fromhex("0801") + bytes.fromhex("12046e6f6e65"))  # fields in number order

    details = pb.PaymentDetails()
    details.ParseFromString(request.serialized_payment_details)
    assert details.network == "test"
    assert [(o.amount, o.script) for o in details.outputs] == [(70_000, script_of(node, MERCHANT)),
                                                               (546, script_of(node, PAYER))]
    assert all(o.HasField("amount") for o in details.outputs)
    assert details.memo == "BIP70 order"
    assert details.payment_url == f"{jppd.url}/jpp/i/{pid}/"
    assert details.merchant_data
    assert details.expires - details.time == 600
    assert abs(details.time - time.time()) < 60


def jppd_raw_body(jppd, path, accept):
    conn = http.client.HTTPConnection("127.0.0.1", jppd.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        r = conn.getresponse()
        assert r.status == 200
        return r.read()
    finally:
        conn.close()


def post_payment(jppd, path, body, accept=BIP70_ACK, content_type=BIP70_PAYMENT):
    conn = http.client.HTTPConnection("127.0.0.1", jppd.port, timeout=30)
    try:
        headers = {"Content-Type": content_type}
        if accept is not None:
            headers["Accept"] = accept
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        conn.close()


def test_bip70_payment_is_acknowledged_with_the_payment_verbatim(jppd, node, funds, pb):
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 80_000}])["payment_id"]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 80_000}])
    ws = watch(jppd, pid)
    payment = pb.Payment(merchant_data=b"", transactions=[bytes.fromhex(raw)],
                         refund_to=[pb.Output(script=script_of(node, PAYER))], memo="Paid using Electron Cash")
    sent = payment.SerializeToString()
    # Badger's Accept: a list, split on commas.
    status, content_type, body = post_payment(jppd, f"/jpp/i/{pid}", sent,
                                              accept=f"{BIP70_REQUEST}, {BIP70_ACK}")
    assert status == 200, body
    assert content_type == BIP70_ACK
    ack = pb.PaymentACK()
    ack.ParseFromString(body)
    assert ack.payment.SerializeToString() == sent
    assert ack.memo
    assert txid_of(raw) in node.rpc("getrawmempool")
    assert notified(ws)["txid"] == txid_of(raw)
    paid = jppd.invoice(pid)["payment"]
    assert paid["txid"] == txid_of(raw) and paid["memo"] == "Paid using Electron Cash"
    assert paid["refund_to"] == [{"address": PAYER, "amount": 0}]

    # The same Payment again is acknowledged again (BIP70); another transaction is refused.
    status, _, body = post_payment(jppd, f"/jpp/i/{pid}/", sent)
    assert status == 200, body
    other = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 80_000}])
    status, content_type, body = post_payment(jppd, f"/jpp/i/{pid}/",
                                              pb.Payment(transactions=[bytes.fromhex(other)]).SerializeToString())
    assert (status, body) == (400, b"Invoice already paid")
    assert content_type == "text/plain; charset=utf-8"
    assert txid_of(other) not in node.rpc("getrawmempool")


def test_bip70_errors_are_short_plain_text(jppd, node, funds, pb):
    coin = funds.coin()
    pid = jppd.create_invoice([{"address": MERCHANT, "amount": 90_000}])["payment_id"]
    path = f"/jpp/i/{pid}/"

    def payment_of(raw):
        return pb.Payment(transactions=[bytes.fromhex(raw)]).SerializeToString()

    status, _, body = post_payment(jppd, path, payment_of(pay_tx(coin, [{"address": MERCHANT, "amount": 89_999}])))
    assert status == 400 and b"90000 sat" in body, body  # names the output that is not paid
    status, _, body = post_payment(jppd, path, payment_of(pay_tx(coin, [{"address": PAYER, "amount": 90_000}])))
    assert status == 400 and MERCHANT.encode() in body, body
    assert post_payment(jppd, path, b"\xff\xff\xff garbage")[::2] == (400, b"Unable to parse payment")
    assert post_payment(jppd, path, pb.Payment().SerializeToString())[::2] == (
        400, b"Request must include exactly one (1) transaction")
    assert post_payment(jppd, path, b"\x12" + b"\xff\xff\x07" + b"\x00" * 0x1ffff)[::2] == (400, b"Payment too large")
    assert post_payment(jppd, path, payment_of("0200"))[0] == 400
    assert post_payment(jppd, path, payment_of(pay_tx(coin, [{"address": MERCHANT, "amount": 90_000}])),
                        accept="application/json")[0] == 406
    status, _, body = post_payment(jppd, f"/jpp/i/{'0' * 32}/", payment_of("00"))
    assert (status, body) == (404, b"Invoice not found")

    late = jppd.create_invoice([{"address": MERCHANT, "amount": 90_000}], expires_in=1)["payment_id"]
    wait_for(lambda: jppd.invoice(late)["status"] == "expired", 5, "the invoice to expire")
    status, _, body = post_payment(jppd, f"/jpp/i/{late}/",
                                   payment_of(pay_tx(coin, [{"address": MERCHANT, "amount": 90_000}])))
    assert (status, body) == (400, b"Invoice has expired")
    r = jppd.request("GET", f"/jpp/i/{late}/", headers={"Accept": BIP70_REQUEST})
    assert (r.status, r.body) == (400, "Invoice has expired")

    token = jppd.create_invoice([{"address": address_of(MERCHANT_WIF, token_aware=True), "amount": 1000,
                                  "token": {"category": "11" * 32, "amount": 5}}])
    r = jppd.request("GET", f"/jpp/i/{token['payment_id']}/", headers={"Accept": BIP70_REQUEST})
    assert r.status == 406 and "CashTokens" in r.body, r


# --- The invoice URLs ------------------------------------------------------------------------------------------

def test_every_invoice_url_negotiates_every_protocol(jppd):
    pid = invoice(jppd)["payment_id"]
    for path in (f"/jpp/invoices/{pid}/", f"/jpp/i/bitpay/{pid}/", f"/jpp/i/{pid}/", f"/jpp/i/{pid}"):
        r = jppd.request("GET", path, headers={"Accept": "application/json"})
        assert r.status == 200 and r.json()["payment_id"] == pid, r
        r = jppd.request("GET", path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
        r = jppd.request("GET", path, headers={"Accept": "application/payment-options"})
        assert r.status == 200 and r.json()["paymentUrl"] == jppd.url + path, r
        assert_signed(r)
        r = jppd.request("GET", path, headers={"Accept": BIP70_REQUEST})
        assert r.status == 200 and r.headers["content-type"] == BIP70_REQUEST, r
        r = jppd.request("GET", path, headers={"Accept": "image/png"})
        assert r.status == 406, r
        for offered in ("application/json", "text/html", "application/payment-options", "application/payment-request",
                        BIP70_REQUEST):
            assert offered in r.json()["message"]
        assert r.headers["vary"] == "Accept"
