"""The production-like stack (PostgreSQL, Redis, two app nodes, a Celery worker and beat,
NGINX), started once for these tests.

It is the same code `make stack` runs. Where PostgreSQL, Redis or NGINX is missing the tests skip,
which counts as a failure under CI=true (see tests/conftest.py).
"""

import functools
import http.client
import itertools
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import psycopg
import pytest

from scripts.stack import MissingService, Stack, insecure_tls_context


@pytest.fixture(scope="session")
def stack():
    try:
        # Exports found stalled after 8 s, looked for every 4 s: the worker-kill tests
        # needn't wait the minutes production allows.
        env = {
            "EXPORT_STALL_SECONDS": "8",
            "EXPORT_SWEEP_SECONDS": "4",
            # Webhooks go to the tests' receivers on loopback, time out after 2 s, are
            # retried after a second and swept for every 2 s.
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "WEBHOOK_ALLOW_HTTP": "true",
            "WEBHOOK_TIMEOUT": "2",
            "WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1",
            "WEBHOOK_SWEEP_SECONDS": "2",
            # Files up to 1 MB: NGINX takes bodies up to 7 MiB (5 files and the form).
            "UPLOAD_MAX_MB": "1",
        }
        with Stack(nodes=2, workers=2, env=env) as running:
            running.manage("load_demo_data")
            yield running
    except MissingService as exc:
        pytest.skip(str(exc))


@pytest.fixture
def sql(stack):
    def query(statement, *params):
        with psycopg.connect(stack.database_url) as conn:
            return conn.execute(statement, params).fetchall()

    return query


@pytest.fixture
def demo_token(sql):
    # The demo's running survey: the first made (tests add others).
    return sql("SELECT public_token FROM surveys_survey WHERE status = 'active' ORDER BY id")[0][0]


class Response:
    def __init__(self, status, body, headers, url):
        self.status, self.body, self.headers, self.url = status, body, headers, url

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class _SourceHTTPSHandler(urllib.request.HTTPSHandler):
    """Connects from a chosen loopback address: 127.0.0.2 plays a client that is not NGINX."""

    def __init__(self, source):
        super().__init__(context=insecure_tls_context())
        self.source = source

    def https_open(self, req):
        connection = functools.partial(
            http.client.HTTPSConnection, source_address=(self.source, 0)
        )
        return self.do_open(connection, req, context=self._context)


class Browser:
    """A cookie-keeping HTTPS client for the stack, like a person's browser."""

    def __init__(self, base, source="127.0.0.1"):
        self.base = base
        self.opener = urllib.request.build_opener(
            _SourceHTTPSHandler(source), urllib.request.HTTPCookieProcessor(CookieJar())
        )

    def request(self, path, data=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        body = None
        if data is not None:
            body = (
                data
                if isinstance(data, bytes)
                else urllib.parse.urlencode(data, doseq=True).encode()
            )
        request = urllib.request.Request(
            url, data=body, headers={"Referer": url, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Response(response.status, response.read(), response.headers, response.url)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), error.headers, url)

    get = request

    def post(self, path, data, headers=None):
        return self.request(path, data, headers)

    def form_fields(self, path):
        """GET a page and return its form's hidden fields (CSRF token, submission token)."""
        page = self.get(path)
        return page, dict(
            re.findall(r'name="(csrfmiddlewaretoken|token)" value="([^"]*)"', page.text)
        )


@pytest.fixture
def browser(stack):
    return Browser(stack.url)


def raw_https(stack, method, path, *, source="127.0.0.1", headers=None, body=None, port=None):
    """One request from a chosen loopback source address; returns (status, body)."""
    if port is None:
        conn = http.client.HTTPSConnection(
            "127.0.0.1",
            stack.https_port,
            context=insecure_tls_context(),
            source_address=(source, 0),
            timeout=30,
        )
    else:
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, source_address=(source, 0), timeout=30
        )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def log(stack, name):
    """A log of the stack; for Gunicorn's, every node's together."""
    if name.startswith("gunicorn."):
        files = [stack.node_log_dir(n) / name for n in range(len(stack.nodes))]
        return "".join(path.read_text() for path in files if path.exists())
    return (stack.logs / name).read_text()


def sent_mail(stack):
    """Every email the stack has sent, one file each (its EMAIL_URL is a mail folder)."""
    return "".join(path.read_text() for path in sorted(stack.mail.glob("*")))


def logged(stack, name, text):
    """Whether `text` reaches the log. Servers write a request's line after the response
    has gone out, so a client can be a moment ahead of the log."""
    return wait_until(lambda: text in log(stack, name))


def wait_until(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def answer_form(browser, token):
    """GET the answer form and fill in every question: the first option or scale value,
    5 for a number, the earliest date allowed, half past nine, a short text otherwise
    (a matrix or ranking is left out: the demo's are optional)."""
    page, fields = browser.form_fields(f"/s/{token}/answer/")
    for name in dict.fromkeys(re.findall(r'name="(q_\d+)"', page.text)):
        choice = re.search(rf'name="{name}" value="(\d+)"', page.text)
        control = re.search(rf'name="{name}" id="id_{name}" type="(\w+)"([^>]*)', page.text)
        kind = control.group(1) if control else ""
        earliest = re.search(r'min="([\d-]+)"', control.group(2)) if control else None
        if choice:
            fields[name] = choice.group(1)
        elif kind == "date":
            fields[name] = earliest.group(1) if earliest else "2026-12-05"
        else:
            fields[name] = {"number": "5", "time": "09:30"}.get(kind, "Fine")
    return fields


def answered_by_answer_form(sql, token):
    """How many answer rows answer_form's submission stores: one per question it fills."""
    return sql(
        "SELECT count(*) FROM surveys_question q JOIN surveys_survey s ON s.id = q.survey_id"
        " WHERE s.public_token = %s AND q.kind NOT IN ('matrix', 'ranking')",
        token,
    )[0][0]


_addresses = itertools.count()


def many_addresses():
    """A loopback address of its own for each taker (127.0.2.1 to 127.0.2.250 in turn), for
    load that mustn't run into the per-address limit."""
    return f"127.0.2.{next(_addresses) % 250 + 1}"


def take(stack, token, source="127.0.0.1"):
    """One taker through NGINX: GET the form, POST it; (status, request id, token)."""
    browser = Browser(stack.url, source=source)
    fields = answer_form(browser, token)
    if "token" not in fields:
        page = browser.get(f"/s/{token}/answer/")
        raise AssertionError(
            f"no answer form: {page.status} {page.url} "
            + (stack.logs / "nginx.error.log").read_text()[-2500:]
        )
    response = browser.post(f"/s/{token}/answer/", fields)
    return response.status, response.headers.get("X-Request-ID"), fields["token"].split(":")[0]


def in_parallel(count, job, threads=8):
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: job(), range(count)))
