"""Merchants and API keys: the administration commands, authenticated invoice creation (401, 403, revocation at
once), invoices owned by their merchant with private metadata, and open creation as an operator's choice. The
merchant API (/api/v1/): listing and paging, cancelling, order ids, webhook endpoints and their deliveries, each
merchant seeing only its own; and the webhook subcommands."""
import json
import os
import re
import subprocess
import time

import pytest
import websocket

import openapi_check
from conftest import JPPD, MERCHANT_WIF, Daemon, address_of, node_args, pay_tx

MERCHANT = address_of(MERCHANT_WIF)
INVOICE = {"outputs": [{"address": MERCHANT, "amount": 10_000}], "memo": "Order 17"}


def admin(db, *args):
    return subprocess.run([JPPD, *args, "--db", str(db)], capture_output=True, text=True, timeout=30)


def create_key(db, merchant, permissions):
    r = admin(db, "key", "create", "--merchant", merchant, "--permissions", permissions)
    assert r.returncode == 0, r.stderr
    key = re.search(r"^key:\s+(jppk_\S+)$", r.stdout, re.M).group(1)
    key_id = re.search(r"^key id:\s+(\S+)$", r.stdout, re.M).group(1)
    return key, key_id


@pytest.fixture
def jppd(tmp_path, node):
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False))
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    assert admin(d.db, "merchant", "add", "other").returncode == 0
    d.start()
    yield d
    assert d.stop() == 0, d.log_text()


def create(jppd, key=None, scheme="Bearer", body=INVOICE):
    headers = {"Authorization": f"{scheme} {key}"} if key else {}
    return jppd.request("POST", "/jpp/invoices/", body, headers=headers)


def test_admin_commands(tmp_path):
    db = tmp_path / "admin.sqlite3"
    r = admin(db, "merchant", "add", "shop")
    assert r.returncode == 0 and "merchant shop added" in r.stdout
    assert admin(db, "merchant", "add", "shop").returncode == 1  # exists
    assert "lower-case" in admin(db, "merchant", "add", "Bad Name").stderr
    assert admin(db, "merchant", "list").stdout.split("\t")[1] == "shop"
    assert (os.stat(db).st_mode & 0o777) == 0o600

    key, key_id = create_key(db, "shop", "invoices:create,invoices:read")
    assert len(key) == 5 + 16 + 1 + 48
    listing = admin(db, "key", "list").stdout
    assert key_id in listing and "invoices:create,invoices:read" in listing
    assert key[len("jppk_") + 17:] not in listing  # the secret is never shown again
    with open(db, "rb") as f:
        assert key[len("jppk_") + 17:].encode() not in f.read()  # nor stored
    assert "unknown permission 'admin'" in admin(db, "key", "create", "--merchant", "shop",
                                                 "--permissions", "admin").stderr
    assert "no merchant named 'nope'" in admin(db, "key", "create", "--merchant", "nope",
                                               "--permissions", "invoices:create").stderr
    assert admin(db, "key", "revoke", key_id).returncode == 0
    assert "revoked" in admin(db, "key", "list").stdout
    assert admin(db, "key", "revoke", "0000000000000000").returncode == 1


def test_creation_needs_a_key_with_the_permission(jppd):
    r = create(jppd)
    assert r.status == 401 and r.json()["code"] == "unauthorized", r
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert create(jppd, "jppk_0000000000000000_" + "0" * 48).status == 401
    assert create(jppd, "nonsense").status == 401
    assert create(jppd, "x", scheme="Basic").status == 401

    reader, _ = create_key(jppd.db, "shop", "invoices:read")
    r = create(jppd, reader)
    assert r.status == 403 and r.json()["code"] == "forbidden" and "invoices:create" in r.json()["message"], r

    key, key_id = create_key(jppd.db, "shop", "invoices:create")
    for scheme in ("Bearer", "token", "bearer"):
        r = create(jppd, key, scheme=scheme)
        assert r.status == 201, r
    # The public invoice is the seed's, unchanged; the private metadata is not in it.
    r = create(jppd, key, body={**INVOICE, "metadata": {"order_id": "A-17", "customer": "c-9"}})
    assert r.status == 201, r
    public = jppd.invoice(r.json()["payment_id"])
    assert "metadata" not in public and "A-17" not in str(public)

    # Revocation takes effect at once, while jppd runs.
    assert admin(jppd.db, "key", "revoke", key_id).returncode == 0
    assert create(jppd, key).status == 401


