"""The production-like stack (PostgreSQL, Gunicorn, NGINX), started once for these tests.

It is the same code `make stack` runs. Where PostgreSQL or NGINX is missing the tests skip,
which counts as a failure under CI=true (see tests/conftest.py).
"""

import functools
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import psycopg
import pytest

from scripts.stack import MissingService, Stack, insecure_tls_context


@pytest.fixture(scope="session")
def stack():
    try:
        with Stack(workers=2) as running:
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
    return sql("SELECT public_token FROM surveys_survey WHERE status = 'active'")[0][0]


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
