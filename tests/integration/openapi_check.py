"""jppd's answers held to its OpenAPI document (jppd/openapi.json).

conftest.py's Daemon.request hands every answer to check(): the request's path is matched to one of the document's
path templates and its method to an operation there; the answer's status must be one the operation lists, the
headers the document marks required must be present (and match their schemas), the media type must be one the
response lists, and a JSON body must be valid against the response's schema (JSON Schema 2020-12, with the
document's components). A failure names the route, the status and what is wrong.

WebSocket messages and webhook deliveries are checked with check_message() by the tests that receive them
(test_websocket.py's next_message, conftest.py's WebhookReceiver.events).

Not checked, because the document does not describe them (NOT_DESCRIBED below): the wallet protocols (their URLs
under /jpp/i/, and the invoice URL asked for a wallet protocol's media type or posted to) and the native API's CORS
preflights. A path the document has no template for must be jppd's 404 for an unknown resource, and a method it
does not describe on a path must be 405 with an Allow naming every method it does (or 404 for an id that is not
one).
"""
import datetime
import json
import pathlib
import re
import urllib.parse

import jsonschema

DOCUMENT_PATH = pathlib.Path(__file__).resolve().parent.parent.parent / "jppd" / "openapi.json"

# The wallet protocols' media types: asked for (Accept) on GET or HEAD of an invoice URL, they get a protocol's
# answer rather than the invoice JSON.
WALLET_ACCEPT = ("application/payment-options", "application/payment-request", "application/bitcoincash-paymentrequest")

NOT_DESCRIBED = [
    # (why, a test on (method, path, request headers))
    ("the wallet protocols' URLs", lambda method, path, headers: path.startswith("/jpp/i/")),
    ("a wallet protocol's answer on the invoice URL",
     lambda method, path, headers: re.fullmatch(r"/jpp/invoices/[^/]+/?", path) is not None and (
         method == "POST" or any(t in headers.get("accept", "").lower() for t in WALLET_ACCEPT))),
    # (the native API answers them; the merchant API, for servers, does not: its OPTIONS is an undescribed method)
    ("CORS preflights", lambda method, path, headers: method == "OPTIONS" and not path.startswith("/api/")),
]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class NonConformance(AssertionError):
    pass


