"""Several jppd instances on one PostgreSQL database (a real server, started here on loopback), alone and behind a
real HAProxy: what one instance records, every instance's watchers and the merchant's webhooks are told, once;
concurrent payments through different instances make one payment; work that must happen once (the expiry sweep,
webhook deliveries) happens once; and instances recover when their database connections are cut."""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest
import websocket

from conftest import (HERE, MERCHANT_WIF, POSTGRES_SERVER, Daemon, Funds, address_of, free_port, node_args, pay_tx,
                      postgres_folders, psql, txid_of, wait_for)
from test_merchants import admin, create_key

MERCHANT = address_of(MERCHANT_WIF)


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=30)


class Cluster:
    """Instances of jppd sharing a fresh database, with a merchant 'shop', its key and a webhook receiver."""

    def __init__(self, tmp_path, node, postgres, receiver, count=3, extra=()):
        name = "jpp_" + uuid.uuid4().hex[:12]
        psql(postgres, f"CREATE DATABASE {name}")
        self.url = postgres.rsplit("/", 1)[0] + "/" + name
        assert admin(self.url, "merchant", "add", "shop").returncode == 0
        self.key, _ = create_key(self.url, "shop", "invoices:create,invoices:read,webhooks:manage")
        r = admin(self.url, "webhook", "add", "--merchant", "shop", "--url", receiver.url("/hook"),
                  "--webhook-allow-private")
        assert r.returncode == 0, r.stderr
        args = node_args(node.rpc_url, open_creation=False) + ["--webhook-allow-private", *extra]
        self.instances = [Daemon(tmp_path, args, db=self.url).start() for _ in range(count)]

    def create(self, instance=0, **extra):
        r = self.instances[instance].request(
            "POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 10_000}], **extra},
            headers={"Authorization": f"Bearer {self.key}"})
        assert r.status == 201, r
        return r.json()["payment_id"]

    def count(self, sql):
        return int(psql(self.url, sql))

    def stop(self):
        for d in self.instances:
            assert d.stop() == 0, d.log_text()


@pytest.fixture
def cluster(tmp_path, node, postgres, webhook_receiver):
    made = []

    def make(**kwargs):
        c = Cluster(tmp_path, node, postgres, webhook_receiver, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def watcher(instance, pid, query=""):
    return websocket.create_connection(f"ws://127.0.0.1:{instance.port}/ws/jpp/invoice/{pid}/{query}", timeout=5)


def test_created_on_one_watched_on_the_others_paid_on_the_first(cluster, funds, webhook_receiver):
    c = cluster()
    a, b, d = c.instances
    pid = c.create(0)
    watchers = [watcher(x, pid) for x in (b, d, b, d)]
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
    r = a.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    paid_at = time.monotonic()  # the payment is committed before the answer
    assert r.status == 200, r
    for w in watchers:
        message = json.loads(w.recv())
        assert message["type"] == "payment_received" and message["txid"] == txid_of(raw)
    # Told through the database's notifications: milliseconds, and without them within the follower's one-second
    # poll; the bound is loose for busy machines (tests/jppd/test_event_log.cpp proves the notification path).
    assert time.monotonic() - paid_at < 5.0
    for w in watchers:  # once
        w.settimeout(1.5)
        with pytest.raises(websocket.WebSocketTimeoutException):
            w.recv()
        w.close()
    late = watcher(d, pid)  # a late watcher on any instance gets the state at once
    assert json.loads(late.recv())["txid"] == txid_of(raw)
    late.close()
    wait_for(lambda: len(webhook_receiver.requests("/hook")) >= 2, 10, "the webhooks")
    time.sleep(1.5)
    assert [e["type"] for e in webhook_receiver.events("/hook")] == ["invoice_created", "payment_received"]


def test_eight_wallets_through_different_instances_make_one_payment(cluster, funds, node, webhook_receiver):
    c = cluster()
    pid = c.create(1)
    raws = [pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}]) for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda i: c.instances[i % 3].request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raws[i]}),
            range(8)))
    won = [i for i, r in enumerate(answers) if r.status == 200]
    assert len(won) == 1, answers
    for i, r in enumerate(answers):
        if i not in won:
            assert r.json()["code"] in ("invoice_already_paid", "payment_in_progress"), r
    mempool = set(node.rpc("getrawmempool"))
    assert [txid_of(raw) in mempool for raw in raws].count(True) == 1  # one broadcast
    assert c.count("SELECT count(*) FROM payments") == 1
    assert c.count("SELECT count(*) FROM events WHERE type = 0") == 1  # one payment_received
    wait_for(lambda: c.count("SELECT count(*) FROM webhook_deliveries WHERE state = 1") == 2, 10, "deliveries")
    time.sleep(1.5)
    assert [e["type"] for e in webhook_receiver.events("/hook")].count("payment_received") == 1


