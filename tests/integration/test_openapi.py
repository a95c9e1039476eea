"""jppd/openapi.json: a valid OpenAPI 3.1 document (checked by an independent validator from npm, and every Schema
Object against JSON Schema 2020-12), served by jppd as it is in the repository, and with the teeth the other
tests rely on (openapi_check, which conftest.py's Daemon.request applies to every answer)."""
import copy
import json
import re
import subprocess

import jsonschema
import pytest

import openapi_check
from conftest import HERE, JPPD, MERCHANT_WIF, ROOT, Daemon, Reply, address_of, node_args

DOCUMENT = ROOT / "jppd" / "openapi.json"
VALIDATOR = HERE / "validate_openapi.mjs"


def validate(path):
    """The npm validator's verdict on the document at `path`: (valid, its report)."""
    assert (HERE / "node_modules" / "@seriousme" / "openapi-schema-validator").exists(), \
        "the OpenAPI validator is not installed: run npm ci --prefix tests/integration"
    run = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    assert report["valid"] == (run.returncode == 0), report
    return report["valid"], report


def load():
    return json.loads(DOCUMENT.read_text())


def test_the_document_is_valid_openapi_3_1():
    valid, report = validate(DOCUMENT)
    assert valid, json.dumps(report, indent=1)[:4000]
    assert report["version"] == "3.1"
    assert load()["openapi"] == "3.1.0"


