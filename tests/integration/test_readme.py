"""The README's run command starts jppd in development mode on 127.0.0.1:8000, and its curl example works."""
import json
import os
import re
import signal
import subprocess

from conftest import ROOT, port_open, wait_for


def readme_curl_block():
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        if "curl" in block and "/jpp/invoices/" in block:
            return block
    raise AssertionError("no curl example in README.md")


def test_readme_run_command_and_curl_example(workdir):
    assert not port_open(8000), "something already listens on 127.0.0.1:8000, where the README's jppd must"
    # The README's command as written; only the database goes to a scratch folder (through the environment).
    env = {**os.environ, "JPPD_DB": str(workdir / "readme.sqlite3")}
    log = open(workdir / "run.log", "wb")
    run = subprocess.Popen([str(ROOT / "scripts" / "run.sh")], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        def up():
            assert run.poll() is None, (workdir / "run.log").read_text()
            return port_open(8000)
        wait_for(up, 900, "scripts/run.sh to build and start jppd")
        block = readme_curl_block()
        create, get = [line for line in block.replace("\\\n", " ").splitlines() if line.startswith("curl")]
        invoice = json.loads(subprocess.run(["bash", "-c", create], capture_output=True, text=True, check=True,
                                            timeout=30).stdout)
        assert re.fullmatch(r"[0-9a-f]{32}", invoice["payment_id"])
        assert invoice["payment_url"] == f"http://127.0.0.1:8000/jpp/invoices/{invoice['payment_id']}/"
        assert invoice["memo"] == "Coffee" and invoice["outputs"][0]["amount"] == 10000
        got = json.loads(subprocess.run(["bash", "-c", get.replace("<payment_id>", invoice["payment_id"])],
                                        capture_output=True, text=True, check=True, timeout=30).stdout)
        assert got == {**invoice, "status": got["status"]}
        text = (workdir / "run.log").read_text()
        assert "DEV MODE" in text and "listening on http://127.0.0.1:8000" in text
    finally:
        run.send_signal(signal.SIGTERM)  # run.sh execs jppd: this is jppd's PID
        assert run.wait(30) == 0
        log.close()
