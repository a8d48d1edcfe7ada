"""A receipt link opens a response: it is written to no log line and travels on from its
page to no cache and no other site (lib/redact.py, docs/privacy.md)."""

import io
import logging

import pytest
from django.test import Client

from surveys.models import Submission
from tests.helpers import one_letter_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """Everything Django's configured handlers write while the test runs, as written."""
    stream = io.StringIO()
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    handlers = {
        handler
        for logger in loggers
        for handler in getattr(logger, "handlers", [])
        if type(handler) is logging.StreamHandler
    }
    assert handlers
    before = {handler: handler.setStream(stream) for handler in handlers}
    yield stream
    for handler, original in before.items():
        handler.setStream(original)


def test_a_receipt_link_is_in_no_log_line(taken, log_lines, settings):
    settings.DEBUG = False
    _, path = taken
    secret = path.split("/")[2]
    stranger = Client(enforce_csrf_checks=True)
    referer = {"HTTP_REFERER": f"https://testserver{path}"}

    assert stranger.post(f"{path}edit/", {}, **referer).status_code == 403  # CSRF warning
    assert stranger.get(f"/r/{one_letter_off(secret)}/", **referer).status_code == 404  # Not Found
    assert stranger.post(f"{path}email/", {}, secure=True, **referer).status_code == 403

    written = log_lines.getvalue()
    assert "Forbidden (CSRF" in written and "/r/[redacted]/edit/" in written
    assert "Not Found: /r/[redacted]/" in written
    assert secret not in written and secret[:20] not in written


def test_a_secret_page_is_not_cached_and_sends_only_the_origin_on(taken, client):
    _, path = taken
    for page in (path, f"{path}edit/", f"{path}withdraw/"):
        response = client.get(page)
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "strict-origin"
        assert response["Cache-Control"] == "no-store"
    assert client.get("/accounts/login/")["Referrer-Policy"] == "same-origin"


def test_the_edit_form_still_posts_with_the_origin_only(taken):
    """strict-origin, not no-referrer: the browser's Origin header on the form's POST names
    the site, so Django's CSRF check still lets the respondent's own change through."""
    submission, path = taken
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"{path}withdraw/", secure=True)
    token = page.cookies["csrftoken"].value
    response = browser.post(
        f"{path}withdraw/",
        {"csrfmiddlewaretoken": token},
        secure=True,
        HTTP_ORIGIN="https://testserver",
        HTTP_REFERER="https://testserver/",
    )
    assert response.status_code in (200, 302)
    assert not Submission.objects.filter(pk=submission.pk).exists()
