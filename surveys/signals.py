"""Files leave with their rows, however the rows go: deleting an export, its survey or the
account that owns them all remove the export's file."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Export


@receiver(post_delete, sender=Export)
def delete_export_file(sender, instance, **kwargs):
    # After the commit: a deletion that is rolled back keeps its file.
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))
