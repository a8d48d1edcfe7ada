"""Writes that carry business rules. Views, commands and (later) the API call these alone.

Each function is one transaction and takes keyword arguments only, so a call site reads as
what it does.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import email_is_verified

from . import tallies
from .models import Answer, Option, Question, Submission, Survey
from .structure import survey_structure

logger = logging.getLogger("canvass.surveys")

MIN_OPTIONS_PER_QUESTION = 2


class SurveyNotEditable(Exception):
    """The survey is no longer a draft, so its questions and options are frozen."""

    def __init__(self, survey):
        super().__init__(f"survey {survey.pk} is {survey.status}, not a draft")
        self.survey = survey


class SurveyNotOpen(Exception):
    """The survey does not take submissions (it is a draft or closed)."""


def questions_with_options(survey):
    """The survey's questions in order, each with its options prefetched in order."""
    return list(survey.questions.prefetch_related("options"))


def publish_problems(questions):
    """Why a survey with these questions (options prefetched) can't be started yet."""
    if not questions:
        return ["Add at least one question."]
    return [
        f"“{question.prompt}” needs at least {MIN_OPTIONS_PER_QUESTION} options."
        for question in questions
        if len(question.options.all()) < MIN_OPTIONS_PER_QUESTION
    ]


def ensure_draft(survey):
    if not survey.is_draft:
        raise SurveyNotEditable(survey)


def _lock_draft(survey):
    """Lock the survey row for this transaction and check it is still a draft.

    Structure edits and publishing take the same lock, so an option can't slip in while
    the survey is being started.
    """
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    ensure_draft(locked)
    return locked


def _next_position(queryset):
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


def create_survey(*, owner, title):
    return Survey.objects.create(owner=owner, title=title)


@transaction.atomic
def add_question(*, survey, prompt):
    _lock_draft(survey)
    return Question.objects.create(
        survey=survey, prompt=prompt, position=_next_position(survey.questions.all())
    )


@transaction.atomic
def update_question(*, question, prompt):
    _lock_draft(question.survey)
    question.prompt = prompt
    question.save(update_fields=["prompt"])


@transaction.atomic
def delete_question(*, question):
    _lock_draft(question.survey)
    question.delete()


@transaction.atomic
def add_option(*, question, text):
    _lock_draft(question.survey)
    return Option.objects.create(
        question=question, text=text, position=_next_position(question.options.all())
    )


@transaction.atomic
def update_option(*, option, text):
    _lock_draft(option.question.survey)
    option.text = text
    option.save(update_fields=["text"])


@transaction.atomic
def delete_option(*, option):
    _lock_draft(option.question.survey)
    option.delete()


@transaction.atomic
def publish_survey(*, survey):
    """Start a draft survey so takers can answer it. Raises ValidationError if incomplete."""
    locked = _lock_draft(survey)
    problems = publish_problems(questions_with_options(locked))
    if settings.REQUIRE_VERIFIED_EMAIL_TO_PUBLISH and not email_is_verified(locked.owner):
        problems.append(
            "Confirm your email address first: use the link we sent, or send a new one from "
            "Settings."
        )
    if problems:
        raise ValidationError(problems)
    survey.status = Survey.Status.ACTIVE
    survey.started_at = timezone.now()
    survey.save(update_fields=["status", "started_at", "updated_at"])
    logger.info("survey published survey=%s owner=%s", survey.pk, survey.owner_id)


@transaction.atomic
def close_survey(*, survey):
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not locked.is_active:
        raise SurveyNotOpen
    survey.status = Survey.Status.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["status", "closed_at", "updated_at"])
    logger.info("survey closed survey=%s owner=%s", survey.pk, survey.owner_id)


@transaction.atomic
def reopen_survey(*, survey):
    """A closed survey takes answers again; a close date already past is cleared."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not locked.is_closed:
        raise SurveyNotOpen
    survey.status = Survey.Status.ACTIVE
    survey.closed_at = None
    if survey.closes_at and survey.closes_at <= timezone.now():
        survey.closes_at = None
    survey.save(update_fields=["status", "closed_at", "closes_at", "updated_at"])
    logger.info("survey reopened survey=%s owner=%s", survey.pk, survey.owner_id)


@transaction.atomic
def duplicate_survey(*, survey, owner):
    """A new draft with the same questions and options, and none of the responses."""
    copy = Survey.objects.create(owner=owner, title=f"Copy of {survey.title}"[:200])
    for question in questions_with_options(survey):
        new = Question.objects.create(
            survey=copy, prompt=question.prompt, position=question.position
        )
        Option.objects.bulk_create(
            Option(question=new, text=o.text, position=o.position) for o in question.options.all()
        )
    return copy


def _close_by_rule(survey, reason):
    closed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.ACTIVE).update(
        status=Survey.Status.CLOSED, closed_at=timezone.now()
    )
    if closed:
        logger.info("survey closed automatically survey=%s reason=%s", survey.pk, reason)


def _limit_reached(survey):
    """Whether a limited survey is full. Only limited surveys pay for this row lock: it
    makes the limit exact by letting one submission at a time count and insert."""
    Survey.objects.select_for_update().get(pk=survey.pk)
    return tallies.submissions(survey) >= survey.max_responses


def _check_choices(survey, choices):
    """Every question answered with exactly one of its own options, nothing else."""
    option_question = {
        option.pk: question.pk
        for question in survey_structure(survey)
        for option in question.options
    }
    question_ids = set(option_question.values())
    if set(choices) != question_ids:
        raise ValidationError("Every question needs exactly one answer.", code="incomplete")
    for question_id, option_id in choices.items():
        if option_question.get(option_id) != question_id:
            raise ValidationError("An answer does not belong to its question.", code="mismatch")


def submit_response(*, survey, token, choices):
    """Store one taker's answers exactly once.

    `choices` maps question id to option id. Returns (submission, created): a replay of a
    token already stored returns the stored submission and created=False, whether the first
    request finished long ago or is committing in parallel right now.
    """
    if not survey.is_active:
        raise SurveyNotOpen
    if survey.closes_at and timezone.now() >= survey.closes_at:
        _close_by_rule(survey, "close date reached")
        raise SurveyNotOpen
    _check_choices(survey, choices)
    try:
        with transaction.atomic():
            if survey.max_responses is not None and _limit_reached(survey):
                existing = Submission.objects.filter(survey=survey, token=token).first()
                if existing is not None:
                    return existing, False
                _close_by_rule(survey, "response limit reached")
                full = True
            else:
                full = False
                submission = Submission.objects.create(survey=survey, token=token)
                Answer.objects.bulk_create(
                    Answer(submission=submission, question_id=question_id, option_id=option_id)
                    for question_id, option_id in choices.items()
                )
                tallies.count_submission(survey.pk, choices.values())
    except IntegrityError:
        # The unique (survey, token) constraint fired: this exact submission is stored.
        existing = Submission.objects.filter(survey=survey, token=token).first()
        if existing is None:
            raise
        logger.info("duplicate submission ignored survey=%s submission=%s", survey.pk, existing.pk)
        return existing, False
    if full:  # raised after the block, so closing the survey is committed
        raise SurveyNotOpen
    return submission, True
