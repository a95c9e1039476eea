"""jppd backup and jppd check beside a running jppd with a real bcash regtest node: a copy taken in the middle of a
stream of payments holds every payment acknowledged before it began, the stream does not stop for it, the copy
passes the check and a jppd started on it serves those invoices as paid. jppd check also on damaged files and on a
real PostgreSQL server, which jppd backup refuses."""

import pathlib
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import (JPPD, MERCHANT_WIF, PAYER_WIF, Daemon, Funds, address_of, node_args, psql, sign, txid_of,
                      wait_for)

MERCHANT = address_of(MERCHANT_WIF)
PAYER = address_of(PAYER_WIF)
AMOUNT = 10_000
PAYMENTS = 200  # signed in advance: more than the stream spends (about 40)


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=2)


def jppd_cli(*args, timeout=120):
    return subprocess.run([JPPD, *args], capture_output=True, text=True, timeout=timeout)


def split_coin(node, funds, count, value=100_000):
    """`count` confirmed coins of the payer's, from one transaction mined at once: the stream's payments spend one
    each and never wait on each other in the mempool."""
    coin = funds.coin()
    fee = 50 * count + 1000
    outputs = [{"address": PAYER, "amount": value} for _ in range(count)]
    outputs.append({"address": PAYER, "amount": coin["value"] - count * value - fee})
    raw = sign(PAYER_WIF, [coin], outputs)
    txid = node.rpc("sendrawtransaction", raw)
    node.rpc("generatetoaddress", 1, PAYER)
    return [{"txid": txid, "vout": i, "value": value} for i in range(count)]


def signed_payments(coins):
    """A transaction per coin paying AMOUNT to the merchant, the rest less a fee back to the payer."""
    return [sign(PAYER_WIF, [c], [{"address": MERCHANT, "amount": AMOUNT},
                                  {"address": PAYER, "amount": c["value"] - AMOUNT - 1000}]) for c in coins]


def pad(daemon, count):
    """Invoices as large as the API takes (100 outputs, the longest descriptions), so that the database is tens of
    megabytes and a copy of it takes a while."""
    outputs = [{"address": MERCHANT, "amount": 1000 + i, "description": f"{i:04d}" + "d" * 996} for i in range(100)]
    for n in range(count):
        daemon.create_invoice(outputs, memo=f"padding {n} " + "m" * 900)


class PaymentStream:
    """A thread that creates an invoice and pays it, one after another, noting for each payment when its request
    went out, when it was answered and how."""

    def __init__(self, daemon, transactions):
        self.daemon = daemon
        self.transactions = transactions
        self.records = []  # (invoice id, txid, sent, answered, status), in order
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            for raw in self.transactions:
                if self.stop.is_set():
                    return
                invoice = self.daemon.create_invoice([{"address": MERCHANT, "amount": AMOUNT}])
                sent = time.monotonic()
                r = self.daemon.request("POST", f"/jpp/invoices/{invoice['payment_id']}/pay", {"raw_tx_hex": raw})
                answered = time.monotonic()
                with self.lock:
                    self.records.append((invoice["payment_id"], txid_of(raw), sent, answered, r.status))
            self.error = "the stream ran out of transactions before it was stopped"
        except Exception as e:  # reported by the test
            self.error = repr(e)

    def acknowledged(self, after=None):
        with self.lock:
            return [r for r in self.records if r[4] == 200 and (after is None or r[2] > after)]

    def start(self):
        self.thread.start()
        return self

    def finish(self):
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive()


