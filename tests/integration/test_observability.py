"""What an operator watches: the Prometheus metrics (scraped by a real Prometheus server, read back with PromQL),
the JSON log, and the request ids that tie a client's answer to its log line."""

import http.client
import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest
import websocket

from conftest import (JPPD, MERCHANT_WIF, Daemon, Funds, address_of, free_port, node_args, pay_tx, port_open, txid_of,
                      wait_for)

MERCHANT = address_of(MERCHANT_WIF)


@pytest.fixture(scope="module")
def funds(node):
    return Funds(node, count=4)


class Prometheus:
    """Debian's Prometheus server on loopback, scraping one target every second."""

    def __init__(self, workdir, target):
        assert shutil.which("prometheus"), "prometheus is not installed (scripts/deps.sh installs it)"
        self.port = free_port()
        config = workdir / f"prometheus-{self.port}.yml"
        config.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                          f"scrape_configs:\n  - job_name: jppd\n    static_configs:\n      - targets: ['{target}']\n")
        self.log = open(workdir / f"prometheus-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / f'tsdb-{self.port}'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: port_open(self.port), 30, "prometheus to listen")

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def value(self, promql):
        """The query's single value, or None while it has no result."""
        result = self.api("query", query=promql)["result"]
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)
        self.log.close()


@pytest.fixture(scope="module")
def observed(node, workdir):
    metrics_port = free_port()
    d = Daemon(workdir, node_args(node.rpc_url) + ["--metrics-listen", f"127.0.0.1:{metrics_port}"]).start()
    prometheus = Prometheus(workdir, f"127.0.0.1:{metrics_port}")
    yield d, metrics_port, prometheus
    prometheus.stop()
    assert d.stop() == 0


def test_prometheus_scrapes_what_happened(observed, funds):
    d, metrics_port, prometheus = observed
    wait_for(lambda: any(t["health"] == "up" for t in prometheus.api("targets")["activeTargets"]), 30,
             "prometheus to scrape jppd")
    assert prometheus.value('jppd_build_info{job="jppd"}') == 1

    invoices = [d.create_invoice([{"address": MERCHANT, "amount": 20_000}]) for _ in range(3)]
    for _ in range(5):
        assert d.request("GET", f"/jpp/invoices/{invoices[0]['payment_id']}/").status == 200
    for _ in range(2):
        assert d.request("GET", "/jpp/invoices/" + "0" * 32 + "/").status == 404
    watcher = websocket.create_connection(f"ws://127.0.0.1:{d.port}/ws/jpp/invoice/{invoices[1]['payment_id']}/",
                                          timeout=10)
    raw = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 20_000}])
    assert d.request("POST", f"/jpp/invoices/{invoices[1]['payment_id']}/pay", {"raw_tx_hex": raw}).status == 200
    assert json.loads(watcher.recv())["txid"] == txid_of(raw)
    # A transaction that pays the wrong amount: the payer's fault.
    short = pay_tx(funds.coin(), [{"address": MERCHANT, "amount": 19_999}])
    assert d.request("POST", f"/jpp/invoices/{invoices[2]['payment_id']}/pay", {"raw_tx_hex": short}).status == 400

    def scraped(promql, expected):
        wait_for(lambda: prometheus.value(promql) == expected, 20, f"{promql} == {expected} in prometheus")

    by_route = 'jppd_http_request_duration_seconds_count{{route="{}",status_class="{}"}}'
    scraped(by_route.format("/jpp/invoices/", "2xx"), 3)
    scraped(by_route.format("/jpp/invoices/{id}/", "2xx"), 5)
    scraped(by_route.format("/jpp/invoices/{id}/", "4xx"), 2)
    scraped(by_route.format("/jpp/invoices/{id}/pay/", "2xx"), 1)
    scraped(by_route.format("/jpp/invoices/{id}/pay/", "4xx"), 1)
    scraped('jppd_payments_total{protocol="native",outcome="accepted"}', 1)
    scraped('jppd_payments_total{protocol="native",outcome="rejected"}', 1)
    scraped('jppd_payments_total{protocol="native",outcome="failed"}', 0)
    scraped("jppd_websockets_open", 1)
    scraped("jppd_websocket_messages_sent_total", 1)
    assert prometheus.value('jppd_node_request_duration_seconds_count{method="sendrawtransaction"}') >= 1
    assert prometheus.value('jppd_store_operation_duration_seconds_count{operation="record_payment"}') >= 1
    assert prometheus.value("jppd_webhook_outbox_backlog") == 0
    # A histogram Prometheus can compute quantiles from.
    assert 0 < prometheus.value('histogram_quantile(0.5, sum by (le) ('
                                'jppd_http_request_duration_seconds_bucket{route="/jpp/invoices/{id}/"}))') < 10
    watcher.close()
    scraped("jppd_websockets_open", 0)

    # No invoice id, transaction id or client address in any label: the series stay few, and private.
    series = prometheus.api("series", **{"match[]": '{job="jppd"}'})
    secrets = [i["payment_id"] for i in invoices] + [txid_of(raw), "127.0.0.1:"]
    for labels in series:
        for name, value in labels.items():
            if name != "instance":
                assert not any(s in value for s in secrets), labels


