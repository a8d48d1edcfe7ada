"""The creator's writes, with their rules: surveys, their questions and options, and their
lifecycle (start, close, reopen, copies, versions). Views, the API and commands call these
and nothing else to change them; a taker's response is surveys/responses.py's, an export
surveys/tasks.py's.

Each function is one transaction and takes keyword arguments only, so a call site reads as
what it does. A refusal is an exception from surveys/errors.py carrying its message.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from accounts.models import default_retention_days, email_is_verified

from . import events, tallies
from .errors import (
    LimitReached,
    NoOptions,
    Stale,
    SurveyNotEditable,
    WrongStatus,
)
from .kinds import FILE_KINDS
from .models import (
    Event,
    Option,
    Question,
    Survey,
    new_public_token,
)
from .signals import version_created
from .structure import questions_with_options

logger = logging.getLogger("canvass.surveys")

# Far above any real survey, low enough that one account can't make pages weigh megabytes
# or fill the database by script.
MAX_SURVEYS_PER_OWNER = 1000
MAX_QUESTIONS_PER_SURVEY = 200
MAX_OPTIONS_PER_QUESTION = 100
# What update_survey changes; the structure changes through the question services.
SURVEY_SETTINGS = (
    "title",
    "closes_at",
    "max_responses",
    "one_response_per_browser",
    "respondents_can_edit",
    "retention_days",
    "record_day_only",
    "contact",
)
# What a new version and a copy keep of the survey they come from.
CARRIED_SETTINGS = SURVEY_SETTINGS[3:]
# Ten years: longer is "keep", which is no limit at all.
MAX_RETENTION_DAYS = 3650


def start_problems(questions):
    """Why a survey with these questions (options prefetched) can't be started yet."""
    if not questions:
        return ["Add at least one question."]
    return [
        problem
        for question in questions
        for problem in question.kind_def.start_problems(question, len(question.options.all()))
    ]


def ensure_draft(survey):
    if not survey.is_draft:
        raise SurveyNotEditable(survey)


def _lock_draft(survey):
    """Lock the survey row for this transaction and check it is still a draft.

    Structure edits and starting take the same lock, so an option can't slip in while
    the survey is being started.
    """
    locked = Survey.objects.locked(survey)
    ensure_draft(locked)
    return locked


def _as_it_is_now(item, revision):
    """Reload `item` under the survey's lock (which every write to it takes first), so a
    change is made to the row as it is, not as the caller once read it, and count the
    change. `revision`, when the caller gives one, is the revision it read: if someone
    has changed the row since, nothing is written (Stale)."""
    try:
        item.refresh_from_db()
    except ObjectDoesNotExist:  # deleted since the caller read it (another editor)
        raise Http404 from None
    if revision is not None and revision != item.revision:
        raise Stale(item)
    item.revision += 1


def _next_position(queryset):
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


# --- surveys ------------------------------------------------------------------------------


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
def create_survey(*, owner, title, **settings):
    """A new draft, with any other of SURVEY_SETTINGS given (the API takes them all at
    creation); retention from the owner's default unless given. Raises ValidationError by
    field, before anything is written."""
    unknown = set(settings) - set(SURVEY_SETTINGS)
    if unknown:
        raise TypeError(f"not survey settings: {sorted(unknown)}")
    _check_settings(settings)
    _check_room_for_surveys(owner)
    settings.setdefault("retention_days", default_retention_days(owner))
    survey = Survey.objects.create(owner=owner, title=title, **settings)
    logger.info("survey created survey=%s owner=%s", survey.pk, owner.pk)
    return survey


def _check_settings(changes):
    errors = {}
    closes_at = changes.get("closes_at")
    if closes_at and closes_at <= timezone.now():
        errors["closes_at"] = "Choose a time in the future."
    limit = changes.get("max_responses")
    if limit is not None and limit < 1:
        errors["max_responses"] = "At least one response."
    days = changes.get("retention_days")
    if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
        errors["retention_days"] = f"From 0 to {MAX_RETENTION_DAYS} days, or empty to keep them."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_survey(*, survey, revision=None, **changes):
    """Change any of SURVEY_SETTINGS: the title, the closing rules (a close date in the
    future, a response limit of at least one), one-response-per-browser and what
    respondents may do and what is kept of them. They can change at any time: no stored
    answer refers to them. Raises ValidationError by field; Stale when `revision` (the
    one the caller read) is no longer the survey's."""
    unknown = set(changes) - set(SURVEY_SETTINGS)
    if unknown:
        raise TypeError(f"not survey settings: {sorted(unknown)}")
    _check_settings(changes)
    if not changes:
        return  # nothing to change: nothing written, and no other editor made stale
    Survey.objects.locked(survey)
    _as_it_is_now(survey, revision)
    for name, value in changes.items():
        setattr(survey, name, value)
    survey.save(update_fields=[*changes, "revision", "updated_at"])
    logger.info("survey changed survey=%s fields=%s", survey.pk, ",".join(sorted(changes)))


