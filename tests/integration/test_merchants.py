"""Merchants and API keys: the administration commands, authenticated invoice creation (401, 403, revocation at
once), invoices owned by their merchant with private metadata, and open creation as an operator's choice."""
import os
import re
import subprocess

import pytest

from conftest import JPPD, MERCHANT_WIF, Daemon, address_of, node_args

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
