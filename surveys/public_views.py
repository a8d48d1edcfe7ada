"""Taker pages: public, no account. Reading them writes nothing to the database. A
respondent's own response is reached through the private link on their receipt."""

import logging
from datetime import timedelta
from functools import wraps

from celery.exceptions import Retry
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from lib import mail_policy
from lib.broker import publish
from lib.http import body_too_large
from lib.proxy import client_ip
from lib.ratelimit import too_many

from . import responses, tasks
from .access import (
    response_behind_receipt,
    survey_behind_link,
    survey_for_takers,
    too_many_receipt_writes,
    too_many_submissions,
)
from .errors import EditsOff, SurveyClosed
from .files import megabytes
from .forms import AnswerForm, ReceiptEmailForm, TamperedForm
from .models import Submission
from .receipts import receipt_path
from .results import readable_responses, stored_files
from .structure import questions_with_options, survey_structure

logger = logging.getLogger("canvass.surveys")


def taker_page(view):
    """A page of a survey that takes answers: the survey is looked up by its link (404 for
    unknown links and drafts); once it is closed, the page says so with a 410."""

    @wraps(view)
    def wrapper(request, token):
        try:
            return view(request, survey_for_takers(token))
        except SurveyClosed as exc:
            return render(
                request, "surveys/public/closed.html", {"survey": exc.survey}, status=410
            )

    return wrapper


def _slow_down(request, survey, *, retry_after, link=None):
    """The polite 429 of a taker's write past its limit: nothing was saved or changed."""
    response = render(
        request, "surveys/public/slow_down.html", {"survey": survey, "link": link}, status=429
    )
    response["Retry-After"] = str(retry_after)
    return response


@taker_page
def start(request, survey):
    return render(request, "surveys/public/start.html", {"survey": survey})


TAKER_COOKIE = "canvass_taker"
TAKER_COOKIE_AGE = timedelta(days=365)


def _taker_token(request, survey):
    """The submission token this browser was given for this survey, if any."""
    return request.get_signed_cookie(
        TAKER_COOKIE, default=None, salt=f"canvass.taker.{survey.public_token}"
    )


def _limits():
    return {"file_limit": megabytes(settings.UPLOAD_MAX_MB * 1024 * 1024)}


def _render_form(request, survey, form, status=200, **context):
    response = render(
        request,
        "surveys/public/answer.html",
        {"survey": survey, "form": form, **context},
        status=status,
    )
    # The browser keeps its token for this survey: a reload, the back button or a second
    # tab shows the same form identity, so answering again can't count twice.
    response.set_signed_cookie(
        TAKER_COOKIE,
        form.token,
        salt=f"canvass.taker.{survey.public_token}",
        max_age=TAKER_COOKIE_AGE,
        path=survey.get_public_url(),
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )
    return response


# Each taker's form carries its own submission token: a shared cache must never hand one
# taker's form to another.
@cache_control(private=True, max_age=0)
@taker_page
def answer(request, survey):
    questions = survey_structure(survey)
    taker_token = _taker_token(request, survey)
    if request.method != "POST":
        if taker_token and survey.submissions.filter(token=taker_token).exists():
            if survey.one_response_per_browser:
                return redirect("public:thanks", survey.public_token)
            taker_token = None  # a shared device: the next person gets a fresh form
        form = AnswerForm(survey=survey, questions=questions, token=taker_token)
        return _render_form(request, survey, form)

    ip = client_ip(request)
    if body_too_large(request):
        logger.warning("submission too large survey=%s ip=%s", survey.pk, ip)
        return render(request, "too_large.html", _limits(), status=413)
    if too_many_submissions(survey, ip):
        logger.warning("submission rate-limited survey=%s ip=%s", survey.pk, ip)
        return _slow_down(request, survey, retry_after=60)
    form = AnswerForm(request.POST, request.FILES, survey=survey, questions=questions)
    try:
        form.check_tampering()
        if not form.is_valid():
            return _render_form(request, survey, form)
        submission, created = responses.submit_response(
            survey=survey, token=form.token, answers=form.answers
        )
    except (TamperedForm, ValidationError) as exc:
        logger.warning("rejected submission survey=%s ip=%s reason=%s", survey.pk, ip, exc)
        fresh = AnswerForm(survey=survey, questions=questions, token=taker_token)
        return _render_form(request, survey, fresh, status=400, rejected=True)
    response = redirect("public:thanks", survey.public_token)
    if created:
        _set_receipt_cookie(response, survey, submission.receipt_secret)
    return response


