"""Every write, with its rules. Views, the API and commands call these and nothing else to
change surveys, questions, options and submissions.

Each function is one transaction and takes keyword arguments only, so a call site reads as
what it does. A refusal is an exception from surveys/errors.py carrying its message.
"""

import hashlib
import logging
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import default_retention_days, email_is_verified
from lib.broker import publish

from . import events, receipts, tallies
from .answers import CleanedAnswers
from .errors import (
    EditsOff,
    LimitReached,
    NoOptions,
    SurveyClosed,
    SurveyNotEditable,
    WrongStatus,
)
from .files import storage_name
from .kinds import FILE_KINDS
from .models import (
    Answer,
    Event,
    Export,
    Option,
    Question,
    Submission,
    Survey,
    Upload,
    new_public_token,
    private,
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


def publish_problems(questions):
    """Why a survey with these questions (options prefetched) can't be started yet."""
    if not questions:
        return ["Add at least one question."]
    return [
        problem
        for question in questions
        for problem in question.kind_def.publish_problems(question, len(question.options.all()))
    ]


def ensure_draft(survey):
    if not survey.is_draft:
        raise SurveyNotEditable(survey)


def _lock(survey):
    """The survey's row, locked for this transaction, as it is now."""
    return Survey.objects.select_for_update().get(pk=survey.pk)


def _lock_draft(survey):
    """Lock the survey row for this transaction and check it is still a draft.

    Structure edits and publishing take the same lock, so an option can't slip in while
    the survey is being started.
    """
    locked = _lock(survey)
    ensure_draft(locked)
    return locked


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
def update_survey(*, survey, **changes):
    """Change any of SURVEY_SETTINGS: the title, the closing rules (a close date in the
    future, a response limit of at least one), one-response-per-browser and what
    respondents may do and what is kept of them. They can change at any time: no stored
    answer refers to them. Raises ValidationError by field."""
    unknown = set(changes) - set(SURVEY_SETTINGS)
    if unknown:
        raise TypeError(f"not survey settings: {sorted(unknown)}")
    _check_settings(changes)
    _lock(survey)
    for name, value in changes.items():
        setattr(survey, name, value)
    survey.save(update_fields=[*changes, "updated_at"])
    logger.info("survey changed survey=%s fields=%s", survey.pk, ",".join(sorted(changes)))


@transaction.atomic
def delete_survey(*, survey):
    """The survey, its questions, options and every response, for good."""
    _lock(survey)
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
        # Each file question adds its largest file to the largest request, which NGINX
        # is configured for (settings.REQUEST_MAX_BYTES).
        others = question.survey.questions.exclude(pk=question.pk).filter(kind__in=FILE_KINDS)
        if others.count() >= settings.FILE_QUESTIONS_PER_SURVEY:
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
def update_question(*, question, **changes):
    """`changes` are Question.EDITABLE_FIELDS. A question whose new kind has no options
    loses its options."""
    _lock_draft(question.survey)
    _set_details(question, changes)
    question.save()
    if not question.kind_def.has_options:
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
def update_option(*, option, text):
    _lock_draft(option.question.survey)
    option.text = text
    option.save(update_fields=["text"])


@transaction.atomic
def delete_option(*, option):
    _lock_draft(option.question.survey)
    option.delete()


# --- the lifecycle: start, close, reopen, copies and versions --------------------------


@transaction.atomic
def publish_survey(*, survey):
    """Start a draft survey so takers can answer it. Raises ValidationError if incomplete."""
    locked = _lock(survey)
    if not locked.is_draft:
        raise WrongStatus("This survey has already started.")
    problems = publish_problems(questions_with_options(locked))
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
    logger.info("survey published survey=%s owner=%s", survey.pk, survey.owner_id)


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
    if not _lock(survey).is_active:
        raise WrongStatus("Only a running survey can be closed.")
    survey.status = Survey.Status.CLOSED
    survey.closed_at = timezone.now()
    survey.save(update_fields=["status", "closed_at", "updated_at"])
    events.record(survey, Event.Type.SURVEY_CLOSED, {"reason": "closed by its creator"})
    logger.info("survey closed survey=%s owner=%s", survey.pk, survey.owner_id)


@transaction.atomic
def reopen_survey(*, survey):
    """A closed survey takes answers again; a close date already past is cleared."""
    if not _lock(survey).is_closed:
        raise WrongStatus("Only a closed survey can be reopened.")
    survey.status = Survey.Status.ACTIVE
    survey.closed_at = None
    if survey.closes_at and survey.closes_at <= timezone.now():
        survey.closes_at = None
    survey.save(update_fields=["status", "closed_at", "closes_at", "updated_at"])
    events.record(survey, Event.Type.SURVEY_REOPENED)
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
    locked = _lock(survey)
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


# --- submissions ----------------------------------------------------------------------------


def _close_by_rule(survey, reason):
    with transaction.atomic():
        closed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.ACTIVE).update(
            status=Survey.Status.CLOSED, closed_at=timezone.now()
        )
        if closed:
            events.record(survey, Event.Type.SURVEY_CLOSED, {"reason": reason})
    if closed:
        logger.info("survey closed automatically survey=%s reason=%s", survey.pk, reason)