def test_expiry_sweep_and_webhooks_run_once_across_instances(cluster, webhook_receiver):
    c = cluster()
    made = [c.create(i % 3, expires_in=1) for i in range(12)]
    wait_for(lambda: c.count("SELECT count(*) FROM invoices WHERE expiry_announced = 1") == 12, 15, "the sweep")
    wait_for(lambda: len(webhook_receiver.requests("/hook")) >= 24, 15, "the webhooks")
    time.sleep(2)
    assert c.count("SELECT count(*) FROM events WHERE type = 1") == 12  # one invoice_expired each
    events = webhook_receiver.events("/hook")
    assert len(events) == 24 and len({e["id"] for e in events}) == 24  # each event delivered once
    assert sorted(e["invoice"]["payment_id"] for e in events if e["type"] == "invoice_expired") == sorted(made)
    # Deliveries were shared out: more than one instance sent some.
    senders = [d.log_text().count("webhook invoice_") for d in c.instances]
    assert sum(senders) == 24


LEADS = "this instance now runs the shared jobs"


def test_shared_jobs_run_on_one_instance_and_move_on_when_it_dies(cluster):
    c = cluster(count=2)
    wait_for(lambda: sum(d.log_text().count(LEADS) for d in c.instances) == 1, 10, "an instance to lead")
    time.sleep(2.5)  # more than a sweep interval: the other keeps trying, and keeps being refused
    leads = [d.log_text().count(LEADS) for d in c.instances]
    assert sorted(leads) == [0, 1]
    assert sum(d.log_text().count("this instance now follows the chain") for d in c.instances) == 1
    name = c.url.rsplit("/", 1)[1]
    assert c.count(f"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                   f"WHERE l.locktype = 'advisory' AND a.datname = '{name}'") == 2  # housekeeping, the chain
    leader, other = (c.instances[0], c.instances[1]) if leads[0] else (c.instances[1], c.instances[0])
    leader.stop(signal.SIGKILL)  # its session ends with it, and the lock with the session
    pid = c.create(c.instances.index(other), expires_in=1)
    w = watcher(other, pid, "?events=all")
    w.settimeout(15)
    message = json.loads(w.recv())  # announced by the instance that took the jobs over
    assert message["type"] == "invoice_expired" and message["invoice"]["payment_id"] == pid
    w.close()
    assert other.log_text().count(LEADS) == 1
    leader.start()  # back, it finds the jobs taken
    time.sleep(2.5)
    assert leader.log_text().count(LEADS) == 1 and other.log_text().count(LEADS) == 1


def test_instances_recover_when_their_database_connections_are_cut(cluster, funds, postgres):
    c = cluster(count=2)
    a, b = c.instances
    pid = c.create(0)
    w = watcher(b, pid)
    # Every connection of every instance is cut: the pools, and the listeners.
    name = c.url.rsplit("/", 1)[1]
    psql(postgres, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
    r = a.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    assert json.loads(w.recv())["txid"] == txid_of(raw)  # told all the same (notification or the poll)
    w.close()
    wait_for(lambda: "listening to the database's notifications again" in b.log_text(), 10, "b to listen again")
    # Listening again: the next payment is told within a second.
    pid2 = c.create(1)
    w2 = watcher(a, pid2)
    raw2 = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
    assert b.request("POST", f"/jpp/invoices/{pid2}/pay", {"raw_tx_hex": raw2}).status == 200
    started = time.monotonic()
    assert json.loads(w2.recv())["txid"] == txid_of(raw2)
    assert time.monotonic() - started < 5.0
    w2.close()


def test_sigkill_of_an_instance_during_a_stream_of_payments(cluster, funds, webhook_receiver):
    c = cluster()
    pids = [c.create(i % 3) for i in range(9)]
    watchers = {pid: watcher(c.instances[1 + i % 2], pid) for i, pid in enumerate(pids)}  # not on the one killed
    raws = {pid: pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}]) for pid in pids}

    def wallet(i):
        """Pays through instance i % 3, and retries through the next one on a failure, as a wallet behind a
        balancer does."""
        pid = pids[i]
        for attempt in range(6):
            target = c.instances[(i + attempt) % 3]
            try:
                r = target.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raws[pid]}, timeout=10)
                if r.status == 200:
                    return r.json()["payment"]["txid"]
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"invoice {pid} could not be paid")

    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        paying = [pool.submit(wallet, i) for i in range(9)]
        time.sleep(0.05)
        c.instances[0].stop(signal.SIGKILL)
        paid = [f.result() for f in paying]
    assert paid == [txid_of(raws[pid]) for pid in pids]  # every acknowledged payment is the one recorded
    assert c.count("SELECT count(*) FROM payments") == 9
    assert c.count("SELECT count(*) FROM events WHERE type = 0") == 9
    assert c.count("SELECT count(*) FROM broadcast_intents") == 0
    for pid, w in watchers.items():
        message = json.loads(w.recv())
        assert message["type"] == "payment_received" and message["txid"] == txid_of(raws[pid])
        w.settimeout(1)
        with pytest.raises(websocket.WebSocketTimeoutException):
            w.recv()
        w.close()
    wait_for(lambda: [e["type"] for e in webhook_receiver.events("/hook")].count("payment_received") >= 9, 20,
             "the webhooks")
    time.sleep(1)
    told = [e["invoice"]["payment_id"] for e in webhook_receiver.events("/hook") if e["type"] == "payment_received"]
    assert sorted(set(told)) == sorted(pids)  # each told; at least once (a delivery cut by the kill is resent)
    c.instances[0].start()  # for the fixture's orderly stop

