"""Secrets that travel in URLs, and the one list of where they are.

A receipt link, an unsubscribe link, an email confirmation or password reset link is the
key to something: whoever reads it in a log can open it. Every log line Canvass writes,
every Sentry event, and the access lines of Gunicorn pass through `redact`, which keeps
the route and replaces the secret with `[redacted]`; deploy/nginx/canvass.conf does the same for
NGINX with a `map` of the same routes (tests/operations/test_redact.py holds the two
together, and tests/stack/test_secrets_in_logs.py greps every log of the real stack).

A URL pattern that takes a secret must be listed here. tests/operations/test_redact.py
fails for any route whose converter is named like a secret (`token`, `link`, `key`, `secret`)
that `redact` leaves alone, unless it is under one of PUBLIC_ROUTES.
"""

import logging
import re

REDACTED = "[redacted]"

# Each: the route up to its secret, as a regular expression; the path segment after it is
# the secret `redact` replaces. They match anywhere in a line, so a path that merely looks
# like one is redacted too: over-redacting a log line costs nothing.
SECRET_ROUTES = {
    "receipt link": r"/r/",
    "unsubscribe link": r"/notifications/unsubscribe/",
    "email confirmation link": r"/accounts/verify/(?!resend/)",
    "password reset link": r"/accounts/reset/(?!done/)[^/]+/",
}

# Routes with a token that is not a secret: the survey's share link is handed out on
# purpose, and it is what an operator needs to tell surveys apart in a log.
PUBLIC_ROUTES = ("/s/<slug:token>/", "/api/v1/public/surveys/<slug:token>/")

_SECRET = re.compile(
    "(" + "|".join(SECRET_ROUTES.values()) + r")[^/\s?#\"'<>]+",
)


def redact(text):
    """`text` with the secret in every secret-bearing URL in it replaced by `[redacted]`: paths,
    whole URLs, request lines and referers alike."""
    if not isinstance(text, str) or "/" not in text:
        return text
    return _SECRET.sub(lambda match: match.group(1) + REDACTED, text)


def redact_all(value):
    """`value` (a Sentry event: dicts, lists and strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(item) for item in value]
    return value


class RedactingFormatter(logging.Formatter):
    """The log formatter of every handler Canvass configures: the whole formatted line,
    message, arguments and traceback, is redacted, so a secret reaches no log however it
    got into the record (Django's "Not Found: /r/.../", a CSRF warning's referer,
    runserver's request line). `wrapped`: another formatter whose lines to redact (the
    Celery worker's own)."""

    def __init__(self, *args, wrapped=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wrapped = wrapped

    def format(self, record):
        return redact((self.wrapped or super()).format(record))


class SecretPageMiddleware:
    """A page whose URL is a secret is kept out of the places a URL travels on to: no
    cache keeps it, and the links and forms on it send only the site's origin as their
    Referer (not `no-referrer`: a form's POST would then carry `Origin: null`, which
    Django's CSRF check rightly refuses)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if redact(request.path) != request.path:
            response["Referrer-Policy"] = "strict-origin"
            response["Cache-Control"] = "no-store"
        return response
