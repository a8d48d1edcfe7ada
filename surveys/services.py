"""Writes that carry business rules. Views, commands and (later) the API call these alone.

Each function is one transaction and takes keyword arguments only, so a call site reads as
what it does.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import email_is_verified

from . import tallies
from .answers import clean_answer
from .models import Answer, Option, Question, Submission, Survey, new_public_token
from .structure import survey_structure

logger = logging.getLogger("canvass.surveys")

MIN_OPTIONS_PER_QUESTION = 2
# Far above any real survey, low enough that one account can't make pages weigh megabytes
# or fill the database by script.
MAX_SURVEYS_PER_OWNER = 1000
MAX_QUESTIONS_PER_SURVEY = 200
MAX_OPTIONS_PER_QUESTION = 100


class ServiceError(Exception):
    """A rule said no. `message` is what to tell the person, on a page or in the API."""

    message = "That can't be done."

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(self.message)


class LimitReached(ServiceError):
    """One more would pass a cap on surveys, questions or options."""


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
    problems = []
    for question in questions:
        if not question.has_options:
            continue
        options = len(question.options.all())
        if options < MIN_OPTIONS_PER_QUESTION:
            problems.append(
                f"“{question.prompt}” needs at least {MIN_OPTIONS_PER_QUESTION} options."
            )
        elif (question.min_choices or 0) > options:
            problems.append(
                f"“{question.prompt}” asks for at least {question.min_choices} ticks "
                f"but has only {options} options."
            )
    return problems


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


def _check_room_for_surveys(owner):
    """Call inside a transaction: the owner's row lock makes the cap exact under
    concurrent creations."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    if Survey.objects.owned_by(owner).count() >= MAX_SURVEYS_PER_OWNER:
        raise LimitReached(
            f"An account can have at most {MAX_SURVEYS_PER_OWNER} surveys. Delete some you "
            "no longer need to make room."
        )


@transaction.atomic
def create_survey(*, owner, title):
    _check_room_for_surveys(owner)
    return Survey.objects.create(owner=owner, title=title)