# The receipt is in it, once: never kept by a cache or shown to the next person.
@cache_control(private=True, no_store=True)
def thanks(request, token):
    survey = survey_behind_link(token)
    receipt = _receipt_context(request, survey)
    response = render(request, "surveys/public/thanks.html", {"survey": survey, **receipt})
    if receipt:
        response.delete_cookie(RECEIPT_COOKIE, path=survey.get_public_url(), samesite="Lax")
    return response


# --- the respondent's own response, through the receipt link ---------------------------

RECEIPT_COOKIE = "canvass_receipt"
# A receipt link can be emailed this often an hour: enough for typos. Where the emails may
# go is the sending policy's business (lib/mail_policy.py).
RECEIPT_EMAILS_PER_HOUR = 3


def _set_receipt_cookie(response, survey, secret):
    """The new response's receipt, for the thank-you page to show once."""
    response.set_signed_cookie(
        RECEIPT_COOKIE,
        secret,
        salt=f"canvass.receipt.{survey.public_token}",
        max_age=3600,
        path=survey.get_public_url(),
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )


def _receipt_context(request, survey):
    """The code and link of the response this browser just sent, once (shared devices)."""
    secret = request.get_signed_cookie(
        RECEIPT_COOKIE, default=None, salt=f"canvass.receipt.{survey.public_token}", max_age=3600
    )
    if secret is None:
        return {}
    submission = survey.submissions.by_receipt_secret(secret).first()
    if submission is None:
        return {}
    return {
        "receipt_code": submission.receipt_code,
        "receipt_url": request.build_absolute_uri(receipt_path(secret)),
    }


def receipt_page(view):
    """A page of one's own response: found by its receipt link (404 for a tampered or
    unknown one); never cached, not indexed. Every POST (a change, a withdrawal, an email)
    counts against the link's and the client address's hourly limit; past it, a 429."""

    @wraps(view)
    @cache_control(private=True, no_store=True)
    def wrapper(request, link):
        submission = response_behind_receipt(link)
        if request.method == "POST":
            ip = client_ip(request)
            if too_many_receipt_writes(submission, ip):
                logger.warning("receipt write rate-limited submission=%s ip=%s", submission.pk, ip)
                return _slow_down(request, submission.survey, retry_after=3600, link=link)
        response = view(request, submission, link)
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _refused(request, link, exc, status):
    return render(
        request,
        "surveys/public/receipt_refused.html",
        {"survey": exc.survey, "link": link, "reason": exc.message},
        status=status,
    )


def _receipt(request, submission, link, email_form=None, status=200):
    survey = submission.survey
    ((_, answers),) = readable_responses([submission], questions_with_options(survey))
    return render(
        request,
        "surveys/public/receipt.html",
        {
            "survey": survey,
            "submission": submission,
            "answers": answers,
            "link": link,
            "email_form": email_form or ReceiptEmailForm(),
        },
        status=status,
    )


@receipt_page
def receipt(request, submission, link):
    return _receipt(request, submission, link)


