"""The inline builder, measured: `python -m loadtest.builder_bench` (about a minute).

Starts its own server (runserver, a throwaway SQLite database) and drives the system
Chromium. It builds the demo's offsite survey (surveys/demo/surveys.toml: 11 questions of
ten kinds, 18 options, their settings) twice, once through the server's pages with
JavaScript off and once in the inline builder, counting full page loads and the person's
actions (clicks and key presses other than typed text; choosing from a list counts 2:
open it, pick). Then: the bundle's size gzipped, the Build tab's time until the builder
is drawn, and the autosave's round trip (the PATCH alone, and from the last key to
"All changes saved", which includes the builder's 400 ms gathering of keys).
"""

import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.screenshots import CHROMIUM, CHROMIUM_ARGS, manage, wait_for
from scripts.stack import free_port
from surveys.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "static" / "js" / "builder.js"
# The labels the two builders give each setting's field.
SETTING_LABELS = {
    "max_choices": "At most",
    "min_value": "Lowest",
    "max_value": "Highest",
    "min_date": "Earliest",
    "max_date": "Latest",
    "scale": "Scale",
}


def demo_survey():
    spec = tomllib.loads((ROOT / "surveys" / "demo" / "surveys.toml").read_text())
    survey = spec["survey"][1]
    return survey["title"], survey["question"]


class Counter:
    """Page loads and actions from start() (the survey made, its Build tab open) to
    done()."""

    def __init__(self, page):
        self.actions = self.loads = 0
        self.counting = False
        page.on("load", lambda: self.counting and setattr(self, "loads", self.loads + 1))

    def start(self):
        self.counting = True

    def done(self):
        self.counting = False
        return self

    def act(self, n=1):
        self.actions += n


def settings_of(question):
    return {name: str(question[name]) for name in SETTING_LABELS if name in question}


def build_without_js(page, title, questions):
    count = Counter(page)
    page.goto("/surveys/new/")
    page.get_by_label("Survey title").fill(title)
    page.get_by_role("button", name="Create survey").click()
    page.wait_for_load_state()
    count.start()
    for question in questions:
        kind = KINDS[question.get("kind", "single")]
        page.get_by_role("button", name="Add another question").click()
        page.get_by_label("Question:", exact=True).fill(question["prompt"])
        page.get_by_label(kind.label, exact=True).check()
        count.act(2)
        for name, value in settings_of(question).items():
            field = page.get_by_label(f"{SETTING_LABELS[name]}:", exact=True)
            if name == "scale":
                field.select_option(value)
                count.act(2)
            else:
                field.fill(value)
                count.act()  # a click into the field
        page.get_by_role("button", name="Add question").click()
        count.act()
        options = question.get("options", [])
        for text, _weight in options:
            page.get_by_label(f"{kind.option_word.capitalize()}:", exact=True).fill(text)
            page.get_by_role("button", name=f"Add another {kind.option_word}").click()
            count.act()
        if options:
            page.get_by_role("button", name="Done").click()
            count.act()
    page.wait_for_load_state()
    return count.done()


def build_in_the_builder(page, title, questions):
    count = Counter(page)
    page.goto("/surveys/new/")
    page.get_by_label("Survey title").fill(title)
    page.get_by_role("button", name="Create survey").click()
    page.locator(".builder-bar").wait_for()
    count.start()
    for number, question in enumerate(questions, start=1):
        kind = KINDS[question.get("kind", "single")]
        page.get_by_label("Type of the new question").select_option(kind.key)
        page.get_by_role("button", name="Add question").click()
        count.act(3)
        page.keyboard.type(question["prompt"])  # the new prompt has the focus
        card = page.locator(".builder-card").nth(number - 1)
        for name, value in settings_of(question).items():
            field = card.get_by_label(SETTING_LABELS[name], exact=True)
            if name == "scale":
                field.select_option(value)
                count.act(2)
            else:
                field.fill(value)
                count.act()
        options = question.get("options", [])
        if options:
            card.get_by_label(f"New {kind.option_word} for question {number}").click()
            count.act()
        for text, _weight in options:
            page.keyboard.type(text)
            page.keyboard.press("Enter")
            count.act()
    page.locator(".save-state").filter(has_text="All changes saved").wait_for()
    return count.done()


