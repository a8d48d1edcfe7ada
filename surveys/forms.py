import copy
import uuid

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from lib import mail_policy
from lib.forms import strict_formfield

from .answers import AnswersRejected, clean_answers
from .errors import Stale
from .kinds import KINDS, SETTINGS, TAMPERED, PerOption
from .models import Option, Question, Survey
from .results import stored_files


class RevisionForm(forms.ModelForm):
    """A form that edits a row with a revision (Survey.revision) sends back the one it
    was drawn from, so saving it over someone else's newer change is refused (Stale)."""

    # Not required, as in the API: a form drawn before revisions (or by hand) still saves.
    revision = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            del self.fields["revision"]  # a new row has no one else's change to overwrite
        else:
            self.fields["revision"].initial = self.instance.revision

    def clean(self):
        # A hidden field's error would show nowhere: say it where the form's errors are.
        if self.has_error("revision"):
            self.add_error(None, "This form is out of date. Reload the page and try again.")
        return super().clean()

    def saved_by(self, update, **target):
        """Save the cleaned data through the service `update` (with `target`, e.g.
        option=…); False, with the form told why, when someone saved first."""
        try:
            update(**target, **self.cleaned_data)
        except Stale as exc:
            self.refused_as_stale(exc)
            return False
        return True

    def refused_as_stale(self, stale):
        """Keep what the person typed, say why it was not saved, and draw the current
        revision in, so saving again means "mine, over theirs"."""
        self.data = self.data.copy()
        self.data[self.add_prefix("revision")] = stale.current.revision
        self.add_error(None, f"{stale.message} Save again to keep yours, or reload to see theirs.")


class SurveyForm(RevisionForm):
    class Meta:
        model = Survey
        fields = ["title"]
        labels = {"title": "Survey title"}


