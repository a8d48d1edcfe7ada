"""A number, optionally within a range; up to four decimal places."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from lib.numbers import parse_decimal, plain_number

from ..summaries import Summary, bars, number_stats, value_counts
from .base import Kind, Setting, check_range

PLACES = 4  # after the decimal point
DIGITS = 14  # before it: the DECIMAL(18, 4) column


def as_decimal(raw):
    """A finite Decimal from what a taker sent, or None. The API hands over Decimals it
    has parsed already; forms hand over text, taken in plain ASCII digits only."""
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    return parse_decimal(raw)


class Number(Kind):
    key, label = "number", "Number"
    settings = {"min_value": Setting("Lowest"), "max_value": Setting("Highest")}
    settings_legend = "Number: accepted range (optional)"
    sample_question = {"min_value": 0, "max_value": 100}
    template = "surveys/public/kinds/number.html"
    grouped = True

    def form_field(self, question, **common):
        return forms.CharField(strip=False, **common)

    def clean(self, question, raw):
        value = as_decimal(raw)
        if value is None:
            raise ValidationError("Enter a number, like 42 or 3.5.", code="invalid")
        # adjusted() is the power of ten of the first digit: no arithmetic, so no overflow
        # whatever the exponent.
        if value and value.adjusted() >= DIGITS:
            raise ValidationError("Enter a smaller number.", code="invalid")
        if value.as_tuple().exponent < -PLACES:
            raise ValidationError(f"Use at most {PLACES} decimal places.", code="invalid")
        if question.min_value is not None and value < question.min_value:
            raise ValidationError(f"Enter {plain_number(question.min_value)} or more.", code="min")
        if question.max_value is not None and value > question.max_value:
            raise ValidationError(f"Enter {plain_number(question.max_value)} or less.", code="max")
        return value

    def check_settings(self, question):
        return check_range(question, "min_value", "max_value")

    def limits(self, question):
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return [f"A number from {plain_number(low)} to {plain_number(high)}."]
        if low is not None:
            return [f"A number of at least {plain_number(low)}."]
        if high is not None:
            return [f"A number up to {plain_number(high)}."]
        return []

    def describe(self, question):
        described = []
        if question.min_value is not None:
            described.append(f"from {plain_number(question.min_value)}")
        if question.max_value is not None:
            described.append(f"up to {plain_number(question.max_value)}")
        return described

    def summarize(self, question, answered, *, chosen, distribution):
        return Summary(bars(value_counts(distribution), answered), number_stats(distribution))

    def demo_answer(self, rng, options):
        return 10 * round(rng.triangular(2, 150, 30))

    def sample_answer(self, question, n):
        return str(n * 7 % 100)
