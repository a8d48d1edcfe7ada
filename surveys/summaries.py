"""What results are made of (bars and number statistics) and the arithmetic behind them,
on plain values: no database here. The kinds of question (surveys/kinds/) use these to
summarise their answers; surveys/results.py fetches what they summarise."""

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from lib.numbers import plain_number

CENT = Decimal("0.01")  # means are shown to two places, halves rounded up
HISTOGRAM_BINS = 8


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float
    option_pk: int | None = None  # choice questions: the option this bar counts


@dataclass(frozen=True)
class NumberStats:
    count: int
    mean: Decimal
    median: Decimal
    lowest: Decimal
    highest: Decimal
    nps: int | None = None


@dataclass(frozen=True)
class SpanStats:
    """Earliest, median and latest of dates or times, as stored (ISO 8601 text)."""

    count: int
    earliest: str
    median: str
    latest: str


@dataclass(frozen=True)
class RowSummary:
    """One row of a matrix (its bars over the scale) or one option of a ranking; `mean`
    is the row's mean on a numeric scale, or the option's mean place."""

    label: str
    answered: int
    bars: list[Bar]
    mean: Decimal | None = None


@dataclass(frozen=True)
class Summary:
    """A question's results: its bars, statistics when its answers are numbers (`stats`)
    or dates and times (`span`), and rows for matrices and rankings."""

    bars: list[Bar] = field(default_factory=list)
    stats: NumberStats | None = None
    span: SpanStats | None = None
    rows: list[RowSummary] = field(default_factory=list)


def mean_of(pairs):
    """The mean of (value, count) pairs, to two places; None if there are none."""
    count = sum(n for _, n in pairs)
    if not count:
        return None
    total = sum(Decimal(value) * n for value, n in pairs)
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part, whole):
    return 100 * part / whole if whole else 0.0


def bars(pairs, answered):
    """A Bar per (label, count) pair, as a percentage of those who answered."""
    return [Bar(label, n, percent(n, answered)) for label, n in pairs]


def _value_at(distribution, index):
    """The value at `index` of the sorted answers given as (value, count) pairs."""
    seen = 0
    for value, n in distribution:
        seen += n
        if seen > index:
            return Decimal(value)
    raise IndexError(index)


def _median(distribution, count):
    return (_value_at(distribution, (count - 1) // 2) + _value_at(distribution, count // 2)) / 2


def number_stats(distribution, *, nps=False):
    """Count, mean, median, lowest and highest of sorted (value, count) pairs; with `nps`
    also the Net Promoter Score (percent of 9-10 minus percent of 0-6). None if empty."""
    count = sum(n for _, n in distribution)
    if not count:
        return None
    mean = sum(Decimal(value) * n for value, n in distribution) / count
    score = None
    if nps:
        promoters = sum(n for value, n in distribution if value >= 9)
        detractors = sum(n for value, n in distribution if value <= 6)
        score = round(100 * (promoters - detractors) / count)
    return NumberStats(
        count=count,
        mean=mean.quantize(CENT, rounding=ROUND_HALF_UP),
        median=_median(distribution, count).normalize(),
        lowest=distribution[0][0],
        highest=distribution[-1][0],
        nps=score,
    )


def _nice_width(span):
    """The smallest 1, 2 or 5 times a power of ten that splits `span` into at most
    HISTOGRAM_BINS bins."""
    raw = Decimal(span) / HISTOGRAM_BINS
    magnitude = Decimal(10) ** (raw.adjusted() if raw else 0)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= raw)


def value_counts(distribution):
    """(label, count) per value when there are few distinct values, else per range of equal,
    round width: "100 to under 200"."""
    if len(distribution) <= HISTOGRAM_BINS:
        return [(plain_number(value), n) for value, n in distribution]
    lowest, highest = Decimal(distribution[0][0]), Decimal(distribution[-1][0])
    width = _nice_width(highest - lowest)
    start = (lowest / width).to_integral_value(rounding=ROUND_FLOOR) * width
    counts = [0] * (int((highest - start) // width) + 1)
    for value, n in distribution:
        counts[int((Decimal(value) - start) // width)] += n
    return [
        (f"{plain_number(start + i * width)} to under {plain_number(start + (i + 1) * width)}", n)
        for i, n in enumerate(counts)
    ]
