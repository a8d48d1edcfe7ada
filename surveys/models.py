import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, Length, Trim
from django.db.models.lookups import GreaterThan
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from .kinds import CHOICES, KINDS, NUMBER_DIGITS, NUMBER_PLACES, SCALE_CHOICES, SETTINGS
from .receipts import digest as receipt_digest


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

    def takeable(self):
        """Surveys takers can reach by their link: drafts are as unknown as a wrong token."""
        return self.exclude(status=Survey.Status.DRAFT)

    def locked(self, survey):
        """`survey`'s row, locked for this transaction, as it is now: every change to a
        survey, its structure and its counted responses takes this lock first."""
        return self.select_for_update().get(pk=survey.pk)

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
    # Off for a shared device (a kiosk tablet): each taker gets a fresh form after the last.
    one_response_per_browser = models.BooleanField(default=True)
    # What respondents may do and what is kept (docs/privacy.md). Changing or withdrawing
    # a response through its receipt link works while the survey takes answers.
    respondents_can_edit = models.BooleanField(default=True)
    # Responses (and exports) are deleted this many days after the survey closes.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # Times of responses kept to the day only (midnight UTC), not the second.
    record_day_only = models.BooleanField(default=False)
    # Shown to takers in the privacy notice: who runs the survey and how to reach them.
    contact = models.CharField(max_length=200, blank=True)
    # Whether anything listens to this survey's events (an active webhook endpoint, emails
    # for each response): kept by integrations.services, read with the survey's row, so
    # surveys nobody listens to write no events and pay nothing for them.
    sends_events = models.BooleanField(default=False)
    # A started survey's structure never changes; a change is made on a new version, which
    # takes over the public link when it starts (services.new_version, start_survey).
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions"
    )
    version = models.PositiveIntegerField(default=1)
    # One more for every change of the survey's settings, and of each question's and
    # option's own fields: a client that read revision N writes "only if it is still N"
    # (services: a Stale refusal otherwise), so two editors never silently overwrite each
    # other. A move is not a change of what a question says and counts for nothing.
    revision = models.PositiveIntegerField(default=1, editable=False)

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
    def structure_key(self):
        """Names this survey's cached structure (surveys/structure.py, the answer form).
        The public token, not only the id: SQLite may hand a deleted survey's id to a new
        one, and a new version takes over its predecessor's token when it starts."""
        return f"{self.pk}:{self.public_token}"

    @property
    def purge_at(self):
        """When its responses are deleted: `retention_days` after it closed."""
        if self.retention_days is None or self.closed_at is None:
            return None
        return self.closed_at + timedelta(days=self.retention_days)

    @property
    def takes_edits(self):
        """Whether respondents may change or withdraw their responses now."""
        return self.respondents_can_edit and self.is_active

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    def later_version(self, *, started=False):
        """The version made from this one, if any (only the latest version gets one)."""
        versions = self.next_versions.all()
        if started:
            versions = versions.exclude(status=self.Status.DRAFT)
        return versions.order_by("pk").first()

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED


# The kinds' keys and labels, from their definitions (surveys/kinds/).
KindChoices = models.TextChoices("KindChoices", CHOICES)


def number_field(**options):
    """A column for numbers answers can hold: 14 digits before the point, 4 after."""
    return models.DecimalField(
        max_digits=NUMBER_DIGITS + NUMBER_PLACES, decimal_places=NUMBER_PLACES, **options
    )


class QuestionQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(survey__owner=user).select_related("survey")


