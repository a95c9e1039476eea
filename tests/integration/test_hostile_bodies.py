"""Hostile bodies against a real jppd (dev mode) whose threads have a 256 KB stack: every JSON body on every route
and media type goes through the library's one reader, with one set of limits (depth, size, UTF-8, no key twice),
and nothing recurses over what a client sent. Also the lists a payer controls (refund_to) and the largest event a
watcher can be sent, which must fit its send queue."""
import http.client
import json
import os
import resource
import subprocess

import pytest
import websocket

from conftest import JPPD, MERCHANT_WIF, PAYER_WIF, Daemon, address_of, sign, wait_for

MERCHANT = address_of(MERCHANT_WIF)
PAYER = address_of(PAYER_WIF)
STACK = 256 * 1024
MAX_DEPTH = 16  # jppd's JSON depth limit, the same on every route


class SmallStackDaemon(Daemon):
    """jppd started under `ulimit -s 256`: its main thread and every thread it starts get a 256 KB stack."""

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([JPPD, *self.args], stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                     preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_STACK, (STACK, STACK)))
        if wait:
            wait_for(self._accepting, 15, "jppd to listen")
        return self


@pytest.fixture(scope="module")
def jppd(workdir):
    d = SmallStackDaemon(workdir, ["--dev-mode", "--network", "regtest"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def alive(jppd):
    assert jppd.proc.poll() is None, f"jppd died ({jppd.proc.returncode}):\n{jppd.log_text()[-3000:]}"
    assert jppd.request("GET", "/healthz").status == 200


def new_invoice(jppd, amount=10_000):
    return jppd.create_invoice([{"address": MERCHANT, "amount": amount}])["payment_id"]


def payment_tx(amount=10_000, outputs=None):
    """Pays the merchant from a made-up coin (dev mode does not look it up)."""
    outputs = outputs or [{"address": MERCHANT, "amount": amount}]
    return sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": sum(o["amount"] for o in outputs) + 5_000}],
                outputs)


def nest(levels, inner="1"):
    return "[" * levels + inner + "]" * levels


# A body of each route, built around (a raw transaction's hex, a JSON text placed inside it).
def native_create(raw, deep):
    return '{"outputs":[{"address":"%s","amount":10000}],"merchant_data":%s}' % (MERCHANT, deep)


def native_tx(raw, deep):
    return '{"raw_tx_hex":"%s","extra":%s}' % (raw, deep)


def v2_request(raw, deep):
    return '{"chain":"BCH","currency":"BCH","extra":%s}' % deep


def v2_tx(raw, deep):
    return '{"chain":"BCH","currency":"BCH","transactions":[{"tx":"%s","weightedSize":1,"extra":%s}]}' % (raw, deep)


def v1_verify(raw, deep):
    return '{"currency":"BCH","unsignedTransaction":"%s","extra":%s}' % (raw, deep)


def v1_payment(raw, deep):
    return '{"currency":"BCH","transactions":["%s"],"extra":%s}' % (raw, deep)


ROUTES = [
    # name, path, content type, x-paypro-version 2?, body, the levels around the text placed inside (the root's
    # included), the status of success
    ("create", "/jpp/invoices/", "application/json", False, native_create, 1, 201),
    ("verify", "/jpp/invoices/{id}/verify", "application/json", False, native_tx, 1, 200),
    ("pay", "/jpp/invoices/{id}/pay", "application/json", False, native_tx, 1, 200),
    ("payment-request", "/jpp/i/bitpay/{id}/", "application/payment-request", True, v2_request, 1, 200),
    ("payment-verification", "/jpp/i/bitpay/{id}/", "application/payment-verification", True, v2_tx, 3, 200),
    ("verify-payment", "/jpp/i/bitpay/{id}/", "application/verify-payment", False, v1_verify, 1, 200),
    ("payment v2", "/jpp/i/{id}/", "application/payment", True, v2_tx, 3, 200),
    ("payment v1", "/jpp/invoices/{id}/", "application/payment", False, v1_payment, 1, 200),
]
IDS = [r[0] for r in ROUTES]


def post(jppd, path, content_type, v2, body):
    headers = {"Content-Type": content_type}
    if v2:
        headers["x-paypro-version"] = "2"
    return jppd.request("POST", path, body.encode() if isinstance(body, str) else body, headers)


def assert_refused(r, content_type, v2, code, text):
    """400 with `code`: in the JSON error of the native API and BitPay v2, in the plain text of v1 (whose body is
    shown to the user: it names the problem in words)."""
    assert r.status == 400, r
    if content_type == "application/json" or v2:
        assert r.json()["code"] == code, r
    else:
        assert r.headers["content-type"] == "text/plain; charset=utf-8", r
        assert r.body.startswith("We were unable to parse your payment") and text in r.body, r


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_the_deepest_body_each_route_accepts_and_one_level_more(jppd, route):
    name, path, content_type, v2, body, above, ok = route
    raw = payment_tx()
    deepest = nest(MAX_DEPTH - above)  # with the body's own levels (the root's among them): exactly MAX_DEPTH
    pid = new_invoice(jppd)
    r = post(jppd, path.format(id=pid), content_type, v2, body(raw, deepest))
    assert r.status == ok, r
    if name in ("payment-verification", "verify-payment", "payment v2", "payment v1"):
        # The echo writes the request back whole, at the deepest it can be.
        assert r.json()["payment"] == json.loads(body(raw, deepest))
    pid = new_invoice(jppd)
    r = post(jppd, path.format(id=pid), content_type, v2, body(raw, nest(MAX_DEPTH - above + 1)))
    assert_refused(r, content_type, v2, "json_too_deep", f"nested deeper than {MAX_DEPTH} levels")
    alive(jppd)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_a_body_nested_75000_levels_is_refused_and_jppd_stays_up(jppd, route):
    name, path, content_type, v2, body, above, ok = route
    pid = new_invoice(jppd)
    deep = nest(75_000)
    assert 150_000 <= len(deep) < 151_000
    for text in (body(payment_tx(), deep), deep):
        r = post(jppd, path.format(id=pid), content_type, v2, text)
        assert_refused(r, content_type, v2, "json_too_deep", f"nested deeper than {MAX_DEPTH} levels")
        alive(jppd)
    # Objects too, and a deep body that is also malformed is malformed.
    r = post(jppd, path.format(id=pid), content_type, v2, '{"a":' * 25_000 + "1" + "}" * 25_000)
    assert_refused(r, content_type, v2, "json_too_deep", "nested deeper")
    r = post(jppd, path.format(id=pid), content_type, v2, "[" * 75_000)
    assert_refused(r, content_type, v2, "json_invalid", "malformed JSON")
    alive(jppd)
    assert jppd.invoice(pid)["payment"] is None


def test_a_bip70_payment_nested_50000_groups_deep_is_refused(jppd):
    pid = new_invoice(jppd)
    # Field 9 (unknown to the schema) as a group, 50,000 groups deep (100 KB, inside the size limit).
    body = b"\x4b" * 50_000 + b"\x4c" * 50_000
    r = post(jppd, f"/jpp/i/{pid}/", "application/bitcoincash-payment", False, body)
    assert (r.status, r.body) == (400, "Unable to parse payment"), r
    alive(jppd)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_duplicate_keys_are_refused(jppd, route):
    name, path, content_type, v2, body, above, ok = route
    pid = new_invoice(jppd)
    raw = payment_tx()
    text = body(raw, '{"k":1,"k":2}')
    r = post(jppd, path.format(id=pid), content_type, v2, text)
    assert_refused(r, content_type, v2, "json_duplicate_key", 'the key "k" twice')
    # The keys the route reads, given twice with different values: which one would count is not for us to guess.
    first_key = text[1:text.index('"', 2) + 1]
    twice = "{" + first_key + ":null," + text[1:]
    r = post(jppd, path.format(id=pid), content_type, v2, twice)
    assert_refused(r, content_type, v2, "json_duplicate_key", "twice")
    assert jppd.invoice(pid)["payment"] is None


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@pytest.mark.parametrize("bad", [b'"caf\xc3"', b'"\xff\xfe"', b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"\\udc00"',
                                 b'"\\ud800x"', b'{"\xff":1}'],
                         ids=["truncated", "ff", "surrogate", "overlong", "lone-low-escape", "lone-high-escape",
                              "key"])
def test_invalid_utf8_is_refused_never_echoed(jppd, route, bad):
    name, path, content_type, v2, body, above, ok = route
    pid = new_invoice(jppd)
    text = body(payment_tx(), "@@").encode().replace(b"@@", bad)
    r = post(jppd, path.format(id=pid), content_type, v2, text)
    assert_refused(r, content_type, v2, "json_invalid", "not valid UTF-8")
    assert jppd.invoice(pid)["payment"] is None


def raw_answer(jppd, path, content_type, v2, body):
    conn = http.client.HTTPConnection("127.0.0.1", jppd.port, timeout=30)
    try:
        headers = {"Content-Type": content_type}
        if v2:
            headers["x-paypro-version"] = "2"
        conn.request("POST", path, body=body.encode(), headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_answers_quoting_the_client_are_valid_utf8(jppd, route):
    """Error messages that quote a client's text (an address with a character outside CashAddr's alphabet, a
    currency) cut no multi-byte character in two."""
    name, path, content_type, v2, body, above, ok = route
    pid = new_invoice(jppd)
    bad_address = MERCHANT[:-2] + "\u024c\u00e9"
    bodies = {
        "create": '{"outputs":[{"address":"%s","amount":10000}]}' % bad_address,
        "pay": '{"raw_tx_hex":"%s","refund_to":[{"address":"%s","amount":1}]}' % (payment_tx(), bad_address),
        "payment-request": '{"chain":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}',
    }
    text = bodies.get(name, body("zz\u00e9", "1"))
    status, answer = raw_answer(jppd, path.format(id=pid), content_type, v2, text)
    assert status == 400, answer
    answer.decode("utf-8")  # strictly
    if content_type == "application/json" or v2:
        json.loads(answer)


def test_a_bitpay_echo_escapes_what_is_not_ascii(jppd):
    pid = new_invoice(jppd)
    raw = payment_tx()
    body = {"chain": "BCH", "transactions": [{"tx": raw}], "note": "caf\u00e9 \U0001F600 \u0001"}
    r = post(jppd, f"/jpp/i/bitpay/{pid}/", "application/payment-verification", True, json.dumps(body, ensure_ascii=False))
    assert r.status == 200, r
    assert r.body.isascii() and "\\u00E9" in r.body and "\\uD83D\\uDE00" in r.body, r
    assert r.json()["payment"] == body


# --- The lists a payer controls ---------------------------------------------------------------------------------

def test_refund_to_is_bounded(jppd):
    pid = new_invoice(jppd)
    raw = payment_tx()
    refund = {"address": PAYER, "amount": 10_000}
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw, "refund_to": [refund] * 6000})
    assert r.status == 400 and r.json()["code"] == "invoice_invalid", r
    assert "refund_to: 6000 entries exceed the limit of 16" in r.json()["message"]
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw, "refund_to": [refund] * 17})
    assert r.status == 400 and r.json()["code"] == "invoice_invalid", r
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay",
                     {"raw_tx_hex": raw, "refund_to": [{"address": "q" * 129, "amount": 1}]})
    assert r.status == 400 and "longer than 128 bytes" in r.json()["message"], r
    assert jppd.invoice(pid)["payment"] is None
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw, "refund_to": [refund] * 16})
    assert r.status == 200, r
    assert len(jppd.invoice(pid)["payment"]["refund_to"]) == 16


