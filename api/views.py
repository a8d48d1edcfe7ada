"""REST API views. Every rule lives in surveys.services: these only translate HTTP.

Creator endpoints see the requesting user's own surveys only, so another user's or an
unknown id is a 404, never a 403 that would tell the id exists.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys import services
from surveys.models import Question, Survey
from surveys.results import results_for
from surveys.structure import survey_structure

from . import serializers as s

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The survey has started, so its questions and options can't change."
    default_code = "conflict"


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This survey is closed."
    default_code = "closed"


def _structure_change(change):
    try:
        return change()
    except services.SurveyNotEditable:
        raise Conflict from None


class SurveyViewSet(viewsets.ModelViewSet):
    """The creator's own surveys."""

    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Survey.objects.none()
        questions = Question.objects.prefetch_related("options")
        return (
            Survey.objects.owned_by(self.request.user)
            .with_submission_counts()
            .prefetch_related(Prefetch("questions", queryset=questions))
        )

    def get_serializer_class(self):
        return s.SurveyDetailSerializer if self.action != "list" else s.SurveySerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_survey(
            owner=self.request.user, title=serializer.validated_data["title"]
        )
        serializer.instance.num_submissions = 0

    @extend_schema(request=None, responses={200: s.SurveyDetailSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        survey = self.get_object()
        try:
            services.publish_survey(survey=survey)
        except services.SurveyNotEditable:
            raise Conflict("The survey has already started.") from None
        except DjangoValidationError as exc:
            raise ValidationError({"survey": exc.messages}) from None
        return Response(
            s.SurveyDetailSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses={200: s.SurveyDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        survey = self.get_object()
        try:
            services.close_survey(survey=survey)
        except services.SurveyNotOpen:
            raise Conflict("Only a running survey can be closed.") from None
        return Response(
            s.SurveyDetailSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses={201: s.SurveyDetailSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """A draft copy of a started survey whose questions can change; it takes over the
        public link when it starts. Asking again returns the same draft."""
        try:
            draft = services.new_version(survey=self.get_object())
        except services.SurveyNotOpen:
            raise Conflict("Only the latest started version can get a new version.") from None
        draft = self.get_queryset().get(pk=draft.pk)
        return Response(
            s.SurveyDetailSerializer(draft, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.QuestionSerializer, responses={201: s.QuestionSerializer})
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        survey = self.get_object()
        serializer = s.QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = _structure_change(
            lambda: services.add_question(survey=survey, **serializer.validated_data)
        )
        return Response(s.QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The same counts and percentages as the results page."""
        return Response(s.ResultsSerializer(results_for(self.get_object())).data)

    @extend_schema(responses={200: s.SubmissionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def responses(self, request, pk=None):
        """Submissions, newest first, with their answers."""
        survey = self.get_object()
        page = self.paginate_queryset(survey.submissions.prefetch_related("answers"))
        return self.get_paginated_response(s.SubmissionSerializer(page, many=True).data)


class OwnedPartViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A question or option of one of the creator's surveys; changes only while it is a
    draft. `owner_lookup` is the path from the model to the survey's owner."""

    lookup_value_converter = "int"
    owner_lookup = None
    related = ()

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return model.objects.none()
        return model.objects.filter(**{self.owner_lookup: self.request.user}).select_related(
            *self.related
        )


class QuestionViewSet(OwnedPartViewSet):
    serializer_class = s.QuestionSerializer
    http_method_names = ["get", "post", "patch", "delete"]
    owner_lookup = "survey__owner"
    related = ("survey",)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("options")

    def perform_update(self, serializer):
        question = serializer.instance
        _structure_change(
            lambda: services.update_question(question=question, **serializer.validated_data)
        )

    def perform_destroy(self, question):
        _structure_change(lambda: services.delete_question(question=question))

    @extend_schema(request=s.OptionSerializer, responses={201: s.OptionSerializer})
    @action(detail=True, methods=["post"])
    def options(self, request, pk=None):
        question = self.get_object()
        serializer = s.OptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            option = _structure_change(
                lambda: services.add_option(
                    question=question, text=serializer.validated_data["text"]
                )
            )
        except services.NoOptions:
            raise ValidationError(
                {"question": [f"A {question.get_kind_display().lower()} question has no options."]}
            ) from None
        return Response(s.OptionSerializer(option).data, status=status.HTTP_201_CREATED)


class OptionViewSet(OwnedPartViewSet):
    serializer_class = s.OptionSerializer
    http_method_names = ["get", "patch", "delete"]
    owner_lookup = "question__survey__owner"
    related = ("question__survey",)

    def perform_update(self, serializer):
        option = serializer.instance
        text = serializer.validated_data.get("text", option.text)
        _structure_change(lambda: services.update_option(option=option, text=text))

    def perform_destroy(self, option):
        _structure_change(lambda: services.delete_option(option=option))


def _public_survey(token):
    survey = get_object_or_404(Survey.objects.public(), public_token=token)
    if survey.is_closed:
        raise Gone
    return survey


class PublicSurveyView(APIView):
    """A started survey, as takers see it."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={200: s.PublicSurveySerializer, 410: OpenApiResponse(description="closed")}
    )
    def get(self, request, token):
        survey = _public_survey(token)
        return Response(
            s.PublicSurveySerializer(
                {"title": survey.title, "questions": survey_structure(survey)}
            ).data
        )


class PublicSubmitView(APIView):
    """Submit one taker's answers, exactly once per Idempotency-Key."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=s.SubmitSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                pattern=IDEMPOTENCY_KEY.pattern,
                description="Unique per submission; a retry with the same key returns the "
                "original result and stores nothing new.",
            )
        ],
        responses={
            201: s.SubmitResultSerializer,
            200: OpenApiResponse(s.SubmitResultSerializer, description="a replay"),
            410: OpenApiResponse(description="closed"),
        },
    )
    def post(self, request, token):
        survey = _public_survey(token)
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY.match(key):
            raise ValidationError(
                {
                    "idempotency_key": [
                        "Send an Idempotency-Key header of 1-60 letters, digits, - or _."
                    ]
                }
            )
        serializer = s.SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            submission, created = services.submit_response(
                survey=survey, token=f"api:{key}", answers=serializer.validated_data["answers"]
            )
        except services.SurveyNotOpen:
            raise Gone from None
        except DjangoValidationError as exc:
            raise ValidationError({"answers": exc.messages}) from None
        body = s.SubmitResultSerializer(
            {"status": "recorded", "created_at": submission.created_at}
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class JSONErrors:
    """Errors as JSON like the rest of the API, for views whose own format is another
    (the schema is YAML, the docs an HTML page)."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JSONErrors, SpectacularAPIView):
    pass


class DocsView(JSONErrors, SpectacularSwaggerSplitView):
    pass
