"""docs/webhooks.md's verification recipes, run against real deliveries from jppd: each accepts what jppd sent and
refuses a tampered body, another secret and an old delivery."""
import json
import os
import re
import sys
import time

import pytest

from conftest import ROOT, wait_for
from test_webhooks import add_endpoint, create, shop


def python_blocks():
    text = (ROOT / "docs" / "webhooks.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def jpp_package():
    library = os.environ.get("JPP_LIBRARY", str(ROOT / "build" / "test" / "bindings" / "c" / "libjpp_c.so"))
    assert os.path.exists(library), f"libjpp_c.so not found at {library} (set JPP_LIBRARY)"
    os.environ["JPP_LIBRARY"] = library
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    import jpp
    yield jpp
    sys.path.remove(str(ROOT / "bindings" / "python"))


def test_the_documented_checks_accept_real_deliveries_and_refuse_forgeries(tmp_path, node, jpp_package,
                                                                           webhook_receiver):
    blocks = python_blocks()
    assert len(blocks) == 2, "docs/webhooks.md should hold the two verification recipes"
    with_library, standalone = {}, {}
    exec(blocks[0], with_library)
    exec(blocks[1], standalone)
    handle_delivery, verify = with_library["handle_delivery"], standalone["verify_jpp_signature"]

    jppd = shop(tmp_path, node)
    _endpoint, secret = add_endpoint(jppd, webhook_receiver.url("/doc"), "--events", "invoice_created")
    jppd.start()
    try:
        pid = create(jppd, metadata={"customer": "c-9"})
        wait_for(lambda: webhook_receiver.requests("/doc"), 10, "a delivery")
        _path, headers, body, _at = webhook_receiver.requests("/doc")[0]
    finally:
        assert jppd.stop() == 0, jppd.log_text()

    event = handle_delivery(secret, headers, body)
    assert event["type"] == "invoice_created" and event["invoice"]["payment_id"] == pid
    assert event["invoice"]["metadata"] == {"customer": "c-9"}
    assert verify(secret, headers["X-JPP-Signature"], body)

    tampered = body.replace(b'"c-9"', b'"c-8"')
    other_secret = "whsec_" + "1" * 64
    for secret_used, signed_body in ((secret, tampered), (other_secret, body)):
        assert not verify(secret_used, headers["X-JPP-Signature"], signed_body)
        with pytest.raises(jpp_package.SignatureError):
            handle_delivery(secret_used, headers, signed_body)

    # A delivery recorded and replayed ten minutes later: authentic, but too old.
    old = jpp_package.sign_webhook(secret, body, at=int(time.time()) - 600)
    assert not verify(secret, old, body)
    with pytest.raises(jpp_package.SignatureError) as refused:
        handle_delivery(secret, {"X-JPP-Signature": old}, body)
    assert "expired" in str(refused.value)
    # Both recipes agree with the library's own signer on a fresh signature, and on a rotated secret's two v1s.
    fresh = jpp_package.sign_webhook(secret, body)
    assert verify(secret, fresh, body)
    rotated = jpp_package.sign_webhook(other_secret, body) + "," + fresh.split(",")[1]
    assert verify(secret, rotated, body) and verify(other_secret, rotated, body)
    handle_delivery(secret, {"X-JPP-Signature": rotated}, body)
    assert json.loads(body)["id"] == headers["X-JPP-Event-Id"]