def _date_time(value):
    """RFC 3339's date-time, strictly (an offset or Z required)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
        return False
    try:
        datetime.datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", value.replace("t", "T")))
    except ValueError:
        return False
    return True


def _uri(value):
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme) and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme) is not None


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time")(_date_time)
FORMATS.checks("uri")(_uri)


def _pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class Document:
    def __init__(self, path=DOCUMENT_PATH):
        self.path = path
        self.doc = json.loads(pathlib.Path(path).read_text())
        self.templates = []
        for template in self.doc["paths"]:
            segments = template.strip("/").split("/")
            pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
            literal = sum(not s.startswith("{") for s in segments)
            self.templates.append((literal, template, re.compile("/" + pattern + "/?")))
        self.templates.sort(key=lambda t: -t[0])  # a literal segment wins over a parameter
        self._validators = {}

    def resolve(self, node):
        """`node`, or what its $ref names in this document."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            target = node["$ref"]
            assert target.startswith("#/"), target
            node = self.doc
            for part in target[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            seen += 1
            assert seen < 10, target
        return node

    def template_of(self, path):
        for _, template, pattern in self.templates:
            if pattern.fullmatch(path):
                return template
        return None

    def validator(self, pointer):
        """A validator for the schema at `pointer` in this document, whose $refs resolve in the document: the
        document itself is the root schema (its other members are not keywords), with a $ref to the schema."""
        if pointer not in self._validators:
            root = dict(self.doc)
            root["$ref"] = pointer
            self._validators[pointer] = jsonschema.Draft202012Validator(root, format_checker=FORMATS)
        return self._validators[pointer]

    def errors(self, pointer, value):
        """The schema errors of `value` against the schema at `pointer`, worst first, as text."""
        errors = sorted(self.validator(pointer).iter_errors(value), key=jsonschema.exceptions.relevance)
        out = []
        for e in errors[-3:][::-1]:
            where = "".join(f"[{p!r}]" for p in e.absolute_path) or "the body"
            out.append(f"at {where}: {e.message[:400]}")
            for sub in sorted(e.context or [], key=jsonschema.exceptions.relevance)[-3:][::-1]:
                sub_where = "".join(f"[{p!r}]" for p in sub.absolute_path) or "the body"
                out.append(f"    (alternative) at {sub_where}: {sub.message[:300]}")
        return out


_document = None


def document():
    global _document
    if _document is None:
        _document = Document()
    return _document


def not_described(method, path, headers):
    """Why the document does not describe this request, or None."""
    for why, test in NOT_DESCRIBED:
        if test(method, path, headers):
            return why
    return None


def _media_type(headers):
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _fail(method, target, status, what, details=()):
    lines = [f"{method} {target} answered {status}: {what}"] + [f"  {d}" for d in details]
    raise NonConformance("\n".join(lines) + f"\n  (held to {DOCUMENT_PATH.relative_to(DOCUMENT_PATH.parent.parent)})")


def _check_error_body(doc, method, target, status, reply, route):
    if _media_type(reply.headers) != "application/json":
        _fail(method, target, status, f"{route}: an error must be JSON, not {reply.headers.get('content-type')!r}")
    errors = doc.errors("#/components/schemas/Error", json.loads(reply.body))
    if errors:
        _fail(method, target, status, f"{route}: the body is not an Error", errors)


def check(method, target, request_headers, reply):
    """Raises NonConformance unless `reply` (status, lowercase headers, text body) is what the document says
    jppd answers to `method target`; requests the document does not describe pass unchecked."""
    doc = document()
    method = method.upper()
    headers = {k.lower(): v for k, v in (request_headers or {}).items()}
    path = target.split("?", 1)[0]
    if not_described(method, path, headers):
        return
    status = reply.status
    template = doc.template_of(path)
    if template is None:
        # Every route jppd serves is in the document: anything else is its 404 for an unknown resource.
        if status != 404:
            _fail(method, target, status, "no path of the document matches, and the answer is not a 404")
        _check_error_body(doc, method, target, status, reply, "an unknown path")
        return
    item = doc.doc["paths"][template]
    operation = item.get(method.lower())
    route = f"{method} {template}"
    if operation is None:
        # A method the path does not take: 405 with Allow (404 first when the id in the path is not one).
        described = [m.upper() for m in METHODS if m in item]
        if status == 405:
            if "allow" not in reply.headers:
                _fail(method, target, status, f"{route}: 405 without an Allow header")
            allowed = {m.strip() for m in reply.headers["allow"].split(",")}
            if not set(described) <= allowed:
                _fail(method, target, status, f"{route}: Allow says {reply.headers['allow']!r}, the document "
                                              f"describes {', '.join(described)}")
        if status not in (404, 405):
            _fail(method, target, status, f"{route}: the document describes only {', '.join(described) or 'nothing'} "
                                          "here, and the answer is neither 404 nor 405")
        _check_error_body(doc, method, target, status, reply, route)
        return
    responses = operation["responses"]
    key = str(status)
    if key not in responses:
        key = f"{str(status)[0]}XX"
    if key not in responses:
        _fail(method, target, status, f"{route} does not list the status {status}",
              [f"listed: {', '.join(sorted(responses))}", f"body: {reply.body[:300]!r}"])
    response = doc.resolve(responses[key])
    base = _pointer("paths", template, method.lower(), "responses", key)
    if "$ref" in responses[key]:
        base = responses[key]["$ref"]

    for name, spec in response.get("headers", {}).items():
        spec = doc.resolve(spec)
        value = reply.headers.get(name.lower())
        if value is None:
            if spec.get("required"):
                _fail(method, target, status, f"{route} {key}: the header {name} is missing")
            continue
        if "schema" in spec:
            errors = doc.errors(base + "/headers/" + name.replace("~", "~0").replace("/", "~1") + "/schema", value)
            if errors:
                _fail(method, target, status, f"{route} {key}: the header {name}: {value!r}", errors)

    content = response.get("content")
    if not content:
        if reply.body:
            _fail(method, target, status, f"{route} {key}: the document describes no body, and there is one",
                  [repr(reply.body[:300])])
        return
    if method == "HEAD":
        return
    media = _media_type(reply.headers)
    if media not in content:
        _fail(method, target, status, f"{route} {key}: the media type {media!r} is not among "
                                      f"{', '.join(content)}", [repr(reply.body[:300])])
    if media == "application/json" or media.endswith("+json"):
        try:
            body = json.loads(reply.body)
        except ValueError as e:
            _fail(method, target, status, f"{route} {key}: the body is not JSON ({e})", [repr(reply.body[:300])])
        pointer = base + "/content/" + media.replace("/", "~1") + "/schema"
        errors = doc.errors(pointer, body)
        if errors:
            _fail(method, target, status, f"{route} {key}: the body does not conform to the document", errors)


def check_message(schema, value, what):
    """Raises NonConformance unless `value` (a WebSocket message, a webhook delivery's body, parsed) is valid against
    the document's components/schemas/`schema`; `what` names it in the failure."""
    errors = document().errors("#/components/schemas/" + schema, value)
    if errors:
        raise NonConformance(f"{what} is not a {schema} of jppd/openapi.json\n" + "\n".join("  " + e for e in errors))

