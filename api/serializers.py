"""Shapes of the API's JSON. Keys are snake_case here; clients see camelCase (settings)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import reverse
from rest_framework import serializers

from surveys import services
from surveys.files import FILE_TYPES
from surveys.kinds import MAX_SCALE_POINTS
from surveys.models import Export, Option, Question, Submission, Survey
from surveys.services import MAX_OPTIONS_PER_QUESTION, MAX_QUESTIONS_PER_SURVEY

from .fields import JSONNumberField, ModelSerializer, NumberField, StrictIntegerField


def RevisionField():
    """The revision read (Survey.revision): sent back with a change, it makes the change
    "only if nobody has changed this since"; otherwise a 409 answers how it is now."""
    return StrictIntegerField(
        required=False,
        min_value=1,
        help_text="Send the revision you read to refuse the change (409) if someone has "
        "changed it since; leave it out to change it regardless.",
    )


class OptionSerializer(ModelSerializer):
    revision = RevisionField()

    class Meta:
        model = Option
        fields = ["id", "text", "position", "revision"]
        read_only_fields = ["id", "position"]


def FileTypesField(**options):
    """A JSON column's shape is declared (api/fields.py's ModelSerializer maps none)."""
    return serializers.ListField(
        child=serializers.ChoiceField(choices=list(FILE_TYPES)),
        max_length=len(FILE_TYPES),
        **options,
    )


class QuestionSerializer(ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)
    file_types = FileTypesField(required=False)
    revision = RevisionField()

    class Meta:
        model = Question
        fields = ["id", *Question.EDITABLE_FIELDS, "position", "options", "revision"]
        read_only_fields = ["id", "position"]

    def validate(self, data):
        # The model's own rule (lowest not above highest), as the question form applies it.
        question = Question(**{**_current(self.instance), **data})
        try:
            question.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return data


def _current(question):
    if question is None:
        return {}
    return {name: getattr(question, name) for name in ("kind", *Question.SETTINGS)}


class SurveySerializer(ModelSerializer):
    submissions = StrictIntegerField(source="num_submissions", read_only=True)
    public_url = serializers.SerializerMethodField()
    export_csv_url = serializers.SerializerMethodField()
    revision = RevisionField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "revision",
            "title",
            "status",
            "version",
            "previous_version",
            "one_response_per_browser",
            "closes_at",
            "max_responses",
            "respondents_can_edit",
            "retention_days",
            "record_day_only",
            "contact",
            "submissions",
            "public_url",
            "export_csv_url",
            "created_at",
            "started_at",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "version",
            "previous_version",
            "created_at",
            "started_at",
            "closed_at",
        ]

    def get_public_url(self, survey) -> str:
        return self.context["request"].build_absolute_uri(survey.get_public_url())

    def get_export_csv_url(self, survey) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("surveys:export_csv", args=[survey.pk])
        )


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    start_problems = serializers.SerializerMethodField()

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "questions", "start_problems"]

    def get_start_problems(self, survey) -> list[str]:
        """Why a draft can't be started yet (empty when it can); the builder shows them."""
        if not survey.is_draft:
            return []
        return services.start_problems(list(survey.questions.all()))


class BarSerializer(serializers.Serializer):
    option_id = StrictIntegerField(source="option_pk", allow_null=True)
    label = serializers.CharField()
    count = StrictIntegerField()
    percent = serializers.FloatField()


class NumberStatsSerializer(serializers.Serializer):
    count = StrictIntegerField()
    mean = NumberField()
    median = NumberField()
    lowest = NumberField()
    highest = NumberField()
    nps = StrictIntegerField(allow_null=True)


class SpanStatsSerializer(serializers.Serializer):
    count = StrictIntegerField()
    earliest = serializers.CharField()
    median = serializers.CharField()
    latest = serializers.CharField()


class RowResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    answered = StrictIntegerField()
    bars = BarSerializer(many=True)
    mean = NumberField(allow_null=True)


class QuestionResultSerializer(serializers.Serializer):
    id = StrictIntegerField(source="pk")
    kind = serializers.CharField()
    prompt = serializers.CharField()
    answered = StrictIntegerField()
    bars = BarSerializer(many=True, help_text="Options, scale values or number ranges.")
    stats = NumberStatsSerializer(allow_null=True, help_text="Numbers and ratings only.")
    span = SpanStatsSerializer(
        allow_null=True, help_text="Dates and times only: ISO 8601, like the answers."
    )
    rows = RowResultSerializer(
        many=True,
        help_text="Matrix: each row's bars over the scale (and mean on a numeric scale). "
        "Ranking: each option's mean place, best first (bars count first places).",
    )
    texts = serializers.ListField(
        child=serializers.CharField(), help_text="Text questions: the newest answers."
    )


class ResultsSerializer(serializers.Serializer):
    submissions = StrictIntegerField()
    questions = QuestionResultSerializer(many=True)


ID = {"min_value": 1, "max_value": 2**63 - 1}


