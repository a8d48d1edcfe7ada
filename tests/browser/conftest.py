"""A real browser (Debian's Chromium, driven by Playwright) against a live test server.

Where Chromium or axe-core is missing the tests skip, which fails them under CI=true.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from scripts.screenshots import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser(django_db_setup):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    # Started after the test database exists: creating it is synchronous Django work, which
    # refuses to run beside the event loop Playwright keeps in this thread.
    # Playwright's sync API keeps an event loop in this thread; the Django calls the tests
    # make between browser steps (and the database flush after each) are ordinary
    # synchronous ones. Set for the rest of the session: the flush runs after every
    # function-scoped fixture is gone.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    # axe-core is injected as an inline script, which the site's own CSP rightly forbids.
    context = browser.new_context(
        base_url=live_server.url,
        bypass_csp=True,
        viewport=DESKTOP,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def log_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def axe_violations(page):
    """Serious and critical WCAG 2.2 A/AA violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("axe-core missing: run npm ci --ignore-scripts")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def phone_problems(page):
    """At 375 px: horizontal scrolling, and tap targets under 24 by 24 px (WCAG 2.5.8)."""
    page.set_viewport_size(PHONE)
    return page.evaluate(
        """() => {
        const problems = [];
        const root = document.documentElement;
        if (root.scrollWidth > root.clientWidth) {
          problems.push(`scrolls sideways: ${root.scrollWidth}px`);
        }
        const targets = document.querySelectorAll(
          'button, input:not([type=hidden]), select, textarea, a[role=button], nav a');
        for (const el of targets) {
          let box = el.getBoundingClientRect();
          if (box.width === 0 && box.height === 0) continue;  // not displayed
          const label = el.labels && el.labels[0];
          if (label) {  // a label is part of its control's target
            const l = label.getBoundingClientRect();
            box = {width: Math.max(box.right, l.right) - Math.min(box.left, l.left),
                   height: Math.max(box.bottom, l.bottom) - Math.min(box.top, l.top)};
          }
          if (box.width < 24 || box.height < 24) {
            const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
            problems.push(`small target ${el.outerHTML.slice(0, 80)}: ${size}`);
          }
        }
        return problems;
    }"""
    )
