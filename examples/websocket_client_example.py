#!/usr/bin/env python3
"""Watches a JPP invoice over the server's WebSocket and prints its payment the moment it is made.

usage: python websocket_client_example.py <invoice_uuid> [host]

host defaults to localhost:8000. A local host (localhost, 127.x.x.x, [::1]) is reached over ws://, any other over
wss://; a host given as ws://... or wss://... is used as it is. If the connection drops, the client reconnects:
the server tells a watcher that connects after the payment at once, so nothing is missed.

Exit status: 0 once the payment arrived, 3 if the invoice expired unpaid, 2 for a usage error or an unknown invoice.
Needs websocket-client (Debian: python3-websocket; elsewhere: pip install websocket-client).
"""
import json
import sys
import time

import websocket


def endpoint(invoice_id, host):
    if host.startswith(("ws://", "wss://")):
        base = host.rstrip("/")
    else:
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        local = name in ("localhost", "[::1]") or name.startswith("127.")
        base = ("ws://" if local else "wss://") + host
    # events=all: the expiry of an unpaid invoice too, not only its payment (the server's default).
    return f"{base}/ws/jpp/invoice/{invoice_id}/?events=all"


def print_payment(message):
    invoice, payment = message["invoice"], message["invoice"].get("payment") or {}
    print("Payment received!")
    print(f"  invoice: {invoice['payment_id']}")
    print(f"  txid:    {message['txid']}")
    print(f"  paid at: {message['paid_at']}")
    if message.get("memo"):
        print(f"  memo:    {message['memo']}")
    for output in invoice.get("outputs", []):
        print(f"  output:  {output['amount']} sat to {output['address']}")
    for refund in payment.get("refund_to", []):
        print(f"  refunds: {refund.get('amount')} sat to {refund.get('address')}")
    print(json.dumps(message, indent=2))


def watch(url):
    delay = 1
    while True:
        try:
            ws = websocket.create_connection(url, timeout=None)
        except websocket.WebSocketBadStatusException as e:
            if e.status_code == 404:
                print(f"No such invoice: {url}", file=sys.stderr)
                return 2
            print(f"The server refused the connection ({e.status_code}); retrying in {delay}s", file=sys.stderr)
        except OSError as e:
            print(f"Cannot connect to {url} ({e}); retrying in {delay}s", file=sys.stderr)
        else:
            delay = 1
            print(f"Connected to {url}; waiting for the payment...", flush=True)
            try:
                while True:
                    text = ws.recv()  # answers the server's pings by itself
                    if not text:
                        print("The server closed the connection; reconnecting", file=sys.stderr)
                        break
                    message = json.loads(text)
                    if message.get("type") == "payment_received":
                        print_payment(message)
                        ws.close()
                        return 0
                    if message.get("type") == "invoice_expired":
                        print(f"The invoice expired unpaid at {message['invoice']['expires']}.")
                        ws.close()
                        return 3
                    print(f"Message: {text}")
            except (websocket.WebSocketException, OSError) as e:
                print(f"Connection lost ({e or 'closed'}); reconnecting", file=sys.stderr)
        time.sleep(delay)
        delay = min(delay * 2, 30)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    invoice_id = sys.argv[1].replace("-", "").lower()
    if len(invoice_id) != 32 or any(c not in "0123456789abcdef" for c in invoice_id):
        print(f"Not an invoice id: {sys.argv[1]} (32 hex digits expected)", file=sys.stderr)
        return 2
    try:
        return watch(endpoint(invoice_id, sys.argv[2] if len(sys.argv) == 3 else "localhost:8000"))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
