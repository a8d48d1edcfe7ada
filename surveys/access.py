"""Who may reach what: the lookups creator pages, taker pages and the API share.

A creator reaches their own surveys, questions and options only, through the QuerySet
word `owned_by`: another user's id is a 404, never a 403 that would say it exists. A
taker reaches a survey only through its public link, and not while it is a draft, and
their own response only through its receipt link.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404

from lib.ratelimit import too_many

from .errors import SurveyClosed
from .models import Export, Option, Question, Submission, Survey, Upload
from .receipts import secret_from_link


def survey_for_owner(user, pk):
    return get_object_or_404(Survey.objects.owned_by(user), pk=pk)


def question_for_owner(user, pk):
    return get_object_or_404(Question.objects.owned_by(user), pk=pk)


def option_for_owner(user, pk):
    return get_object_or_404(Option.objects.owned_by(user), pk=pk)


def export_for_owner(user, pk):
    return get_object_or_404(Export.objects.owned_by(user), pk=pk)


def upload_for_owner(user, pk):
    return get_object_or_404(Upload.objects.owned_by(user).select_related("answer"), pk=pk)


def survey_behind_link(token):
    """The survey a public link leads to, open or closed (for its thank-you page)."""
    return get_object_or_404(Survey.objects.takeable(), public_token=token)


def response_behind_receipt(link):
    """The response a receipt link (its signed part) opens; 404 for a tampered, unknown or
    withdrawn one."""
    secret = secret_from_link(link)
    if secret is None:
        raise Http404("tampered receipt link")
    return get_object_or_404(Submission.objects.select_related("survey").by_receipt_secret(secret))


def survey_for_takers(token):
    """The survey a public link leads to; SurveyClosed once it is closed."""
    survey = survey_behind_link(token)
    if survey.is_closed:
        raise SurveyClosed(survey)
    return survey


def too_many_submissions(survey, ip):
    """Count one submission from `ip`; True past SUBMISSIONS_PER_MINUTE for this survey.
    The answer form and the API share the count."""
    return too_many(
        f"submit:{survey.public_token}:{ip}", limit=settings.SUBMISSIONS_PER_MINUTE, window=60
    )


def too_many_receipt_writes(submission, ip):
    """Count one change through a receipt link (an edit, a withdrawal, an email) from `ip`;
    True past RECEIPT_WRITES_PER_HOUR through this link, or past
    RECEIPT_WRITES_PER_HOUR_PER_CLIENT through any link from this address."""
    return too_many(
        f"receipt-write:{submission.pk}", limit=settings.RECEIPT_WRITES_PER_HOUR, window=3600
    ) or too_many(
        f"receipt-write:ip:{ip}", limit=settings.RECEIPT_WRITES_PER_HOUR_PER_CLIENT, window=3600
    )