def protobuf_payment(transactions, refunds=0, memo=b"", merchant_data=b""):
    """A BIP70 Payment, encoded by hand: merchant_data (1), transactions (2), refund_to (3) of Output{script (2)},
    memo (4)."""
    def field(number, data):
        n, length = len(data), b""
        while True:
            length += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                break
        return bytes([number << 3 | 2]) + length + data

    script = bytes.fromhex("76a914") + b"\x11" * 20 + bytes.fromhex("88ac")
    out = field(1, merchant_data) if merchant_data else b""
    out += b"".join(field(2, bytes.fromhex(tx)) for tx in transactions)
    out += field(3, field(2, script)) * refunds
    if memo:
        out += field(4, memo)
    return out


def test_bip70_lists_and_texts_are_bounded(jppd):
    pid = new_invoice(jppd)
    raw = payment_tx()
    path = f"/jpp/i/{pid}/"
    headers = {"Content-Type": "application/bitcoincash-payment", "Accept": "application/bitcoincash-paymentack"}
    r = jppd.request("POST", path, protobuf_payment([raw], refunds=17), headers)
    assert (r.status, r.body) == (400, "Too many refund outputs: at most 16"), r
    r = jppd.request("POST", path, protobuf_payment([raw], merchant_data=b"m" * 1025), headers)
    assert r.status == 400 and "merchant_data" in r.body, r
    r = jppd.request("POST", path, protobuf_payment([raw], memo=b"caf\xc3"), headers)
    assert (r.status, r.body) == (400, "Unable to parse payment: the memo is not UTF-8"), r
    assert jppd.invoice(pid)["payment"] is None
    r = jppd.request("POST", path, protobuf_payment([raw], refunds=16, memo="caf\u00e9".encode()), headers)
    assert r.status == 200, r
    paid = jppd.invoice(pid)["payment"]
    assert len(paid["refund_to"]) == 16 and paid["memo"] == "caf\u00e9"


