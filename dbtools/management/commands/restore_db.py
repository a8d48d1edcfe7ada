import logging

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dbtools.backup import BackupError, latest_backup
from dbtools.restore import restore_backup
from dbtools.sanitize import sanitize
from dbtools.storage import configured_storage

logger = logging.getLogger("canvass.backups")


class Command(BaseCommand):
    help = (
        "Replace this database with a backup from BACKUP_DESTINATION. The checksum is "
        "verified before anything is touched; migrations run afterwards."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--latest", action="store_true", help="the newest complete backup")
        which.add_argument("--key", help="a backup's name, as `backup_db --list` shows it")
        parser.add_argument(
            "--sanitize",
            action="store_true",
            help="remove personal data and credentials (for a laptop copy; dbtools/sanitize.py)",
        )
        parser.add_argument("--yes", action="store_true", help="don't ask for confirmation")

    def handle(self, *args, latest, key, sanitize, yes, **options):
        try:
            storage = configured_storage()
            key = latest_backup(storage).key if latest else key
            database = connection.settings_dict["NAME"]
            if not yes:
                answer = input(f"Replace every row of database {database!r} with {key}? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    raise CommandError("Restore cancelled; nothing changed.")
            restore_backup(storage, key)
            if sanitize:
                self._sanitize()
        except CommandError:
            raise
        except Exception as exc:
            logger.error("restore failed: %s", exc)
            message = str(exc) if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"
            raise CommandError(f"Restore failed: {message}") from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {key} into {database!r}."))

    def _sanitize(self):
        counts = sanitize()
        self.stdout.write("Sanitized: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
