"""What integrations do when surveys say something happened (surveys/signals.py)."""

from django.dispatch import receiver

from surveys.signals import event_recorded, version_created

from . import services, wakeup


@receiver(event_recorded)
def send_soon(sender, event, **kwargs):
    """A committed event is sent within a couple of seconds, never in the request that
    made it (a taker's, often)."""
    wakeup.send_soon()


@receiver(version_created)
def copy_to_new_version(sender, previous, draft, **kwargs):
    """A new version keeps its webhooks (with their secrets: receivers go on verifying)
    and email notifications."""
    services.copy_listeners(previous=previous, draft=draft)
