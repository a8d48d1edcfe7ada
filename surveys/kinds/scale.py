"""Rating scales: 1-5, 1-10 and the Net Promoter Score's 0-10."""

from django import forms

from ..summaries import Summary, bars, number_stats
from .base import Kind, tampered
from .number import as_decimal


class Scale(Kind):
    template = "surveys/public/kinds/scale.html"
    grouped = True
    low = high = 0
    ends = ("Lowest", "Highest")  # what the two ends of the row mean
    # Demo answers' weights, lowest value first: most people are fairly happy.
    demo_weights = ()

    @property
    def values(self):
        return range(self.low, self.high + 1)

    def form_field(self, question, **common):
        return forms.ChoiceField(
            choices=[(str(n), str(n)) for n in self.values],
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            **common,
        )

    def clean(self, question, raw):
        value = as_decimal(raw)
        if value is None or value.adjusted() > 2 or value != value.to_integral_value():
            raise tampered("That is not a value on this scale.")
        if int(value) not in self.values:
            raise tampered("That is not a value on this scale.")
        return int(value)

    def summarize(self, question, answered, *, chosen, distribution):
        counts = dict(distribution)
        pairs = [(str(value), counts.get(value, 0)) for value in self.values]
        return Summary(bars(pairs, answered), number_stats(distribution, nps=self.key == "nps"))

    def demo_answer(self, rng, options):
        return rng.choices(self.values, weights=self.demo_weights)[0]

    def sample_answer(self, question, n):
        return str(self.values[n % len(self.values)])


class Rating5(Scale):
    key, label = "rating_5", "Rating 1–5"
    low, high = 1, 5
    demo_weights = (1, 2, 6, 9, 5)


class Rating10(Scale):
    key, label = "rating_10", "Rating 1–10"
    low, high = 1, 10
    sample_question = {"required": False}
    demo_weights = (1, 1, 1, 2, 3, 5, 8, 9, 6, 4)


class NetPromoterScore(Scale):
    key, label = "nps", "Net Promoter Score (0–10)"
    low, high = 0, 10
    ends = ("Not at all likely", "Extremely likely")
    sample_question = {"required": False, "help_text": "0 is not at all, 10 extremely likely."}
    demo_weights = (1, 1, 1, 2, 2, 3, 5, 9, 14, 10, 8)
