"""Unit-testing payment logic offline from Python: an invoice, a signed payment, verify, pay, the event.

usage: JPP_LIBRARY=/path/to/libjpp_c.so python3 offline_payment.py
"""
import os
import tempfile

import jpp

MERCHANT = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
WALLET_KEY = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"  # the secret 1: for examples only
WALLET_ADDRESS = "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"


class RecordingChain(jpp.ChainBackend):
    """Stands in for a node: remembers what was broadcast."""

    def __init__(self):
        self.sent = []

    def broadcast(self, raw_hex, txid):
        self.sent.append(txid)


def main():
    chain = RecordingChain()
    with tempfile.TemporaryDirectory() as folder, jpp.Service(os.path.join(folder, "shop.sqlite"), chain=chain) as shop:
        shop.subscribe(lambda message: print("event:", message["type"], message["txid"]))
        invoice = shop.create_invoice({"outputs": [{"amount": 12345, "address": MERCHANT}], "memo": "One coffee"})
        print("invoice", invoice["payment_id"], "asks", invoice["total_amount"], "sat")

        raw = jpp.sign_p2pkh(WALLET_KEY, [{"txid": "11" * 32, "vout": 0, "value": 100000}],
                             [{"address": MERCHANT, "amount": 12345}, {"address": WALLET_ADDRESS, "amount": 87429}])
        print("verify:", shop.verify(invoice["payment_id"], raw)["message"] or "ok")
        paid = shop.pay(invoice["payment_id"], raw, memo="Thanks!")
        print("status:", paid["status"], "broadcasts:", len(chain.sent))
        return 0 if paid["status"] == "paid" and len(chain.sent) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
