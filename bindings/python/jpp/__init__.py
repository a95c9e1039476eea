"""Bitcoin Cash payment invoices from Python, over libjpp's C ABI (libjpp_c.so) with ctypes.

The shared library is found through the JPP_LIBRARY environment variable (a path) when it is set, otherwise
through the system's library path, then under the usual install prefixes (sys.prefix, /usr/local, /usr), where
`cmake --install` puts libjpp_c.so.0.
"""
from ._native import JppError, SignatureError, __version__, abi_version
from .api import (
    MAIN,
    REGTEST,
    TEST,
    AlreadyKnown,
    ChainBackend,
    ChainUnavailable,
    Service,
    address_to_locking_bytecode,
    build_invoice,
    decode_transaction,
    locking_bytecode_to_address,
    sign_p2pkh,
    sign_webhook,
    verify_offline,
    verify_webhook,
)

__all__ = [
    "__version__", "abi_version", "JppError", "MAIN", "TEST", "REGTEST", "AlreadyKnown", "ChainBackend", "ChainUnavailable", "Service",
    "decode_transaction", "address_to_locking_bytecode", "locking_bytecode_to_address", "sign_p2pkh", "build_invoice", "verify_offline",
    "SignatureError", "sign_webhook", "verify_webhook",
]
