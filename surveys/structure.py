"""A started survey's questions and options, cached: once a survey starts they can't change,
so every taker's form and every submission check can skip the database for them."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.core.cache import cache

from .kinds import KINDS

CACHE_FOR = timedelta(days=1)


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
    min_date: date | None = None
    max_date: date | None = None
    scale: str = ""
    file_types: tuple[str, ...] = ()
    max_file_mb: int | None = None

    @property
    def kind_def(self):
        return KINDS[self.kind]

    @cached_property
    def option_pks(self):
        """Option id as the taker sends it (a string) → option id; built once per cached
        structure, not once per answer."""
        return {str(option.pk): option.pk for option in self.options}

    @property
    def hint(self):
        """What a taker needs beyond the prompt: the help text, then any limits."""
        return " ".join([self.help_text, *self.kind_def.limits(self)]).strip()


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
        min_date=question.min_date,
        max_date=question.max_date,
        scale=question.scale,
        file_types=tuple(question.file_types),
        max_file_mb=question.max_file_mb,
    )


def questions_with_options(survey):
    """The survey's questions in order, each with its options prefetched in order."""
    return list(survey.questions.prefetch_related("options"))


def _load(survey):
    return tuple(spec_for(q) for q in questions_with_options(survey))


def survey_structure(survey):
    if survey.is_draft:
        return _load(survey)
    key = f"survey-structure:{survey.structure_key}"
    structure = cache.get(key)
    if structure is None:
        structure = _load(survey)
        cache.set(key, structure, CACHE_FOR.total_seconds())
    return structure
