"""No secret link reaches a log: lib/redact.py's one list of secret routes, held against
the URL patterns, the NGINX site file, the Celery worker's and Django's log handlers."""

import io
import logging
import re
import secrets

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from config.celery import redact_worker_logs
from lib.redact import PUBLIC_ROUTES, REDACTED, SECRET_ROUTES, RedactingFormatter, redact
from scripts.stack import ROOT

TOKEN = "Zq9" + secrets.token_urlsafe(24)

# A link of each kind, and the route it must be logged as.
SECRET_LINKS = [
    (f"/r/{TOKEN}:sig/", "/r/[redacted]/"),
    (f"/r/{TOKEN}/edit/", "/r/[redacted]/edit/"),
    (f"/notifications/unsubscribe/{TOKEN}/", "/notifications/unsubscribe/[redacted]/"),
    (f"/accounts/verify/{TOKEN}/", "/accounts/verify/[redacted]/"),
    (f"/accounts/reset/MQ/{TOKEN}/", "/accounts/reset/MQ/[redacted]/"),
]


@pytest.mark.parametrize(("link", "logged"), SECRET_LINKS)
def test_each_secret_link_is_logged_as_its_route(link, logged):
    assert redact(link) == logged
    assert redact(f'"GET {link}?x=1 HTTP/1.1" 200') == f'"GET {logged}?x=1 HTTP/1.1" 200'
    assert redact(f"Referer https://canvass.example{link} x") == (
        f"Referer https://canvass.example{logged} x"
    )
    assert TOKEN not in redact(f"Not Found: {link}")


@pytest.mark.parametrize(
    "path",
    ["/s/share-token/answer/", "/accounts/verify/resend/", "/accounts/reset/done/", "/health/"],
)
def test_links_that_are_not_secrets_are_left_alone(path):
    assert redact(path) == path


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route


def test_every_route_taking_a_secret_is_redacted():
    """A later feature's route with a token, link or key in its path is a secret unless it
    is named public: this fails until it is added to SECRET_ROUTES."""
    secret_name = re.compile(r"<(?:\w+:)?(\w*(?:token|link|key|secret)\w*)>")
    checked = []
    for route in _patterns(get_resolver()):
        if not secret_name.search(route) or route.startswith(PUBLIC_ROUTES):
            continue
        example = secret_name.sub(TOKEN, route).replace("^", "").replace("$", "")
        assert TOKEN not in redact(example), f"{route} carries a secret lib/redact.py misses"
        checked.append(route)
    assert len(checked) >= len(SECRET_ROUTES)


def test_the_nginx_site_redacts_the_same_routes():
    site = (ROOT / "deploy" / "nginx" / "canvass.conf").read_text()
    routes = "|".join(SECRET_ROUTES.values())
    maps = re.findall(r'^map \$(\w+) \$canvass_logged_\w+ \{\n\s+"([^"]+)"', site, re.M)
    assert [name for name, _ in maps] == ["request_uri", "http_referer"]
    for _, regex in maps:
        assert f"(?<route>({routes}))" in regex
    assert "$canvass_logged_uri" in site and "$canvass_logged_referer" in site
    assert '"$request"' not in site and '"$http_referer"' not in site
    quiet = re.search(r"location ~ \^/\(([^)]+)\)/ \{\n\s+error_log \S+ crit;", site)
    assert quiet, "the secret routes' location keeps NGINX's error log quiet"
    for route in SECRET_ROUTES.values():
        assert re.match(r"/([a-z/]+)/", route)[1] in quiet[1].split("|")


def _record(message, *args):
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, None)


def test_every_configured_log_handler_redacts():
    """Django's, Canvass's, runserver's and the root logger's handlers all redact, so a
    secret in any record (message, arguments or traceback) stays out of the log."""
    loggers = [logging.getLogger(), *map(logging.getLogger, settings.LOGGING["loggers"])]
    handlers = {h for logger in loggers for h in logger.handlers}
    handlers = {
        h
        for h in handlers
        if not isinstance(h, logging.NullHandler) and not type(h).__module__.startswith("_pytest")
    }
    assert handlers
    for handler in handlers:
        record = _record("Not Found: %s", SECRET_LINKS[0][0])
        handler.filter(record)  # the request id filter fills in what the format names
        line = handler.format(record)
        assert TOKEN not in line and REDACTED in line, handler


def test_the_worker_log_lines_are_redacted():
    logger = logging.getLogger("test.celery.worker")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("worker: %(message)s"))
    logger.addHandler(handler)
    try:
        redact_worker_logs(logger=logger)
        redact_worker_logs(logger=logger)  # Celery may set up twice: wrapped once
        logger.error("email_receipt failed for %s", f"https://canvass.example/r/{TOKEN}/")
    finally:
        logger.removeHandler(handler)
    assert isinstance(handler.formatter, RedactingFormatter)
    assert not isinstance(handler.formatter.wrapped, RedactingFormatter)
    assert (
        stream.getvalue()
        == "worker: email_receipt failed for https://canvass.example/r/[redacted]/\n"
    )