def _set_details(question, details):
    unknown = set(details) - set(Question.EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not question fields: {sorted(unknown)}")
    for name, value in details.items():
        setattr(question, name, value)
    question.drop_settings_of_other_kinds()


def rename_survey(*, survey, title):
    survey.title = title
    survey.save(update_fields=["title", "updated_at"])


@transaction.atomic
def add_question(*, survey, prompt, **details):
    """`details` are further Question.EDITABLE_FIELDS (kind, help_text, required, limits)."""
    _lock_draft(survey)
    if survey.questions.count() >= MAX_QUESTIONS_PER_SURVEY:
        raise LimitReached(f"A survey can have at most {MAX_QUESTIONS_PER_SURVEY} questions.")
    question = Question(
        survey=survey, prompt=prompt, position=_next_position(survey.questions.all())
    )
    _set_details(question, details)
    question.save()
    return question


@transaction.atomic
def update_question(*, question, **changes):
    """`changes` are Question.EDITABLE_FIELDS. A question that stops being a choice loses
    its options."""
    _lock_draft(question.survey)
    _set_details(question, changes)
    question.save()
    if not question.has_options:
        question.options.all().delete()


def _move(item, siblings, offset):
    items = list(siblings)
    index = items.index(item)
    if not 0 <= index + offset < len(items):
        return
    items[index], items[index + offset] = items[index + offset], items[index]
    # Renumbered from 1, so equal positions left by old data can't stop a move.
    for position, each in enumerate(items, start=1):
        each.position = position
    type(item).objects.bulk_update(items, ["position"])


@transaction.atomic
def move_question(*, question, offset):
    """Move a question `offset` places (-1 up, +1 down); at either end nothing changes."""
    _lock_draft(question.survey)
    _move(question, question.survey.questions.all(), offset)


@transaction.atomic
def move_option(*, option, offset):
    _lock_draft(option.question.survey)
    _move(option, option.question.options.all(), offset)


@transaction.atomic
def delete_question(*, question):
    _lock_draft(question.survey)
    question.delete()


class NoOptions(Exception):
    """Only choice questions have options."""


@transaction.atomic
def add_option(*, question, text):
    _lock_draft(question.survey)
    if not question.has_options:
        raise NoOptions(question.kind)
    if question.options.count() >= MAX_OPTIONS_PER_QUESTION:
        raise LimitReached(f"A question can have at most {MAX_OPTIONS_PER_QUESTION} options.")
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
    if locked.previous_version_id:
        survey.public_token = _take_over_link(locked.previous_version_id)
    survey.status = Survey.Status.ACTIVE
    survey.started_at = timezone.now()
    survey.save(update_fields=["status", "started_at", "public_token", "updated_at"])
    logger.info("survey published survey=%s owner=%s", survey.pk, survey.owner_id)


def _take_over_link(previous_pk):
    """Close the previous version and hand its public link to its successor, so the link
    already shared keeps working and each version's answers stay with its own questions."""
    previous = Survey.objects.select_for_update().get(pk=previous_pk)
    token = previous.public_token
    previous.public_token = new_public_token()
    if previous.is_active:
        previous.status = Survey.Status.CLOSED
        previous.closed_at = timezone.now()
    previous.save(update_fields=["public_token", "status", "closed_at", "updated_at"])
    logger.info("survey superseded survey=%s", previous.pk)
    return token


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


def _copy_structure(source, target):
    for question in questions_with_options(source):
        options = list(question.options.all())
        question.pk = None
        question.survey = target
        question.save()
        Option.objects.bulk_create(
            Option(question=question, text=o.text, position=o.position) for o in options
        )


@transaction.atomic
def duplicate_survey(*, survey, owner):
    """A new draft with the same questions and options, and none of the responses."""
    _check_room_for_surveys(owner)
    copy = Survey.objects.create(owner=owner, title=f"Copy of {survey.title}"[:200])
    _copy_structure(survey, copy)
    return copy


def next_version(survey, *, started=False):
    """The version made from this one, if any (only the latest version gets a successor)."""
    versions = survey.next_versions.all()
    if started:
        versions = versions.exclude(status=Survey.Status.DRAFT)
    return versions.order_by("pk").first()


@transaction.atomic
def new_version(*, survey):
    """The draft in which a started survey's questions can change. Stored answers keep the
    questions they were given to; the draft takes over the public link when it starts.
    Asking again returns the draft already made."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.is_draft or next_version(locked, started=True):
        raise SurveyNotOpen  # a draft is edited in place; a replaced version stays as it is
    draft = next_version(survey)
    if draft is None:
        _check_room_for_surveys(survey.owner)
        draft = Survey.objects.create(
            owner=survey.owner,
            title=survey.title,
            previous_version=survey,
            version=survey.version + 1,
            one_response_per_browser=survey.one_response_per_browser,
        )
        _copy_structure(survey, draft)
    return draft


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


def _check_answers(survey, answers):
    """The values to store per question (QuestionSpec → value), by the rules of each
    question's kind; raises ValidationError naming each question that is wrong."""
    structure = survey_structure(survey)
    if set(answers) - {question.pk for question in structure}:
        raise ValidationError("An answer is for a question this survey doesn't have.", "mismatch")
    cleaned, errors = {}, []
    for number, question in enumerate(structure, start=1):
        try:
            value = clean_answer(question, answers.get(question.pk))
        except ValidationError as exc:
            errors.extend(
                ValidationError(f"Question {number}: {message}", code=exc.code)
                for message in exc.messages
            )
            continue
        if value is not None:
            cleaned[question] = value
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError("Answer at least one question.", code="empty")
    return cleaned


def _answer_rows(submission, cleaned):
    for question, value in cleaned.items():
        base = {"submission": submission, "question_id": question.pk}
        if question.kind == Question.Kind.MULTIPLE:
            yield from (Answer(**base, option_id=option_id) for option_id in value)
        elif question.has_options:
            yield Answer(**base, option_id=value)
        elif question.kind in Question.TEXT_KINDS:
            yield Answer(**base, text=value)
        else:
            yield Answer(**base, number=value)


def submit_response(*, survey, token, answers):
    """Store one taker's answers exactly once.

    `answers` maps question id to what the taker sent: an option id, a list of option ids
    (multiple choice), a text, a number or a rating; optional questions may be left out.
    Returns (submission, created): a replay of a
    token already stored returns the stored submission and created=False, whether the first
    request finished long ago or is committing in parallel right now.
    """
    if not survey.is_active:
        raise SurveyNotOpen
    if survey.closes_at and timezone.now() >= survey.closes_at:
        _close_by_rule(survey, "close date reached")
        raise SurveyNotOpen
    cleaned = _check_answers(survey, answers)
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
                rows = list(_answer_rows(submission, cleaned))
                Answer.objects.bulk_create(rows)
                tallies.count_submission(
                    survey.pk,
                    question_ids=[question.pk for question in cleaned],
                    option_ids=[row.option_id for row in rows if row.option_id],
                )
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
