"""Error reports leave out everything a taker typed. Sentry itself can't run here, so a
loopback HTTP server stands in for its ingest endpoint and keeps what the SDK sends."""

import gzip
import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.urls import path

from config.sentry import init_sentry
from config.urls import urlpatterns as site_urls

# Made at run time, so the source lines Sentry sends as context cannot contain it.
SECRET = f"secret-answer-{uuid.uuid4().hex}"


def explode(request):
    answer = request.POST.get("answer")  # a local variable holding what the taker typed
    raise RuntimeError(f"failed while handling a submission of length {len(answer)}")


def explode_on_a_secret_page(request, link):
    logging.getLogger("canvass.test").warning("about to fail on %s", request.path)
    raise RuntimeError(f"failed while showing {request.build_absolute_uri()}")


urlpatterns = [
    *site_urls,
    path("explode/", explode),
    path("r/<str:link>/explode/", explode_on_a_secret_page),
]


class Ingest(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK prefers brotli when it is installed
            import brotli

            body = brotli.decompress(body)
        Ingest.received.append(body.decode())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    Ingest.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_error_report_has_no_answers_cookies_or_user(ingest, alice_client):
    port = ingest.server_address[1]
    init_sentry(
        dsn=f"http://publickey@127.0.0.1:{port}/1", environment="test", traces_sample_rate=1.0
    )
    try:
        alice_client.raise_request_exception = False
        response = alice_client.post(
            f"/explode/?q={SECRET}", {"answer": SECRET}, HTTP_COOKIE=f"c={SECRET}"
        )
        assert response.status_code == 500
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.init()  # no DSN: reporting off again

    payload = "\n".join(Ingest.received)
    events = [json.loads(line) for line in payload.splitlines() if '"exception"' in line]
    assert events, "the error was not reported"
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert SECRET not in payload
    assert "user" not in event
    assert set(event["request"]) <= {"url", "method"}
    frames = [f for value in event["exception"]["values"] for f in value["stacktrace"]["frames"]]
    assert frames and all("vars" not in frame for frame in frames)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_error_report_has_no_secret_link(ingest, client):
    """A receipt link's secret stays out of the event: its URL, its message, the log
    breadcrumb before it (lib/redact.py)."""
    port = ingest.server_address[1]
    init_sentry(
        dsn=f"http://publickey@127.0.0.1:{port}/1", environment="test", traces_sample_rate=1.0
    )
    try:
        client.raise_request_exception = False
        assert client.get(f"/r/{SECRET}/explode/").status_code == 500
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.init()

    payload = "\n".join(Ingest.received)
    events = [json.loads(line) for line in payload.splitlines() if '"exception"' in line]
    assert events, "the error was not reported"
    assert events[0]["transaction"] == "/r/[redacted]/explode/"
    assert "/r/[redacted]/" in events[0]["exception"]["values"][-1]["value"]
    assert any(
        "/r/[redacted]/" in crumb.get("message", "")
        for crumb in events[0]["breadcrumbs"]["values"]
    )
    assert SECRET not in payload
