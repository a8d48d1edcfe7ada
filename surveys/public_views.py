"""Taker pages: public, no account. Reading them writes nothing to the database."""

import logging
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from lib.proxy import client_ip

from . import services
from .access import survey_behind_link, survey_for_takers, too_many_submissions
from .errors import SurveyClosed
from .forms import AnswerForm, TamperedForm
from .structure import survey_structure

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
    if too_many_submissions(survey, ip):
        logger.warning("submission rate-limited survey=%s ip=%s", survey.pk, ip)
        response = render(request, "surveys/public/slow_down.html", {"survey": survey}, status=429)
        response["Retry-After"] = "60"
        return response
    form = AnswerForm(request.POST, survey=survey, questions=questions)
    try:
        form.check_tampering()
        if not form.is_valid():
            return _render_form(request, survey, form)
        services.submit_response(survey=survey, token=form.token, answers=form.answers)
    except (TamperedForm, ValidationError) as exc:
        logger.warning("rejected submission survey=%s ip=%s reason=%s", survey.pk, ip, exc)
        fresh = AnswerForm(survey=survey, questions=questions, token=taker_token)
        return _render_form(request, survey, fresh, status=400, rejected=True)
    return redirect("public:thanks", survey.public_token)


def thanks(request, token):
    survey = survey_behind_link(token)
    return render(request, "surveys/public/thanks.html", {"survey": survey})
