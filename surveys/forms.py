import uuid

from django import forms
from django.core import signing
from django.utils import timezone

from .models import Option, Question, Survey


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title"]
        labels = {"title": "Survey title"}


class ClosingForm(forms.ModelForm):
    """When a survey stops taking answers by itself."""

    class Meta:
        model = Survey
        fields = ["closes_at", "max_responses"]
        labels = {
            "closes_at": "Close on (UTC)",
            "max_responses": "Close after this many responses",
        }
        help_texts = {"closes_at": "Leave empty to keep it open until you close it."}
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


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["prompt"]
        labels = {"prompt": "Question"}
        widgets = {"prompt": forms.TextInput(attrs={"autofocus": True})}


class OptionForm(forms.ModelForm):
    class Meta:
        model = Option
        fields = ["text"]
        labels = {"text": "Option"}
        widgets = {"text": forms.TextInput(attrs={"autofocus": True})}


class TamperedForm(Exception):
    """The POST could not have come from the form we served: reject it, don't re-ask."""


def _token_signer(survey):
    return signing.Signer(salt=f"canvass.submission.{survey.public_token}")


class AnswerForm(forms.Form):
    """One required radio group per question, plus the signed exactly-once token.

    The server decides the fields from the survey, so the browser can't drop or add answers.
    """

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, survey, questions, token=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.token = token or uuid.uuid4().hex
        if not self.is_bound:
            self.initial["token"] = _token_signer(survey).sign(self.token)
        for number, question in enumerate(questions, start=1):
            self.fields[f"q_{question.pk}"] = forms.ChoiceField(
                label=f"{number}. {question.prompt}",
                choices=[(str(option.pk), option.text) for option in question.options],
                widget=forms.RadioSelect,
                error_messages={"required": "Please choose an answer."},
            )

    def question_fields(self):
        return [self[name] for name in self.fields if name.startswith("q_")]

    def check_tampering(self):
        """Raise TamperedForm for input the rendered form cannot produce; otherwise `token`
        is the submission token the form was served with."""
        try:
            self.token = _token_signer(self.survey).unsign(self.data.get("token", ""))
        except signing.BadSignature:
            raise TamperedForm("bad or missing submission token") from None
        for key in self.data:
            if key.startswith("q_") and key not in self.fields:
                raise TamperedForm(f"unknown question field {key!r}")
            if key in self.fields and len(self.data.getlist(key)) > 1:
                raise TamperedForm(f"several answers for {key!r}")
        for name, field in self.fields.items():
            value = self.data.get(name)
            if name.startswith("q_") and value and value not in dict(field.choices):
                raise TamperedForm(f"{name!r} answered with a foreign option {value!r}")

    @property
    def choices(self):
        return {
            int(name.removeprefix("q_")): int(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("q_")
        }
