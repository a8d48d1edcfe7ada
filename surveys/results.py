"""Survey results, counted by the database in a fixed number of queries whatever the
number of answers. Unfiltered counts come from the tallies kept with every submission;
filtered ones ("only takers who chose X") are counted from the answers."""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Prefetch, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from . import tallies
from .answers import plain_number
from .models import Answer, Option, Question, Submission

TEXT_SAMPLES = 3
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
class QuestionResult:
    pk: int
    number: int
    kind: str
    kind_label: str
    prompt: str
    answered: int
    bars: list[Bar]
    stats: NumberStats | None = None
    texts: tuple[str, ...] = ()

    @property
    def is_text(self):
        return self.kind in Question.TEXT_KINDS

    @property
    def has_options(self):
        return self.kind in Question.CHOICE_KINDS


@dataclass(frozen=True)
class SurveyResults:
    submissions: int
    questions: list[QuestionResult]


def _percent(part, whole):
    return 100 * part / whole if whole else 0.0


def filtered_submissions(survey, chose=None):
    """The survey's submissions, or only those that chose the option `chose`."""
    submissions = Submission.objects.filter(survey=survey)
    if chose is not None:
        submissions = submissions.filter(answers__option=chose)
    return submissions


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


def _stats(question, distribution):
    count = sum(n for _, n in distribution)
    if not count:
        return None
    mean = sum(Decimal(value) * n for value, n in distribution) / count
    nps = None
    if question.kind == Question.Kind.NPS:
        promoters = sum(n for value, n in distribution if value >= 9)
        detractors = sum(n for value, n in distribution if value <= 6)
        nps = round(100 * (promoters - detractors) / count)
    return NumberStats(
        count=count,
        mean=mean.quantize(CENT, rounding=ROUND_HALF_UP),
        median=_median(distribution, count).normalize(),
        lowest=distribution[0][0],
        highest=distribution[-1][0],
        nps=nps,
    )


def _number_bars(question, distribution, answered):
    if question.kind in Question.SCALES:
        counts = dict(distribution)
        low, high = Question.SCALES[question.kind]
        pairs = [(str(value), counts.get(value, 0)) for value in range(low, high + 1)]
    elif len(distribution) <= HISTOGRAM_BINS:
        pairs = [(plain_number(value), n) for value, n in distribution]
    else:
        pairs = _histogram(distribution)
    return [Bar(label, n, _percent(n, answered)) for label, n in pairs]


def _nice_width(span):
    """The smallest 1, 2 or 5 times a power of ten that splits `span` into at most
    HISTOGRAM_BINS bins."""
    raw = Decimal(span) / HISTOGRAM_BINS
    magnitude = Decimal(10) ** (raw.adjusted() if raw else 0)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= raw)


def _histogram(distribution):
    """(label, count) per range of equal, round width: "100 to under 200"."""
    lowest, highest = Decimal(distribution[0][0]), Decimal(distribution[-1][0])
    width = _nice_width(highest - lowest)
    start = (lowest / width).to_integral_value(rounding=ROUND_FLOOR) * width
    bins = [0] * (int((highest - start) // width) + 1)
    for value, n in distribution:
        bins[int((Decimal(value) - start) // width)] += n
    return [
        (f"{plain_number(start + i * width)} to under {plain_number(start + (i + 1) * width)}", n)
        for i, n in enumerate(bins)
    ]


def _distributions(answers, questions):
    """Per numeric question: sorted (value, count) pairs, in one grouped query."""
    numeric = [q.pk for q in questions if q.kind in Question.NUMERIC_KINDS]
    distributions = {pk: [] for pk in numeric}
    if numeric:
        rows = (
            answers.filter(question__in=numeric)
            .values_list("question", "number")
            .annotate(n=Count("id"))
            .order_by("question", "number")
        )
        for question_id, value, n in rows:
            distributions[question_id].append((value, n))
    return distributions


def _text_samples(answers, questions):
    """Per text question: its newest few answers, in one query."""
    text = [q.pk for q in questions if q.kind in Question.TEXT_KINDS]
    samples = {pk: [] for pk in text}
    if text:
        newest = Window(RowNumber(), partition_by=F("question"), order_by=F("pk").desc())
        rows = (
            answers.filter(question__in=text)
            .annotate(rank=newest)
            .filter(rank__lte=TEXT_SAMPLES)
            .order_by("question", "-pk")
            .values_list("question", "text")
        )
        for question_id, value in rows:
            samples[question_id].append(value)
    return samples


def _counted_from_tallies(survey):
    """Questions (options prefetched) with the tallied counts: three queries, the sums
    riding on the question and option queries themselves."""
    # Explicit order: Django leaves Meta.ordering out of GROUP BY queries.
    options = Option.objects.annotate(chosen=Coalesce(Sum("tallies__count"), 0)).order_by(
        "position", "pk"
    )
    questions = list(
        Question.objects.filter(survey=survey)
        .annotate(answered=Coalesce(Sum("tallies__count"), 0))
        .order_by("position", "pk")
        .prefetch_related(Prefetch("options", queryset=options))
    )
    answered = {q.pk: q.answered for q in questions}
    chosen = {o.pk: o.chosen for q in questions for o in q.options.all()}
    return questions, tallies.submissions(survey), answered, chosen


def results_for(survey, *, chose=None):
    """Counts per option, statistics per number and rating, the newest text answers; for
    every submission, or only those that chose the option `chose`."""
    answers = Answer.objects.filter(question__survey=survey)
    if chose is None:
        questions, submissions, answered, chosen = _counted_from_tallies(survey)
    else:
        questions = list(Question.objects.filter(survey=survey).prefetch_related("options"))
        filtered = filtered_submissions(survey, chose)
        submissions, answered, chosen = tallies.counted(filtered)
        answers = answers.filter(submission__in=filtered.values("pk"))
    distributions = _distributions(answers, questions)
    samples = _text_samples(answers, questions)
    results = []
    for number, question in enumerate(questions, start=1):
        n = answered.get(question.pk, 0)
        bars, stats = [], None
        if question.has_options:
            bars = [
                Bar(o.text, chosen.get(o.pk, 0), _percent(chosen.get(o.pk, 0), n), o.pk)
                for o in question.options.all()
            ]
        elif question.pk in distributions:
            bars = _number_bars(question, distributions[question.pk], n)
            stats = _stats(question, distributions[question.pk])
        results.append(
            QuestionResult(
                pk=question.pk,
                number=number,
                kind=question.kind,
                kind_label=question.get_kind_display(),
                prompt=question.prompt,
                answered=n,
                bars=bars,
                stats=stats,
                texts=tuple(samples.get(question.pk, ())),
            )
        )
    return SurveyResults(submissions=submissions, questions=results)