class AnswerSerializer(serializers.Serializer):
    """One stored answer: an option (one per ticked option), a text, a number, or an
    option with a number (a ranking's place, a matrix row's point). A file question's
    text is the file's name and fileUrl downloads it (signed-in owner only)."""

    question_id = StrictIntegerField(**ID)
    option_id = StrictIntegerField(allow_null=True, **ID)
    text = serializers.CharField()
    number = NumberField(allow_null=True)
    file_url = serializers.SerializerMethodField()

    def get_file_url(self, answer) -> str | None:
        if not hasattr(answer, "upload"):  # prefetched: no query either way
            return None
        path = reverse("surveys:upload_download", args=[answer.upload.pk])
        return self.context["request"].build_absolute_uri(path)


class SubmissionSerializer(ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "created_at", "edited_at", "answers"]


class PublicOptionSerializer(serializers.Serializer):
    id = StrictIntegerField(source="pk")
    text = serializers.CharField()


class PublicQuestionSerializer(ModelSerializer):
    """A question of a started survey (a QuestionSpec of its cached structure), with every
    kind's settings: those of other kinds are empty."""

    serializer_field_mapping = {
        **ModelSerializer.serializer_field_mapping,
        models.DecimalField: JSONNumberField,
    }
    id = StrictIntegerField(source="pk")
    options = PublicOptionSerializer(many=True)
    file_types = FileTypesField()
    max_length = StrictIntegerField(
        source="kind_def.max_length", allow_null=True, help_text="Text questions only."
    )

    class Meta:
        model = Question
        fields = ["id", "kind", "prompt", "help_text", "required", "options", *Question.SETTINGS]
        fields += ["max_length"]
        # Not read-only, although only ever shown: DRF drops a read-only field's
        # allow_blank, and the schema would then leave "" out of the scale's values.


class PublicSurveySerializer(serializers.Serializer):
    title = serializers.CharField()
    questions = PublicQuestionSerializer(many=True)


class SubmitAnswerSerializer(serializers.Serializer):
    """The answer to one question: exactly one of optionId (single choice), optionIds
    (multiple choice; a ranking's options, first place first), text (short or long text;
    a date as 2026-11-28, a time of day as 14:30), number (number or rating) or points (a
    matrix: row's option id → point on its scale, 1 for the first)."""

    question_id = StrictIntegerField(**ID)
    option_id = StrictIntegerField(required=False, **ID)
    option_ids = serializers.ListField(
        child=StrictIntegerField(**ID), required=False, max_length=MAX_OPTIONS_PER_QUESTION
    )
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    number = NumberField(required=False)
    points = serializers.DictField(
        child=StrictIntegerField(min_value=1, max_value=MAX_SCALE_POINTS),
        required=False,
        allow_empty=True,
    )
    file = serializers.CharField(
        required=False,
        max_length=100,
        help_text="A file question (multipart/form-data only): the name of the part that "
        "holds the file.",
    )

    VALUES = ("option_id", "option_ids", "text", "number", "points", "file")

    def validate(self, data):
        given = [name for name in self.VALUES if name in data]
        if len(given) != 1:
            raise serializers.ValidationError(
                "Give exactly one of optionId, optionIds, text, number, points or file."
            )
        value = data[given[0]]
        if given == ["file"]:
            parts = self.context.get("files", {}).getlist(value)
            if len(parts) != 1:
                raise serializers.ValidationError(
                    f"Send exactly one file in a multipart part named {value!r}."
                )
            value = parts[0]
        return {"question_id": data["question_id"], "value": value}


class SubmitSerializer(serializers.Serializer):
    answers = SubmitAnswerSerializer(
        many=True, allow_empty=False, max_length=MAX_QUESTIONS_PER_SURVEY
    )

    def validate_answers(self, answers):
        named = [answer["value"] for answer in answers if hasattr(answer["value"], "read")]
        if len(set(map(id, named))) != len(named):
            raise serializers.ValidationError("Each file part can answer one question.")
        questions = [answer["question_id"] for answer in answers]
        if len(set(questions)) != len(questions):
            raise serializers.ValidationError("Each question can be answered only once.")
        return {answer["question_id"]: answer["value"] for answer in answers}


class SubmitWithFilesSerializer(serializers.Serializer):
    """A submission with files, as multipart/form-data."""

    answers = serializers.CharField(
        help_text="The answers as JSON, the same list as a JSON body's; a file question's "
        'answer is {"questionId": 7, "file": "photo"}, naming the part that holds the file.'
    )
    photo = serializers.FileField(
        required=False, help_text="A file part, named as its answer says (any name)."
    )


class SubmitResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    receipt_code = serializers.CharField(
        allow_null=True,
        help_text="For the respondent to quote to the survey's operators. Only in the first "
        "answer to an Idempotency-Key (null on a replay).",
    )
    receipt_url = serializers.URLField(
        allow_null=True,
        help_text="The respondent's private link to see, change or withdraw their response. "
        "Only in the first answer to an Idempotency-Key (null on a replay): it is not stored.",
    )


class ExportSerializer(ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "status",
            "rows_done",
            "rows_total",
            "size",
            "sha256",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = [name for name in fields if name != "format"]

    def get_download_url(self, export) -> str | None:
        if not export.is_downloadable:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:export-download", args=[export.pk])
        )
