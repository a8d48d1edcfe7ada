"""Writing a survey's events (the outbox, surveys.models.Event) and what they say.

Called inside the transaction of the change an event tells of. Payloads are snapshots, in
the API's shapes (snake_case here; camelCase on the wire, as the API's): a retried delivery
sends what was true when it happened.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import Event, Upload
from .signals import event_recorded


def _when(moment):
    """As the API writes a date and time (DRF's ISO 8601, "Z" for UTC)."""
    return moment.isoformat().replace("+00:00", "Z")


def _number(value):
    return None if value is None else float(value) if value % 1 else int(value)


def _survey(survey):
    return {
        "id": survey.pk,
        "title": survey.title,
        "status": survey.status,
        "version": survey.version,
    }


def payload(survey, type, data=None):
    """What an event of `type` says, as receivers get it (camelized on the wire)."""
    return {
        "type": type,
        "version": Event.PAYLOAD_VERSION,
        "timestamp": _when(timezone.now()),
        "survey": _survey(survey),
        "data": data or {},
    }


def record(survey, type, data=None):
    """Write the event of `type` (an Event.Type) for `survey`, if anything listens to its
    events; its listeners hear of it once the transaction commits. `data` may be a
    function that makes it: then it is only made when something listens."""
    if not survey.sends_events:
        return None
    if callable(data):
        data = data()
    event = Event.objects.create(survey=survey, type=type, payload=payload(survey, type, data))
    transaction.on_commit(lambda: event_recorded.send(sender=Event, event=event))
    return event


def response_data(submission, answers):
    """A submission as the API's responses endpoint shows it: `answers` are saved Answer
    rows; a file answer links to its download (for the survey's owner)."""
    uploads = dict(
        Upload.objects.filter(answer__in=[a.pk for a in answers]).values_list("answer_id", "pk")
    )
    return {
        "id": submission.pk,
        "created_at": _when(submission.created_at),
        "edited_at": submission.edited_at and _when(submission.edited_at),
        "answers": [
            {
                "question_id": answer.question_id,
                "option_id": answer.option_id,
                "text": answer.text,
                "number": _number(answer.number),
                "file_url": (
                    settings.SITE_URL
                    + reverse("surveys:upload_download", args=[uploads[answer.pk]])
                    if answer.pk in uploads
                    else None
                ),
            }
            for answer in answers
        ],
    }
