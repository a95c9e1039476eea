"""The Pythonic surface: functions, a Service class, and a ChainBackend a host subclasses."""
import ctypes
import json
import threading

from . import _native as n

MAIN, TEST, REGTEST = "main", "test", "regtest"
_NETWORKS = {MAIN: 0, TEST: 1, REGTEST: 2}


def _network(name):
    try:
        return _NETWORKS[name]
    except KeyError:
        raise ValueError(f"network must be one of {sorted(_NETWORKS)}, not {name!r}") from None


def _call_json(function, *args):
    out = ctypes.c_void_p()
    n.check(function(*args, ctypes.byref(out)))
    return json.loads(n.take_string(out))


def decode_transaction(raw_hex, network=MAIN):
    """Strictly decodes a raw transaction: {txid, version, locktime, size, inputs, outputs (with token data)}."""
    return _call_json(n.jpp_transaction_decode, raw_hex.encode(), _network(network))


def address_to_locking_bytecode(address, network=MAIN):
    """The locking bytecode an address (CashAddr or legacy) pays to."""
    out = ctypes.c_void_p()
    length = ctypes.c_size_t()
    n.check(n.jpp_address_to_locking_bytecode(address.encode(), _network(network), ctypes.byref(out),
                                              ctypes.byref(length)))
    try:
        return ctypes.string_at(out.value, length.value)
    finally:
        n.jpp_bytes_free(out)


def locking_bytecode_to_address(bytecode, network=MAIN, token_aware=False):
    """The CashAddr of a P2PKH, P2SH20 or P2SH32 locking bytecode."""
    out = ctypes.c_void_p()
    n.check(n.jpp_locking_bytecode_to_address(bytes(bytecode), len(bytecode), _network(network), int(token_aware),
                                              ctypes.byref(out)))
    return n.take_string(out)


def build_invoice(request, network=MAIN):
    """Validates a create request (the native API's body) and returns the invoice it describes, storing nothing."""
    return _call_json(n.jpp_invoice_build, json.dumps(request).encode(), _network(network))


def verify_offline(request, raw_hex, network=MAIN, spent_outputs=None):
    """Verifies a transaction against the invoice `request` describes, with no store and no network.

    spent_outputs: None (inputs not checked) or, per input, the spent output in wire form (bytes or hex).
    Returns the verdict; raises JppError (e.g. payment_output_missing) when the transaction does not pay."""
    spent = None
    if spent_outputs is not None:
        spent = ",".join(o.hex() if isinstance(o, (bytes, bytearray)) else o for o in spent_outputs).encode()
    return _call_json(n.jpp_verify_offline, json.dumps(request).encode(), _network(network), raw_hex.encode(), spent)


def sign_p2pkh(wif, coins, outputs, network=MAIN):
    """Builds and signs a transaction spending P2PKH `coins` of the key (offline, for tests).

    coins: [{"txid": hex, "vout": n, "value": sat}]; outputs: [{"address": ..., "amount": sat}], in order; no change is
    added. Returns the raw transaction as hex."""
    out = ctypes.c_void_p()
    n.check(n.jpp_sign_p2pkh(wif.encode(), json.dumps(coins).encode(), json.dumps(outputs).encode(),
                             _network(network), ctypes.byref(out)))
    return n.take_string(out)


class ChainBackend:
    """Subclass to give the service a blockchain. Methods may raise; the error reaches the caller of pay/verify.

    broadcast(raw_hex, txid): hand the transaction to the network (already known counts as success).
    spent_outputs(raw_hex): a list with, per input, the spent output in wire form (bytes or hex), or None.
    """

    def broadcast(self, raw_hex, txid):
        raise NotImplementedError

    def spent_outputs(self, raw_hex):
        return None


class Service:
    """Invoices in a SQLite file: create, get, verify, pay; events through subscribe(). Use it with `with`."""

    def __init__(self, db_path, network=MAIN, public_url="http://127.0.0.1:8000", chain=None):
        self._handle = ctypes.c_void_p()
        self._subscriptions = {}
        self._lock = threading.Lock()
        callbacks = None
        if chain is not None:
            self._chain = chain
            # The ctypes function objects must live as long as the service: the library keeps the pointers.
            self._broadcast = n.BROADCAST(self._on_broadcast)
            self._spent = n.SPENT_OUTPUTS(self._on_spent_outputs)
            callbacks = n.ChainCallbacks(1, None, self._broadcast, self._spent)
        n.check(n.jpp_service_open(ctypes.byref(self._handle), str(db_path).encode(), _network(network),
                                   public_url.encode(), ctypes.byref(callbacks) if callbacks else None))

    def _on_broadcast(self, _user, raw_hex, txid, out_message):
        try:
            self._chain.broadcast(raw_hex.decode(), txid.decode())
            return 0
        except Exception as error:  # reported to the paying caller as broadcast_rejected
            out_message[0] = n.malloc_string(str(error) or type(error).__name__)
            return n.jpp_error_code(b"broadcast_rejected")

    def _on_spent_outputs(self, _user, raw_hex, out_outputs, out_message):
        try:
            outputs = self._chain.spent_outputs(raw_hex.decode())
            if outputs is not None:
                text = ",".join(o.hex() if isinstance(o, (bytes, bytearray)) else o for o in outputs)
                out_outputs[0] = n.malloc_string(text)
            return 0
        except Exception as error:
            out_message[0] = n.malloc_string(str(error) or type(error).__name__)
            return n.jpp_error_code(b"chain_unavailable")

    def close(self):
        if self._handle:
            n.jpp_service_close(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _live(self):
        if not self._handle:
            raise ValueError("the service is closed")
        return self._handle

    def create_invoice(self, request):
        """request: the native API's body, e.g. {"outputs": [{"amount": 10000, "address": "..."}], "memo": ...}."""
        return _call_json(n.jpp_service_create_invoice, self._live(), json.dumps(request).encode())

    def get_invoice(self, invoice_id):
        return _call_json(n.jpp_service_get_invoice, self._live(), invoice_id.encode())

    def verify(self, invoice_id, raw_hex):
        """{"valid": True, "inputs_checked", "fee", "size", "message"}; raises JppError when invalid."""
        return _call_json(n.jpp_service_verify, self._live(), invoice_id.encode(), raw_hex.encode())

    def pay(self, invoice_id, raw_hex, memo=None, refund_to=None):
        body = {"raw_tx_hex": raw_hex, "memo": memo, "refund_to": refund_to or []}
        return _call_json(n.jpp_service_pay, self._live(), invoice_id.encode(), json.dumps(body).encode())

    def announce_expired(self):
        count = ctypes.c_size_t()
        n.check(n.jpp_service_announce_expired(self._live(), ctypes.byref(count)))
        return count.value

    def subscribe(self, callback):
        """callback(message_dict) for every payment_received / invoice_expired; may run on another thread.
        Returns an id for unsubscribe()."""
        def deliver(_user, _type, payload):
            callback(json.loads(payload.decode()))
        function = n.EVENT(deliver)
        sid = ctypes.c_uint64()
        n.check(n.jpp_service_subscribe(self._live(), function, None, ctypes.byref(sid)))
        with self._lock:
            self._subscriptions[sid.value] = function  # keep the ctypes thunk alive
        return sid.value

    def unsubscribe(self, subscription_id):
        n.check(n.jpp_service_unsubscribe(self._live(), subscription_id))
        with self._lock:
            self._subscriptions.pop(subscription_id, None)