def _check_open(survey):
    """Raise SurveyClosed unless `survey` takes answers now; a close date that has passed
    closes it."""
    if not survey.is_active:
        raise SurveyClosed(survey)
    if survey.closes_at and timezone.now() >= survey.closes_at:
        _close_by_rule(survey, "close date reached")
        raise SurveyClosed(survey)


def _limit_reached(survey):
    """Whether a limited survey is full. Only limited surveys pay for this row lock: it
    makes the limit exact by letting one submission at a time count and insert."""
    _lock(survey)
    return tallies.submission_count(survey) >= survey.max_responses


def _check_cleaned(survey, answers):
    """The services store answers cleaned once, by clean_answers, for this survey."""
    if not isinstance(answers, CleanedAnswers):
        raise TypeError("answers are stored only as surveys.answers.clean_answers made them")
    if answers.survey_pk != survey.pk:
        raise ValidationError("The answers are for another survey.", code="mismatch")
    return answers.values


def _answer_rows(submission, cleaned):
    for question, value in cleaned.items():
        for fields in question.kind_def.answer_rows(value):
            yield Answer(submission=submission, question_id=question.pk, **fields)


def _store_answers(submission, cleaned, written):
    """Insert the Answer rows of `cleaned`, and for file questions save each file (and
    thumbnail) to private storage with its Upload row; `written` collects the storage
    names, so the caller can delete them if the transaction fails. The saved answers."""
    rows = list(_answer_rows(submission, cleaned))
    Answer.objects.bulk_create(rows)
    files = {question.pk: value for question, value in cleaned.items() if question.kind_def.files}
    uploads = []
    for answer in rows:
        if answer.question_id not in files:
            continue
        received = files[answer.question_id]
        upload = Upload(
            answer=answer,
            content_type=received.content_type,
            size=len(received.content),
            sent_size=received.sent_size,
        )
        name = storage_name(submission.survey_id, received)
        written.append(private.save(name, ContentFile(received.content)))
        upload.file.name = written[-1]
        if received.thumbnail:
            name = storage_name(submission.survey_id, received, thumbnail=True)
            written.append(private.save(name, ContentFile(received.thumbnail)))
            upload.thumbnail.name = written[-1]
        uploads.append(upload)
    Upload.objects.bulk_create(uploads)
    return rows


@contextmanager
def _files_dropped_on_failure():
    """Yields a list for the storage names a block writes; if the block fails (its
    transaction rolled back), they are deleted: no file without its answer."""
    written = []
    try:
        yield written
    except BaseException:
        for name in written:
            private.delete(name)
        raise


def submit_response(*, survey, token, answers):
    """Store one taker's answers exactly once.

    `answers` are CleanedAnswers (surveys/answers.py): cleaned once against the survey's
    structure, never again here. Returns (submission, created): a new submission carries
    `receipt_secret`, the secret of its receipt link (surveys/receipts.py), which is not
    stored; a replay of a token already stored returns the stored submission and
    created=False, whether the first request finished long ago or is committing in
    parallel right now. Raises SurveyClosed when it takes no answers.
    """
    _check_open(survey)
    cleaned = _check_cleaned(survey, answers)
    try:
        with _files_dropped_on_failure() as written, transaction.atomic():
            if survey.max_responses is not None and _limit_reached(survey):
                existing = Submission.objects.filter(survey=survey, token=token).first()
                if existing is not None:
                    return existing, False
                _close_by_rule(survey, "response limit reached")
                full = True
            else:
                full = False
                code, secret = receipts.new_receipt()
                submission = Submission.objects.create(
                    survey=survey,
                    token=token,
                    created_at=_moment(survey),
                    receipt_code=code,
                    receipt_hash=receipts.digest(secret),
                )
                submission.receipt_secret = secret  # for the taker's receipt; never stored
                rows = _store_answers(submission, cleaned, written)
                tallies.count_submission(
                    survey.pk,
                    question_ids=[question.pk for question in cleaned],
                    option_ids=[row.option_id for row in rows if row.option_id],
                )
                events.record(
                    survey,
                    Event.Type.RESPONSE_SUBMITTED,
                    lambda: events.response_data(submission, rows),
                )
    except IntegrityError:
        # The unique (survey, token) constraint fired: this exact submission is stored.
        existing = Submission.objects.filter(survey=survey, token=token).first()
        if existing is None:
            raise
        logger.info("duplicate submission ignored survey=%s submission=%s", survey.pk, existing.pk)
        return existing, False
    if full:  # raised after the block, so closing the survey is committed
        raise SurveyClosed(survey)
    return submission, True


