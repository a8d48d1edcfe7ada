"""Every write to a taker's response: submit, edit, withdraw, delete, purge, and the files
answers hold. Views, the API and commands call these; the answers they store were cleaned
once, by surveys/answers.py.

Each function is one transaction (or says why not) and takes keyword arguments only. A
refusal is an exception from surveys/errors.py carrying its message.
"""

import logging
from collections import Counter
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import events, receipts, services, tallies
from .answers import CleanedAnswers
from .errors import EditsOff, SurveyClosed
from .files import storage_name
from .models import Answer, Event, Export, Submission, Survey, Upload, private

logger = logging.getLogger("canvass.surveys")


# --- new responses ----------------------------------------------------------------------


def _check_open(survey):
    """Raise SurveyClosed unless `survey` takes answers now; a close date that has passed
    closes it."""
    if not survey.is_active:
        raise SurveyClosed(survey)
    if survey.closes_at and timezone.now() >= survey.closes_at:
        services.close_by_rule(survey=survey, reason="close date reached")
        raise SurveyClosed(survey)


def _limit_reached(survey):
    """Whether a limited survey is full. Only limited surveys pay for this row lock: it
    makes the limit exact by letting one submission at a time count and insert."""
    Survey.objects.locked(survey)
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
                services.close_by_rule(survey=survey, reason="response limit reached")
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
        survey = Survey.objects.locked(survey)
        # The answers in one statement first: the submissions' cascade would go through
        # them in batches of ids.
        Answer.objects.filter(submission__survey=survey).delete()
        _, deleted = Submission.objects.filter(survey=survey).delete()
        responses = deleted.get(Submission._meta.label, 0)
        # Exports go with them (surveys/signals.py deletes each file once committed).
        _, deleted = survey.exports.all().delete()
        exports = deleted.get(Export._meta.label, 0)
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