HAPROXY_CONFIG = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    option forwardfor
frontend jpp
    bind 127.0.0.1:{port}
    default_backend jppd
backend jppd
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


def test_behind_haproxy(cluster, funds, tmp_path):
    if not shutil.which("haproxy"):
        pytest.fail("HAProxy is not installed (scripts/deps.sh installs it)")
    port = free_port()
    c = cluster(extra=["--trusted-proxy", "127.0.0.1", "--allowed-host", f"127.0.0.1:{port}"])
    servers = "\n".join(f"    server j{i} 127.0.0.1:{d.port} check inter 1s" for i, d in enumerate(c.instances))
    config = tmp_path / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
    proxy = subprocess.Popen(["haproxy", "-f", str(config), "-db"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        front = Daemon.__new__(Daemon)  # the proxy's address, with the client helpers of a Daemon
        front.port = port
        def proxy_up():
            try:
                return front.request("GET", "/healthz").status == 200
            except OSError:
                return False
        wait_for(proxy_up, 15, "HAProxy")
        pids = [front.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 10_000}]},
                              headers={"Authorization": f"Bearer {c.key}"}).json()["payment_id"] for _ in range(3)]
        watchers = [watcher(front, pid) for pid in pids for _ in range(3)]  # spread over the instances
        for pid in pids:
            raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
            assert front.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}).status == 200
        for i, w in enumerate(watchers):
            message = json.loads(w.recv())
            assert message["type"] == "payment_received" and message["invoice"]["payment_id"] == pids[i // 3]
            w.close()
        served = [d.log_text().count("payment_received for") for d in c.instances]
        assert all(n > 0 for n in served), served  # every instance had watchers to tell
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(10)


def test_a_database_restart_is_503_while_away_then_recovered(cluster, funds, postgres):
    c = cluster(count=2)
    a, b = c.instances
    pid = c.create(0)
    w = watcher(b, pid)
    folder = postgres_folders[postgres]
    subprocess.run([str(POSTGRES_SERVER), "stop", folder], check=True, timeout=300)
    try:
        for d in (a, b):
            assert d.request("GET", "/healthz").status == 503
            r = d.request("GET", f"/jpp/invoices/{pid}/")
            assert r.status == 503 and r.json()["code"] == "store_failure", r
    finally:
        assert subprocess.run([str(POSTGRES_SERVER), "start", folder], check=True, capture_output=True, text=True,
                              timeout=300).stdout.strip() == postgres
    for d in (a, b):
        wait_for(lambda: d.request("GET", "/healthz").status == 200, 30, "the instance to recover")
    wait_for(lambda: "listening to the database's notifications again" in b.log_text(), 30, "b to listen again")
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 10_000}])
    assert a.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw}).status == 200
    assert json.loads(w.recv())["txid"] == txid_of(raw)
    w.close()


def test_hosts_embedding_the_library_share_a_postgresql_database(postgres):
    """The C ABI's service, through the Python package, on a PostgreSQL URL: two services (two hosts) see one set
    of invoices."""
    import sys
    library = os.environ.get("JPP_LIBRARY", str(HERE.parent.parent / "build" / "test" / "bindings" / "c" /
                                                "libjpp_c.so"))
    assert os.path.exists(library), f"libjpp_c.so not found at {library} (set JPP_LIBRARY)"
    os.environ["JPP_LIBRARY"] = library
    sys.path.insert(0, str(HERE.parent.parent / "bindings" / "python"))
    try:
        import jpp
        name = "jpp_" + uuid.uuid4().hex[:12]
        psql(postgres, f"CREATE DATABASE {name}")
        url = postgres.rsplit("/", 1)[0] + "/" + name
        request = {"outputs": [{"address": "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
                                "amount": 10_000}], "memo": "shared"}
        with jpp.Service(url) as one, jpp.Service(url) as two:
            made = one.create_invoice(request)
            assert two.get_invoice(made["payment_id"])["memo"] == "shared"
            assert psql(url, "SELECT count(*) FROM invoices") == "1"
    finally:
        sys.path.remove(str(HERE.parent.parent / "bindings" / "python"))
