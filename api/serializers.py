"""Shapes of the API's JSON. Keys are snake_case here; clients see camelCase (settings)."""

from django.urls import reverse
from rest_framework import serializers

from surveys.models import Option, Question, Submission, Survey


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["id", "text", "position"]
        read_only_fields = ["id", "position"]


class QuestionSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "prompt", "position", "options"]
        read_only_fields = ["id", "position"]


class SurveySerializer(serializers.ModelSerializer):
    submissions = serializers.IntegerField(source="num_submissions", read_only=True)
    public_url = serializers.SerializerMethodField()
    export_csv_url = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "status",
            "submissions",
            "public_url",
            "export_csv_url",
            "created_at",
            "started_at",
            "closed_at",
        ]
        read_only_fields = ["id", "status", "created_at", "started_at", "closed_at"]

    def get_public_url(self, survey) -> str:
        return self.context["request"].build_absolute_uri(survey.get_public_url())

    def get_export_csv_url(self, survey) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("surveys:export_csv", args=[survey.pk])
        )


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "questions"]


class OptionResultSerializer(serializers.Serializer):
    text = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class QuestionResultSerializer(serializers.Serializer):
    prompt = serializers.CharField()
    options = OptionResultSerializer(many=True)


class ResultsSerializer(serializers.Serializer):
    submissions = serializers.IntegerField()
    questions = QuestionResultSerializer(many=True)


class AnswerSerializer(serializers.Serializer):
    question_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    option_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class SubmissionSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "created_at", "answers"]


class PublicOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    text = serializers.CharField()


class PublicQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    prompt = serializers.CharField()
    options = PublicOptionSerializer(many=True)


class PublicSurveySerializer(serializers.Serializer):
    title = serializers.CharField()
    questions = PublicQuestionSerializer(many=True)


class SubmitSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_answers(self, answers):
        questions = [answer["question_id"] for answer in answers]
        if len(set(questions)) != len(questions):
            raise serializers.ValidationError("Each question can be answered only once.")
        return answers


class SubmitResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
