"""The API of a survey's webhooks (endpoints, their delivery log, replays) and email
notifications: the same data and actions as their pages (integrations/views.py), through
the same services. A foreign or unknown id is a 404, as everywhere in the API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from integrations import policy, services
from integrations.models import Attempt, Delivery, EmailNotification, WebhookEndpoint
from surveys.models import Survey

from .fields import ModelSerializer


class WebhookSerializer(ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.EVENT_TYPES),
        allow_empty=False,
        max_length=len(WebhookEndpoint.EVENT_TYPES),
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "survey",
            "url",
            "description",
            "events",
            "active",
            "paused_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = ["id", "survey", "paused_reason", "failing_since", "created_at"]

    def validate_url(self, url):
        try:
            policy.check_url(url)
        except policy.AddressRefused as exc:
            raise serializers.ValidationError(exc.reason) from None
        return url

    def validate_events(self, events):
        return list(dict.fromkeys(events))


class WebhookWithSecretSerializer(WebhookSerializer):
    """As a new endpoint or a rotation answers: with the signing secret, shown this once."""

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret"]


class AttemptSerializer(ModelSerializer):
    delivery = serializers.IntegerField(source="delivery_id", read_only=True)
    event_id = serializers.CharField(source="delivery.event.event_id", read_only=True)
    event_type = serializers.CharField(source="delivery.event.type", read_only=True)
    hint = serializers.CharField(read_only=True)

    class Meta:
        model = Attempt
        fields = [
            "id",
            "delivery",
            "event_id",
            "event_type",
            "attempted_at",
            "outcome",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "detail",
            "hint",
        ]
        read_only_fields = fields


class DeliverySerializer(ModelSerializer):
    event_id = serializers.CharField(source="event.event_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)
    log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "succeeded_at",
            "created_at",
            "payload",
            "log",
        ]
        read_only_fields = fields


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = EmailNotification
        fields = ["each_response", "daily_digest", "include_answers"]


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.ListField(child=serializers.IntegerField())


class TestEventSerializer(serializers.Serializer):
    delivery = serializers.IntegerField()


def _owned_survey(request, pk):
    survey = Survey.objects.owned_by(request.user).filter(pk=pk).first()
    if survey is None:
        raise NotFound()
    return survey


def _with_secret(endpoint, status=status.HTTP_200_OK):
    """An answer holding the signing secret: never kept by a cache (a browser's included)."""
    return Response(
        WebhookWithSecretSerializer(endpoint).data,
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def _refused(exc):
    """A service's validation error as the API's 400."""
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class SurveyWebhooksView(generics.ListCreateAPIView):
    """The webhook endpoints of one of the creator's surveys. A new one's answer holds its
    signing secret: the only time the API shows it."""

    serializer_class = WebhookSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WebhookEndpoint.objects.none()
        return _owned_survey(self.request, self.kwargs["pk"]).webhook_endpoints.all()

    @extend_schema(responses={201: WebhookWithSecretSerializer})
    def post(self, request, pk):
        survey = _owned_survey(request, pk)
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data.pop("active", None)  # a new endpoint is active
        try:
            endpoint = services.add_endpoint(survey=survey, **data)
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return _with_secret(endpoint, status.HTTP_201_CREATED)


class SurveyNotificationsView(generics.RetrieveUpdateAPIView):
    """The creator's email notifications of one survey."""

    serializer_class = NotificationSerializer

    def get_object(self):
        survey = _owned_survey(self.request, self.kwargs["pk"])
        return EmailNotification.objects.filter(survey=survey).first() or EmailNotification(
            survey=survey
        )

    def perform_update(self, serializer):
        notification = serializer.instance
        values = {name: getattr(notification, name) for name in NotificationSerializer.Meta.fields}
        values.update(serializer.validated_data)
        services.set_notifications(survey=notification.survey, **values)
        serializer.instance = EmailNotification.objects.get(survey=notification.survey)


class WebhookViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One of the creator's webhook endpoints, its delivery log and its replays."""

    serializer_class = WebhookSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.owned_by(self.request.user)

    def perform_update(self, serializer):
        try:
            services.update_endpoint(endpoint=serializer.instance, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise _refused(exc) from None

    def perform_destroy(self, endpoint):
        services.delete_endpoint(endpoint=endpoint)

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret (in this answer only); the old one goes on signing for 24
        hours as well."""
        endpoint = services.rotate_secret(endpoint=self.get_object())
        return _with_secret(endpoint)

    @extend_schema(request=None, responses={202: TestEventSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test event to this endpoint; its delivery shows how it went."""
        delivery_id = services.send_test_event(endpoint=self.get_object())
        return Response({"delivery": delivery_id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ReplayedSerializer})
    @action(detail=True, methods=["post"], url_path="replay-failed")
    def replay_failed(self, request, pk=None):
        """Every given-up delivery of this endpoint, sent again from the first try."""
        replayed = services.replay_failed(endpoint=self.get_object())
        return Response({"replayed": replayed}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("failed", bool, description="only attempts that failed"),
        ],
        responses={200: AttemptSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def attempts(self, request, pk=None):
        """The delivery log, newest attempt first, as the webhook's page shows it."""
        attempts = Attempt.objects.filter(delivery__endpoint=self.get_object()).select_related(
            "delivery__event"
        )
        failed = request.query_params.get("failed", "")
        if failed not in ("", "true", "false"):
            raise ValidationError({"failed": ["Use true or false."]})
        if failed == "true":
            attempts = attempts.exclude(outcome=Attempt.Outcome.SUCCESS)
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(AttemptSerializer(page, many=True).data)


class DeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One event sent to one endpoint: what was sent, every attempt, and a replay."""

    serializer_class = DeliverySerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Delivery.objects.none()
        log = Attempt.objects.select_related("delivery__event")
        return (
            Delivery.objects.owned_by(self.request.user)
            .select_related("event")
            .prefetch_related(Prefetch("log", queryset=log))
        )

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Send the event again, from the first try of the schedule."""
        delivery = self.get_object()
        services.replay(delivery=delivery)
        delivery = self.get_queryset().get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
