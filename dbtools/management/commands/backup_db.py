import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dbtools.backup import BackupError, create_backup, list_backups, prune
from dbtools.storage import StorageError, configured_storage

logger = logging.getLogger("canvass.backups")


class Command(BaseCommand):
    help = "Back up the database to BACKUP_DESTINATION, then prune old backups."

    def add_arguments(self, parser):
        parser.add_argument("--keep-daily", type=int, default=settings.BACKUP_KEEP_DAILY)
        parser.add_argument("--keep-weekly", type=int, default=settings.BACKUP_KEEP_WEEKLY)
        parser.add_argument("--no-prune", action="store_true", help="keep every backup")
        parser.add_argument("--list", action="store_true", help="list backups, change nothing")

    def handle(self, *args, keep_daily, keep_weekly, no_prune, list, **options):
        try:
            storage = configured_storage()
            if list:
                for backup in list_backups(storage):
                    self.stdout.write(f"{backup.created_at:%Y-%m-%d %H:%M:%S}Z  {backup.key}")
                return
            key, manifest = create_backup(storage)
            self.stdout.write(f"Stored {key} ({manifest['size']:,} bytes) in {storage}")
            if not no_prune:
                for backup in prune(storage, daily=keep_daily, weekly=keep_weekly):
                    self.stdout.write(f"Pruned {backup.key}")
        except Exception as exc:
            # Logged at ERROR, so Sentry (when configured) raises an alert as well.
            logger.error("backup failed: %s", exc)
            if isinstance(exc, BackupError | StorageError):
                raise CommandError(f"Backup failed: {exc}") from exc
            raise CommandError(f"Backup failed: {type(exc).__name__}: {exc}") from exc
