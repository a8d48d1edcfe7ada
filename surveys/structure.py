"""A started survey's questions and options, cached: once a survey starts they can't change,
so every taker's form and every submission check can skip the database for them."""

from dataclasses import dataclass, make_dataclass
from datetime import timedelta
from functools import cached_property

from django.core.cache import cache

from .kinds import KINDS
from .models import Question

CACHE_FOR = timedelta(days=1)


@dataclass(frozen=True)
class OptionSpec:
    pk: int
    text: str


class _Question:
    """What a QuestionSpec knows beyond its fields."""

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


# A question as its cached structure holds it: the fields every question has, then every
# kind's settings (Question.SETTINGS, from the kinds' declarations).
QuestionSpec = make_dataclass(
    "QuestionSpec",
    [
        ("pk", int),
        ("kind", str),
        ("prompt", str),
        ("help_text", str),
        ("required", bool),
        ("options", tuple[OptionSpec, ...]),
        *((name, object) for name in Question.SETTINGS),
    ],
    bases=(_Question,),
    frozen=True,
    namespace={"__module__": __name__},  # where pickle finds it again
)


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def spec_for(question):
    """`question` has its options prefetched."""
    return QuestionSpec(
        pk=question.pk,
        kind=question.kind,
        prompt=question.prompt,
        help_text=question.help_text,
        required=question.required,
        options=tuple(OptionSpec(o.pk, o.text) for o in question.options.all()),
        **{name: _frozen(getattr(question, name)) for name in Question.SETTINGS},
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