# --- The largest event fits a watcher's queue -------------------------------------------------------------------

def test_the_largest_event_reaches_a_watcher(tmp_path):
    """An invoice and a payment at every limit (100 outputs with 1000-byte descriptions of characters JSON writes
    as \\u00XX, the longest memos, 16 refunds): its payment_received message, about 700 KB, reaches a watcher of
    a jppd with the default send queue."""
    # (The request that creates it is larger than the default body limit: each of those characters is six bytes.)
    d = Daemon(tmp_path, ["--dev-mode", "--network", "regtest", "--max-body-bytes", "1048576"]).start()
    try:
        text = "\u0001" * 1000
        outputs = [{"address": MERCHANT, "amount": 1000 + i, "description": text} for i in range(100)]
        inv = d.create_invoice(outputs, memo=text, merchant_data={"x": "y" * 16000})
        ws = websocket.create_connection(f"ws://127.0.0.1:{d.port}/ws/jpp/invoice/{inv['payment_id']}/", timeout=10)
        raw = payment_tx(outputs=[{"address": MERCHANT, "amount": o["amount"]} for o in outputs])
        r = d.request("POST", f"/jpp/invoices/{inv['payment_id']}/pay",
                      {"raw_tx_hex": raw, "memo": text, "refund_to": [{"address": PAYER, "amount": 1}] * 16})
        assert r.status == 200, r
        frame = ws.recv_frame()
        while frame.opcode != websocket.ABNF.OPCODE_TEXT:
            frame = ws.recv_frame()
        message = json.loads(frame.data)
        assert message["type"] == "payment_received" and len(message["invoice"]["outputs"]) == 100
        assert len(frame.data) > 600_000
        ws.close()
    finally:
        assert d.stop() == 0, d.log_text()


def test_a_send_queue_smaller_than_the_largest_event_is_refused_at_start(workdir):
    r = subprocess.run([JPPD, "--dev-mode", "--db", str(workdir / "refused.sqlite3"), "--ws-send-queue-bytes",
                        "262144"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert "--ws-send-queue-bytes 262144 cannot hold the largest event" in r.stderr and "at least" in r.stderr, r
