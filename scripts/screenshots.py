"""Screenshots of a running Odoo for the README, in headless Chromium.

    python scripts/screenshots.py --url http://localhost:8069 --db journey_demo \
        --out docs/screenshots

Logs in (admin/admin by default), opens each page below, waits for its view
to render and saves a PNG. Uses the Chrome DevTools protocol through
websocket-client, as Odoo's own browser tests do.
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

# file name -> (path after the base URL, CSS selector that says the view is ready)
PAGES = {
    "journey_form.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey/{journey_id}",
        ".o_form_view .o_journey_flow_card",
    ),
    "lead_timeline.png": (
        "/odoo/action-crm.crm_lead_all_leads/{lead_id}",
        ".o_form_view .o-mail-Message",
    ),
    "report_pivot.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_report",
        ".o_pivot table",
    ),
    "stage_funnel.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_stage_report",
        ".o_graph_renderer canvas",
    ),
}


def rpc(url, path, params, cookie=None):
    request = urllib.request.Request(
        url + path,
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
        headers={"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
        if body.get("error"):
            raise RuntimeError(body["error"]["data"]["message"])
        return body["result"], response.headers.get("Set-Cookie", "")


class Chrome:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="mja_chrome_")
        binary = shutil.which("chromium") or shutil.which("google-chrome")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1440,900",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        port_file = Path(self.profile, "DevToolsActivePort")
        for _attempt in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            page = next(
                target for target in json.loads(response.read()) if target["type"] == "page"
            )
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})

    def wait_for(self, selector, timeout=60):
        expression = f"!!document.querySelector({json.dumps(selector)})"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.send("Runtime.evaluate", expression=expression)
            if result.get("result", {}).get("value"):
                return
            time.sleep(0.3)
        raise TimeoutError(f"{selector} did not show up")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="journey_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()

    __, set_cookie = rpc(
        args.url,
        "/web/session/authenticate",
        {"db": args.db, "login": args.login, "password": args.password},
    )
    session = set_cookie.split(";")[0]
    ids = {}
    for key, model, domain in (
        ("journey_id", "mail.journey", [["step_ids", "!=", False]]),
        ("lead_id", "crm.lead", [["journey_event_ids", "!=", False]]),
    ):
        found, __ = rpc(
            args.url,
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": "search",
                "args": [domain],
                "kwargs": {"limit": 1, "order": "id"},
            },
            cookie=session,
        )
        ids[key] = found[0]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chrome = Chrome()
    try:
        chrome.send(
            "Network.setCookie",
            name=session.split("=")[0],
            value=session.split("=", 1)[1],
            url=args.url,
        )
        for name, (path, ready) in PAGES.items():
            chrome.send("Page.navigate", url=args.url + path.format(**ids))
            chrome.wait_for(ready)
            time.sleep(1.5)  # let animations and lazy widgets settle
            data = chrome.send("Page.captureScreenshot", format="png")["data"]
            (out / name).write_bytes(base64.b64decode(data))
            print(f"{out / name}")
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
