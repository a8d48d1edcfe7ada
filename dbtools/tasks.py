"""Periodic data jobs run by Celery workers on beat's schedule."""

from celery import shared_task
from django.core.management import call_command


@shared_task
def backup():
    """The daily backup, as `manage.py backup_db` does it (needs pg_dump on the worker)."""
    call_command("backup_db")