class ClosingForm(RevisionForm):
    """When a survey stops taking answers by itself."""

    class Meta:
        formfield_callback = strict_formfield
        model = Survey
        fields = ["closes_at", "max_responses", "one_response_per_browser"]
        labels = {
            "closes_at": "Close on (UTC)",
            "max_responses": "Close after this many responses",
            "one_response_per_browser": "One response per browser",
        }
        help_texts = {
            "closes_at": "Leave empty to keep it open until you close it.",
            "one_response_per_browser": (
                "A browser that has answered sees the thank-you page again. Turn off when "
                "several people answer on one shared device."
            ),
        }
        widgets = {
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def clean_closes_at(self):
        closes_at = self.cleaned_data["closes_at"]
        if closes_at and closes_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return closes_at

    def clean_max_responses(self):
        limit = self.cleaned_data["max_responses"]
        if limit is not None and limit < 1:
            raise forms.ValidationError("At least one response.")
        return limit


class RespondentsForm(RevisionForm):
    """What respondents may do, and what is kept of them (the privacy notice says it)."""

    class Meta:
        formfield_callback = strict_formfield
        model = Survey
        fields = ["respondents_can_edit", "retention_days", "record_day_only", "contact"]
        labels = {
            "respondents_can_edit": "Respondents can change or withdraw their answers",
            "retention_days": "Delete responses this many days after the survey closes",
            "record_day_only": "Record only the day of each response, not the time",
            "contact": "Who runs this survey (shown in the privacy notice)",
        }
        help_texts = {
            "respondents_can_edit": "Through the private link on their receipt, while the "
            "survey is open.",
            "retention_days": "Exports go with them. Leave empty to keep responses until "
            "you delete them.",
            "contact": "E.g. “Parents' Association, survey@example.org”. Empty shows your "
            "username.",
        }

    def clean_retention_days(self):
        days = self.cleaned_data["retention_days"]
        if days is not None and days > 3650:
            raise forms.ValidationError("At most 3650 days (ten years).")
        return days


def question_formfield(db_field, **kwargs):
    """The form field of a kind's setting that brings its own (Setting.form_field), else
    the strict one for the column."""
    setting = SETTINGS.get(db_field.name)
    if setting and setting.form_field:
        field = copy.deepcopy(setting.form_field)
        field.label = setting.label
        return field
    return strict_formfield(db_field, **kwargs)


class QuestionForm(RevisionForm):
    class Meta:
        formfield_callback = question_formfield
        model = Question
        fields = Question.EDITABLE_FIELDS
        labels = {
            "prompt": "Question",
            "kind": "Type of answer",
            "help_text": "Help text (optional)",
            "required": "Takers must answer this question",
            **{name: setting.label for name, setting in SETTINGS.items()},
        }
        help_texts = {
            "help_text": "Shown under the question, e.g. what to count or which period.",
        }
        widgets = {
            "prompt": forms.TextInput(attrs={"autofocus": True}),
            "kind": forms.RadioSelect,
            **{name: setting.widget for name, setting in SETTINGS.items() if setting.widget},
        }

    def main_fields(self):
        main = [self[name] for name in ("prompt", "kind", "help_text", "required")]
        return [*main, *self.hidden_fields()]

    def settings_groups(self):
        """(heading, fields) for each kind that has settings of its own."""
        return [
            (kind.settings_legend, [self[name] for name in kind.settings])
            for kind in KINDS.values()
            if kind.settings
        ]


class OptionForm(RevisionForm):
    class Meta:
        model = Option
        fields = ["text"]
        widgets = {"text": forms.TextInput(attrs={"autofocus": True})}

    def __init__(self, *args, word="option", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = word.capitalize()  # a matrix's options are its rows


class ReceiptEmailForm(forms.Form):
    email = forms.EmailField(label="Your email address", max_length=254)

    def clean_email(self):
        # After Django's syntax check, so a typo gets one message, not two.
        email = self.cleaned_data["email"]
        mail_policy.check_recipient(email)
        return email


class TamperedForm(Exception):
    """The POST could not have come from the form we served: reject it, don't re-ask."""


def _token_signer(survey):
    return signing.Signer(salt=f"canvass.submission.{survey.public_token}")


def _answer_field(number, question):
    """A form field fit for the question's kind; the template draws its control."""
    return question.kind_def.form_field(
        question,
        label=f"{number}. {question.prompt}",
        required=False,
        help_text=question.help_text,
    )


class AnswerForm(forms.Form):
    """One field per question, fit for its kind, plus the signed exactly-once token.

    The server decides the fields from the survey, so the browser can't drop or add answers.
    """

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, survey, questions, token=None, kept=(), **kwargs):
        """`kept`: ids of the file questions whose stored file stays when left out (a
        respondent changing their answers)."""
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.kept = set(kept)
        self.questions = {f"q_{question.pk}": question for question in questions}
        self.token = token or uuid.uuid4().hex
        if not self.is_bound:
            self.initial["token"] = _token_signer(survey).sign(self.token)
        for number, question in enumerate(questions, start=1):
            self.fields[f"q_{question.pk}"] = _answer_field(number, question)

    @classmethod
    def for_response(cls, submission, *, questions):
        """The form filled with a stored response's answers, for its respondent to change."""
        rows = {}
        for answer in submission.answers.all():
            rows.setdefault(answer.question_id, []).append(answer)
        form = cls(
            survey=submission.survey,
            questions=questions,
            token=submission.token,
            kept=stored_files(submission),
        )
        for question in questions:
            if question.pk in rows:
                form.initial[f"q_{question.pk}"] = question.kind_def.initial(rows[question.pk])
        return form

    def question_fields(self):
        return [(self[name], question) for name, question in self.questions.items()]

    def check_tampering(self):
        """Raise TamperedForm for input the rendered form cannot produce; otherwise `token`
        is the submission token the form was served with."""
        try:
            self.token = _token_signer(self.survey).unsign(self.data.get("token", ""))
        except signing.BadSignature:
            raise TamperedForm("bad or missing submission token") from None
        # A ranking or matrix posts one value per option, under names of its own.
        per_option = {
            key
            for name, field in self.fields.items()
            if isinstance(field.widget, PerOption)
            for key in field.widget.names(name)
        }
        for key in self.files:
            question = self.questions.get(key)
            if question is None or not question.kind_def.files:
                raise TamperedForm(f"a file sent as {key!r}")
            if len(self.files.getlist(key)) > 1:
                raise TamperedForm(f"several files for {key!r}")
        for key in self.data:
            question = self.questions.get(key)
            if question is not None and question.kind_def.files:
                # A browser sends a file input left empty as an empty text field.
                if any(value != "" for value in self.data.getlist(key)):
                    raise TamperedForm(f"text sent for the file question {key!r}")
                continue
            if key in per_option:
                if len(self.data.getlist(key)) > 1:
                    raise TamperedForm(f"several answers for {key!r}")
                continue
            if key.startswith("q_") and key not in self.fields:
                raise TamperedForm(f"unknown question field {key!r}")
            question = self.questions.get(key)
            several = len(self.data.getlist(key)) > 1
            if several and (question is None or not question.kind_def.several):
                raise TamperedForm(f"several answers for {key!r}")

    def clean(self):
        # Django's own checks first (a text over its limit, a null byte), then the answer
        # rules, once (surveys/answers.py): `answers` is what the services store. An
        # answer the served form can't produce is tampering, not a typo.
        self.answers = None
        field_errors = self.errors.as_data()
        refused = set()
        for name, question in self.questions.items():
            if any(error.code == TAMPERED for error in field_errors.get(name, ())):
                raise TamperedForm(f"{name!r} answered with a value the form doesn't offer")
            if name in field_errors:
                refused.add(question.pk)
        raw = {
            question.pk: self.cleaned_data.get(name)
            for name, question in self.questions.items()
            if question.pk not in refused
        }
        try:
            self.answers = clean_answers(
                self.survey,
                raw,
                structure=list(self.questions.values()),
                kept=self.kept,
                ignored=refused,
            )
        except AnswersRejected as rejected:
            for pk, exc in rejected.by_question.items():
                if exc.code == TAMPERED:
                    raise TamperedForm(f"q_{pk}: {exc.messages[0]}") from None
                self.add_error(f"q_{pk}", exc)
            if not rejected.by_question:
                raise ValidationError(rejected.messages[0], code=rejected.code) from None
        return self.cleaned_data
