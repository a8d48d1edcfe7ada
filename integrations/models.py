"""Webhook endpoints and what was sent to them, and email notifications: the consumers of
a survey's events (surveys.models.Event)."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from surveys.models import Event, Survey


def new_secret():
    """A Standard Webhooks signing secret: whsec_ and 24 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class EndpointQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(survey__owner=user).select_related("survey")


class WebhookEndpoint(models.Model):
    """Where a survey's events are POSTed, signed with `secret`."""

    # Which events a creator can subscribe to (a test event goes to one endpoint on demand).
    EVENT_TYPES = [
        Event.Type.RESPONSE_SUBMITTED,
        Event.Type.RESPONSE_EDITED,
        Event.Type.RESPONSE_DELETED,
        Event.Type.SURVEY_CLOSED,
        Event.Type.SURVEY_REOPENED,
        Event.Type.VERSION_STARTED,
    ]

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # Why it is paused: the creator paused it, or it failed for days (WEBHOOK_PAUSE_AFTER).
    paused_reason = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=80, default=new_secret)
    # After a rotation the old secret signs too, until `previous_secret_until`.
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Since when every attempt has failed (None while deliveries succeed).
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.url

    def get_absolute_url(self):
        return reverse("integrations:endpoint", args=[self.pk])

    def subscribes_to(self, event_type):
        return event_type in self.events


class DeliveryQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(endpoint__survey__owner=user)

    def due(self, now):
        """To be tried now (whether or not a message to try it is on its way)."""
        return self.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__active=True
        )

    def to_queue(self, now):
        """Due, and no message to try it is on its way (or it was lost)."""
        return self.due(now).filter(Q(queued_until__isnull=True) | Q(queued_until__lte=now))


class Delivery(models.Model):
    """One event for one endpoint: tried until it succeeds or the retry schedule ends."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Given up"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts in this round; a replay starts a new round (every attempt stays logged).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A message to try it was sent to the workers; until then no other is.
    queued_until = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="integrations_delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="integrations_delivery_due",
            )
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id}"


class Attempt(models.Model):
    """One try of a delivery, as the delivery log shows it."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Delivered"
        STATUS = "status", "Answered with an error status"
        TIMEOUT = "timeout", "Timed out"
        REFUSED = "refused", "Connection refused"
        RESET = "reset", "Connection closed"
        DNS = "dns", "Name not found"
        TLS = "tls", "TLS failed"
        BLOCKED = "blocked", "Refused by policy"
        ERROR = "error", "Failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    # The first kilobyte of the receiver's answer, shown escaped.
    response_excerpt = models.TextField(blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self):
        return f"{self.outcome} {self.status_code or ''}".strip()

    @property
    def hint(self):
        """What to do about it, where there is something to say."""
        if self.status_code == 413:
            return (
                "The receiver refused the body as too large (413). Raise its body limit "
                "(NGINX's client_max_body_size, for one) above the size of Canvass's events."
            )
        if self.status_code and 300 <= self.status_code < 400:
            return "Redirects are not followed: give the address the receiver answers at."
        if self.outcome == self.Outcome.BLOCKED:
            return "Webhooks go to public addresses only, unless the operator allows one."
        return ""


class EmailNotification(models.Model):
    """How a survey's creator hears of its responses by email."""

    survey = models.OneToOneField(
        Survey, on_delete=models.CASCADE, related_name="email_notification"
    )
    each_response = models.BooleanField(default=False)
    daily_digest = models.BooleanField(default=False)
    # Answers stay out of emails unless the creator asks for them.
    include_answers = models.BooleanField(default=False)
    # Per-response emails sent in the current hour, and responses past the cap that the
    # hour's summary will count.
    hour_started_at = models.DateTimeField(null=True, blank=True)
    sent_this_hour = models.PositiveSmallIntegerField(default=0)
    held_back = models.PositiveIntegerField(default=0)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"notifications of {self.survey_id}"

    @property
    def to(self):
        return self.survey.owner.email

    @staticmethod
    def cap():
        return settings.NOTIFY_EMAILS_PER_HOUR