# --- exports ----------------------------------------------------------------------------


def start_export(*, survey, format):
    """The survey's unfinished export, or a new one of `format` sent to a worker. Returns
    (export, created). One unfinished export per survey: asking again returns the one
    already under way, whatever its format."""
    with transaction.atomic():
        _lock(survey)
        running = Export.objects.unfinished().filter(survey=survey).first()
        if running is not None:
            return running, False
        export = Export.objects.create(
            survey=survey, format=format, rows_total=tallies.submission_count(survey)
        )
        logger.info("export queued export=%s survey=%s format=%s", export.pk, survey.pk, format)
        # Sent once the row is committed, so the worker finds it; in-process without a
        # broker (the export is then built before this returns).
        transaction.on_commit(lambda: _send_export(export.pk))
    export.refresh_from_db()
    return export, True


def _send_export(export_id):
    from .tasks import build_export

    if not publish(build_export, export_id):  # the broker is failing: the sweeper sends it
        logger.error("export not sent to a worker export=%s", export_id)


@transaction.atomic
def claim_export(*, export_id):
    """Mark an export as being built, for the worker that will build it; None when it is
    gone or finished already (a task delivered twice does nothing the second time)."""
    export = Export.objects.select_for_update().filter(pk=export_id).first()
    if export is None or not export.is_unfinished:
        return None
    export.status = Export.Status.RUNNING
    export.rows_done = 0
    export.attempts += 1
    export.save(update_fields=["status", "rows_done", "attempts", "updated_at"])
    return export


def report_export_progress(*, export_id, rows_done):
    """Progress of a running export; also shows the sweeper the export is alive."""
    Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).update(
        rows_done=rows_done, updated_at=timezone.now()
    )


def finish_export(*, export_id, file, rows_done):
    """Store the built `file` (an open temporary file) and mark the export ready. If
    another run finished it first, this one's file is dropped: one file per export."""
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or not export.is_unfinished:
            return None
        digest = hashlib.sha256()
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
        file.seek(0)
        name = f"exports/{export.survey_id}/{export.pk}.{export.format}"
        export.file.save(name, File(file), save=False)
        now = timezone.now()
        export.status = Export.Status.DONE
        export.rows_done = rows_done
        export.size = export.file.size
        export.sha256 = digest.hexdigest()
        export.finished_at = now
        export.expires_at = now + timedelta(hours=settings.EXPORT_KEEP_HOURS)
        export.save()
    logger.info(
        "export done export=%s survey=%s rows=%s bytes=%s attempts=%s",
        export.pk, export.survey_id, rows_done, export.size, export.attempts,
    )  # fmt: skip
    return export


def fail_export(*, export_id, reason):
    updated = Export.objects.filter(pk=export_id).exclude(status=Export.Status.DONE)
    updated.update(status=Export.Status.FAILED, error=reason[:300], finished_at=timezone.now())
    logger.error("export failed export=%s reason=%s", export_id, reason)


def delete_export(*, export):
    """The export and its file (surveys/signals.py deletes the file once committed)."""
    pk = export.pk
    export.delete()
    logger.info("export deleted export=%s survey=%s", pk, export.survey_id)


# --- respondents ------------------------------------------------------------------------


def _moment(survey):
    """Now, or today's midnight (UTC) for a survey that records the day only."""
    now = timezone.now()
    if survey.record_day_only:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now


def _check_takes_edits(survey):
    """Raise unless respondents may change their responses to `survey` now (as the
    database has it: the survey may have closed since the page was shown)."""
    survey.refresh_from_db(fields=["status", "closes_at", "respondents_can_edit"])
    if not survey.respondents_can_edit:
        raise EditsOff(survey)
    _check_open(survey)


