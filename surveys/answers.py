"""What counts as an answer: one function, clean_answers, turns what a taker sent (the
answer form, the API, a receipt edit) into CleanedAnswers, the only thing the services
store. Each value is cleaned once, by its kind's rule (Kind.clean() in surveys/kinds/);
here is what holds for every kind: an empty value is "left out", a required question
can't be left out, and a submission answers something.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from .structure import survey_structure


@dataclass(frozen=True)
class CleanedAnswers:
    """A submission's answers to one survey, made by clean_answers only."""

    survey_pk: int
    values: dict  # QuestionSpec → the value its kind stores
    kept: frozenset = field(default_factory=frozenset)  # questions keeping a stored file


class AnswersRejected(ValidationError):
    """What is wrong with a submission: `by_question` maps a question's id to its errors
    (a kind's TAMPERED code among them); the messages name each question by number."""

    def __init__(self, messages, *, by_question=None, code=None):
        super().__init__(messages, code=code)
        self.by_question = by_question or {}


def _is_empty(raw):
    return raw is None or raw == "" or raw == [] or raw == () or raw == {}


def _clean_one(question, raw):
    value = None if _is_empty(raw) else question.kind_def.clean(question, raw)
    if value is None and question.required:
        raise ValidationError("Please answer this question.", code="required")
    return value


def clean_answers(survey, raw, *, structure=None, kept=(), ignored=()):
    """CleanedAnswers from `raw` (question id → what the taker sent: a string, a list of
    strings for multiple choice, {option id: value} for a ranking or matrix, a file), by
    `structure` (the survey's, loaded here if not given). A question in `kept` has a
    stored file that stays when it is left out; the questions in `ignored` were refused
    already (by the answer form's own fields) and are neither checked nor stored. Raises
    AnswersRejected."""
    structure = survey_structure(survey) if structure is None else structure
    if set(raw) - {question.pk for question in structure}:
        raise AnswersRejected(
            "An answer is for a question this survey doesn't have.", code="mismatch"
        )
    values, by_question, messages = {}, {}, []
    for number, question in enumerate(structure, start=1):
        given = raw.get(question.pk)
        if question.pk in ignored or (question.pk in kept and _is_empty(given)):
            continue
        try:
            value = _clean_one(question, given)
        except ValidationError as exc:
            by_question[question.pk] = exc
            messages += [
                ValidationError(f"Question {number}: {message}", code=exc.code)
                for message in exc.messages
            ]
            continue
        if value is not None:
            values[question] = value
    if messages:
        raise AnswersRejected(messages, by_question=by_question)
    still_kept = frozenset(kept) - {question.pk for question in values}
    if not values and not still_kept and not ignored:
        raise AnswersRejected("Answer at least one question.", code="empty")
    return CleanedAnswers(survey.pk, values, still_kept)
