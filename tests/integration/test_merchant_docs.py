"""Every command and example of docs/merchants.md, run as written against a real jppd: only the server's address,
the database path, the webhook receiver's URL and the ids the guide leaves to the reader are put in."""
import json
import os
import re
import subprocess

from conftest import JPPD, ROOT, Daemon, wait_for

DOC = ROOT / "docs" / "merchants.md"


def blocks(kind):
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), re.S)


def commands(block):
    """The block's commands: continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", block)
    text = re.sub(r"'\{(.*?)\}'", lambda m: "'{" + re.sub(r"\n\s*", " ", m.group(1)) + "}'", text, flags=re.S)
    return [re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines() if line.strip()]


def test_every_example_in_the_merchant_guide_runs(tmp_path, webhook_receiver):
    # Main network, as the guide's addresses; dev mode needs no node. Keys are checked all the same.
    jppd = Daemon(tmp_path, ["--dev-mode", "--webhook-allow-private"])
    url = jppd.url
    env = {**os.environ}
    done = []

    def put_in(command):
        command = command.replace("https://pay.example.com", url).replace("/var/lib/jppd/jppd.sqlite3",
                                                                          str(jppd.db))
        command = command.replace("https://shop.example.com/jpp-hook", webhook_receiver.url("/jpp-hook"))
        if command.startswith("jppd "):
            command = JPPD + command[4:] + (" --webhook-allow-private" if " webhook add " in command else "")
        return command

    def run(command):
        r = subprocess.run(["bash", "-c", put_in(command)], capture_output=True, text=True, env=env, timeout=30,
                           cwd=tmp_path)
        assert r.returncode == 0, (command, r.stdout, r.stderr)
        done.append(command)
        return r.stdout

    sh = blocks("sh")
    for command in commands(sh[0]):  # the merchant and its key, before jppd starts
        out = run(command)
        if " key create " in command:
            env["JPP_KEY"] = re.search(r"^key:\s+(jppk_\S+)$", out, re.M).group(1)
    jppd.start()
    try:
        (tmp_path / "order-17.json").write_text(json.dumps(
            {"outputs": [{"address": "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "amount": 5000}],
             "order_id": "order-17"}))
        for block in sh[1:]:
            for command in commands(block):
                if command.startswith("curl"):
                    if ("$WE" in command or "evt_..." in command) and "WE" not in env:
                        hooks = json.loads(run(f"curl -s -H 'Authorization: Bearer {env['JPP_KEY']}' "
                                               f"{url}/api/v1/webhooks"))["webhooks"]
                        env["WE"] = hooks[0]["id"]
                        # Something for the endpoint to be told: an invoice made and cancelled.
                        made = json.loads(run(f"curl -s -X POST -H 'Authorization: Bearer {env['JPP_KEY']}' "
                                              f"-H 'Content-Type: application/json' {url}/api/v1/invoices -d "
                                              "'{\"outputs\":[{\"address\":\"bitcoincash:qpm2qsznhks23z7629mms"
                                              "6s4cwef74vcwvy22gdx6a\",\"amount\":7000}]}'"))
                        run(f"curl -s -X POST -H 'Authorization: Bearer {env['JPP_KEY']}' "
                            f"{url}/api/v1/invoices/{made['payment_id']}/cancel")
                        wait_for(lambda: json.loads(run(f"curl -s -H 'Authorization: Bearer {env['JPP_KEY']}' "
                                                        f"{url}/api/v1/webhooks/{env['WE']}/deliveries")
                                                    )["deliveries"], 10, "a delivery")
                    if "evt_..." in command:
                        event = json.loads(run(f"curl -s -H 'Authorization: Bearer {env['JPP_KEY']}' "
                                               f"{url}/api/v1/webhooks/{env['WE']}/deliveries"))["deliveries"][0]
                        command = command.replace("evt_...", event["event_id"])
                    out = run(command.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1))
                    body, status = out.rsplit("\n", 1)
                    assert 200 <= int(status) < 300, (command, status, body)
                    answer = json.loads(body) if body else {}
                    if "payment_id" in answer and "ID" not in env:
                        env["ID"] = answer["payment_id"]  # what the cancel example cancels
                else:
                    out = run(command.replace("we_0123456789abcdef", env.get("CLI_WE", "")))
                    if " webhook add " in command:
                        env["CLI_WE"] = re.search(r"^endpoint id:\s+(we_\w+)$", out, re.M).group(1)
        python = blocks("python")
        assert len(python) == 1
        scope = {"key": env["JPP_KEY"]}
        exec(python[0].replace("https://pay.example.com", url), scope)
        assert scope["invoice"]["payment_uri"].startswith("bitcoincash:?r=")
    finally:
        assert jppd.stop() == 0, jppd.log_text()
    assert any("cancel" in c for c in done) and any("redeliver" in c for c in done)
    assert any(c.startswith("jppd webhook list") for c in done)
    # The endpoint made through the guide's API example got the guide's events.
    assert webhook_receiver.requests("/jpp-hook")
