from django.core.management.base import BaseCommand

from surveys import responses


class Command(BaseCommand):
    help = (
        "Delete the responses (and exports) of closed surveys whose retention has run out. "
        "Beat runs this hourly; run it from cron on a site without workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be deleted, delete nothing"
        )

    def handle(self, *args, dry_run, **options):
        purged = responses.purge_expired_responses(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for survey, count, exports in purged:
            self.stdout.write(
                f"{verb} {count} responses and {exports} exports of survey {survey.pk} "
                f"“{survey.title}” (closed {survey.closed_at:%Y-%m-%d}, kept "
                f"{survey.retention_days} days)."
            )
        if not purged:
            self.stdout.write("Nothing to delete.")
