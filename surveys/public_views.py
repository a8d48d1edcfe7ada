"""Taker pages: public, no account. Reading them writes nothing to the database."""

import logging

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control

from . import services
from .forms import AnswerForm, TamperedForm
from .models import Survey

logger = logging.getLogger("canvass.surveys")


def _get_public_survey(token):
    """A started survey by its public token; drafts are as unknown as a wrong token."""
    return get_object_or_404(
        Survey.objects.exclude(status=Survey.Status.DRAFT), public_token=token
    )


def _closed(request, survey):
    return render(request, "surveys/public/closed.html", {"survey": survey}, status=410)


def start(request, token):
    survey = _get_public_survey(token)
    if survey.is_closed:
        return _closed(request, survey)
    return render(request, "surveys/public/start.html", {"survey": survey})


# Each rendering carries its own submission token: a shared cache must never hand one
# taker's form to another, but the taker's own back button may show it again (a resubmit
# with the same token is then recognised as a duplicate).
@cache_control(private=True, max_age=0)
def answer(request, token):
    survey = _get_public_survey(token)
    if survey.is_closed:
        return _closed(request, survey)
    questions = services.questions_with_options(survey)
    if request.method != "POST":
        form = AnswerForm(survey=survey, questions=questions)
        return render(request, "surveys/public/answer.html", {"survey": survey, "form": form})

    form = AnswerForm(request.POST, survey=survey, questions=questions)
    try:
        form.check_tampering()
        if not form.is_valid():
            return render(request, "surveys/public/answer.html", {"survey": survey, "form": form})
        services.submit_response(survey=survey, token=form.submission_token, choices=form.choices)
    except services.SurveyNotOpen:
        return _closed(request, survey)
    except (TamperedForm, ValidationError) as exc:
        logger.warning(
            "rejected submission survey=%s ip=%s reason=%s",
            survey.pk,
            request.META.get("REMOTE_ADDR"),
            exc,
        )
        fresh = AnswerForm(survey=survey, questions=questions)
        return render(
            request,
            "surveys/public/answer.html",
            {"survey": survey, "form": fresh, "rejected": True},
            status=400,
        )
    return redirect("public:thanks", survey.public_token)


def thanks(request, token):
    survey = _get_public_survey(token)
    return render(request, "surveys/public/thanks.html", {"survey": survey})
