"""Make a copy of production data safe to keep on a laptop (`restore_db --sanitize`).

What stays is what a developer needs to reproduce a problem: every row and count, the
structure of each survey (kinds, positions, limits, required flags), choices, numbers and
dates. What goes is everything that names, reaches or speaks for a person: accounts'
names, addresses and passwords, every free text (survey titles, prompts, options and text
answers, which may quote anyone), live credentials (API tokens, sessions, the public links
of running surveys, webhook secrets), the log-in logs' addresses and usernames, and what
webhooks sent and where (events, delivery logs, receivers' addresses).

INVENTORY lists every column of every model that can hold text and what happens to it;
NOT_PERSONAL lists the few that are kept, with the reason. tests/tools/test_sanitize.py
fails on a text column in neither list, so a new field can't carry personal data into a
laptop copy unnoticed.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from rest_framework.authtoken.models import Token

from accounts.models import VerifiedEmail
from integrations.models import WebhookEndpoint, new_secret
from surveys.kinds import SETTINGS
from surveys.models import (
    Answer,
    Event,
    Export,
    Option,
    Question,
    Submission,
    Survey,
    Upload,
    new_public_token,
)

DELETED = "row deleted"
AXES_LOG_FIELDS = ("user_agent", "ip_address", "username", "http_accept", "path_info")

INVENTORY = {
    "auth.User": {
        "username": "user<id>",
        "email": "user<id>@example.invalid",
        "first_name": "blanked",
        "last_name": "blanked",
        "password": "an unusable password",
    },
    "accounts.VerifiedEmail": {"email": "the account's made-up address"},
    "authtoken.Token": {"key": DELETED},  # working API credentials
    "sessions.Session": {"session_key": DELETED, "session_data": DELETED},
    "admin.LogEntry": {"object_id": DELETED, "object_repr": DELETED, "change_message": DELETED},
    # Log-in logs: usernames, client addresses, browsers.
    "axes.AccessFailureLog": dict.fromkeys(AXES_LOG_FIELDS, DELETED),
    "axes.AccessAttempt": dict.fromkeys((*AXES_LOG_FIELDS, "get_data", "post_data"), DELETED),
    "axes.AccessLog": dict.fromkeys((*AXES_LOG_FIELDS, "session_hash"), DELETED),
    "surveys.Survey": {
        "title": "Survey <id>",
        "public_token": "a new random token",
        "contact": "blanked",
    },
    "surveys.Question": {"prompt": "Question <id>", "help_text": "blanked"},
    "surveys.Option": {"text": "Option <id>"},
    # A receipt code finds a respondent's response; the digest pairs with their link.
    "surveys.Submission": {
        "token": "submission-<id>",
        "receipt_code": "blanked",
        "receipt_hash": "blanked",
    },
    "surveys.Answer": {"text": "Text answer <id>, where there was text"},
    # Exports: their files live in private storage, not in the database or its backups.
    "surveys.Export": {"file": DELETED, "sha256": DELETED, "error": DELETED},
    # Uploaded files, the same; their rows are deleted with the names blanked first, so the
    # deletion removes no file from a storage the copy may share with production.
    "surveys.Upload": {"file": DELETED, "thumbnail": DELETED, "content_type": DELETED},
    # Events carry answers; their deliveries and attempts (receivers' answers) go with them.
    "surveys.Event": {"event_id": DELETED, "payload": DELETED},
    "integrations.Attempt": {"response_excerpt": DELETED, "detail": DELETED},
    # A receiver's address and secret are the customer's systems and a live credential.
    "integrations.WebhookEndpoint": {
        "url": "https://example.invalid/webhook-<id>, paused",
        "description": "blanked",
        "secret": "a new random secret",
        "previous_secret": "blanked",
    },
}

NOT_PERSONAL = {
    "surveys.Survey": {"status": "draft, active or closed (a database check holds it)"},
    "surveys.Question": {
        "kind": "a kind of question (a database check holds it)",
        # Each kind says which of its text settings hold only Canvass's own words.
        **{name: setting.fixed_words for name, setting in SETTINGS.items() if setting.fixed_words},
    },
    "surveys.Export": {"format": "csv or xlsx", "status": "queued, running, done or failed"},
    "surveys.Event": {"type": "an event type's name (Event.Type)"},
    "integrations.WebhookEndpoint": {
        "events": "event types' names",
        "paused_reason": "Canvass's own words: paused by its owner or after failing",
    },
    "integrations.Delivery": {"status": "pending, succeeded or failed"},
    "integrations.Attempt": {"outcome": "a name of Attempt.Outcome"},
    "auth.Permission": {"name": "Django's permission names", "codename": "the same"},
    "auth.Group": {"name": "role names an operator defines; Canvass defines none"},
    "contenttypes.ContentType": {"app_label": "code names", "model": "code names"},
}


def _with_id(prefix, suffix=""):
    return Concat(Value(prefix), Cast("pk", output_field=CharField()), Value(suffix))


def _endpoints():
    """Receivers' addresses and secrets replaced; paused, so a copy sends nothing."""
    WebhookEndpoint.objects.update(
        url=_with_id("https://example.invalid/webhook-"),
        description="",
        previous_secret="",
        active=False,
        paused_reason="Paused in a sanitized copy.",
    )
    endpoints = list(WebhookEndpoint.objects.only("pk"))
    for endpoint in endpoints:
        endpoint.secret = new_secret()
    WebhookEndpoint.objects.bulk_update(endpoints, ["secret"], batch_size=1000)


def _new_public_tokens():
    """Each survey's public link is a live capability: a fresh random one per survey."""
    surveys = list(Survey.objects.only("pk"))
    for survey in surveys:
        survey.public_token = new_public_token()
    Survey.objects.bulk_update(surveys, ["public_token"], batch_size=1000)


@transaction.atomic
def sanitize():
    """Apply INVENTORY to this database; returns how many rows of each kind changed."""
    User = get_user_model()
    counts = {
        "accounts": User.objects.update(
            username=_with_id("user"),
            email=_with_id("user", "@example.invalid"),
            first_name="",
            last_name="",
            password=make_password(None),
        )
    }
    VerifiedEmail.objects.update(
        email=Subquery(User.objects.filter(pk=OuterRef("user_id")).values("email")[:1])
    )
    Upload.objects.update(file="", thumbnail="")
    deleted = (
        Token,
        Session,
        LogEntry,
        AccessAttempt,
        AccessLog,
        AccessFailureLog,
        Export,
        Event,
        Upload,
    )
    for model in deleted:
        counts[str(model._meta.verbose_name_plural).lower()] = model.objects.all().delete()[0]
    _endpoints()
    _new_public_tokens()
    counts["surveys"] = Survey.objects.update(title=_with_id("Survey "), contact="")
    Question.objects.update(prompt=_with_id("Question "), help_text="")
    Option.objects.update(text=_with_id("Option "))
    Submission.objects.update(token=_with_id("submission-"), receipt_code=None, receipt_hash=None)
    counts["text answers"] = Answer.objects.exclude(text="").update(text=_with_id("Text answer "))
    return counts
