"""The Pythonic surface: functions, a Service class, and a ChainBackend a host subclasses."""
import contextlib
import ctypes
import functools
import json
import operator
import os
import threading
import weakref

from . import _native as n
from ._native import SignatureError

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


def _text(value, what):
    """`value` as the NUL-terminated bytes the C ABI reads; a NUL inside would cut it there, silently: refused."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value.encode()


def decode_transaction(raw_hex, network=MAIN):
    """Strictly decodes a raw transaction: {txid, version, locktime, size, inputs, outputs (with token data)}."""
    return _call_json(n.jpp_transaction_decode, _text(raw_hex, "raw_hex"), _network(network))


def address_to_locking_bytecode(address, network=MAIN):
    """The locking bytecode an address (CashAddr or legacy) pays to."""
    out = ctypes.c_void_p()
    length = ctypes.c_size_t()
    n.check(n.jpp_address_to_locking_bytecode(_text(address, "address"), _network(network), ctypes.byref(out),
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
        spent = _text(",".join(o.hex() if isinstance(o, (bytes, bytearray)) else o for o in spent_outputs),
                      "spent_outputs")
    return _call_json(n.jpp_verify_offline, json.dumps(request).encode(), _network(network), _text(raw_hex, "raw_hex"),
                      spent)


def sign_p2pkh(wif, coins, outputs, network=MAIN):
    """Builds and signs a transaction spending P2PKH `coins` of the key (offline, for tests).

    coins: [{"txid": hex, "vout": n, "value": sat}]; outputs: [{"address": ..., "amount": sat}], in order; no change is
    added. Returns the raw transaction as hex. Signing time is linear in the number of coins; coins holding more than
    21,000,000 BCH together are refused."""
    out = ctypes.c_void_p()
    n.check(n.jpp_sign_p2pkh(_text(wif, "wif"), json.dumps(coins).encode(), json.dumps(outputs).encode(),
                             _network(network), ctypes.byref(out)))
    return n.take_string(out)


def _body(body):
    """The exact bytes of a webhook body; a str is refused, as its bytes depend on an encoding."""
    if isinstance(body, str):
        raise TypeError("body must be bytes, not str: the signature covers the exact bytes received")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be bytes, not {type(body).__name__}")
    return bytes(body)


def _seconds(value, what):
    """An int that fits the C ABI's int64_t (ctypes would wrap a larger one silently)."""
    value = operator.index(value)
    if not -2**63 <= value < 2**63:
        raise ValueError(f"{what} is out of range")
    return value


def sign_webhook(secret, body, at=None):
    """The X-JPP-Signature header value for `body` (bytes) sent at `at` (Unix seconds; None for now), as jppd signs
    its webhooks: "t=<at>,v1=<hex HMAC-SHA256 of '<at>.<body>' keyed with the whole secret>".

    >>> sign_webhook("whsec_" + "00" * 32, b'{"type":"payment_received"}', at=1761222896)
    't=1761222896,v1=cb698aa1a56454dab95ca9b8ec8d6bf1cdcf1972716c83de6f0b5b456a110a3d'
    """
    data = _body(body)
    out = ctypes.c_void_p()
    n.check(n.jpp_webhook_sign(_text(secret, "secret"), data, len(data), 0 if at is None else _seconds(at, "at"),
                               ctypes.byref(out)))
    return n.take_string(out)


def verify_webhook(secret, signature_header, body, tolerance=300, now=None):
    """Checks a webhook delivery: returns None when a v1 of `signature_header` (the X-JPP-Signature value) signs
    `body` with `secret` and its time is within `tolerance` seconds of `now` (Unix seconds; None or 0 for the
    current time). Raises SignatureError otherwise, named "signature_invalid" (malformed, forged, another secret or
    other bytes) or "signature_expired" (authentic, but too old or too far ahead: a replay, or a wrong clock).

    `body` is the raw request body as bytes, before any parsing: a str raises TypeError.

    >>> secret = "whsec_" + "00" * 32
    >>> body = b'{"type":"payment_received"}'
    >>> header = sign_webhook(secret, body, at=1761222896)
    >>> verify_webhook(secret, header, body, now=1761222900)  # None: authentic, and 4 s old
    >>> try:
    ...     verify_webhook(secret, header, body, now=1761222896 + 301)
    ... except SignatureError as error:
    ...     print(error.name)
    signature_expired
    """
    data = _body(body)
    tolerance = _seconds(tolerance, "tolerance")
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    n.check(n.jpp_webhook_verify(_text(secret, "secret"), _text(signature_header, "signature_header"), data,
                                 len(data), 0 if now is None else _seconds(now, "now"), tolerance))


