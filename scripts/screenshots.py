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

# the flow of a journey, in full screen, fitted to it
FLOW_FULL_SCREEN = (
    (".o_journey_flow_fullscreen_toggle", ".o_journey_flow_fullscreen .o_journey_flow_card"),
    (".o_journey_flow_toolbar button[title='Fit to the screen']", ".o_journey_flow_card"),
)
# file name -> (path after the base URL, CSS selector that says the view is
# ready, and optionally buttons to click first, each with what it opens)
PAGES = {
    "journey_form.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey/{journey_id}",
        ".o_form_view .o_journey_flow_card",
    ),
    "journey_flow.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey/{journey_id}",
        ".o_form_view .o_journey_flow_card",
        *FLOW_FULL_SCREEN,
    ),
    "lead_form.png": (
        "/odoo/action-crm.crm_lead_all_leads/{lead_id}",
        ".o_form_view .o-mail-Message",
        (".o_notebook a[name=journeys]", ".o_field_widget[name=journey_human_event_ids]"),
    ),
    "pipeline.png": ("/odoo/action-crm.crm_lead_action_pipeline", ".o_kanban_record"),
    "report_pivot.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_report",
        ".o_pivot table",
    ),
    "stage_funnel.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_stage_report",
        ".o_graph_renderer canvas",
    ),
    "impact_lift.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_impact_report",
        ".o_pivot table",
    ),
    "ready_made.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey_playbook",
        ".o_kanban_record",
    ),
    "preflight.png": (
        "/odoo/action-mail_journey_automation.action_mail_journey/{journey_id}",
        ".o_form_view button[name=action_preflight]",
        ("button[name=action_preflight]", ".o_list_view .o_data_row"),
    ),
}
# the same pages in Chinese (the admin's language switched to zh_CN)
PAGES_ZH = {"journey_flow_zh_CN.png": PAGES["journey_flow.png"]}


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
    # the first journey with steps; the most engaged lead, for its timeline
    ids = {
        key: call(args.url, session, model, "search", [domain], {"limit": 1, "order": order})[0]
        for key, model, domain, order in (
            ("journey_id", "mail.journey", [["step_ids", "!=", False]], "id"),
            (
                "lead_id",
                "crm.lead",
                [["journey_event_ids", "!=", False]],
                "journey_engagement_score desc, id",
            ),
        )
    }

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shoot(args.url, session, PAGES, ids, out)
    # the flow in Chinese: the language installed, the admin's set to it
    langs, __ = rpc(
        args.url,
        "/web/dataset/call_kw",
        {
            "model": "res.lang",
            "method": "search",
            "args": [[["code", "=", "zh_CN"], ["active", "in", [True, False]]]],
            "kwargs": {},
        },
        cookie=session,
    )
    call(args.url, session, "base.language.install", "create", [{"lang_ids": [[6, 0, langs]]}])
    wizard = call(
        args.url, session, "base.language.install", "search", [[]], {"limit": 1, "order": "id desc"}
    )
    call(args.url, session, "base.language.install", "lang_install", [wizard])
    uid = call(args.url, session, "res.users", "search", [[["login", "=", args.login]]])
    call(args.url, session, "res.users", "write", [uid, {"lang": "zh_CN"}])
    try:
        shoot(args.url, session, PAGES_ZH, ids, out)
    finally:
        call(args.url, session, "res.users", "write", [uid, {"lang": "en_US"}])


def call(url, session, model, method, args, kwargs=None):
    result, __ = rpc(
        url,
        "/web/dataset/call_kw",
        {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        cookie=session,
    )
    return result


def shoot(url, session, pages, ids, out):
    """Open each page of ``pages`` in a fresh headless Chromium and save it."""
    chrome = Chrome()
    try:
        chrome.send(
            "Network.setCookie",
            name=session.split("=")[0],
            value=session.split("=", 1)[1],
            url=url,
        )
        for name, (path, ready, *clicks) in pages.items():
            chrome.send("Page.navigate", url=url + path.format(**ids))
            chrome.wait_for(ready)
            for button, opened in clicks:
                chrome.send(
                    "Runtime.evaluate",
                    expression=f"document.querySelector({json.dumps(button)}).click()",
                )
                chrome.wait_for(opened)
            time.sleep(1.5)  # let animations and lazy widgets settle
            data = chrome.send("Page.captureScreenshot", format="png")["data"]
            (out / name).write_bytes(base64.b64decode(data))
            print(f"{out / name}")
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
