from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dbtools.local import LOCAL_ADMIN_PASSWORD, ensure_local_admin, recreate_database


class Command(BaseCommand):
    help = (
        "Local development only: drop and recreate the database, migrate, create the "
        f"'admin' superuser (password {LOCAL_ADMIN_PASSWORD!r}), optionally add test data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", action="store_true", help="then run setup_test_data")
        parser.add_argument("--yes", action="store_true", help="don't ask for confirmation")

    def handle(self, *args, seed, yes, **options):
        database = settings.DATABASES["default"]
        if not yes:
            answer = input(f"Delete everything in {database['NAME']!r} and start again? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Reset cancelled; nothing changed.")
        recreate_database()
        call_command("migrate", interactive=False, verbosity=0)
        ensure_local_admin()
        self.stdout.write(
            f"Database {database['NAME']!r} is new; admin password {LOCAL_ADMIN_PASSWORD!r}."
        )
        if seed:
            call_command("setup_test_data", no_progress=True)
