"""Headless Chromium (Debian's) driven over the DevTools protocol with websocket-client: open a page, evaluate
script in it, wait for a condition, take screenshots. Nothing beyond what the tests need."""
import base64
import http.client
import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import websocket

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events = []  # DevTools events received so far, (method, params), for domains a test enables
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            if "method" in reply:
                self.events.append((reply["method"], reply.get("params", {})))

    def open(self, url, width=1280, height=800, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", 15)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout, what=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or expression}")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))
        return path

    def close(self):
        self.ws.close()


class Browser:
    def __init__(self, extra_args=()):
        """`extra_args`: more Chromium flags (to trust a test certificate, say)."""
        assert CHROMIUM, "chromium is not installed (Debian package chromium)"
        self.profile = tempfile.mkdtemp(prefix="jppd-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-extensions", "--no-first-run", "--hide-scrollbars",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
             *extra_args, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = None
        deadline = time.monotonic() + 30
        while self.port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise AssertionError("chromium exited before its DevTools endpoint came up")
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if match:
                self.port = int(match.group(1))
        assert self.port, "chromium's DevTools endpoint did not come up"

    def new_page(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("PUT", "/json/new?about:blank")
        target = json.loads(conn.getresponse().read())
        conn.close()
        return Page(target["webSocketDebuggerUrl"])

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def artifacts_dir():
    path = pathlib.Path(os.environ.get("JPP_TEST_ARTIFACTS", pathlib.Path(__file__).resolve().parents[2] / "build" /
                                       "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
