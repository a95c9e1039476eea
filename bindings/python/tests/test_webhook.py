"""Webhook signatures from Python, checked against Python's own hmac module."""
import doctest
import hashlib
import hmac
import time

import pytest

import jpp
import jpp.api
from jpp import _native

SECRET = "whsec_" + "5e" * 32
BODY = b'{"type":"payment_received","invoice_id":"0f\xc3\xa9"}\n'
AT = 1761222896


def reference(secret, body, at):
    """The header as a receiver's independent implementation computes it."""
    mac = hmac.new(secret.encode(), str(at).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_exports():
    for name in ("SignatureError", "sign_webhook", "verify_webhook"):
        assert name in jpp.__all__ and hasattr(jpp, name)
    assert issubclass(jpp.SignatureError, jpp.JppError)


def test_verifies_a_header_made_with_hmac():
    assert jpp.verify_webhook(SECRET, reference(SECRET, BODY, AT), BODY, now=AT + 300) is None
    assert jpp.verify_webhook(SECRET, reference(SECRET, BODY, AT), bytearray(BODY), now=AT - 300) is None
    assert jpp.verify_webhook(SECRET, reference(SECRET, b"", AT), b"", now=AT) is None
    # The current time by default.
    now = int(time.time())
    assert jpp.verify_webhook(SECRET, reference(SECRET, BODY, now), BODY) is None


def test_signs_as_hmac_does():
    assert jpp.sign_webhook(SECRET, BODY, at=AT) == reference(SECRET, BODY, AT)
    assert jpp.sign_webhook(SECRET, memoryview(BODY), at=AT) == reference(SECRET, BODY, AT)
    header = jpp.sign_webhook(SECRET, BODY)
    at = int(header.split(",")[0][2:])
    assert abs(at - time.time()) < 5
    assert header == reference(SECRET, BODY, at)


def test_rotation_any_v1_may_match():
    old = "whsec_" + "11" * 32
    header = reference(old, BODY, AT) + ",v1=" + reference(SECRET, BODY, AT).split("v1=")[1]
    jpp.verify_webhook(SECRET, header, BODY, now=AT)
    jpp.verify_webhook(old, header, BODY, now=AT)


@pytest.mark.parametrize("secret, header, body", [
    ("whsec_" + "5f" * 32, reference(SECRET, BODY, AT), BODY),     # another secret
    (SECRET[6:], reference(SECRET, BODY, AT), BODY),                # the key is the whole secret, prefix included
    (SECRET, reference(SECRET, BODY, AT), BODY[:-1]),               # tampered body
    (SECRET, reference(SECRET, BODY, AT), BODY + b"\0"),
    (SECRET, reference(SECRET, BODY, AT).replace(str(AT), str(AT + 1)), BODY),  # another time
    (SECRET, "", BODY),
    (SECRET, "v1=" + "00" * 32, BODY),                              # no t
    (SECRET, f"t={AT}", BODY),                                      # no v1
    (SECRET, f"t=-{AT},v1=" + "00" * 32, BODY),
    ("", reference("", BODY, AT), BODY),                            # no secret
])
def test_refused_as_invalid(secret, header, body):
    with pytest.raises(jpp.SignatureError) as error:
        jpp.verify_webhook(secret, header, body, now=AT)
    assert error.value.name == "signature_invalid"
    assert error.value.code == _native.jpp_error_code(b"signature_invalid")
    assert error.value.message


def test_expired_either_way():
    header = reference(SECRET, BODY, AT)
    for now in (AT + 301, AT - 301):
        with pytest.raises(jpp.SignatureError) as error:
            jpp.verify_webhook(SECRET, header, BODY, now=now)
        assert error.value.name == "signature_expired"
        assert "beyond the tolerance of 300 s" in error.value.message
    jpp.verify_webhook(SECRET, header, BODY, tolerance=301, now=AT + 301)
    with pytest.raises(jpp.SignatureError):
        jpp.verify_webhook(SECRET, header, BODY, tolerance=0, now=AT + 1)


def test_arguments_checked():
    header = reference(SECRET, BODY, AT)
    with pytest.raises(TypeError):
        jpp.verify_webhook(SECRET, header, BODY.decode(), now=AT)  # str: the exact bytes are signed
    with pytest.raises(TypeError):
        jpp.verify_webhook(SECRET, header, None, now=AT)
    with pytest.raises(TypeError):
        jpp.sign_webhook(SECRET, "text", at=AT)
    with pytest.raises(TypeError):
        jpp.verify_webhook(SECRET, header, BODY, now=float(AT))
    with pytest.raises(TypeError):
        jpp.verify_webhook(SECRET.encode(), header, BODY, now=AT)
    with pytest.raises(ValueError):
        jpp.verify_webhook(SECRET, header, BODY, tolerance=-1, now=AT)
    with pytest.raises(ValueError):
        jpp.verify_webhook(SECRET, header, BODY, now=2**63)
    with pytest.raises(ValueError):
        jpp.verify_webhook(SECRET, header + "\0", BODY, now=AT)
    with pytest.raises(jpp.JppError) as error:
        jpp.sign_webhook("", BODY, at=AT)
    assert error.value.name == "invalid_argument" and not isinstance(error.value, jpp.SignatureError)
    with pytest.raises(jpp.JppError) as error:
        jpp.sign_webhook(SECRET, BODY, at=-1)
    assert error.value.name == "invalid_argument"


def test_docstring_examples():
    for function in (jpp.api.sign_webhook, jpp.api.verify_webhook):
        tests = doctest.DocTestFinder().find(function, globs=vars(jpp.api))
        assert tests and tests[0].examples
        runner = doctest.DocTestRunner(verbose=False)
        for test in tests:
            runner.run(test)
        results = runner.summarize(verbose=False)
        assert results.attempted >= 1 and results.failed == 0
