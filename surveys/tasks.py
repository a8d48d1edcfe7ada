"""Work on surveys done by Celery workers (in-process when there is no broker)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from lib.email import EMAIL_RETRIES, send, site_name

from . import exports, services
from .exports import export_file
from .models import Export, Submission
from .structure import questions_with_options

logger = logging.getLogger("canvass.surveys")


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def build_export(export_id):
    """Build an export's file, reporting progress, store it and tell its owner. Safe to run
    twice: a finished export is left alone, and only one run's file is kept."""
    export = services.claim_export(export_id=export_id)
    if export is None:
        return
    survey = export.survey

    rows = [0]

    def progress(rows_done):
        rows[0] = rows_done
        services.report_export_progress(export_id=export_id, rows_done=rows_done)

    try:
        questions = questions_with_options(survey)
        with export_file(survey, questions, export.format, progress) as file:
            finished = services.finish_export(export_id=export_id, file=file, rows_done=rows[0])
    except SoftTimeLimitExceeded:
        services.fail_export(export_id=export_id, reason="It took longer than a worker may.")
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
        services.delete_export(export=export)
    removed = exports.remove_leftover_sheets(older_than=settings.CELERY_TASK_TIME_LIMIT)
    if removed:
        logger.warning("temporary files of killed exports deleted count=%s", removed)


@shared_task
def purge_expired_responses():
    """Every hour (beat): delete the responses of surveys whose retention has run out."""
    services.purge_expired_responses()


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