def time_to_builder(page, url, runs=10):
    times = []
    for _ in range(runs):
        page.goto(url)
        page.locator(".builder-ready .builder-bar").wait_for()
        times.append(page.evaluate("performance.now()"))
    return statistics.median(times)


# Resolves with the time the status next reads "All changes saved" after "Saving…",
# seen by the page itself (Playwright's own waiting polls, at up to 500 ms a step).
NEXT_SAVED = """() => { window.__saved = new Promise(resolve => {
    const status = document.querySelector('.save-state');
    let saving = false;
    const observer = new MutationObserver(() => {
        if (status.textContent.startsWith('Saving')) saving = true;
        else if (saving && status.textContent.startsWith('All changes saved')) {
            observer.disconnect();
            resolve(performance.now());
        }
    });
    observer.observe(status, {childList: true, subtree: true, characterData: true});
}); window.__typedAt = performance.now(); }"""


def autosave(page, edits=40):
    prompt = page.locator("input[id$='-prompt']").first
    typed_to_saved = []
    page.evaluate("performance.clearResourceTimings()")
    for n in range(edits):
        page.evaluate(NEXT_SAVED)
        prompt.fill(f"Edit {n}")
        typed_to_saved.append(page.evaluate("window.__saved.then(t => t - window.__typedAt)"))
    patches = page.evaluate(
        """() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/api/v1/questions/')).map(e => e.duration)"""
    )
    return typed_to_saved, patches


def p95(values):
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main():
    title, questions = demo_survey()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DEBUG": "false",
            "HTTPS": "false",
            "SECRET_KEY": "builder-bench-only-secret-key",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "STATIC_ROOT": f"{tmp}/static",
            "PRIVATE_STORAGE": f"{tmp}/private",
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
        try:
            wait_for(base + "/")
            report(base, title, questions)
        finally:
            server.terminate()
            server.wait()


def log_in(context, base):
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "demo")
    page.fill("#id_password", "canvass-demo")
    page.click("button[type=submit]")
    return page


def report(base, title, questions):
    options = sum(len(q.get("options", [])) for q in questions)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        plain = browser.new_context(base_url=base, java_script_enabled=False)
        pages = build_without_js(log_in(plain, base), title, questions)
        island = browser.new_context(base_url=base)
        page = log_in(island, base)
        built = build_in_the_builder(page, title, questions)
        edit = page.url
        tti = time_to_builder(page, edit)
        typed, patches = autosave(page)
        browser.close()
    size = len(gzip.compress(BUNDLE.read_bytes(), 9))
    n = len(questions)
    print(f"Demo survey: {n} questions, {options} options")
    print("Building it, once the survey is made:")
    print(
        f"Pages without JS: {pages.loads} page loads, {pages.actions} actions "
        f"({pages.actions / n:.1f} per question)"
    )
    print(
        f"Inline builder:   {built.loads} page loads, {built.actions} actions "
        f"({built.actions / n:.1f} per question; {(built.actions - options) / n:.1f} "
        "without the Enter after each option)"
    )
    print(f"Bundle: {BUNDLE.stat().st_size / 1024:.1f} KB, {size / 1024:.1f} KB gzipped")
    print(f"Build tab until the builder is drawn: median {tti:.0f} ms (10 loads)")
    print(
        f"Autosave, {len(typed)} edits: PATCH round trip p50 {statistics.median(patches):.0f} "
        f"ms p95 {p95(patches):.0f} ms; last key to 'saved' p50 {statistics.median(typed):.0f} "
        f"ms p95 {p95(typed):.0f} ms"
    )


if __name__ == "__main__":
    main()