def metrics_request(port, method, path):
    """A request to the metrics listener (not the public API the OpenAPI document describes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type") or "", r.read().decode()
    finally:
        conn.close()


def test_metrics_are_on_their_own_listener(observed):
    d, metrics_port, _ = observed
    assert d.request("GET", "/metrics").status == 404  # not on the public port
    status, content_type, body = metrics_request(metrics_port, "GET", "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert "# TYPE jppd_http_request_duration_seconds histogram" in body
    assert metrics_request(metrics_port, "GET", "/jpp/invoices/" + "0" * 32 + "/")[0] == 404  # nothing else there
    assert metrics_request(metrics_port, "POST", "/metrics")[0] == 405


def test_metrics_listener_refuses_a_busy_port(workdir):
    d = Daemon(workdir, ["--dev-mode"]).start()
    try:
        busy = Daemon(workdir, ["--dev-mode", "--metrics-listen", f"127.0.0.1:{d.port}"])
        p = subprocess.run([JPPD, *busy.args], capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "cannot listen for metrics" in p.stderr, p.stderr
    finally:
        assert d.stop() == 0


def log_lines(d):
    return [json.loads(line) for line in d.log_text().splitlines() if line.strip()]


def test_json_log_and_request_ids(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest", "--log-format", "json"]).start()
    try:
        r = d.request("POST", "/jpp/invoices/", {"outputs": [{"address": MERCHANT, "amount": 10_000}]},
                      headers={"X-Request-Id": "chosen-by-the-client"})
        assert r.status == 201
        rid = r.headers["x-request-id"]
        # A client that is not a trusted proxy does not name its request: the id is jppd's own.
        assert rid != "chosen-by-the-client" and len(rid) == 16 and int(rid, 16) >= 0
        assert d.request("GET", "/nowhere").headers["x-request-id"] not in ("", rid)
        logged = lambda: [l for l in log_lines(d) if l.get("request_id") == rid]  # noqa: E731
        wait_for(logged, 5, "the request's log line")
        line = logged()[0]
        assert line["level"] == "info" and line["method"] == "POST" and line["target"] == "/jpp/invoices/"
        assert line["status"] == 201 and isinstance(line["duration_ms"], float) and line["bytes"] > 0
        assert rid in line["msg"]
        assert all({"time", "level", "msg"} <= set(l) for l in log_lines(d))  # every line is a JSON object
    finally:
        assert d.stop() == 0
    assert all(isinstance(l, dict) for l in log_lines(d))  # the shutdown lines too


def test_request_ids_from_a_trusted_proxy(workdir):
    d = Daemon(workdir, ["--dev-mode", "--trusted-proxy", "127.0.0.1/32"]).start()
    try:
        assert d.request("GET", "/healthz", headers={"X-Request-Id": "lb-4f2a.17"}).headers["x-request-id"] == \
            "lb-4f2a.17"
        # An id that could forge a log line, or is too long, is replaced.
        for bad in ("a b", "x" * 65, "id\u00e9"):
            got = d.request("GET", "/healthz", headers={"X-Request-Id": bad}).headers["x-request-id"]
            assert got != bad and len(got) == 16
        wait_for(lambda: " id lb-4f2a.17" in d.log_text(), 5, "the text log line naming the proxy's id")
    finally:
        assert d.stop() == 0
