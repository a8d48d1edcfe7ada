from django.core.management.base import BaseCommand
from django.db import transaction

from surveys import tallies
from surveys.models import Survey


class Command(BaseCommand):
    help = "Check the result counters against the stored answers and rebuild them if needed."

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, action="append", help="only this survey id")
        parser.add_argument("--dry-run", action="store_true", help="report drift, change nothing")

    def handle(self, *args, survey, dry_run, **options):
        surveys = Survey.objects.filter(pk__in=survey) if survey else Survey.objects.all()
        with transaction.atomic():
            drifted = tallies.recount(surveys)
            if dry_run:
                transaction.set_rollback(True)
        for item in drifted:
            self.stdout.write(f"Survey {item.pk} ({item.title}): counters differed from a recount")
        verb = "would be rebuilt" if dry_run else "rebuilt"
        self.stdout.write(f"{len(drifted)} of {surveys.count()} surveys {verb}.")
