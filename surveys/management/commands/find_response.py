import json

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Submission
from surveys.results import readable_responses
from surveys.structure import questions_with_options


def held_about(submission):
    """Everything Canvass holds about one response, as JSON-ready data."""
    survey = submission.survey
    ((_, answers),) = readable_responses([submission], questions_with_options(survey))
    return {
        "receiptCode": submission.receipt_code,
        "response": submission.pk,
        "survey": {"id": survey.pk, "title": survey.title, "owner": survey.owner.username},
        "createdAt": submission.created_at.isoformat(),
        "editedAt": submission.edited_at and submission.edited_at.isoformat(),
        "answers": [
            {"question": question.prompt, "answer": str(answer)} for question, answer in answers
        ],
        "alsoHeld": "No address, browser or account is stored with a response. Webhook "
        "events carrying it are kept for WEBHOOK_LOG_DAYS; exports made before a deletion "
        "hold it until they expire or are deleted.",
    }


def response_by_code(code):
    submission = Submission.objects.by_receipt_code(code).select_related("survey__owner").first()
    if submission is None:
        raise CommandError(f"No response has the receipt code {code!r}.")
    return submission


class Command(BaseCommand):
    help = (
        "Find a response by the receipt code its respondent quotes, and print everything "
        "held about it as JSON (for a request to see one's data that comes by email)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the receipt code, e.g. K7QF-3M2X-P9HD")

    def handle(self, *args, code, **options):
        data = held_about(response_by_code(code))
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
