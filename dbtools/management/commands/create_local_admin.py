from django.core.management.base import BaseCommand

from dbtools.local import LOCAL_ADMIN_PASSWORD, ensure_local_admin


class Command(BaseCommand):
    help = (
        f"Local development only: make sure superuser 'admin' / {LOCAL_ADMIN_PASSWORD!r} exists."
    )

    def handle(self, *args, **options):
        ensure_local_admin()
        self.stdout.write(f"Log in as 'admin' with password {LOCAL_ADMIN_PASSWORD!r}.")