@transaction.atomic
def delete_survey(*, survey):
    """The survey, its questions, options and every response, for good."""
    Survey.objects.locked(survey)
    pk, responses = survey.pk, tallies.submission_count(survey)
    survey.delete()
    logger.info("survey deleted survey=%s owner=%s responses=%s", pk, survey.owner_id, responses)


# --- questions and options (drafts only) ----------------------------------------------


def _set_details(question, details):
    unknown = set(details) - set(Question.EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not question fields: {sorted(unknown)}")
    for name, value in details.items():
        setattr(question, name, value)
    question.drop_settings_of_other_kinds()
    if question.kind_def.files:
        _check_room_for_file_question(question.survey.questions.exclude(pk=question.pk))


def _check_room_for_file_question(others):
    # Each file question adds its largest file to the largest request, which NGINX is
    # configured for (settings.REQUEST_MAX_BYTES).
    if others.filter(kind__in=FILE_KINDS).count() >= settings.FILE_QUESTIONS_PER_SURVEY:
        raise LimitReached(
            f"A survey can have at most {settings.FILE_QUESTIONS_PER_SURVEY} file questions."
        )


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
def update_question(*, question, revision=None, **changes):
    """`changes` are Question.EDITABLE_FIELDS. A question whose new kind has no options
    loses its options. Stale when `revision` (the one the caller read) is no longer the
    question's. Raises ValidationError when the changes, on the question as it is now,
    break its kind's rules (one editor's lowest above another's highest)."""
    if not changes:
        return
    _lock_draft(question.survey)
    _as_it_is_now(question, revision)
    _set_details(question, changes)
    question.clean()
    question.save()
    if not question.kind_def.has_options:
        question.options.all().delete()


def _move(item, siblings, offset=None, to=None):
    """Move `item` `offset` places among its siblings, or `to` a place (1 is the top):
    a drag may move it several; past either end it stops there."""
    items = list(siblings)
    index = items.index(item)
    target = to - 1 if to is not None else index + offset
    target = min(max(target, 0), len(items) - 1)
    if target == index:
        return
    items.insert(target, items.pop(index))
    # Renumbered from 1, so equal positions left by old data can't stop a move.
    for position, each in enumerate(items, start=1):
        each.position = position
    type(item).objects.bulk_update(items, ["position"])


@transaction.atomic
def move_question(*, question, offset=None, to=None):
    """Move a question `offset` places (-1 up, +1 down), or `to` a place (1 is the top);
    at either end it stops."""
    _lock_draft(question.survey)
    _move(question, question.survey.questions.all(), offset, to)


@transaction.atomic
def move_option(*, option, offset=None, to=None):
    _lock_draft(option.question.survey)
    _move(option, option.question.options.all(), offset, to)


@transaction.atomic
def duplicate_question(*, question):
    """A copy of `question` with its options, placed right after it."""
    survey = _lock_draft(question.survey)
    if survey.questions.count() >= MAX_QUESTIONS_PER_SURVEY:
        raise LimitReached(f"A survey can have at most {MAX_QUESTIONS_PER_SURVEY} questions.")
    if question.kind_def.files:
        _check_room_for_file_question(survey.questions.all())
    copy = Question.objects.filter(pk=question.pk).first()  # as it is now, under the lock
    if copy is None:  # deleted since the caller read it
        raise Http404
    options = list(Option.objects.filter(question=copy).order_by("position"))
    copy.pk, copy.revision, copy.position = None, 1, _next_position(survey.questions.all())
    copy.save()
    Option.objects.bulk_create(
        Option(question=copy, text=o.text, position=o.position) for o in options
    )
    siblings = list(survey.questions.all())
    _move(copy, siblings, to=siblings.index(question) + 2)
    copy.refresh_from_db()
    return copy


@transaction.atomic
def delete_question(*, question):
    _lock_draft(question.survey)
    question.delete()


@transaction.atomic
def add_option(*, question, text):
    _lock_draft(question.survey)
    if not question.kind_def.has_options:
        raise NoOptions(question)
    if question.options.count() >= MAX_OPTIONS_PER_QUESTION:
        raise LimitReached(f"A question can have at most {MAX_OPTIONS_PER_QUESTION} options.")
    return Option.objects.create(
        question=question, text=text, position=_next_position(question.options.all())
    )


@transaction.atomic
def update_option(*, option, text=None, revision=None):
    """Stale when `revision` (the one the caller read) is no longer the option's; no
    `text`, nothing to change."""
    if text is None:
        return
    _lock_draft(option.question.survey)
    _as_it_is_now(option, revision)
    option.text = text
    option.save(update_fields=["text", "revision"])


@transaction.atomic
def delete_option(*, option):
    _lock_draft(option.question.survey)
    option.delete()


# --- the lifecycle: start, close, reopen, copies and versions --------------------------


@transaction.atomic
def start_survey(*, survey):
    """Start a draft survey so takers can answer it. Raises ValidationError if incomplete."""
    locked = Survey.objects.locked(survey)
    if not locked.is_draft:
        raise WrongStatus("This survey has already started.")
    problems = start_problems(questions_with_options(locked))
    if settings.REQUIRE_VERIFIED_EMAIL_TO_PUBLISH and not email_is_verified(locked.owner):
        problems.append(
            "Confirm your email address first: use the link we sent, or send a new one from "
            "Settings."
        )
    if problems:
        raise ValidationError(problems)
    previous = None
    if locked.previous_version_id:
        previous = Survey.objects.select_for_update().get(pk=locked.previous_version_id)
        survey.public_token = _take_over_link(previous)
    survey.status = Survey.Status.ACTIVE
    survey.started_at = timezone.now()
    survey.save(update_fields=["status", "started_at", "public_token", "updated_at"])
    if previous is not None:
        # Told to both: the old version's listeners learn where answers go from now on.
        started = {"previous_version": previous.pk, "new_version": survey.pk}
        for version in (previous, survey):
            events.record(version, Event.Type.VERSION_STARTED, started)
    logger.info("survey started survey=%s owner=%s", survey.pk, survey.owner_id)


def _take_over_link(previous):
    """Close the previous version (locked) and hand its public link to its successor, so
    the link already shared keeps working and each version's answers stay with its own
    questions."""
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
    if not Survey.objects.locked(survey).is_active:
        raise WrongStatus("Only a running survey can be closed.")
    survey.status = Survey.Status.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["status", "closed_at", "updated_at"])
    events.record(survey, Event.Type.SURVEY_CLOSED, {"reason": "closed by its creator"})
    logger.info("survey closed survey=%s owner=%s", survey.pk, survey.owner_id)