def test_open_creation_is_the_operators_choice(tmp_path, node):
    d = Daemon(tmp_path, node_args(node.rpc_url)).start()
    try:
        assert create(d).status == 201
        assert create(d, "jppk_0000000000000000_" + "0" * 48).status == 401  # a bad key is refused all the same
        assert "open invoice creation" in d.log_text()
    finally:
        assert d.stop() == 0, d.log_text()


def test_idempotent_creation(jppd):
    key, _ = create_key(jppd.db, "shop", "invoices:create")
    other, _ = create_key(jppd.db, "other", "invoices:create")

    def post(api_key, idempotency, body=INVOICE):
        return jppd.request("POST", "/jpp/invoices/", body,
                            headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": idempotency})

    first = post(key, "order-17")
    assert first.status == 201, first
    retry = post(key, "order-17")  # the shop's retry after a timeout
    assert retry.status == 200 and retry.headers["idempotent-replayed"] == "true", retry
    assert retry.json()["payment_id"] == first.json()["payment_id"]
    conflict = post(key, "order-17", {**INVOICE, "memo": "something else"})
    assert conflict.status == 409 and conflict.json()["code"] == "idempotency_conflict", conflict
    # Keys are per merchant: another shop's "order-17" is its own.
    theirs = post(other, "order-17")
    assert theirs.status == 201 and theirs.json()["payment_id"] != first.json()["payment_id"]
    assert post(key, "x" * 256).status == 400
    assert post(key, "bad key").json()["code"] == "invalid_idempotency_key"


# ---- the merchant API (/api/v1/) ----

ALL = "invoices:create,invoices:read,webhooks:manage"
RANDOM_ID = "0123456789abcdef0123456789abcdef"
RANDOM_ENDPOINT = "we_0123456789abcdef"


def api(jppd, method, path, key=None, body=None, headers=None):
    h = {"Authorization": f"Bearer {key}"} if key else {}
    return jppd.request(method, "/api/v1" + path, body, headers={**h, **(headers or {})})


@pytest.fixture(scope="module")
def funds(node):
    from conftest import Funds
    return Funds(node, count=4)


def test_api_create_get_and_order_ids(jppd):
    key, _ = create_key(jppd.db, "shop", "invoices:create,invoices:read")
    body = {**INVOICE, "order_id": "A-100", "metadata": {"customer": "c-9"}}
    r = api(jppd, "POST", "/invoices", key, body)
    assert r.status == 201, r
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert "access-control-allow-origin" not in r.headers
    made = r.json()
    assert made["order_id"] == "A-100" and made["metadata"] == {"customer": "c-9"} and made["cancelled_at"] is None
    assert r.headers["location"] == "/api/v1/invoices/" + made["payment_id"]

    r = api(jppd, "GET", f"/invoices/{made['payment_id']}", key)
    assert r.status == 200 and r.json() == made, r
    assert "customer" not in str(jppd.invoice(made["payment_id"]))  # the public view stays without it

    # The same order id and body again: the first invoice; another body with that order id: a conflict.
    again = api(jppd, "POST", "/invoices", key, body)
    assert again.status == 200 and again.headers["idempotent-replayed"] == "true", again
    assert again.json()["payment_id"] == made["payment_id"]
    conflict = api(jppd, "POST", "/invoices", key, {**body, "memo": "another"})
    assert conflict.status == 409 and conflict.json()["code"] == "order_id_conflict", conflict
    # Idempotency-Key works here as on /jpp/invoices/.
    first = api(jppd, "POST", "/invoices", key, INVOICE, headers={"Idempotency-Key": "k-1"})
    retry = api(jppd, "POST", "/invoices", key, INVOICE, headers={"Idempotency-Key": "k-1"})
    assert first.status == 201 and retry.status == 200 and retry.json() == first.json()


def test_api_always_needs_a_key(tmp_path, node):
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=True))
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    d.start()
    try:
        r = api(d, "POST", "/invoices", body=INVOICE)
        assert r.status == 401 and r.json()["code"] == "unauthorized", r
        assert create(d).status == 201  # the public route stays open
    finally:
        assert d.stop() == 0, d.log_text()