@pytest.mark.parametrize("what, breaking", [
    ("a response without its description",
     lambda d: d["paths"]["/healthz"]["get"]["responses"]["200"].pop("description")),
    ("a path that does not start with a slash",
     lambda d: d["paths"].__setitem__("healthz", d["paths"].pop("/healthz"))),
    ("a $ref to nothing",
     lambda d: d["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
     .__setitem__("$ref", "#/components/schemas/NoSuchSchema")),
    ("a security scheme of an unknown type",
     lambda d: d["components"]["securitySchemes"]["apiKey"].__setitem__("type", "password")),
    ("no info", lambda d: d.pop("info")),
])
def test_the_validator_refuses_a_broken_document(tmp_path, what, breaking):
    """The check above has teeth: each of these breaks the document, and the validator says so."""
    broken = load()
    breaking(broken)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    valid, report = validate(path)
    assert not valid, f"{what}: the validator accepted it"
    assert report["errors"], report


def schema_objects(node, where="#"):
    """Every Schema Object of the document, with where it is: components' schemas, and the `schema` of
    parameters, headers and media types."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key == "schema" and isinstance(value, dict):
                yield here, value
            elif key == "schemas" and where == "#/components":
                for name, schema in value.items():
                    yield f"{here}/{name}", schema
            else:
                yield from schema_objects(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from schema_objects(value, f"{where}/{i}")


def test_every_schema_object_is_json_schema_2020_12():
    doc = load()
    found = list(schema_objects(doc))
    assert len(found) > 50
    for where, schema in found:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            raise AssertionError(f"{where}: {e.message}") from None
    broken = {"type": "object", "properties": {"x": {"type": "strnig"}}}
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema(broken)


def test_the_version_is_the_daemons():
    version = subprocess.run([JPPD, "--version"], capture_output=True, text=True, check=True).stdout.split()
    assert version == ["jppd", load()["info"]["version"]]


def test_every_route_and_error_code_of_the_daemon_is_described():
    """The routes jppd's router and merchant API know, and the error codes its sources answer with, are in the
    document (a new route or code that the document lacks fails here, before any answer meets it)."""
    doc = load()
    routes = {(m, p) for p, item in doc["paths"].items() for m in item if m in openapi_check.METHODS}
    for method, path in [
        ("post", "/jpp/invoices/"), ("get", "/jpp/invoices/{payment_id}/"), ("head", "/jpp/invoices/{payment_id}/"),
        ("post", "/jpp/invoices/{payment_id}/verify"), ("post", "/jpp/invoices/{payment_id}/pay"),
        ("get", "/ws/jpp/invoice/{payment_id}/"), ("get", "/healthz"), ("head", "/healthz"),
        ("get", "/openapi.json"), ("head", "/openapi.json"),
        ("get", "/api/v1/invoices"), ("post", "/api/v1/invoices"), ("get", "/api/v1/invoices/{invoice_id}"),
        ("post", "/api/v1/invoices/{invoice_id}/cancel"), ("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"),
        ("delete", "/api/v1/webhooks/{endpoint_id}"), ("get", "/api/v1/webhooks/{endpoint_id}/deliveries"),
        ("post", "/api/v1/webhooks/{endpoint_id}/redeliver"),
    ]:
        assert (method, path) in routes, (method, path)
    codes = set(doc["components"]["schemas"]["ErrorCode"]["enum"])
    # The codes the daemon writes itself (json_error calls, the parser's statuses) ...
    sources = "".join(p.read_text() for p in (ROOT / "jppd" / "src").rglob("*.cpp"))
    written = set(re.findall(r'json_error\(\s*\d{3},\s*"([a-z_]+)"', sources))
    written |= set(re.findall(r'case \d{3}: return "([a-z_]+)";', (ROOT / "jppd" / "src" / "http" /
                                                                 "connection.cpp").read_text()))
    # ... and libjpp's error codes (errc_name), but for ok and the webhook-signature ones, which only a receiver's
    # check returns.
    errc = set(re.findall(r'case Errc::\w+: return "([a-z_]+)";', (ROOT / "libjpp" / "src" / "error.cpp").read_text()))
    errc -= {"ok", "signature_invalid", "signature_expired"}
    assert len(written) > 20 and len(errc) > 50
    assert not (written | errc) - codes, sorted((written | errc) - codes)
    assert not codes - (written | errc), sorted(codes - (written | errc))


@pytest.fixture(scope="module")
def jppd(workdir):
    d = Daemon(workdir, ["--dev-mode", "--network", "regtest"]).start()
    yield d
    assert d.stop() == 0, d.log_text()


def test_jppd_serves_the_document_as_it_is(jppd):
    r = jppd.request("GET", "/openapi.json")
    assert r.status == 200, r
    assert r.headers["content-type"] == "application/json"
    assert r.body == DOCUMENT.read_text(encoding="utf-8")  # byte for byte (the file is UTF-8)
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["access-control-allow-origin"] == "*"  # browser tools on other origins may read it
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = jppd.request("GET", "/openapi.json", headers={"If-None-Match": if_none_match})
        assert again.status == 304 and again.body == "" and again.headers["etag"] == etag, (if_none_match, again)
    assert jppd.request("GET", "/openapi.json", headers={"If-None-Match": '"other"'}).status == 200
    head = jppd.request("HEAD", "/openapi.json")
    assert head.status == 200 and head.body == "" and int(head.headers["content-length"]) == len(r.body.encode())
    r = jppd.request("POST", "/openapi.json", {})
    assert r.status == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS", r


def test_no_key_is_needed_for_the_document(tmp_path, node):
    """Not in dev mode, where invoice creation needs a key: the document is still anyone's."""
    d = Daemon(tmp_path, node_args(node.rpc_url, open_creation=False)).start()
    try:
        assert d.request("POST", "/jpp/invoices/", {"outputs": []}).status == 401
        r = d.request("GET", "/openapi.json")
        assert r.status == 200 and json.loads(r.body)["openapi"] == "3.1.0"
    finally:
        assert d.stop() == 0


def fake(status, body, content_type="application/json; charset=utf-8", **headers):
    return Reply(status, [("Content-Type", content_type), *headers.items()],
                 body if isinstance(body, str) else json.dumps(body))


def test_the_conformance_check_has_teeth(jppd):
    """openapi_check refuses answers that differ from the document, naming the route, the status and the schema
    error; and passes only what the document does not describe."""
    invoice = jppd.create_invoice([{"address": address_of(MERCHANT_WIF), "amount": 10_000}])
    pid = invoice["payment_id"]
    location = {"Location": invoice["payment_url"]}
    openapi_check.check("POST", "/jpp/invoices/", {}, fake(201, invoice, **location))

    def refused(method, path, reply, *expected):
        with pytest.raises(openapi_check.NonConformance) as e:
            openapi_check.check(method, path, {}, reply)
        for text in expected:
            assert text in str(e.value), str(e.value)

    missing = copy.deepcopy(invoice)
    del missing["status"]
    refused("POST", "/jpp/invoices/", fake(201, missing, **location),
            "POST /jpp/invoices/ 201", "'status' is a required property")
    refused("POST", "/jpp/invoices/", fake(201, {**invoice, "extra": 1}, **location), "'extra' was unexpected")
    refused("POST", "/jpp/invoices/", fake(201, {**invoice, "status": "pending"}, **location), "'pending'")
    refused("POST", "/jpp/invoices/", fake(201, {**invoice, "time": "yesterday"}, **location), "date-time")
    refused("POST", "/jpp/invoices/", fake(201, invoice), "the header Location is missing")
    refused("POST", "/jpp/invoices/", fake(418, {"code": "not_found", "message": "m", "detail": "m"}),
            "does not list the status 418")
    refused("GET", f"/jpp/invoices/{pid}/", fake(200, "<html>", "text/plain", Vary="Accept"), "'text/plain'")
    refused("GET", f"/jpp/invoices/{pid}/", fake(200, invoice), "the header Vary is missing")
    refused("GET", f"/jpp/invoices/{pid}/", fake(404, {"code": "no_such_code", "message": "m", "detail": "m"}),
            "GET /jpp/invoices/{payment_id}/ 404", "'no_such_code' is not one of")
    refused("POST", "/api/v1/invoices", fake(401, {"code": "forbidden", "message": "m", "detail": "m"},
                                            **{"WWW-Authenticate": 'Bearer realm="jppd"'}),
            "POST /api/v1/invoices 401", "'forbidden' is not one of ['unauthorized']")
    refused("POST", f"/jpp/invoices/{pid}/pay", fake(400, {"code": "truncated", "message": "m", "detail": "m"}),
            "'non_field_errors' is a required property")
    refused("GET", "/no/such/route", fake(200, {}), "no path of the document matches")
    refused("DELETE", "/healthz", fake(405, {"code": "method_not_allowed", "message": "m", "detail": "m"}),
            "405 without an Allow header")
    refused("DELETE", "/healthz", fake(405, {"code": "method_not_allowed", "message": "m", "detail": "m"},
                                       Allow="GET, OPTIONS"), "the document describes GET, HEAD")
    refused("OPTIONS", "/api/v1/invoices", Reply(204, [], ""), "neither 404 nor 405")
    refused("DELETE", "/api/v1/webhooks/we_0123456789abcdef", fake(204, "{}"), "describes no body")
    # What the document leaves to jppd/README.md: the wallet protocols, and CORS preflights.
    openapi_check.check("GET", f"/jpp/i/bitpay/{pid}/", {}, fake(200, "anything", "text/plain"))
    openapi_check.check("GET", f"/jpp/invoices/{pid}/", {"Accept": "application/payment-options"},
                        fake(200, {"anything": True}))
    openapi_check.check("POST", f"/jpp/invoices/{pid}/", {"Content-Type": "application/payment"},
                        fake(400, "plain text", "text/plain"))
    openapi_check.check("OPTIONS", "/jpp/invoices/", {}, Reply(204, [], ""))
