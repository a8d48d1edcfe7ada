import pytest
from django.utils import timezone

from integrations import services
from integrations.models import Delivery, WebhookEndpoint

from .receiver import Receiver


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    """The tests' receivers listen on loopback over plain HTTP: allowed here as an operator
    would allow an internal receiver (the SSRF tests take the allowance back)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_TIMEOUT = 1


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def listen(survey, receiver, events=tuple(WebhookEndpoint.EVENT_TYPES)):
    """An endpoint sending `survey`'s events to `receiver`, which learns its secret."""
    added = services.add_endpoint(survey=survey, url=receiver.url, events=list(events))
    receiver.secret = added.secret
    survey.refresh_from_db()
    return added


@pytest.fixture
def endpoint(active_survey, receiver):
    """Alice's running survey, sending every event to `receiver`."""
    return listen(active_survey, receiver)


def deliver_everything(retry_now=False):
    """What a worker does: events into deliveries, then one attempt of each that is due;
    with retry_now, retries waiting for their time are due at once."""
    services.dispatch_events()
    if retry_now:
        Delivery.objects.filter(status=Delivery.Status.PENDING).update(
            next_attempt_at=timezone.now(), queued_until=None
        )
    return [
        result
        for batch in services.queue_due()
        for result in services.attempt_batch(delivery_ids=batch)
    ]