def paid_in(path):
    """{invoice id hex: txid hex} for every payment in the SQLite file at `path`, read without changing it."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT lower(hex(invoice_id)), txid FROM payments").fetchall()
    finally:
        db.close()
    # txids are stored in internal byte order; the API shows them reversed, as every Bitcoin tool does.
    return {invoice: bytes(txid)[::-1].hex() for invoice, txid in rows}


def compact(payment_id):
    return payment_id.replace("-", "").lower()


def test_backup_during_a_stream_of_payments(node, funds, tmp_path):
    live = Daemon(tmp_path, node_args(node.rpc_url)).start()
    try:
        pad(live, 600)
        transactions = signed_payments(split_coin(node, funds, PAYMENTS))
        copy = tmp_path / "backup.sqlite3"
        stream = PaymentStream(live, transactions).start()
        wait_for(lambda: len(stream.acknowledged()) >= 15 or stream.error, 120, "payments before the backup")
        assert stream.error is None, stream.error

        started = time.monotonic()
        backup = jppd_cli("backup", str(copy), "--db", str(live.db))
        ended = time.monotonic()
        assert backup.returncode == 0, backup.stderr
        assert str(copy) in backup.stdout

        wait_for(lambda: len(stream.acknowledged(after=ended)) >= 10 or stream.error, 120,
                 "payments after the backup")
        stream.finish()
        assert stream.error is None, stream.error
    finally:
        assert live.stop() == 0

    records = stream.records
    assert all(r[4] == 200 for r in records), [r for r in records if r[4] != 200]
    before = [r for r in records if r[3] < started]
    during = [r for r in records if started < r[2] and r[3] < ended]
    after = [r for r in records if r[2] > ended]
    print(f"backup took {ended - started:.3f}s; payments acknowledged before it {len(before)}, "
          f"sent and acknowledged during it {len(during)}, sent after it {len(after)}")
    # The stream went on while the copy was made: whole payments, sent and acknowledged, inside its time.
    assert during, f"no payment was acknowledged during the {ended - started:.3f}s backup"

    # Every payment acknowledged before the backup began is in the copy, with its transaction; none sent after the
    # backup ended is.
    # The copy is one file: no WAL beside it, no temporary file left.
    assert not pathlib.Path(f"{copy}-wal").exists()
    assert list(tmp_path.glob("backup.sqlite3.tmp-*")) == []
    in_copy = paid_in(copy)
    for payment_id, txid, *_ in before:
        assert in_copy.get(compact(payment_id)) == txid, payment_id
    for payment_id, *_ in after:
        assert compact(payment_id) not in in_copy, payment_id

    check = jppd_cli("check", "--db", str(copy))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "result:         ok" in check.stdout
    assert str(copy) in check.stdout

    # A jppd started on the copy serves those invoices as paid, by the same transactions.
    restored = Daemon(tmp_path, node_args(node.rpc_url), db=copy).start()
    try:
        for payment_id, txid, *_ in before:
            invoice = restored.invoice(payment_id)
            assert invoice["status"] in ("paid", "confirmed"), invoice
            assert invoice["payment"]["txid"] == txid
    finally:
        assert restored.stop() == 0


def test_backup_refuses_an_existing_file_without_force(node, tmp_path):
    live = Daemon(tmp_path, node_args(node.rpc_url)).start()
    try:
        invoice = live.create_invoice([{"address": MERCHANT, "amount": AMOUNT}])
        target = tmp_path / "existing.sqlite3"
        target.write_bytes(b"an older backup")

        refused = jppd_cli("backup", str(target), "--db", str(live.db))
        assert refused.returncode != 0
        assert "exists" in refused.stderr and "--force" in refused.stderr, refused.stderr
        assert target.read_bytes() == b"an older backup"

        forced = jppd_cli("backup", str(target), "--force", "--db", str(live.db))
        assert forced.returncode == 0, forced.stderr
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            ids = {row[0] for row in db.execute("SELECT lower(hex(id)) FROM invoices")}
        finally:
            db.close()
        assert compact(invoice["payment_id"]) in ids

        # The live database itself is never a destination.
        itself = jppd_cli("backup", str(live.db), "--force", "--db", str(live.db))
        assert itself.returncode != 0
        assert "database itself" in itself.stderr, itself.stderr
        assert live.invoice(invoice["payment_id"])["payment_id"] == invoice["payment_id"]
    finally:
        assert live.stop() == 0


def test_backup_of_postgresql_points_to_its_tools(tmp_path):
    url = "postgresql://jppd:secret@127.0.0.1:1/jppd"
    r = jppd_cli("backup", str(tmp_path / "x.sqlite3"), "--db", url)
    assert r.returncode != 0
    assert "pg_dump" in r.stderr and "docs/backups.md" in r.stderr, r.stderr
    assert "secret" not in r.stderr
    assert not (tmp_path / "x.sqlite3").exists()


def test_check_finds_a_damaged_file_and_a_file_that_is_not_a_database(node, tmp_path):
    live = Daemon(tmp_path, node_args(node.rpc_url)).start()
    try:
        pad(live, 20)
        # Beside the running jppd: sound.
        running = jppd_cli("check", "--db", str(live.db))
        assert running.returncode == 0, running.stdout + running.stderr
        assert "result:         ok" in running.stdout
    finally:
        assert live.stop() == 0
    path = pathlib.Path(live.db)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")  # the header's page size
    assert len(data) > 8 * page
    middle = len(data) // 2 // page * page
    data[middle + 16:middle + page - 64] = b"\xa5" * (page - 80)
    path.write_bytes(bytes(data))
    damaged = jppd_cli("check", "--db", str(path))
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert "integrity" in damaged.stdout

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"x" * 16384)
    r = jppd_cli("check", "--db", str(junk))
    assert r.returncode == 1
    assert "not a database" in r.stdout

    missing = jppd_cli("check", "--db", str(tmp_path / "missing.sqlite3"))
    assert missing.returncode == 1
    assert "cannot check" in missing.stderr
    assert not (tmp_path / "missing.sqlite3").exists()


def test_check_and_backup_on_postgresql(postgres, tmp_path):
    psql(postgres, "CREATE DATABASE backup_check")
    url = postgres.rsplit("/", 1)[0] + "/backup_check"
    added = jppd_cli("merchant", "add", "shop", "--db", url)  # opens the store, which creates the schema
    assert added.returncode == 0, added.stderr

    sound = jppd_cli("check", "--db", url)
    assert sound.returncode == 0, sound.stdout + sound.stderr
    assert "(postgresql)" in sound.stdout and "result:         ok" in sound.stdout

    # A database a newer jppd migrated: this one is too old for it.
    psql(url, "UPDATE jpp_schema SET version = version + 1")
    newer = jppd_cli("check", "--db", url)
    assert newer.returncode == 1
    assert "too old" in newer.stdout

    # jppd backup does not copy PostgreSQL, even when the server is there.
    refused = jppd_cli("backup", str(tmp_path / "pg.sqlite3"), "--db", url)
    assert refused.returncode != 0
    assert "pg_dump" in refused.stderr
    assert not (tmp_path / "pg.sqlite3").exists()