def test_api_keys_and_permissions(jppd):
    r = api(jppd, "GET", "/invoices")
    assert r.status == 401 and r.json()["code"] == "unauthorized" and "access-control-allow-origin" not in r.headers
    creator, creator_id = create_key(jppd.db, "shop", "invoices:create")
    reader, _ = create_key(jppd.db, "shop", "invoices:read")
    for method, path, key, needed in [("GET", "/invoices", creator, "invoices:read"),
                                      ("GET", f"/invoices/{RANDOM_ID}", creator, "invoices:read"),
                                      ("POST", "/invoices", reader, "invoices:create"),
                                      ("POST", f"/invoices/{RANDOM_ID}/cancel", reader, "invoices:create"),
                                      ("GET", "/webhooks", creator, "webhooks:manage"),
                                      ("POST", "/webhooks", reader, "webhooks:manage"),
                                      ("DELETE", f"/webhooks/{RANDOM_ENDPOINT}", reader, "webhooks:manage"),
                                      ("GET", f"/webhooks/{RANDOM_ENDPOINT}/deliveries", reader, "webhooks:manage"),
                                      ("POST", f"/webhooks/{RANDOM_ENDPOINT}/redeliver", reader, "webhooks:manage")]:
        r = api(jppd, method, path, key, {} if method == "POST" else None)
        assert r.status == 403 and r.json()["code"] == "forbidden" and needed in r.json()["message"], (path, r)
        assert api(jppd, method, path, None, {} if method == "POST" else None).status == 401
    assert api(jppd, "POST", "/invoices", creator, INVOICE).status == 201
    assert admin(jppd.db, "key", "revoke", creator_id).returncode == 0
    assert api(jppd, "POST", "/invoices", creator, INVOICE).status == 401

    # No CORS here: a preflight is not answered as one, and unknown methods and paths are refused.
    r = api(jppd, "OPTIONS", "/invoices", headers={"Origin": "https://example.com",
                                                   "Access-Control-Request-Method": "POST"})
    assert r.status == 405 and r.headers["allow"] == "GET, POST", r
    assert not any(h.startswith("access-control-") for h in r.headers)
    assert api(jppd, "DELETE", f"/invoices/{RANDOM_ID}", reader).status == 405
    assert api(jppd, "GET", "/nothing", reader).status == 404
    assert jppd.request("GET", "/api/v2/invoices").status == 404


