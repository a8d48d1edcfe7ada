"""Ranking: the taker puts the question's options in order, first place first.

An answer is one row per option: the option and its place (1 = first) in the number
column. The answer page shows a numbered select per option, which works without
JavaScript and from the keyboard; static/js/ranking.js adds dragging and move buttons
that fill in the same selects.
"""

from django.core.exceptions import ValidationError

from ..summaries import Bar, RowSummary, Summary, mean_of, percent
from .base import (
    Kind,
    PerOptionField,
    per_option_rows,
    rotated_options,
    small_number,
    tampered,
)
from .choice import MIN_OPTIONS


class Ranking(Kind):
    key, label = "ranking", "Ranking"
    has_options = True
    grouped = True
    stores = "option"
    template = "surveys/public/kinds/ranking.html"
    mean_name = "mean place"
    bars_heading = "Ranked first"
    sample_question = {"required": False}
    sample_options = 3

    def form_field(self, question, **common):
        return PerOptionField(question, **common)

    def clean(self, question, raw):
        """`raw` is {option id: place} from the form, or the option ids in order (API)."""
        options = question.option_pks
        if isinstance(raw, list | tuple):
            if any(isinstance(pk, bool) or str(pk) not in options for pk in raw):
                raise tampered("That is not one of this question's options.")
            if len(set(map(str, raw))) != len(raw):
                raise ValidationError("An option was ranked twice.", code="repeated")
            raw = {str(pk): place for place, pk in enumerate(raw, start=1)}
        if not isinstance(raw, dict):
            raise tampered("A ranking is a place for each option.")
        places = {}
        for pk, place in raw.items():
            if str(pk) not in options:
                raise tampered("That is not one of this question's options.")
            number = small_number(place)
            if number is None or not 1 <= number <= len(options):
                raise tampered("That is not a place in this ranking.")
            places[options[str(pk)]] = number
        if len(set(places.values())) != len(places):
            raise ValidationError("Give each place to one option only.", code="repeated")
        if len(places) != len(options):
            raise ValidationError("Give every option a place.", code="incomplete")
        return places  # {option id: place}

    def answer_context(self, question, field):
        return {"rows": per_option_rows(field, question)}

    def answer_rows(self, value):
        return [{"option_id": pk, "number": place} for pk, place in value.items()]

    def initial(self, rows):
        return {str(row.option_id): str(int(row.number)) for row in rows}

    def limits(self, question):
        return ["Give each option a place, 1 for your first choice."]

    def start_problems(self, question, options):
        if options < MIN_OPTIONS:
            return [f"“{question.prompt}” needs at least {MIN_OPTIONS} options to rank."]
        return []

    # --- results and exports: one column per place ------------------------------------

    def summarize(self, question, answered, *, chosen, distribution):
        """Bars of first places per option, and each option's mean place, best first.
        `distribution` holds ((option id, place), count) pairs."""
        places = {}  # option id → [(place, count)]
        for (pk, place), n in distribution:
            places.setdefault(pk, []).append((place, n))
        options = list(question.options.all())
        firsts = {o.pk: dict(places.get(o.pk, ())).get(1, 0) for o in options}
        bars = [Bar(o.text, firsts[o.pk], percent(firsts[o.pk], answered)) for o in options]
        rows = [
            RowSummary(o.text, sum(n for _, n in places[o.pk]), [], mean_of(places[o.pk]))
            for o in options
            if o.pk in places
        ]
        return Summary(bars, rows=sorted(rows, key=lambda row: row.mean))

    def headers(self, question):
        return [
            f"{question.prompt} [place {n}]" for n in range(1, len(question.options.all()) + 1)
        ]

    def placer(self, question):
        texts = {o.pk: o.text for o in question.options.all()}
        return lambda option_id, number: (int(number) - 1, texts[option_id])

    def readable(self, question, cells):
        return "; ".join(f"{n}. {text}" for n, text in enumerate(cells, start=1) if text)

    def sample_answer(self, question, n):
        return rotated_options(question, n)

    def demo_answer(self, rng, options):
        pks, weights = zip(*options, strict=True)
        order = sorted(pks, key=lambda pk: -rng.random() * weights[pks.index(pk)])
        return order
