"""Single and multiple choice: the taker picks from the question's options."""

from django import forms
from django.core.exceptions import ValidationError

from ..summaries import Bar, Summary, percent
from .base import Kind, Setting, check_range, rotated_options, tampered

MIN_OPTIONS = 2  # a choice needs something to choose between


class Choice(Kind):
    has_options = True
    filterable = True
    stores = "option"
    template = "surveys/public/kinds/choice.html"

    def _option(self, question, raw):
        pk = question.option_pks.get(str(raw))
        if pk is None or isinstance(raw, bool):
            raise tampered("That is not one of this question's options.")
        return pk

    def sample_answer(self, question, n):
        return rotated_options(question, n)[0]

    def start_problems(self, question, options):
        if options < MIN_OPTIONS:
            return [f"“{question.prompt}” needs at least {MIN_OPTIONS} options."]
        return []

    def summarize(self, question, answered, *, chosen, distribution):
        counts = [(option, chosen.get(option.pk, 0)) for option in question.options.all()]
        return Summary([Bar(o.text, n, percent(n, answered), o.pk) for o, n in counts])

    def _choices(self, question):
        return [(str(option.pk), option.text) for option in question.options]


class SingleChoice(Choice):
    key, label = "single", "Single choice"
    sample_options = 3

    def form_field(self, question, **common):
        return forms.ChoiceField(
            choices=self._choices(question), widget=forms.RadioSelect, **common
        )

    def clean(self, question, raw):
        return self._option(question, raw)

    def demo_answer(self, rng, options):
        pks, weights = zip(*options, strict=True)
        return rng.choices(pks, weights=weights)[0]


class MultipleChoice(Choice):
    key, label = "multiple", "Multiple choice"
    several = True
    settings = {"min_choices": Setting("At least"), "max_choices": Setting("At most")}
    settings_legend = "Multiple choice: how many ticks (optional)"
    sample_question = {"min_choices": 1, "max_choices": 2}
    sample_options = 4

    def form_field(self, question, **common):
        return forms.MultipleChoiceField(
            choices=self._choices(question), widget=forms.CheckboxSelectMultiple, **common
        )

    def clean(self, question, raw):
        if isinstance(raw, str | int):
            raw = [raw]
        picked = [self._option(question, value) for value in raw]
        if len(set(picked)) != len(picked):
            raise tampered("An option was ticked twice.")
        if question.min_choices and len(picked) < question.min_choices:
            raise ValidationError(f"Choose at least {question.min_choices}.", code="too_few")
        if question.max_choices and len(picked) > question.max_choices:
            raise ValidationError(f"Choose at most {question.max_choices}.", code="too_many")
        return tuple(sorted(picked))

    def answer_rows(self, value):
        return [{"option_id": pk} for pk in value]

    def check_settings(self, question):
        if question.max_choices == 0:
            return {"max_choices": "At least 1."}
        return check_range(question, "min_choices", "max_choices")

    def sample_answer(self, question, n):
        return sorted(rotated_options(question, n)[:2])

    def limits(self, question):
        low, high = question.min_choices, question.max_choices
        if low and high:
            return [f"Tick {low} to {high}." if low != high else f"Tick {low}."]
        if low:
            return [f"Tick at least {low}."]
        if high:
            return [f"Tick up to {high}."]
        return ["Tick all that apply."]

    def start_problems(self, question, options):
        problems = super().start_problems(question, options)
        if not problems and (question.min_choices or 0) > options:
            problems.append(
                f"“{question.prompt}” asks for at least {question.min_choices} ticks "
                f"but has only {options} options."
            )
        return problems

    def describe(self, question):
        described = []
        if question.min_choices:
            described.append(f"at least {question.min_choices}")
        if question.max_choices:
            described.append(f"at most {question.max_choices}")
        return described

    def demo_answer(self, rng, options):
        pks, weights = zip(*options, strict=True)
        return sorted({rng.choices(pks, weights=weights)[0] for _ in range(rng.randint(1, 3))})