@transaction.atomic
def reopen_survey(*, survey):
    """A closed survey takes answers again; a close date already past is cleared."""
    if not Survey.objects.locked(survey).is_closed:
        raise WrongStatus("Only a closed survey can be reopened.")
    survey.refresh_from_db()  # the close date as it is now, under the lock
    survey.status = Survey.Status.ACTIVE
    survey.closed_at = None
    fields = ["status", "closed_at", "updated_at"]
    if survey.closes_at and survey.closes_at <= timezone.now():
        survey.closes_at = None  # a setting: an editor who read the old one is now stale
        survey.revision += 1
        fields += ["closes_at", "revision"]
    survey.save(update_fields=fields)
    events.record(survey, Event.Type.SURVEY_REOPENED)
    logger.info("survey reopened survey=%s owner=%s", survey.pk, survey.owner_id)


def _copy_structure(source, target):
    for question in questions_with_options(source):
        options = list(question.options.all())
        question.pk = None
        question.survey = target
        question.revision = 1  # a new row: nobody has edited it yet
        question.save()
        Option.objects.bulk_create(
            Option(question=question, text=o.text, position=o.position) for o in options
        )


@transaction.atomic
def duplicate_survey(*, survey, owner):
    """A new draft with the same questions and options, and none of the responses."""
    _check_room_for_surveys(owner)
    title_length = Survey._meta.get_field("title").max_length
    copy = Survey.objects.create(
        owner=owner,
        title=f"Copy of {survey.title}"[:title_length],
        **{name: getattr(survey, name) for name in CARRIED_SETTINGS},
    )
    _copy_structure(survey, copy)
    return copy


@transaction.atomic
def new_version(*, survey):
    """The draft in which a started survey's questions can change. Stored answers keep the
    questions they were given to; the draft takes over the public link when it starts.
    Asking again returns the draft already made."""
    locked = Survey.objects.locked(survey)
    if locked.is_draft or locked.later_version(started=True):
        # A draft is edited in place; a replaced version stays as it is.
        raise WrongStatus("Only the latest started version can get a new version.")
    draft = survey.later_version()
    if draft is None:
        _check_room_for_surveys(survey.owner)
        draft = Survey.objects.create(
            owner=survey.owner,
            title=survey.title,
            previous_version=survey,
            version=survey.version + 1,
            **{name: getattr(survey, name) for name in CARRIED_SETTINGS},
        )
        _copy_structure(survey, draft)
        version_created.send(sender=Survey, previous=survey, draft=draft)
    return draft


def close_by_rule(*, survey, reason):
    """Close a running survey because one of its rules says so (a close date passed,
    the response limit reached); nothing when it is closed already."""
    with transaction.atomic():
        closed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.ACTIVE).update(
            status=Survey.Status.CLOSED, closed_at=timezone.now()
        )
        if closed:
            events.record(survey, Event.Type.SURVEY_CLOSED, {"reason": reason})
    if closed:
        logger.info("survey closed automatically survey=%s reason=%s", survey.pk, reason)
