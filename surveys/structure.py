"""A started survey's questions and options, cached: once a survey starts they can't change,
so every taker's form and every submission check can skip the database for them."""

from dataclasses import dataclass

from django.core.cache import cache

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class OptionSpec:
    pk: int
    text: str


@dataclass(frozen=True)
class QuestionSpec:
    pk: int
    prompt: str
    options: tuple[OptionSpec, ...]


def _load(survey):
    return tuple(
        QuestionSpec(q.pk, q.prompt, tuple(OptionSpec(o.pk, o.text) for o in q.options.all()))
        for q in survey.questions.prefetch_related("options")
    )


def survey_structure(survey):
    if survey.is_draft:
        return _load(survey)
    # The public token, not the id: SQLite may hand a deleted survey's id to a new one.
    key = f"survey-structure:{survey.public_token}"
    structure = cache.get(key)
    if structure is None:
        structure = _load(survey)
        cache.set(key, structure, CACHE_SECONDS)
    return structure
