"""Signals: what other apps hear from surveys, and the files that leave with their rows.

- `event_recorded(event)`: a survey's event (the outbox) was committed; integrations/
  delivers it.
- `version_created(previous, draft)`: a new version's draft was made; integrations/ copies
  the previous version's webhooks and notifications to it.
"""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from .models import Export

event_recorded = Signal()
version_created = Signal()


@receiver(post_delete, sender=Export)
def delete_export_file(sender, instance, **kwargs):
    """Deleting an export, its survey or the account that owns them removes its file."""
    # After the commit: a deletion that is rolled back keeps its file.
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))
