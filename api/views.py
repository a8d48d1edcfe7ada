"""REST API views. Every rule lives in surveys.services: these only translate HTTP.

Creator endpoints see the requesting user's own surveys only (the same `owned_by` words as
the pages), so another user's or an unknown id is a 404, never a 403 that would tell the id
exists. The services' refusals become JSON errors in api/exceptions.py.
"""

import logging
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.http import body_too_large
from lib.proxy import client_ip
from surveys import responses, services, tasks
from surveys.access import survey_for_takers, too_many_submissions
from surveys.answers import clean_answers
from surveys.errors import Stale
from surveys.exports import file_response
from surveys.models import Export, Question, Survey
from surveys.receipts import receipt_path
from surveys.results import results_for
from surveys.services import MAX_QUESTIONS_PER_SURVEY
from surveys.structure import survey_structure

from .exceptions import PayloadTooLarge
from .fields import StrictIntegerField
from .parsers import AnswersWithFilesParser, JSONParser
from .serializers import (
    ExportSerializer,
    OptionSerializer,
    PublicSurveySerializer,
    QuestionSerializer,
    ResultsSerializer,
    SubmissionSerializer,
    SubmitResultSerializer,
    SubmitSerializer,
    SubmitWithFilesSerializer,
    SurveyDetailSerializer,
    SurveySerializer,
)

logger = logging.getLogger("canvass.surveys")

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


def _without_revision(data):
    """What a create was sent, less the revision: a new row starts at revision 1."""
    return {name: value for name, value in data.items() if name != "revision"}