def changing_response(view):
    """A receipt page that changes the response: refused with 403 when the creator takes no
    changes and 410 once the survey is closed, whether the survey says so as loaded or the
    service finds it so when it writes (it reads the survey again, and a close date that
    has passed closes it). A response withdrawn meanwhile is a 404."""

    @receipt_page
    @wraps(view)
    def wrapper(request, submission, link):
        survey = submission.survey
        try:
            if not survey.respondents_can_edit:
                raise EditsOff(survey)
            if not survey.is_active:
                raise SurveyClosed(survey)
            return view(request, submission, link)
        except EditsOff as exc:
            return _refused(request, link, exc, 403)
        except SurveyClosed as exc:
            return _refused(request, link, exc, 410)
        except Submission.DoesNotExist:
            raise Http404("withdrawn meanwhile") from None

    return wrapper


@changing_response
def receipt_edit(request, submission, link):
    survey = submission.survey
    questions = survey_structure(survey)
    context = {"survey": survey, "link": link}
    if request.method != "POST":
        form = AnswerForm.for_response(submission, questions=questions)
        return render(request, "surveys/public/receipt_edit.html", {**context, "form": form})
    if body_too_large(request):
        logger.warning("edit too large submission=%s", submission.pk)
        return render(request, "too_large.html", _limits(), status=413)
    form = AnswerForm(
        request.POST,
        request.FILES,
        survey=survey,
        questions=questions,
        kept=stored_files(submission),
    )
    try:
        form.check_tampering()
        if form.token != submission.token:
            raise TamperedForm("the form of another response")
        if not form.is_valid():
            return render(request, "surveys/public/receipt_edit.html", {**context, "form": form})
        responses.edit_response(submission=submission, answers=form.answers)
    except (TamperedForm, ValidationError) as exc:
        logger.warning("rejected edit submission=%s reason=%s", submission.pk, exc)
        form = AnswerForm.for_response(submission, questions=questions)
        return render(
            request,
            "surveys/public/receipt_edit.html",
            {**context, "form": form, "rejected": True},
            status=400,
        )
    messages.success(request, "Your answers were changed.")
    return redirect("receipts:show", link)


@changing_response
def receipt_withdraw(request, submission, link):
    survey = submission.survey
    if request.method != "POST":
        return render(
            request, "surveys/public/receipt_withdraw.html", {"survey": survey, "link": link}
        )
    responses.withdraw_response(submission=submission)
    return render(request, "surveys/public/withdrawn.html", {"survey": survey})


@require_POST
@receipt_page
def receipt_email(request, submission, link):
    form = ReceiptEmailForm(request.POST)
    if not form.is_valid():
        logger.warning("receipt email address refused submission=%s", submission.pk)
        return _receipt(request, submission, link, email_form=form, status=400)
    if too_many(f"receipt-email:{submission.pk}", limit=RECEIPT_EMAILS_PER_HOUR, window=3600):
        logger.warning("receipt email rate-limited submission=%s", submission.pk)
        form.add_error("email", "This link was emailed several times this hour. Try later.")
        return _receipt(request, submission, link, email_form=form, status=429)
    address = form.cleaned_data["email"]
    if not mail_policy.may_send(
        kind="receipt", recipient=address, survey=submission.survey, ip=client_ip(request)
    ):
        return _emailed(request, link)  # as if sent: else it tells who mailed that address
    # From SITE_URL, as every email's links: never from the request's Host header.
    link_url = settings.SITE_URL + reverse("receipts:show", args=[link])
    try:
        sent = publish(tasks.email_receipt, address, submission.pk, link_url)
    # Without a broker the task ran here, and the mail server refused (its retries, run
    # at once, end in Retry).
    except (OSError, Retry) as exc:
        logger.warning("receipt email not sent submission=%s error=%s", submission.pk, exc)
        sent = False
    if not sent:  # the taker still has the link on this page
        form.add_error("email", "The email could not be sent just now. Copy the link instead.")
        return _receipt(request, submission, link, email_form=form, status=503)
    return _emailed(request, link)


def _emailed(request, link):
    messages.success(request, "The link is on its way. We didn't keep the address.")
    return redirect("receipts:show", link)


def privacy(request, token):
    """The privacy notice takers reach from every page of the survey."""
    survey = survey_behind_link(token)
    return render(request, "surveys/public/privacy.html", {"survey": survey})
