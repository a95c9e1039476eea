"""Headless Chromium against a real jppd (dev mode): the invoice page a browser gets for an invoice URL, and the
HTML example client. Each pays the invoice and waits for the page to show it paid, by itself. Screenshots are
saved under build/test-artifacts (or $JPP_TEST_ARTIFACTS)."""
import os
import shutil
import subprocess

import pytest

from browser import Browser, artifacts_dir
from conftest import MERCHANT_WIF, PAYER_WIF, ROOT, Daemon, address_of, sign

MERCHANT = address_of(MERCHANT_WIF)


@pytest.fixture(scope="module")
def jppd(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def page(browser):
    p = browser.new_page()
    yield p
    p.close()


def pay(jppd, pid, amount):
    raw = sign(PAYER_WIF, [{"txid": os.urandom(32).hex(), "vout": 0, "value": amount + 2_000}],
               [{"address": MERCHANT, "amount": amount}])
    r = jppd.request("POST", f"/jpp/invoices/{pid}/pay", {"raw_tx_hex": raw})
    assert r.status == 200, r
    return r.json()["payment"]["txid"]


def decode_qr(png):
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"no QR code found in {png}: {out.stderr}"
    return out.stdout.strip()


def test_invoice_page_shows_the_invoice_and_turns_paid_by_itself(jppd, page):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 123_456}], memo="Order #1042: two coffees")
    pid = invoice["payment_id"]
    page.open(f"{jppd.url}/jpp/invoices/{pid}/")  # Chromium asks for text/html
    assert page.evaluate("document.documentElement.dataset.status") == "open"
    text = page.evaluate("document.body.innerText")
    assert "0.00123456" in text and "BCH" in text and "123,456 sat" in text and "Order #1042: two coffees" in text
    assert MERCHANT in text
    page.wait_for("/expires in \\d+:\\d\\d/.test(document.getElementById('countdown').textContent)", 5,
                  "the countdown")
    page.wait_for("document.getElementById('connection').textContent.startsWith('Live')", 5, "the WebSocket")
    assert page.evaluate("document.querySelector('.qr').getAttribute('href')") == invoice["payment_uri"]
    shot = page.screenshot(artifacts_dir() / "invoice-page-open-desktop.png")
    assert decode_qr(shot) == invoice["payment_uri"]  # the QR code drawn server-side is the payment URI

    txid = pay(jppd, pid, 123_456)
    page.wait_for("document.documentElement.dataset.status === 'paid'", 5, "the page to show the payment")
    assert page.evaluate("document.getElementById('status').textContent") == "Paid"
    assert page.evaluate("document.getElementById('txid').textContent") == txid
    page.screenshot(artifacts_dir() / "invoice-page-paid-desktop.png")

    # A reload of a paid invoice shows it paid from the start.
    page.open(f"{jppd.url}/jpp/invoices/{pid}/")
    assert page.evaluate("document.documentElement.dataset.status") == "paid"


def test_invoice_page_fits_a_phone(jppd, page):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 99_999_999}], memo="A long memo " * 8)
    page.open(f"{jppd.url}/jpp/invoices/{invoice['payment_id']}/", width=375, height=812, mobile=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing runs off the side
    qr_width = page.evaluate("document.querySelector('.qr svg').getBoundingClientRect().width")
    assert 150 <= qr_width <= 375
    shot = page.screenshot(artifacts_dir() / "invoice-page-open-phone.png")
    assert decode_qr(shot) == invoice["payment_uri"]


def test_invoice_page_escapes_what_the_merchant_wrote(jppd, page):
    memo = "</script><script>window.pwned=1</script><img src=x onerror='window.pwned=2'>"
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 1000}], memo=memo)
    page.open(f"{jppd.url}/jpp/invoices/{invoice['payment_id']}/")
    assert page.evaluate("window.pwned === undefined")
    assert page.evaluate("document.querySelector('.memo').textContent") == memo
    assert page.evaluate("JSON.parse(document.getElementById('invoice-data').textContent).invoice.memo") == memo


def test_invoice_page_of_an_expired_invoice(jppd, page):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 1000}], expires_in=1)
    page.open(f"{jppd.url}/jpp/invoices/{invoice['payment_id']}/")
    page.wait_for("document.documentElement.dataset.status === 'expired'", 6, "the page to show expiry")


def test_html_example_client_logs_the_payment(jppd, page):
    invoice = jppd.create_invoice([{"address": MERCHANT, "amount": 50_000}], memo="HTML example")
    pid = invoice["payment_id"]
    example = ROOT / "examples" / "websocket_client_example.html"
    page.open(f"file://{example}?host=127.0.0.1:{jppd.port}&invoice={pid}")
    page.evaluate("document.getElementById('connect').click()")
    page.wait_for("document.body.dataset.state === 'connected'", 5, "the example to connect")
    txid = pay(jppd, pid, 50_000)
    page.wait_for("document.body.dataset.state === 'paid'", 5, "the example to log the payment")
    log = page.evaluate("document.getElementById('log').innerText")
    assert txid in log and '"type": "payment_received"' in log
    page.screenshot(artifacts_dir() / "websocket-client-example-paid.png")
