"""Work on surveys done by Celery workers (in-process when there is no broker), and the
exports' writes beside the task that builds them: start_export queues one, the task
claims, builds, finishes or fails it, the sweep deletes it when its time is up."""

import hashlib
import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from lib.broker import publish
from lib.email import EMAIL_RETRIES, send, site_name

from . import exports, responses, tallies
from .exports import export_file
from .models import Export, Submission, Survey
from .structure import questions_with_options

logger = logging.getLogger("canvass.surveys")


def start_export(*, survey, format):
    """The survey's unfinished export, or a new one of `format` sent to a worker. Returns
    (export, created). One unfinished export per survey: asking again returns the one
    already under way, whatever its format."""
    with transaction.atomic():
        Survey.objects.locked(survey)
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


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def build_export(export_id):
    """Build an export's file, reporting progress, store it and tell its owner. Safe to run
    twice: a finished export is left alone, and only one run's file is kept."""
    export = claim_export(export_id=export_id)
    if export is None:
        return
    survey = export.survey

    rows = [0]

    def progress(rows_done):
        rows[0] = rows_done
        report_export_progress(export_id=export_id, rows_done=rows_done)

    try:
        questions = questions_with_options(survey)
        with export_file(survey, questions, export.format, progress) as file:
            finished = finish_export(export_id=export_id, file=file, rows_done=rows[0])
    except SoftTimeLimitExceeded:
        fail_export(export_id=export_id, reason="It took longer than a worker may.")
        return
    if finished is not None:
        link = settings.SITE_URL + reverse("surveys:export_detail", args=[finished.pk])
        send("surveys/email/export_ready", survey.owner.email, {"export": finished, "link": link})


@shared_task
def sweep_exports():
    """Every minute (beat): send stalled exports to a worker again (theirs died), delete
    exports past their time, with their files, and what killed builds left on disk."""
    stalled_before = timezone.now() - timezone.timedelta(seconds=settings.EXPORT_STALL_SECONDS)
    for export in Export.objects.unfinished().filter(updated_at__lt=stalled_before):
        logger.warning("export stalled, sent again export=%s", export.pk)
        Export.objects.filter(pk=export.pk).update(updated_at=timezone.now())
        build_export.delay(export.pk)
    for export in Export.objects.expired():
        delete_export(export=export)
    removed = exports.remove_leftover_sheets(older_than=settings.CELERY_TASK_TIME_LIMIT)
    if removed:
        logger.warning("temporary files of killed exports deleted count=%s", removed)


@shared_task
def purge_expired_responses():
    """Every hour (beat): delete the responses of surveys whose retention has run out."""
    responses.purge_expired_responses()


@shared_task(**EMAIL_RETRIES)
def email_receipt(address, submission_id, link):
    """The receipt link, to the address its respondent gave: used for this mail only."""
    submission = Submission.objects.select_related("survey").filter(pk=submission_id).first()
    if submission is None:
        return  # withdrawn meanwhile
    # Nothing the survey's creator wrote (not even the title): only fixed text, the code
    # and the site's link (lib/mail_policy.py).
    send(
        "surveys/email/receipt",
        address,
        {
            "site": site_name(),
            "code": submission.receipt_code,
            "link": link,
            "can_edit": submission.survey.respondents_can_edit,
        },
    )
    logger.info("receipt emailed submission=%s", submission_id)
