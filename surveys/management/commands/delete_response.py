from django.core.management.base import BaseCommand

from surveys import responses

from .find_response import response_by_code


class Command(BaseCommand):
    help = (
        "Delete a response by its receipt code, whatever the survey's state (for a "
        "withdrawal that comes by email). Counts, webhooks and the log follow, as when a "
        "respondent withdraws it themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the receipt code, e.g. K7QF-3M2X-P9HD")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be deleted, delete nothing"
        )

    def handle(self, *args, code, dry_run, **options):
        submission = response_by_code(code)
        survey = submission.survey
        what = (
            f"response {submission.pk} ({submission.receipt_code}) to survey {survey.pk} "
            f"“{survey.title}”, with {submission.answers.count()} answer rows"
        )
        if dry_run:
            self.stdout.write(f"Would delete {what}.")
            return
        responses.delete_response(submission=submission, reason="deleted by an operator")
        self.stdout.write(f"Deleted {what}.")