class Question(models.Model):
    KindChoices = KindChoices
    # The settings of every kind (Kind.settings), and everything a creator sets on a
    # question (the question form, the API and services.add_question).
    SETTINGS = tuple(SETTINGS)
    EDITABLE_FIELDS = ("prompt", "kind", "help_text", "required", *SETTINGS)

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=12, choices=KindChoices.choices, default=KindChoices.SINGLE)
    prompt = models.CharField(max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    position = models.PositiveIntegerField()
    # The settings of each kind (Kind.settings); empty for the other kinds.
    min_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    min_value = number_field(null=True, blank=True)
    max_value = number_field(null=True, blank=True)
    min_date = models.DateField(null=True, blank=True)
    max_date = models.DateField(null=True, blank=True)
    scale = models.CharField(max_length=12, blank=True, choices=SCALE_CHOICES)
    file_types = models.JSONField(default=list, blank=True)
    max_file_mb = models.PositiveSmallIntegerField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1, editable=False)  # as Survey.revision

    objects = QuestionQuerySet.as_manager()

    class Meta:
        # The primary key breaks ties so every process shows the same order.
        ordering = ["position", "pk"]
        constraints = [
            not_blank("prompt"),
            models.CheckConstraint(
                condition=Q(kind__in=KindChoices.values),
                name="surveys_question_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["survey", "position"])]

    def __str__(self):
        return self.prompt

    @property
    def kind_def(self):
        """The definition of this question's kind (surveys/kinds/)."""
        return KINDS[self.kind]

    @property
    def settings_summary(self):
        """Its kind's settings in a few words ("at most 3"), for the edit page."""
        return self.kind_def.describe(self)

    def clean(self):
        # Only its own kind's settings: the others are about to be dropped. An unknown
        # kind is the kind field's own error.
        kind = KINDS.get(self.kind)
        if kind and (problems := kind.check_settings(self)):
            raise ValidationError(problems)

    def drop_settings_of_other_kinds(self):
        """Settings only mean something for their own kind; keep no stale ones around."""
        for name in self.SETTINGS:
            if name not in self.kind_def.settings:
                setattr(self, name, self._meta.get_field(name).get_default())


class OptionQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(question__survey__owner=user).select_related("question__survey")


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    revision = models.PositiveIntegerField(default=1, editable=False)  # as Survey.revision

    objects = OptionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [not_blank("text")]
        indexes = [models.Index(fields=["question", "position"])]

    def __str__(self):
        return self.text


class SubmissionQuerySet(models.QuerySet):
    def by_receipt_code(self, code):
        return self.filter(receipt_code=code.strip().upper())

    def by_receipt_secret(self, secret):
        """The response whose receipt link carries `secret` (its digest is stored)."""
        return self.filter(receipt_hash=receipt_digest(secret))


class Submission(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="submissions")
    # Issued with the answer form and stored with the submission: a replay or a second
    # click carries the same token and so can't store a second submission.
    token = models.CharField(max_length=64)
    # The time is set by responses.submit_response (to the day only if the survey says so).
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # The receipt (surveys/receipts.py), given by submit_response: a code to quote, and
    # the SHA-256 of the secret in the respondent's private link, so the database alone
    # can't open a response. Empty for responses stored before receipts existed.
    receipt_code = models.CharField(max_length=14, unique=True, null=True, blank=True)
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

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
    # What holds the answer: an option (one row per ticked option), a text (texts, dates,
    # times), a number (numbers and ratings), or an option with a number (one row per
    # option: its place in a ranking, the point chosen for a matrix row).
    option = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    text = models.TextField(blank=True, default="", db_default="")
    number = number_field(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question", "option"], name="surveys_answer_one_per_option"
            ),
            models.UniqueConstraint(
                fields=["submission", "question"],
                condition=Q(option__isnull=True),
                name="surveys_answer_one_per_question",
            ),
            models.CheckConstraint(
                condition=(
                    Q(option__isnull=False, text="")
                    | (Q(option__isnull=True, number__isnull=True) & ~Q(text=""))
                    | Q(option__isnull=True, text="", number__isnull=False)
                ),
                name="surveys_answer_one_value",
            ),
        ]

    def __str__(self):
        value = self.option_id if self.option_id else self.number
        return f"{self.question_id} → {self.text or value}"


class ShardedCount(models.Model):
    """One shard of a running count; the total is the sum over a key's shards.

    Counts are spread over a few rows so takers submitting at the same moment rarely wait
    for each other's row lock (see surveys/tallies.py).
    """

    shard = models.PositiveSmallIntegerField()
    # Signed: a withdrawn response takes 1 from whichever shard its transaction picks, so
    # one shard may go below zero while the sum stays exact.
    count = models.BigIntegerField(default=0)

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


class QuestionTally(ShardedCount):
    """How many submissions answered a question (optional questions may be skipped)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tallies")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "shard"], name="surveys_questiontally_shard"
            )
        ]

    def __str__(self):
        return f"{self.question_id}/{self.shard}: {self.count}"


class OptionTally(ShardedCount):
    """How many answers chose an option."""

    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="tallies")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "shard"], name="surveys_optiontally_shard")
        ]

    def __str__(self):
        return f"{self.option_id}/{self.shard}: {self.count}"


class PrivateStorage(LazyObject):
    """settings.STORAGES["private"]: files only their owner may download, never served by
    NGINX. Looked up on first use, and again when tests change STORAGES."""

    def _setup(self):
        self._wrapped = storages["private"]


private = PrivateStorage()


def private_storage():
    return private


@receiver(setting_changed)
def _private_storage_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        private._wrapped = empty


class UploadQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(answer__submission__survey__owner=user)


class Upload(models.Model):
    """The file behind a file question's answer (whose text is the file's shown name): in
    private storage, downloaded only by the survey's owner, as an attachment. Its files
    are deleted with it (whatever deletes it: a withdrawal, a purge, a deleted survey or
    account), once the deletion commits."""

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="upload")
    file = models.FileField(storage=private_storage, max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sent_size = models.PositiveBigIntegerField()  # before an image was re-encoded
    thumbnail = models.FileField(storage=private_storage, max_length=300, blank=True)

    objects = UploadQuerySet.as_manager()

    def __str__(self):
        return self.answer.text


@receiver(models.signals.post_delete, sender=Upload)
def _delete_upload_files(sender, instance, **kwargs):
    names = [field.name for field in (instance.file, instance.thumbnail) if field]
    transaction.on_commit(lambda: [private.delete(name) for name in names])


class ExportQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(survey__owner=user).select_related("survey")

    def unfinished(self):
        return self.filter(status__in=[Export.Status.QUEUED, Export.Status.RUNNING])

    def expired(self):
        """Past their time (Export.is_expired), whether or not the sweep deleted them yet."""
        return self.filter(expires_at__lte=timezone.now())


class Export(models.Model):
    """A file of a survey's responses, built by a worker (surveys/tasks.py) and kept for a
    while (EXPORT_KEEP_HOURS). One unfinished export per survey at a time."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(storage=private_storage, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved on with every stretch of progress: a running export that stops moving lost
    # its worker (surveys.tasks.sweep_exports).
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey"],
                condition=Q(status__in=["queued", "running"]),
                name="surveys_export_one_unfinished_per_survey",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["csv", "xlsx"]), name="surveys_export_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="surveys_export_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_format_display()} export {self.pk} of {self.survey_id}"

    @property
    def is_unfinished(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_expired(self):
        """Past its time: never served again, though its row and file wait for the sweep
        (surveys.tasks.sweep_exports), which may be late or, without beat, never run."""
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_downloadable(self):
        return self.status == self.Status.DONE and not self.is_expired

    @property
    def percent(self):
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


def new_event_id():
    """What receivers deduplicate by (the Standard Webhooks `webhook-id`)."""
    return f"msg_{uuid.uuid4().hex}"


class Event(models.Model):
    """Something that happened to a survey, for its webhooks and email notifications: the
    outbox. Written in the same transaction as the change it tells of, so a committed
    submission always has its event and a rolled-back one never has; delivered afterwards
    by workers (integrations/). Only surveys with subscribers (`Survey.sends_events`) write
    them."""

    class Type(models.TextChoices):
        RESPONSE_SUBMITTED = "response.submitted", "A response was submitted"
        RESPONSE_EDITED = "response.edited", "A respondent changed their response"
        RESPONSE_DELETED = "response.deleted", "A response was withdrawn or deleted"
        SURVEY_CLOSED = "survey.closed", "The survey closed"
        SURVEY_REOPENED = "survey.reopened", "The survey reopened"
        VERSION_STARTED = "survey.version_started", "A new version started"
        TEST = "webhook.test", "A test event"

    PAYLOAD_VERSION = 1

    event_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=Type.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once its deliveries exist (integrations.services.dispatch_events).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="surveys_event_undispatched",
            )
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"
