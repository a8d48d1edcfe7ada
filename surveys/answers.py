"""What counts as an answer: one entry point for the answer form, the API and
submit_response, so a taker's browser and an API client are held to the same rules.

The rule of each kind is its Kind.clean() (surveys/kinds/); here is what holds for every
kind: an empty value is "left out", and a required question can't be left out.
"""

from django.core.exceptions import ValidationError


def _is_empty(raw):
    return raw is None or raw == "" or raw == [] or raw == () or raw == {}


def clean_answer(question, raw):
    """The value to store for `question` (a QuestionSpec), or None if unanswered. `raw` is
        what a taker sent: a string, a list of strings for multiple choice, or {option id:
    value} for a ranking or matrix."""
    value = None if _is_empty(raw) else question.kind_def.clean(question, raw)
    if value is None and question.required:
        raise ValidationError("Please answer this question.", code="required")
    return value