def test_api_listing_filters_and_paging(jppd):
    key, _ = create_key(jppd.db, "shop", "invoices:create,invoices:read")
    other, _ = create_key(jppd.db, "other", ALL)
    made = [api(jppd, "POST", "/invoices", key, {**INVOICE, "order_id": f"o-{i}"}).json()["payment_id"]
            for i in range(7)]
    assert api(jppd, "POST", "/invoices", other, INVOICE).status == 201  # not in shop's lists

    seen, cursor, pages = [], None, 0
    while True:
        r = api(jppd, "GET", "/invoices?limit=3" + (f"&cursor={cursor}" if cursor else ""), key)
        assert r.status == 200, r
        page = r.json()
        seen += page["invoices"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(page["invoices"]) < 3 or pages > 2
            break
        assert len(page["invoices"]) == 3 and re.fullmatch(r"[0-9]+\.[0-9a-f]{32}", cursor)
    ids = [i["payment_id"] for i in seen]
    assert pages == 3 and len(ids) == 7 and set(ids) == set(made)  # no duplicates, no gaps
    order = [(i["time"], i["payment_id"]) for i in seen]
    assert order == sorted(order, reverse=True)  # newest first
    assert [i["payment_id"] for i in api(jppd, "GET", "/invoices", key).json()["invoices"]] == ids
    assert api(jppd, "GET", "/invoices?limit=7", key).json()["next_cursor"] is not None  # full page: maybe more

    def listed(query):
        r = api(jppd, "GET", "/invoices?" + query, key)
        assert r.status == 200, (query, r)
        return [i["payment_id"] for i in r.json()["invoices"]]

    assert listed("order_id=o-3") == [made[3]]
    assert listed("order_id=nope") == []
    assert api(jppd, "POST", f"/invoices/{made[2]}/cancel", key).status == 200
    assert listed("status=cancelled") == [made[2]]
    assert set(listed("status=open")) == set(made) - {made[2]}
    assert listed("status=paid") == [] and listed("status=expired") == []
    now = int(time.time())
    assert listed(f"created_after={now + 3600}") == []
    assert len(listed(f"created_before={now + 3600}")) == 7
    assert listed(f"created_before={now - 3600}") == []
    assert len(listed("created_after=2020-01-01T00:00:00Z&created_before=2999-01-01T00:00:00%2B01:00")) == 7
    assert listed("created_after=2999-01-01T00:00:00Z") == []

    for query, code in [("cursor=abc", "invalid_cursor"), ("cursor=1." + "G" * 32, "invalid_cursor"),
                        ("cursor=1." + "A" * 32, "invalid_cursor"), ("cursor=01." + "a" * 32, "invalid_cursor"),
                        ("limit=0", "invalid_query"), ("limit=101", "invalid_query"), ("limit=abc", "invalid_query"),
                        ("limit=01", "invalid_query"), ("limit=", "invalid_query"), ("status=bogus", "invalid_query"),
                        ("created_after=yesterday", "invalid_query"), ("foo=1", "invalid_query"),
                        ("limit=1&limit=2", "invalid_query"), ("order_id=%zz", "invalid_query"),
                        ("order_id=%4", "invalid_query"), ("order_id=a%00b", "invalid_query"),
                        ("limit=3&", "invalid_query"), ("order_id=" + "x" * 129, "invalid_query")]:
        r = api(jppd, "GET", "/invoices?" + query, key)
        assert r.status == 400 and r.json()["code"] == code, (query, r)
    assert "foo" in api(jppd, "GET", "/invoices?foo=1", key).json()["message"]
    assert "limit" in api(jppd, "GET", "/invoices?limit=1&limit=2", key).json()["message"]
    assert "confirmed, reversed" in api(jppd, "GET", "/invoices?status=bogus", key).json()["message"]
    r = api(jppd, "GET", f"/invoices/{made[0]}?expand=1", key)
    assert r.status == 400 and r.json()["code"] == "invalid_query", r


def test_api_other_merchants_resources_are_not_found(jppd):
    key, _ = create_key(jppd.db, "shop", ALL)
    other, _ = create_key(jppd.db, "other", ALL)
    invoice = api(jppd, "POST", "/invoices", key, INVOICE).json()["payment_id"]
    endpoint = api(jppd, "POST", "/webhooks", key, {"url": "https://example.com/hook"}).json()["id"]
    theirs = api(jppd, "POST", "/webhooks", other, {"url": "https://example.net/hook"}).json()["id"]
    api(jppd, "POST", "/invoices", key, INVOICE)
    event = api(jppd, "GET", f"/webhooks/{endpoint}/deliveries", key).json()["deliveries"][0]["event_id"]

    def same_404(method, path, random_path, body=None):
        mine = api(jppd, method, path, other, body)
        nothing = api(jppd, method, random_path, other, body)
        assert mine.status == 404 and (mine.body, mine.headers["content-type"]) == \
            (nothing.body, nothing.headers["content-type"]), (path, mine, nothing)

    same_404("GET", f"/invoices/{invoice}", f"/invoices/{RANDOM_ID}")
    same_404("GET", f"/invoices/{invoice}", "/invoices/not-an-id")
    same_404("POST", f"/invoices/{invoice}/cancel", f"/invoices/{RANDOM_ID}/cancel")
    same_404("GET", f"/webhooks/{endpoint}/deliveries", f"/webhooks/{RANDOM_ENDPOINT}/deliveries")
    same_404("POST", f"/webhooks/{endpoint}/redeliver", f"/webhooks/{RANDOM_ENDPOINT}/redeliver",
             {"event_id": event})
    same_404("DELETE", f"/webhooks/{endpoint}", f"/webhooks/{RANDOM_ENDPOINT}")
    # Their own endpoint, with the shop's event: the same as an event that does not exist.
    same_404("POST", f"/webhooks/{theirs}/redeliver", f"/webhooks/{theirs}/redeliver",
             {"event_id": "evt_" + "0" * 32})
    r = api(jppd, "POST", f"/webhooks/{theirs}/redeliver", other, {"event_id": event})
    assert r.status == 404 and r.body == api(jppd, "POST", f"/webhooks/{theirs}/redeliver", other,
                                             {"event_id": "evt_" + "0" * 32}).body
    assert [w["id"] for w in api(jppd, "GET", "/webhooks", other).json()["webhooks"]] == [theirs]
    assert invoice not in str(api(jppd, "GET", "/invoices", other).json())
    # Nothing changed for the shop.
    assert api(jppd, "GET", f"/invoices/{invoice}", key).json()["status"] == "open"
    assert api(jppd, "GET", f"/webhooks/{endpoint}/deliveries", key).status == 200


def test_api_cancel(jppd, funds):
    key, _ = create_key(jppd.db, "shop", ALL)
    invoice = api(jppd, "POST", "/invoices", key, INVOICE).json()["payment_id"]
    watch = f"ws://127.0.0.1:{jppd.port}/ws/jpp/invoice/{invoice}/"
    every, payments_only = (websocket.create_connection(watch + q, timeout=5) for q in ("?events=all", ""))
    r = api(jppd, "POST", f"/invoices/{invoice}/cancel", key)
    assert r.status == 200 and r.json()["status"] == "cancelled" and r.json()["cancelled_at"], r
    # Watchers who asked for every event are told; the seed's clients (payments only) are not.
    told = json.loads(every.recv())
    openapi_check.check_message("WatcherMessage", told, "the cancellation's WebSocket message")
    assert told["type"] == "invoice_cancelled" and told["invoice"]["status"] == "cancelled", told
    assert told["cancelled_at"] == r.json()["cancelled_at"] and "metadata" not in told["invoice"]
    payments_only.settimeout(1)
    with pytest.raises(websocket.WebSocketTimeoutException):
        payments_only.recv()
    every.close()
    payments_only.close()
    late = websocket.create_connection(watch + "?events=all", timeout=5)  # a late watcher gets the state at once
    told_late = json.loads(late.recv())
    openapi_check.check_message("WatcherMessage", told_late, "a late watcher's WebSocket message")
    assert told_late["type"] == "invoice_cancelled"
    late.close()
    again = api(jppd, "POST", f"/invoices/{invoice}/cancel", key)
    assert again.status == 200 and again.json()["cancelled_at"] == r.json()["cancelled_at"], again
    assert jppd.invoice(invoice)["status"] == "cancelled"
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
    r = jppd.request("POST", f"/jpp/invoices/{invoice}/pay", {"raw_tx_hex": raw})
    assert r.status == 400 and r.json()["code"] == "invoice_cancelled", r
    assert jppd.invoice(invoice)["status"] == "cancelled"

    # A paid invoice cannot be cancelled (the same transaction pays the next invoice: it was refused above).
    paid = api(jppd, "POST", "/invoices", key, INVOICE).json()["payment_id"]
    r = jppd.request("POST", f"/jpp/invoices/{paid}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    r = api(jppd, "POST", f"/invoices/{paid}/cancel", key)
    assert r.status == 409 and r.json()["code"] == "invoice_not_cancellable", r
    assert api(jppd, "GET", f"/invoices/{paid}", key).json()["status"] == "paid"
    assert [i["payment_id"] for i in api(jppd, "GET", "/invoices?status=paid", key).json()["invoices"]] == [paid]


def test_api_webhook_endpoints(jppd):
    key, _ = create_key(jppd.db, "shop", ALL)
    r = api(jppd, "POST", "/webhooks", key, {"url": "https://example.com/hook"})
    assert r.status == 201, r
    everything = r.json()
    assert re.fullmatch(r"whsec_[0-9a-f]{64}", everything["secret"])
    assert re.fullmatch(r"we_[0-9a-f]{16}", everything["id"])
    assert everything["events"] == ["payment_received", "invoice_expired", "invoice_created", "invoice_cancelled",
                                    "payment_confirmed", "payment_reversed", "payment_underpaid"]
    r = api(jppd, "POST", "/webhooks", key, {"url": "https://example.com/paid", "events": ["payment_received"]})
    assert r.status == 201 and r.json()["events"] == ["payment_received"], r
    paid_only = r.json()

    listing = api(jppd, "GET", "/webhooks", key)
    assert listing.status == 200, listing
    assert {w["id"] for w in listing.json()["webhooks"]} == {everything["id"], paid_only["id"]}
    assert "secret" not in listing.body and everything["secret"] not in listing.body
    assert set(listing.json()["webhooks"][0]) == {"id", "url", "events", "created"}

    for body in [{"url": "http://127.0.0.1:9/x"}, {"url": "http://localhost/x"}, {"url": "ftp://example.com/"},
                 {"url": "https://example.com/", "events": ["nope"]}, {"url": "https://example.com/", "events": []},
                 {"url": "https://example.com/", "events": "payment_received"},
                 {"url": "https://example.com/", "secret": "mine"}, {"events": ["payment_received"]}, [1]]:
        r = api(jppd, "POST", "/webhooks", key, body)
        assert r.status == 400, (body, r)
    assert api(jppd, "POST", "/webhooks", key, "{", headers={"Content-Type": "application/json"}).status == 400
    r = api(jppd, "POST", "/webhooks", key, '{"url":"https://example.com/"}', headers={"Content-Type": "text/plain"})
    assert r.status == 415, r
    assert api(jppd, "POST", "/webhooks", key, {"url": "https://example.com/" + "a" * 3000}).status == 400

    # A new invoice is queued for the endpoint that wants invoice_created, not for the other.
    invoice = api(jppd, "POST", "/invoices", key, INVOICE).json()["payment_id"]
    r = api(jppd, "GET", f"/webhooks/{everything['id']}/deliveries", key)
    assert r.status == 200, r
    [delivery] = r.json()["deliveries"]
    assert delivery["event_type"] == "invoice_created" and delivery["invoice_id"] == invoice
    assert delivery["state"] in ("pending", "delivered", "failed") and delivery["redelivery_of"] is None
    assert re.fullmatch(r"dlv_[0-9a-f]{32}", delivery["id"]) and re.fullmatch(r"evt_[0-9a-f]{32}", delivery["event_id"])
    assert isinstance(delivery["attempts"], list)
    assert api(jppd, "GET", f"/webhooks/{paid_only['id']}/deliveries", key).json()["deliveries"] == []
    for query in ("limit=0", "limit=101", "limit=x", "since=1"):
        r = api(jppd, "GET", f"/webhooks/{everything['id']}/deliveries?{query}", key)
        assert r.status == 400 and r.json()["code"] == "invalid_query", (query, r)

    r = api(jppd, "POST", f"/webhooks/{everything['id']}/redeliver", key, {"event_id": delivery["event_id"]})
    assert r.status == 202, r
    assert r.json()["event_id"] == delivery["event_id"] and r.json()["redelivery_of"] == delivery["id"]
    assert re.fullmatch(r"dlv_[0-9a-f]{32}", r.json()["delivery_id"])
    latest = api(jppd, "GET", f"/webhooks/{everything['id']}/deliveries?limit=1", key).json()["deliveries"]
    assert [d["id"] for d in latest] == [r.json()["delivery_id"]]
    assert api(jppd, "POST", f"/webhooks/{everything['id']}/redeliver", key, {"event_id": "evt_x"}).status == 404
    assert api(jppd, "POST", f"/webhooks/{everything['id']}/redeliver", key,
               {"event_id": delivery["event_id"], "x": 1}).status == 400

    assert api(jppd, "DELETE", f"/webhooks/{paid_only['id']}", key).status == 204
    r = api(jppd, "DELETE", f"/webhooks/{paid_only['id']}", key)
    assert r.status == 404 and r.json()["code"] == "not_found", r
    assert [w["id"] for w in api(jppd, "GET", "/webhooks", key).json()["webhooks"]] == [everything["id"]]

    # At most 20 endpoints per merchant.
    for i in range(19):
        assert api(jppd, "POST", "/webhooks", key, {"url": f"https://example.com/{i}"}).status == 201
    r = api(jppd, "POST", "/webhooks", key, {"url": "https://example.com/one-too-many"})
    assert r.status == 409 and r.json()["code"] == "too_many_webhooks", r


def test_api_private_webhook_urls_when_allowed(tmp_path, node):
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False) + ["--webhook-allow-private"])
    assert admin(d.db, "merchant", "add", "shop").returncode == 0
    d.start()
    try:
        key, _ = create_key(d.db, "shop", "webhooks:manage")
        r = api(d, "POST", "/webhooks", key, {"url": "http://127.0.0.1:9/x"})
        assert r.status == 201 and r.json()["url"] == "http://127.0.0.1:9/x", r
    finally:
        assert d.stop() == 0, d.log_text()


