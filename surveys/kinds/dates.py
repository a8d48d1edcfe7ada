"""A date (optionally between an earliest and a latest) and a time of day.

Both are stored as ISO 8601 text ("2026-11-28", "14:30") in the answer's text column: that
text sorts as the dates and times do, so the database orders and groups them like numbers,
and exports and the API show them as they are stored.
"""

import re
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from ..summaries import SpanStats, Summary, bars
from .base import Kind, Setting, check_range

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
ISO_TIME = re.compile(r"\d{2}:\d{2}", re.ASCII)
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def readable_date(value):
    """28 November 2026."""
    return f"{value.day} {value:%B %Y}"


def _text(raw):
    return raw.strip() if isinstance(raw, str) else None


def span_stats(distribution):
    """Earliest, median (the lower of two middles: always a value someone gave) and latest
    of sorted (ISO text, count) pairs; None if empty."""
    count = sum(n for _, n in distribution)
    if not count:
        return None
    seen, middle = 0, (count - 1) // 2
    for value, n in distribution:
        seen += n
        if seen > middle:
            median = value
            break
    return SpanStats(count, distribution[0][0], median, distribution[-1][0])


# (spread in days up to which, bucket of a day, label of a bucket): per day, Monday-based
# week or month; over three years, per year.
GRANULARITIES = (
    (31, date.toordinal, lambda k: readable_date(date.fromordinal(k))),
    (
        26 * 7,
        lambda d: (d.toordinal() - 1) // 7,  # day 1 (1 January of year 1) is a Monday
        lambda k: f"Week of {readable_date(date.fromordinal(k * 7 + 1))}",
    ),
    (
        3 * 366,
        lambda d: d.year * 12 + d.month - 1,
        lambda k: f"{date(k // 12, k % 12 + 1, 1):%B %Y}",
    ),
)
YEARLY = (None, lambda d: d.year, str)


def date_counts(distribution):
    """(label, count) per day, week, month or year, by how far the dates spread: at most
    a few dozen bars. Days, weeks and months without answers in between count zero; years
    are shown only when answered (a typo's year 1026 adds one bar, not a thousand)."""
    if not distribution:
        return []
    days = [(date.fromisoformat(value), n) for value, n in distribution]
    spread = (days[-1][0] - days[0][0]).days
    up_to, bucket, label = next((g for g in GRANULARITIES if spread <= g[0]), YEARLY)
    counts = {}
    for day, n in days:
        counts[bucket(day)] = counts.get(bucket(day), 0) + n
    keys = sorted(counts) if up_to is None else range(min(counts), max(counts) + 1)
    return [(label(key), counts.get(key, 0)) for key in keys]


class Date(Kind):
    key, label = "date", "Date"
    stores = "text"
    grouped = True
    settings = {
        "min_date": Setting("Earliest", widget=DATE_INPUT),
        "max_date": Setting("Latest", widget=DATE_INPUT),
    }
    settings_legend = "Date: accepted range (optional)"
    sample_question = {"required": False, "min_date": date(2026, 1, 1)}
    template = "surveys/public/kinds/date.html"

    def form_field(self, question, **common):
        return forms.CharField(strip=False, **common)

    def clean(self, question, raw):
        text = _text(raw)
        if text is None or not ISO_DATE.fullmatch(text):
            raise ValidationError(
                "Enter a date as year-month-day, like 2026-11-28.", code="invalid"
            )
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValidationError("There is no such date.", code="invalid") from None
        if question.min_date and value < question.min_date:
            earliest = readable_date(question.min_date)
            raise ValidationError(f"Enter {earliest} or later.", code="min")
        if question.max_date and value > question.max_date:
            latest = readable_date(question.max_date)
            raise ValidationError(f"Enter {latest} or earlier.", code="max")
        return value.isoformat()

    def check_settings(self, question):
        return check_range(question, "min_date", "max_date")

    def limits(self, question):
        low, high = question.min_date, question.max_date
        if low and high:
            return [f"A date from {readable_date(low)} to {readable_date(high)}."]
        if low:
            return [f"A date from {readable_date(low)} on."]
        if high:
            return [f"A date up to {readable_date(high)}."]
        return []

    def describe(self, question):
        described = []
        if question.min_date:
            described.append(f"from {readable_date(question.min_date)}")
        if question.max_date:
            described.append(f"up to {readable_date(question.max_date)}")
        return described

    def summarize(self, question, answered, *, chosen, distribution):
        return Summary(bars(date_counts(distribution), answered), span=span_stats(distribution))

    def demo_answer(self, rng, options):
        # A day in the next two months, mostly a weekend.
        day = date(2026, 12, 1) + timedelta(days=rng.randrange(60))
        if day.weekday() < 5 and rng.random() < 0.7:
            day += timedelta(days=5 - day.weekday())
        return day.isoformat()


class TimeOfDay(Kind):
    key, label = "time", "Time of day"
    sample_question = {"required": False}
    stores = "text"
    grouped = True
    template = "surveys/public/kinds/time.html"

    def form_field(self, question, **common):
        return forms.CharField(strip=False, **common)

    def clean(self, question, raw):
        text = _text(raw)
        if text is None or not ISO_TIME.fullmatch(text):
            raise ValidationError("Enter a time as hours:minutes, like 14:30.", code="invalid")
        hours, minutes = int(text[:2]), int(text[3:])
        if hours > 23 or minutes > 59:
            raise ValidationError("There is no such time of day.", code="invalid")
        return text

    def summarize(self, question, answered, *, chosen, distribution):
        counts = {}
        for value, n in distribution:
            counts[int(value[:2])] = counts.get(int(value[:2]), 0) + n
        hours = range(min(counts), max(counts) + 1) if counts else ()
        pairs = [(f"{hour:02}:00–{hour:02}:59", counts.get(hour, 0)) for hour in hours]
        return Summary(bars(pairs, answered), span=span_stats(distribution))

    def demo_answer(self, rng, options):
        hour = min(22, max(6, round(rng.gauss(13, 3))))
        return f"{hour:02}:{rng.choice((0, 15, 30, 45)):02}"
