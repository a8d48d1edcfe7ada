"""A started survey's questions and options, cached: once a survey starts they can't change,
so every taker's form and every submission check can skip the database for them."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache

from .answers import plain_number
from .models import Question

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class OptionSpec:
    pk: int
    text: str


@dataclass(frozen=True)
class QuestionSpec:
    pk: int
    kind: str
    prompt: str
    help_text: str
    required: bool
    options: tuple[OptionSpec, ...]
    min_choices: int | None = None
    max_choices: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None

    @property
    def has_options(self):
        return self.kind in Question.CHOICE_KINDS

    @cached_property
    def option_pks(self):
        """Option id as the taker sends it (a string) → option id; built once per cached
        structure, not once per answer."""
        return {str(option.pk): option.pk for option in self.options}

    @property
    def scale(self):
        """The values of a rating scale, lowest first; empty for other kinds."""
        low, high = Question.SCALES.get(self.kind, (0, -1))
        return range(low, high + 1)

    @property
    def hint(self):
        """What a taker needs beyond the prompt: the help text, then any limits."""
        parts = [self.help_text] if self.help_text else []
        low, high = self.min_choices, self.max_choices
        if self.kind == Question.Kind.MULTIPLE:
            if low and high:
                parts.append(f"Tick {low} to {high}." if low != high else f"Tick {low}.")
            elif low:
                parts.append(f"Tick at least {low}.")
            elif high:
                parts.append(f"Tick up to {high}.")
            else:
                parts.append("Tick all that apply.")
        low, high = self.min_value_text, self.max_value_text
        if low is not None and high is not None:
            parts.append(f"A number from {low} to {high}.")
        elif low is not None:
            parts.append(f"A number of at least {low}.")
        elif high is not None:
            parts.append(f"A number up to {high}.")
        return " ".join(parts)

    @property
    def min_value_text(self):
        return None if self.min_value is None else plain_number(self.min_value)

    @property
    def max_value_text(self):
        return None if self.max_value is None else plain_number(self.max_value)

    @property
    def max_length(self):
        return Question.TEXT_LIMITS.get(self.kind)


def spec_for(question):
    """`question` has its options prefetched."""
    return QuestionSpec(
        pk=question.pk,
        kind=question.kind,
        prompt=question.prompt,
        help_text=question.help_text,
        required=question.required,
        options=tuple(OptionSpec(o.pk, o.text) for o in question.options.all()),
        min_choices=question.min_choices,
        max_choices=question.max_choices,
        min_value=question.min_value,
        max_value=question.max_value,
    )


def _load(survey):
    return tuple(spec_for(q) for q in survey.questions.prefetch_related("options"))


def survey_structure(survey):
    if survey.is_draft:
        return _load(survey)
    key = f"survey-structure:{survey.structure_key}"
    structure = cache.get(key)
    if structure is None:
        structure = _load(survey)
        cache.set(key, structure, CACHE_SECONDS)
    return structure