def test_webhook_commands(tmp_path):
    db = tmp_path / "hooks.sqlite3"
    assert admin(db, "merchant", "add", "shop").returncode == 0
    r = admin(db, "webhook", "add", "--merchant", "shop", "--url", "https://example.com/hook",
              "--events", "payment_received, invoice_created")
    assert r.returncode == 0, r.stderr
    endpoint = re.search(r"^endpoint id:\s+(we_[0-9a-f]{16})$", r.stdout, re.M).group(1)
    secret = re.search(r"^secret:\s+(whsec_[0-9a-f]{64})$", r.stdout, re.M).group(1)
    assert re.search(r"^url:\s+https://example.com/hook$", r.stdout, re.M)
    assert re.search(r"^events:\s+payment_received,invoice_created$", r.stdout, re.M)
    assert "shown this once" in r.stdout

    listing = admin(db, "webhook", "list")
    assert listing.returncode == 0 and secret not in listing.stdout and "whsec_" not in listing.stdout
    assert listing.stdout.split("\t")[:3] == [endpoint, "shop", "https://example.com/hook"]

    r = admin(db, "webhook", "add", "--merchant", "shop", "--url", "http://127.0.0.1:9/x")
    assert r.returncode == 1 and "--webhook-allow-private" in r.stderr, r
    r = admin(db, "webhook", "add", "--merchant", "shop", "--url", "http://127.0.0.1:9/x", "--webhook-allow-private")
    assert r.returncode == 0 and "whsec_" in r.stdout, r.stderr
    assert admin(db, "webhook", "add", "--merchant", "nope", "--url", "https://example.com/").returncode == 1
    r = admin(db, "webhook", "add", "--merchant", "shop", "--url", "https://example.com/", "--events", "nope")
    assert r.returncode == 1 and "nope" in r.stderr

    assert admin(db, "webhook", "remove", endpoint).returncode == 0
    assert endpoint not in admin(db, "webhook", "list").stdout
    r = admin(db, "webhook", "remove", endpoint)
    assert r.returncode == 1 and endpoint in r.stderr
