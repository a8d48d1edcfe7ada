import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, Length, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse


def new_public_token():
    # 16 random bytes = 128 bits, URL-safe: the public link can't be guessed from an id.
    return secrets.token_urlsafe(16)


def not_blank(field):
    return models.CheckConstraint(
        condition=GreaterThan(Length(Trim(field)), 0),
        name=f"%(app_label)s_%(class)s_{field}_not_blank",
    )


class SurveyQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def active(self):
        return self.filter(status=Survey.Status.ACTIVE)

    def public(self):
        """Surveys takers can reach by their link: drafts are as unknown as a wrong token."""
        return self.exclude(status=Survey.Status.DRAFT)

    def with_submission_counts(self):
        # Explicit order: Django leaves Meta.ordering out of GROUP BY queries.
        return self.annotate(num_submissions=Coalesce(Sum("tallies__count"), 0)).order_by(
            *self.model._meta.ordering
        )


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Running"
        CLOSED = "closed", "Closed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="surveys"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    public_token = models.CharField(
        max_length=32, unique=True, default=new_public_token, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Either closes the survey by itself, checked whenever someone submits.
    closes_at = models.DateTimeField(null=True, blank=True)
    max_responses = models.PositiveIntegerField(null=True, blank=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            not_blank("title"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "closed"]),
                name="surveys_survey_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.is_draft:
            return reverse("surveys:edit", args=[self.pk])
        return reverse("surveys:results", args=[self.pk])

    def get_public_url(self):
        return reverse("public:start", args=[self.public_token])

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    prompt = models.CharField(max_length=500)
    position = models.PositiveIntegerField()

    class Meta:
        # The primary key breaks ties so every process shows the same order.
        ordering = ["position", "pk"]
        constraints = [not_blank("prompt")]
        indexes = [models.Index(fields=["survey", "position"])]

    def __str__(self):
        return self.prompt


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [not_blank("text")]
        indexes = [models.Index(fields=["question", "position"])]

    def __str__(self):
        return self.text


class Submission(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="submissions")
    # Issued with the answer form and stored with the submission: a replay or a second
    # click carries the same token and so can't store a second submission.
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "token"], name="surveys_submission_unique_token"
            ),
            not_blank("token"),
        ]

    def __str__(self):
        return f"Submission {self.pk} to {self.survey_id}"


class Answer(models.Model):
    # No index of its own: the unique (submission, question) index below starts with it.
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    # Stored beside the option so the database can enforce one answer per question.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="answers")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question"], name="surveys_answer_one_per_question"
            ),
        ]

    def __str__(self):
        return f"{self.question_id} → {self.option_id}"


class ShardedCount(models.Model):
    """One shard of a running count; the total is the sum over a key's shards.

    Counts are spread over a few rows so takers submitting at the same moment rarely wait
    for each other's row lock (see surveys/tallies.py).
    """

    shard = models.PositiveSmallIntegerField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class SurveyTally(ShardedCount):
    """How many submissions a survey has, kept in each submission's own transaction."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tallies")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "shard"], name="surveys_surveytally_shard")
        ]

    def __str__(self):
        return f"{self.survey_id}/{self.shard}: {self.count}"


class OptionTally(ShardedCount):
    """How many answers chose an option."""

    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="tallies")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "shard"], name="surveys_optiontally_shard")
        ]

    def __str__(self):
        return f"{self.option_id}/{self.shard}: {self.count}"
