"""Regenerate docs/screenshots/*.png: every page, on a desktop and a 375-px phone screen.

Starts its own server on a free loopback port with a throwaway SQLite database loaded with
the demo data, then drives the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
with Playwright. Run it with `make screenshots` (python -m scripts.screenshots).
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_for(url, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer")


def capture(page, base, name, path, ready=None):
    """Screenshot `path`, or the page as it is when `path` is None."""
    if path is not None:
        page.goto(base + path)
    if ready:
        page.wait_for_selector(ready)
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=OUT / f"{name}-{label}.png", full_page=True)
    print(f"{name}: {path or page.url}")


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver whose body limit is too small at first: it answers the first
    event 413 (as NGINX would), the rest 200, so the log shows both."""

    answered = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.answered += 1
        status, body = (413, b"<html><body>413 Request Entity Too Large</body></html>")
        if Receiver.answered > 1:
            status, body = 200, b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Production-like: DEBUG off, so error pages are the real ones and WhiteNoise serves
        # the collected static files.
        env = {
            **os.environ,
            "DEBUG": "false",
            "HTTPS": "false",
            "SECRET_KEY": "screenshots-only-secret-key",
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "STATIC_ROOT": f"{tmp}/static",
            "PRIVATE_STORAGE": f"{tmp}/private",
            # The demo survey's 2,100 answers go to the background export (built at once:
            # no broker here, so tasks run in-process).
            "EXPORT_INLINE_MAX_ANSWERS": "1000",
            # The webhook screenshots' receiver listens on loopback over plain HTTP.
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "WEBHOOK_ALLOW_HTTP": "true",
        }
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_demo_data")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        try:
            wait_for(base + "/")
            shoot(base, f"http://127.0.0.1:{receiver.server_address[1]}/canvass")
        finally:
            receiver.shutdown()
            server.terminate()
            server.wait()


def shoot(base, receiver_url):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        capture(page, base, "01-landing", "/")
        capture(page, base, "02-signup", "/accounts/signup/")
        capture(page, base, "03-login", "/accounts/login/")

        page.fill("#id_username", "demo")
        page.fill("#id_password", "canvass-demo")
        page.click("button[type=submit]")
        capture(page, base, "04-survey-list", "/surveys/")

        running = page.get_attribute("a:has-text('View')", "href")
        draft = page.get_attribute("a:has-text('Edit')", "href")
        capture(page, base, "05-create", "/surveys/new/")
        capture(page, base, "06-edit", draft)
        capture(page, base, "07-question-create", draft.replace("edit/", "questions/new/"))
        page.goto(base + draft)
        options = page.get_attribute("a:has-text('Add options')", "href")
        capture(page, base, "08-option-create", options)
        capture(page, base, "09-results", running)
        capture(page, base, "38-share", running + "share/")
        capture(page, base, "39-survey-settings", running + "settings/")
        capture(page, base, "40-danger-zone", running + "danger-zone/")
        capture(page, base, "41-build-started", running + "edit/")
        page.goto(base + running)
        chose = page.locator("#chose option").nth(2).get_attribute("value")
        capture(page, base, "23-results-filtered", f"{running}?chose={chose}")
        capture(page, base, "24-responses", running + "responses/")
        page.goto(base + running)
        answers = page.get_attribute("a:has-text('Read and search all')", "href")
        capture(page, base, "25-text-answers", answers + "?search=May")
        page.goto(base + running + "exports/")
        page.click("button:has-text('Prepare responses as CSV')")
        capture(page, base, "29-export-ready", None)
        capture(page, base, "28-exports", running + "exports/")
        capture(page, base, "31-webhooks", running + "integrations/")
        page.fill("#id_url", receiver_url)
        page.fill("#id_description", "Our CRM")
        page.click("button:has-text('Add webhook')")
        endpoint = page.url.removeprefix(base)
        capture(page, base, "32-webhook-secret", None)
        page.goto(base + running + "share/")

        public = page.input_value("#public-url").removeprefix(base)
        capture(page, base, "10-start", public)
        capture(page, base, "11-answer", public + "answer/")
        page.click("button[type=submit]")
        capture(page, base, "26-answer-errors", None)
        for group in page.locator("fieldset").all():
            choices = group.locator("input[type=radio], input[type=checkbox]")
            if choices.count():  # a ranking's fieldset holds selects, already in order
                choices.first.check()
        page.fill("input[type=date]", "2026-12-14")
        page.fill("input[type=time]", "09:30")
        page.fill("input[type=number]", "4000")
        page.click("button[type=submit]")
        page.fill("input[type=number]", "120")
        page.click("button[type=submit]")
        errors = page.locator(".errorlist, [role=alert]").all_inner_texts()
        assert re.search(r"/thanks/$", page.url), (page.url, errors)
        capture(page, base, "12-thanks", None)  # the receipt is shown this once
        receipt = page.input_value("#receipt-url").removeprefix(base)
        capture(page, base, "34-receipt", receipt)
        capture(page, base, "35-receipt-edit", receipt + "edit/")
        capture(page, base, "36-withdraw-confirm", receipt + "withdraw/")
        capture(page, base, "37-privacy-notice", public + "privacy/")
        # The response's event went to the receiver (413), then a test event (200).
        page.goto(base + endpoint)
        page.click("button:has-text('Send a test event')")
        for _ in range(100):
            if page.locator(".attempt").count() >= 2:
                break
            time.sleep(0.2)
            page.goto(base + endpoint)
        capture(page, base, "33-delivery-log", endpoint)
        capture(page, base, "13-not-found", "/s/no-such-survey/")

        page.goto(base + running + "edit/")
        page.click("button:has-text('Change questions')")
        capture(page, base, "27-new-version", None)
        page.goto(base + running + "settings/")
        page.click("button:has-text('Close survey')")
        capture(page, base, "14-results-closed", running)
        capture(page, base, "15-closed-for-takers", public)
        capture(page, base, "16-delete-confirm", running + "delete/")
        page.goto(base + "/accounts/settings/")
        page.click("button:has-text('Create a token')")
        capture(page, base, "17-settings", "/accounts/settings/")
        capture(page, base, "18-password-change", "/accounts/settings/password/")
        capture(page, base, "19-delete-account", "/accounts/settings/delete/")
        capture(page, base, "22-api-docs", "/api/docs/", ready=".swagger-ui .info")
        page.goto(base + "/surveys/")
        page.click("button:has-text('Log out')")
        capture(page, base, "20-password-reset", "/accounts/password-reset/")
        page.fill("#id_email", "demo@example.com")
        page.click("button:has-text('Send the link')")
        capture(page, base, "21-password-reset-sent", "/accounts/password-reset/sent/")
        # NGINX's page while every app node is down (deploy/nginx/maintenance.html).
        capture(page, "", "30-back-in-a-moment", (ROOT / "deploy/nginx/maintenance.html").as_uri())
        browser.close()


if __name__ == "__main__":
    main()