def _lock_response(submission):
    """The submission's row, locked for this transaction; Submission.DoesNotExist once it
    was withdrawn (by a request that got there first)."""
    return Submission.objects.select_for_update().get(pk=submission.pk)


def _shift_tallies(survey, before, after, *, responses=0):
    """Move the tallies from the answers `before` to the answers `after` (Answer rows)."""
    questions = Counter({question: 1 for question in {a.question_id for a in after}})
    questions.subtract({question: 1 for question in {a.question_id for a in before}})
    options = Counter(a.option_id for a in after if a.option_id)
    options.subtract(a.option_id for a in before if a.option_id)
    tallies.adjust(survey.pk, responses=responses, questions=questions, options=options)


def edit_response(*, submission, answers):
    """Replace a respondent's answers (through their receipt link), under the same rules as
    a new response, while the survey takes answers and its creator lets respondents change
    them. `answers` are CleanedAnswers made with the response's stored files as `kept`: a
    file question left out keeps its stored file; a new file replaces it. Raises
    SurveyClosed, EditsOff, ValidationError or Submission.DoesNotExist."""
    survey = submission.survey
    _check_takes_edits(survey)  # outside the transaction: a passed close date closes it
    cleaned, kept = _check_cleaned(survey, answers), answers.kept
    with _files_dropped_on_failure() as written, transaction.atomic():
        submission = _lock_response(submission)
        before = list(submission.answers.all())
        submission.answers.exclude(question__in=kept).delete()
        rows = _store_answers(submission, cleaned, written)
        rows += [answer for answer in before if answer.question_id in kept]
        _shift_tallies(survey, before, rows)
        submission.edited_at = _moment(survey)
        submission.save(update_fields=["edited_at"])
        events.record(
            survey, Event.Type.RESPONSE_EDITED, lambda: events.response_data(submission, rows)
        )
    logger.info("response edited survey=%s submission=%s", survey.pk, submission.pk)
    return submission


@transaction.atomic
def delete_response(*, submission, reason):
    """Delete one response and take it out of the counts: withdrawn by its respondent, or
    deleted by an operator (`reason` says which, for the log and the webhook)."""
    survey = submission.survey
    submission = _lock_response(submission)
    before = list(submission.answers.all())
    pk = submission.pk
    submission.delete()
    _shift_tallies(survey, before, [], responses=-1)
    events.record(survey, Event.Type.RESPONSE_DELETED, {"id": pk, "reason": reason})
    logger.info("response deleted survey=%s submission=%s reason=%s", survey.pk, pk, reason)


def withdraw_response(*, submission):
    """A respondent deletes their own response (receipt link): only while they could still
    change it. Raises SurveyClosed, EditsOff or Submission.DoesNotExist."""
    _check_takes_edits(submission.survey)
    delete_response(submission=submission, reason="withdrawn")


def purge_survey_responses(*, survey):
    """Every response of `survey`, its exports and the events that carried its answers,
    for good; the survey and its questions stay. Returns (responses, exports) deleted."""
    with transaction.atomic():
        survey = _lock(survey)
        # The answers in one statement first: the submissions' cascade would go through
        # them in batches of ids.
        Answer.objects.filter(submission__survey=survey).delete()
        _, deleted = Submission.objects.filter(survey=survey).delete()
        responses = deleted.get(Submission._meta.label, 0)
        exports = 0
        for export in survey.exports.all():
            delete_export(export=export)
            exports += 1
        Event.objects.filter(survey=survey, type__startswith="response.").delete()
        tallies.rebuild([survey])
    return responses, exports


def purge_expired_responses(*, now=None, dry_run=False):
    """Delete the responses of closed surveys whose retention has run out (see
    purge_survey_responses). Returns [(survey, responses, exports)]; with dry_run, what
    would go, deleting nothing."""
    now = now or timezone.now()
    closed = Survey.objects.filter(
        status=Survey.Status.CLOSED, retention_days__isnull=False, closed_at__lte=now
    ).order_by("pk")
    purged = []
    for survey in closed.iterator():
        if survey.purge_at > now or not (survey.submissions.exists() or survey.exports.exists()):
            continue
        if dry_run:
            counts = (survey.submissions.count(), survey.exports.count())
        else:
            counts = purge_survey_responses(survey=survey)
            logger.info(
                "responses purged survey=%s responses=%s exports=%s retention_days=%s",
                survey.pk, *counts, survey.retention_days,
            )  # fmt: skip
        purged.append((survey, *counts))
    return purged