def _conflict(stale, current):
    """A stale write's answer: its sentence and the row as it is now (`current`, as the
    endpoint shows it), so the client can show both and let the person keep either."""
    return Response({"detail": stale.message, "current": current}, status=status.HTTP_409_CONFLICT)


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
        return SurveyDetailSerializer if self.action != "list" else SurveySerializer

    def _detail(self, survey_pk, **kwargs):
        survey = self.get_queryset().get(pk=survey_pk)
        return Response(
            SurveyDetailSerializer(survey, context=self.get_serializer_context()).data, **kwargs
        )

    def perform_create(self, serializer):
        # Every setting sent is kept: only the title was, and the rest silently dropped.
        settings = _without_revision(serializer.validated_data)
        try:
            survey = services.create_survey(owner=self.request.user, **settings)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        survey.num_submissions = 0
        serializer.instance = survey

    def update(self, request, *args, **kwargs):
        survey = self.get_object()
        serializer = self.get_serializer(survey, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.update_survey(survey=survey, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        except Stale as exc:
            return _conflict(exc, self._detail(survey.pk).data)
        return self._detail(survey.pk)

    def perform_destroy(self, survey):
        services.delete_survey(survey=survey)

    @extend_schema(request=None, responses={200: SurveyDetailSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        survey = self.get_object()
        try:
            services.start_survey(survey=survey)
        except DjangoValidationError as exc:
            raise ValidationError({"survey": exc.messages}) from None
        return self._detail(survey.pk)

    # The first name of `start`, kept so clients written against it keep working.
    @extend_schema(request=None, responses={200: SurveyDetailSerializer}, deprecated=True)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self.start(request, pk=pk)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action == "publish":  # every answer, refusals too, says where to go (RFC 9745)
            start = reverse("api:survey-start", args=[kwargs["pk"]])
            response["Deprecation"] = "true"
            response["Link"] = f'<{start}>; rel="successor-version"'
        return response

    @extend_schema(request=None, responses={200: SurveyDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        survey = self.get_object()
        services.close_survey(survey=survey)
        return self._detail(survey.pk)

    @extend_schema(request=None, responses={200: SurveyDetailSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        survey = self.get_object()
        services.reopen_survey(survey=survey)
        return self._detail(survey.pk)

    @extend_schema(request=None, responses={201: SurveyDetailSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """A draft copy of a started survey whose questions can change; it takes over the
        public link when it starts. Asking again returns the same draft."""
        draft = services.new_version(survey=self.get_object())
        return self._detail(draft.pk, status=status.HTTP_201_CREATED)

    @extend_schema(request=QuestionSerializer, responses={201: QuestionSerializer})
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        survey = self.get_object()
        serializer = QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        details = _without_revision(serializer.validated_data)
        question = services.add_question(survey=survey, **details)
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The same counts and percentages as the results page."""
        return Response(ResultsSerializer(results_for(self.get_object())).data)

    @extend_schema(
        methods=["post"],
        request=ExportSerializer,
        responses={
            202: ExportSerializer,
            200: OpenApiResponse(ExportSerializer, description="one already under way"),
        },
        description="Build a CSV or XLSX file of the responses in the background. One "
        "export per survey at a time: asking again returns the one under way.",
    )
    @extend_schema(methods=["get"], responses={200: ExportSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def exports(self, request, pk=None):
        survey = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            page = self.paginate_queryset(survey.exports.all())
            exports = ExportSerializer(page, many=True, context=context)
            return self.get_paginated_response(exports.data)
        serializer = ExportSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        export, created = tasks.start_export(
            survey=survey, format=serializer.validated_data["format"]
        )
        return Response(
            ExportSerializer(export, context=context).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses={200: SubmissionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def responses(self, request, pk=None):
        """Submissions, newest first, with their answers."""
        survey = self.get_object()
        page = self.paginate_queryset(survey.submissions.prefetch_related("answers__upload"))
        return self.get_paginated_response(
            SubmissionSerializer(page, many=True, context={"request": request}).data
        )


class MoveSerializer(serializers.Serializer):
    offset = StrictIntegerField(
        required=False,
        min_value=-MAX_QUESTIONS_PER_SURVEY,
        max_value=MAX_QUESTIONS_PER_SURVEY,
        help_text="Places to move: -1 up, 1 down.",
    )
    to = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_QUESTIONS_PER_SURVEY,
        help_text="The place to move to, 1 being the top (a drag, an undo).",
    )

    def validate(self, data):
        if len(data) != 1:
            raise serializers.ValidationError("Send either offset or to.")
        return data


class OwnedPartViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A question or option of one of the creator's surveys; changes only while it is a
    draft."""

    lookup_value_converter = "int"

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return model.objects.none()
        return model.objects.owned_by(self.request.user)

    def partial_update(self, request, *args, **kwargs):
        try:
            return super().partial_update(request, *args, **kwargs)
        except Stale as exc:
            return _conflict(exc, self.get_serializer(exc.current).data)

    def _moved(self, request, move, name):
        """Move this part (`name`=part for the service `move`) among its siblings, by an
        offset or to a place; the answer is the part where it is now."""
        part = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move(**{name: part}, **serializer.validated_data)
        part.refresh_from_db()
        return Response(self.get_serializer(part).data)


class QuestionViewSet(OwnedPartViewSet):
    serializer_class = QuestionSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("options")

    def perform_update(self, serializer):
        try:
            services.update_question(question=serializer.instance, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None

    def perform_destroy(self, question):
        services.delete_question(question=question)

    @extend_schema(request=MoveSerializer, responses={200: QuestionSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        return self._moved(request, services.move_question, "question")

    @extend_schema(request=None, responses={201: QuestionSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """A copy with its options, placed right after this question."""
        copy = services.duplicate_question(question=self.get_object())
        return Response(QuestionSerializer(copy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OptionSerializer, responses={201: OptionSerializer})
    @action(detail=True, methods=["post"])
    def options(self, request, pk=None):
        question = self.get_object()
        serializer = OptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        option = services.add_option(question=question, text=serializer.validated_data["text"])
        return Response(OptionSerializer(option).data, status=status.HTTP_201_CREATED)


class OptionViewSet(OwnedPartViewSet):
    serializer_class = OptionSerializer
    http_method_names = ["get", "post", "patch", "delete"]

    def perform_update(self, serializer):
        option = serializer.instance
        services.update_option(option=option, **serializer.validated_data)

    def perform_destroy(self, option):
        services.delete_option(option=option)

    @extend_schema(request=MoveSerializer, responses={200: OptionSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        return self._moved(request, services.move_option, "option")


class ExportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An export of one of the creator's surveys: its progress, then its file."""

    serializer_class = ExportSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Export.objects.none()
        return Export.objects.owned_by(self.request.user)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            410: OpenApiResponse(description="expired"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, once the export is done (404 before, 410 once it has expired)."""
        return file_response(self.get_object())


class PublicSurveyView(APIView):
    """A started survey, as takers see it."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={200: PublicSurveySerializer, 410: OpenApiResponse(description="closed")}
    )
    def get(self, request, token):
        survey = survey_for_takers(token)
        return Response(
            PublicSurveySerializer(
                {"title": survey.title, "questions": survey_structure(survey)}
            ).data
        )


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=IDEMPOTENCY_KEY.pattern,
    description="Unique per submission; a retry with the same key returns the "
    "original result and stores nothing new.",
)
SUBMIT_RESPONSES = {
    201: SubmitResultSerializer,
    200: OpenApiResponse(SubmitResultSerializer, description="a replay"),
    410: OpenApiResponse(description="closed"),
    429: OpenApiResponse(description="too many answers from this address"),
}


class PublicSubmitView(APIView):
    """Submit one taker's answers as JSON, exactly once per Idempotency-Key. A survey with
    file questions takes its files at the next operation (`responses/with-files/`)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [JSONParser]

    @extend_schema(
        request=SubmitSerializer, parameters=[IDEMPOTENCY_HEADER], responses=SUBMIT_RESPONSES
    )
    def post(self, request, token):
        survey = survey_for_takers(token)
        key = request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY.match(key):
            raise ValidationError(
                {
                    "idempotency_key": [
                        "Send an Idempotency-Key header of 1-60 letters, digits, - or _."
                    ]
                }
            )
        if body_too_large(request):
            raise PayloadTooLarge
        ip = client_ip(request)
        if too_many_submissions(survey, ip):
            logger.warning("submission rate-limited survey=%s ip=%s", survey.pk, ip)
            raise Throttled(wait=60, detail="Too many answers from this address.")
        serializer = SubmitSerializer(data=request.data, context={"files": request.FILES})
        serializer.is_valid(raise_exception=True)
        try:
            answers = clean_answers(survey, serializer.validated_data["answers"])
            submission, created = responses.submit_response(
                survey=survey, token=f"api:{key}", answers=answers
            )
        except DjangoValidationError as exc:
            raise ValidationError({"answers": exc.messages}) from None
        # The receipt goes to the first answer only: a replay (or a guessed key) gets none.
        secret = getattr(submission, "receipt_secret", None)
        body = SubmitResultSerializer(
            {
                "status": "recorded",
                "created_at": submission.created_at,
                "receipt_code": submission.receipt_code if secret else None,
                "receipt_url": secret and request.build_absolute_uri(receipt_path(secret)),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PublicSubmitWithFilesView(PublicSubmitView):
    """The same submission with files, as multipart/form-data: the answers as JSON in an
    `answers` field, each file in a part its answer names. An operation of its own, with
    one request type: generated clients (openapi-python-client) can't build an operation
    that takes two."""

    parser_classes = [AnswersWithFilesParser]

    @extend_schema(
        request={"multipart/form-data": SubmitWithFilesSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses=SUBMIT_RESPONSES,
    )
    def post(self, request, token):
        return super().post(request, token)


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