class AlreadyKnown(Exception):
    """Raised by ChainBackend.broadcast: the node already holds this transaction."""


class ChainUnavailable(Exception):
    """Raised by a ChainBackend method: the node could not be asked, or did not answer in time."""


class ChainBackend:
    """Subclass to give the service a blockchain. Methods may raise; the error reaches the caller of pay/verify.

    broadcast(raw_hex, txid): hand the transaction to the network. Raise AlreadyKnown when the node already holds
        it (never return as if it were sent: the service decides whether that is a retry of its own or a replay),
        ChainUnavailable when the outcome is unknown (the node may have it; the payment is retried or reconciled),
        anything else when the node refused it.
    spent_outputs(raw_hex): a list with, per input, the spent output in wire form (bytes or hex), or None.
    """

    def broadcast(self, raw_hex, txid):
        raise NotImplementedError

    def spent_outputs(self, raw_hex):
        return None


class Service:
    """Invoices in a SQLite file, or in PostgreSQL when db_path is a "postgresql://" URL (several processes may then
    share the database): create, get, verify, pay; events through subscribe(). Use it with `with`.

    Threads: a Service may be used from several threads at once. close() (also reached through `with` and when the
    object is garbage collected) waits for the calls under way on other threads, and every call made once close()
    has been called raises ValueError("the service is closed"). Pay and verify requests are read with jppd's
    limits (512 KiB of JSON: a standard 100,000-byte transaction can be paid).

    Callbacks (events, and the ChainBackend's methods) run on the thread of the call that makes them (pay, verify,
    announce_expired), inside that call, possibly on several threads at once. They may call the service back,
    subscribe and unsubscribe (themselves included) and even close() it: from inside a callback, close() refuses
    new calls and starts no further callbacks at once, and the service is released when the calls under way have
    returned (the call running the callback among them).

    Strings given to the library must not contain NUL characters (ValueError): C would silently cut them there.
    """

    def __init__(self, db_path, network=MAIN, public_url="http://127.0.0.1:8000", chain=None):
        self._lock = threading.Condition()
        self._handle = None  # the C handle, once open and until released
        self._closed = True  # released (or never opened)
        self._closing = False
        self._calls = 0  # calls under way, on all threads
        self._local = threading.local()  # .depth: calls under way on this thread (callbacks nest them)
        self._callbacks = {}  # key (the C callback's user_data) -> the host's callable
        self._subscriptions = {}  # subscription id -> key
        self._next_key = 1
        # One C callback per service, alive as long as the service object: the library may call it until the
        # handle is released, and unsubscribe only has to forget a Python callable. The thunks hold the service
        # weakly, so that dropping the last reference closes it.
        me = weakref.ref(self)
        self._event_thunk = n.EVENT(functools.partial(_deliver_event, me))
        callbacks = None
        if chain is not None:
            self._chain = chain
            self._broadcast = n.BROADCAST(functools.partial(_on_broadcast, me))
            self._spent = n.SPENT_OUTPUTS(functools.partial(_on_spent_outputs, me))
            callbacks = n.ChainCallbacks(1, None, self._broadcast, self._spent)
        path = _text(os.fspath(db_path) if isinstance(db_path, os.PathLike) else str(db_path), "db_path")
        handle = ctypes.c_void_p()
        n.check(n.jpp_service_open(ctypes.byref(handle), path, _network(network), _text(public_url, "public_url"),
                                   ctypes.byref(callbacks) if callbacks else None))
        self._handle = handle
        self._closed = False

    @property
    def closed(self):
        """True once close() has been called."""
        return self._closing or self._closed

    @contextlib.contextmanager
    def _call(self):
        """Brackets one call into the library: refused once closing, counted so that close() can wait for it."""
        with self._lock:
            if self._closing or self._handle is None:
                raise ValueError("the service is closed")
            self._calls += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield self._handle
        finally:
            self._local.depth -= 1
            with self._lock:
                self._calls -= 1
                handle = self._take_handle() if self._closing and self._calls == 0 else None
                self._lock.notify_all()
            if handle is not None:
                self._release(handle)

    def _take_handle(self):  # with self._lock held
        handle, self._handle = self._handle, None
        return handle

    def _release(self, handle):
        try:
            n.check(n.jpp_service_close(handle))  # no call is under way: it returns at once
        finally:
            with self._lock:
                self._closed = True
                self._callbacks.clear()
                self._subscriptions.clear()
                self._lock.notify_all()

    def close(self):
        """Closes the service and its database; calls made afterwards raise ValueError. Idempotent.

        From any thread but one inside a callback of this service, it returns once the calls under way on other
        threads have returned and the database is closed. From inside a callback it returns at once: the service
        is released when the calls under way (the one running this callback included) return."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed early
            return
        inside = getattr(self._local, "depth", 0) > 0
        with lock:
            self._closing = True
            if inside:
                return
            lock.wait_for(lambda: self._calls == 0)
            handle = self._take_handle()
            if handle is None:  # released by the last call, or being released by it now
                lock.wait_for(lambda: self._closed)
                return
        self._release(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 (at interpreter exit the modules it needs may be gone already)
            pass

    def create_invoice(self, request):
        """request: the native API's body, e.g. {"outputs": [{"amount": 10000, "address": "..."}], "memo": ...}."""
        with self._call() as handle:
            return _call_json(n.jpp_service_create_invoice, handle, json.dumps(request).encode())

    def get_invoice(self, invoice_id):
        with self._call() as handle:
            return _call_json(n.jpp_service_get_invoice, handle, _text(invoice_id, "invoice_id"))

    def verify(self, invoice_id, raw_hex):
        """{"valid": True, "inputs_checked", "fee", "size", "message"}; raises JppError when invalid."""
        with self._call() as handle:
            return _call_json(n.jpp_service_verify, handle, _text(invoice_id, "invoice_id"), _text(raw_hex, "raw_hex"))

    def pay(self, invoice_id, raw_hex, memo=None, refund_to=None):
        body = {"raw_tx_hex": raw_hex, "memo": memo, "refund_to": refund_to or []}
        with self._call() as handle:
            return _call_json(n.jpp_service_pay, handle, _text(invoice_id, "invoice_id"), json.dumps(body).encode())

    def announce_expired(self):
        count = ctypes.c_size_t()
        with self._call() as handle:
            n.check(n.jpp_service_announce_expired(handle, ctypes.byref(count)))
        return count.value

    def subscribe(self, callback):
        """Calls callback(message_dict) for every payment_received / invoice_expired, on the thread that pays or
        announces (see the class). Returns an id for unsubscribe()."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        with self._call() as handle:
            with self._lock:
                key = self._next_key
                self._next_key += 1
            self._callbacks[key] = callback
            sid = ctypes.c_uint64()
            try:
                n.check(n.jpp_service_subscribe(handle, self._event_thunk, key, ctypes.byref(sid)))
            except BaseException:
                self._callbacks.pop(key, None)
                raise
            self._subscriptions[sid.value] = key
            return sid.value

    def unsubscribe(self, subscription_id):
        """Once this returns, the callback is not running and will not be called again, on any thread; called from
        inside that very callback it does not wait for itself. An unknown or already unsubscribed id is ignored
        (unsubscribing is idempotent)."""
        if not isinstance(subscription_id, int) or not 0 <= subscription_id < 1 << 64:
            raise ValueError(f"not a subscription id: {subscription_id!r}")
        with self._call() as handle:
            key = self._subscriptions.pop(subscription_id, None)
            if key is not None:
                self._callbacks.pop(key, None)  # no new delivery reaches it from here on
            n.check(n.jpp_service_unsubscribe(handle, subscription_id))  # waits for the ones under way


# The C callbacks. They hold the service weakly; it is alive whenever the library calls them (only from inside a
# call on it, which holds a reference).

def _deliver_event(service_ref, key, _type, payload):
    service = service_ref()
    if service is None or service._closing:
        return
    callback = service._callbacks.get(key)
    if callback is not None:
        callback(json.loads(payload.decode()))


# Anything raised, KeyboardInterrupt included, is a failure: ctypes would otherwise print it and answer 0, "broadcast".
def _on_broadcast(service_ref, _user, raw_hex, txid, out_message):
    try:
        service_ref()._chain.broadcast(raw_hex.decode(), txid.decode())
        return 0
    except BaseException as error:
        out_message[0] = n.malloc_string(str(error) or type(error).__name__)
        if isinstance(error, AlreadyKnown):
            return n.jpp_error_code(b"tx_already_known")
        if isinstance(error, ChainUnavailable):
            return n.jpp_error_code(b"chain_unavailable")
        return n.jpp_error_code(b"broadcast_rejected")


def _on_spent_outputs(service_ref, _user, raw_hex, out_outputs, out_message):
    try:
        outputs = service_ref()._chain.spent_outputs(raw_hex.decode())
        if outputs is not None:
            text = ",".join(o.hex() if isinstance(o, (bytes, bytearray)) else o for o in outputs)
            out_outputs[0] = n.malloc_string(text)
        return 0
    except BaseException as error:
        out_message[0] = n.malloc_string(str(error) or type(error).__name__)
        return n.jpp_error_code(b"chain_unavailable")
