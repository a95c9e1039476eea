"""Loading libjpp_c and declaring its functions: the only module that knows the C signatures."""
import ctypes
import ctypes.util
import os
import sys

__version__ = "0.1.0"


class JppError(Exception):
    """A libjpp call failed: `code` is the numeric status, `name` its stable name, `message` the explanation."""

    def __init__(self, code, name, message):
        super().__init__(f"{name}: {message}" if message else name)
        self.code = code
        self.name = name
        self.message = message


class SignatureError(JppError):
    """A webhook signature was refused: `name` is "signature_invalid" (malformed, forged, made with another secret,
    or over other bytes) or "signature_expired" (authentic, but its time is outside the tolerance)."""


# Errors raised as a subclass of JppError, by name.
_ERROR_CLASSES = {"signature_invalid": SignatureError, "signature_expired": SignatureError}


def _load():
    path = os.environ.get("JPP_LIBRARY")
    if path:
        return ctypes.CDLL(path)
    # The dynamic linker's path first, then the usual install prefixes (cmake --install's default is /usr/local).
    prefixes = [sys.prefix, "/usr/local", "/usr"]
    candidates = ["libjpp_c.so.0", ctypes.util.find_library("jpp_c")]
    candidates += [os.path.join(p, lib, "libjpp_c.so.0") for p in prefixes for lib in ("lib", "lib/x86_64-linux-gnu")]
    for candidate in candidates:
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                pass
    raise OSError("libjpp_c not found on the library path or under " + ", ".join(prefixes) +
                  ": set JPP_LIBRARY to the path of libjpp_c.so")


lib = _load()
c_char_pp = ctypes.POINTER(ctypes.c_char_p)

BROADCAST = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                             ctypes.POINTER(ctypes.c_void_p))
SPENT_OUTPUTS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_void_p))
EVENT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)


class ChainCallbacks(ctypes.Structure):
    _fields_ = [("version", ctypes.c_int), ("user_data", ctypes.c_void_p), ("broadcast", BROADCAST),
                ("spent_outputs", SPENT_OUTPUTS)]


def _declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


# Strings the library returns are read as raw pointers and freed explicitly, never left to ctypes.
out_string = ctypes.POINTER(ctypes.c_void_p)
jpp_version = _declare("jpp_version", ctypes.c_char_p)
jpp_version_number = _declare("jpp_version_number", ctypes.c_int)
jpp_error_name = _declare("jpp_error_name", ctypes.c_char_p, ctypes.c_int)
jpp_error_code = _declare("jpp_error_code", ctypes.c_int, ctypes.c_char_p)
jpp_last_error = _declare("jpp_last_error", ctypes.c_char_p)
jpp_string_free = _declare("jpp_string_free", None, ctypes.c_void_p)
jpp_bytes_free = _declare("jpp_bytes_free", None, ctypes.c_void_p)
jpp_transaction_decode = _declare("jpp_transaction_decode", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, out_string)
jpp_address_to_locking_bytecode = _declare("jpp_address_to_locking_bytecode", ctypes.c_int, ctypes.c_char_p,
                                           ctypes.c_int, out_string, ctypes.POINTER(ctypes.c_size_t))
jpp_locking_bytecode_to_address = _declare("jpp_locking_bytecode_to_address", ctypes.c_int, ctypes.c_char_p,
                                           ctypes.c_size_t, ctypes.c_int, ctypes.c_int, out_string)
jpp_invoice_build = _declare("jpp_invoice_build", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, out_string)
jpp_verify_offline = _declare("jpp_verify_offline", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                              ctypes.c_char_p, out_string)
jpp_sign_p2pkh = _declare("jpp_sign_p2pkh", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                          ctypes.c_int, out_string)
jpp_webhook_verify = _declare("jpp_webhook_verify", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                              ctypes.c_size_t, ctypes.c_int64, ctypes.c_int64)
jpp_webhook_sign = _declare("jpp_webhook_sign", ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.c_int64, out_string)
jpp_service_open = _declare("jpp_service_open", ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                            ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ChainCallbacks))
jpp_service_close = _declare("jpp_service_close", ctypes.c_int, ctypes.c_void_p)
jpp_service_create_invoice = _declare("jpp_service_create_invoice", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                      out_string)
jpp_service_get_invoice = _declare("jpp_service_get_invoice", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                   out_string)
jpp_service_verify = _declare("jpp_service_verify", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                              out_string)
jpp_service_pay = _declare("jpp_service_pay", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                           out_string)
jpp_service_announce_expired = _declare("jpp_service_announce_expired", ctypes.c_int, ctypes.c_void_p,
                                        ctypes.POINTER(ctypes.c_size_t))
jpp_service_subscribe = _declare("jpp_service_subscribe", ctypes.c_int, ctypes.c_void_p, EVENT, ctypes.c_void_p,
                                 ctypes.POINTER(ctypes.c_uint64))
jpp_service_unsubscribe = _declare("jpp_service_unsubscribe", ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64)

_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]


def malloc_string(text):
    """A malloc()ed copy of `text`, for messages the library takes ownership of and free()s."""
    data = text.encode()
    pointer = _libc.malloc(len(data) + 1)
    ctypes.memmove(pointer, data + b"\0", len(data) + 1)
    return pointer


def abi_version():
    """The C library's version string, e.g. '0.1.0'."""
    return jpp_version().decode()


def check(status):
    if status != 0:
        name = jpp_error_name(status).decode()
        raise _ERROR_CLASSES.get(name, JppError)(status, name, jpp_last_error().decode())


def take_string(pointer):
    """Reads and frees a string the library returned."""
    try:
        return ctypes.string_at(pointer.value).decode()
    finally:
        jpp_string_free(pointer)
