"""What a creator reads about a survey's answers: results, each response in full, the text
answers of a question. Counted by the database in a fixed number of queries whatever the
number of answers. Unfiltered counts come from the tallies kept with every submission;
filtered ones ("only takers who chose X") are counted from the answers."""

from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.db.models import Count, F, Prefetch, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from lib.numbers import plain_number

from . import tallies
from .exports import columns, row_maker
from .kinds import KINDS
from .models import Answer, Option, Question, Submission, Upload
from .summaries import Bar, NumberStats, RowSummary, SpanStats

TEXT_SAMPLES = 3
FILE_SAMPLES = 6


@dataclass(frozen=True)
class FileAnswer:
    """A file question's answer as the pages show it: its name, and the Upload to link
    to (for the survey's owner) with its thumbnail when it is an image."""

    name: str
    upload_pk: int
    has_thumbnail: bool

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class QuestionResult:
    pk: int
    number: int
    kind: str
    prompt: str
    answered: int
    bars: list[Bar]
    stats: NumberStats | None = None
    span: SpanStats | None = None
    rows: tuple[RowSummary, ...] = ()
    texts: tuple[str, ...] = ()
    files: tuple[FileAnswer, ...] = ()

    @property
    def kind_def(self):
        return KINDS[self.kind]

    @property
    def kind_label(self):
        return self.kind_def.label

    @property
    def is_text(self):
        return self.kind_def.free_text

    @property
    def filterable(self):
        return self.kind_def.filterable

    @property
    def mean_name(self):
        """What a row's mean is: a ranking's mean place, or a matrix row's mean."""
        return self.kind_def.mean_name


@dataclass(frozen=True)
class SurveyResults:
    submissions: int
    questions: list[QuestionResult]


def filtered_submissions(survey, chose=None):
    """The survey's submissions, or only those that chose the option `chose`."""
    submissions = Submission.objects.filter(survey=survey)
    if chose is not None:
        submissions = submissions.filter(answers__option=chose)
    return submissions


def _distributions(answers, questions):
    """Per question of a grouped kind: sorted (value, count) pairs, in one grouped query.
    The value is the number (numbers, ratings), the text (dates, times), or (option id,
    number) for kinds that give each option a number (ranking, matrix)."""
    grouped = [q.pk for q in questions if q.kind_def.grouped]
    distributions = {pk: [] for pk in grouped}
    if grouped:
        rows = (
            answers.filter(question__in=grouped)
            .values_list("question", "option", "number", "text")
            .annotate(n=Count("id"))
            .order_by("question", "option", "number", "text")
        )
        for question_id, option_id, number, text, n in rows:
            if option_id is not None:
                value = (option_id, int(number))
            else:
                value = text if number is None else number
            distributions[question_id].append((value, n))
    return distributions


def _newest(answers, question_ids, count, *fields):
    """The newest `count` answers to each of `question_ids`, in one windowed query:
    (question id, *fields) rows, by question."""
    newest = Window(RowNumber(), partition_by=F("question"), order_by=F("pk").desc())
    return (
        answers.filter(question__in=question_ids)
        .annotate(rank=newest)
        .filter(rank__lte=count)
        .order_by("question", "-pk")
        .values_list("question", *fields)
    )


def _text_samples(answers, questions):
    """Per text question: its newest few answers."""
    text = [q.pk for q in questions if q.kind_def.free_text]
    samples = {pk: [] for pk in text}
    if text:
        for question_id, value in _newest(answers, text, TEXT_SAMPLES, "text"):
            samples[question_id].append(value)
    return samples


def _file_samples(answers, questions):
    """Per file question: its newest few files."""
    asked = [q.pk for q in questions if q.kind_def.files]
    samples = {pk: [] for pk in asked}
    if asked:
        rows = _newest(answers, asked, FILE_SAMPLES, "text", "upload", "upload__thumbnail")
        for question_id, name, upload, thumbnail in rows:
            samples[question_id].append(FileAnswer(name, upload, bool(thumbnail)))
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
    return questions, tallies.submission_count(survey), answered, chosen


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
    files = _file_samples(answers, questions)
    results = []
    for number, question in enumerate(questions, start=1):
        n = answered.get(question.pk, 0)
        summary = question.kind_def.summarize(
            question, n, chosen=chosen, distribution=distributions.get(question.pk, [])
        )
        results.append(
            QuestionResult(
                pk=question.pk,
                number=number,
                kind=question.kind,
                prompt=question.prompt,
                answered=n,
                bars=summary.bars,
                stats=summary.stats,
                span=summary.span,
                rows=tuple(summary.rows),
                texts=tuple(samples.get(question.pk, ())),
                files=tuple(files.get(question.pk, ())),
            )
        )
    return SurveyResults(submissions=submissions, questions=results)


def readable_responses(submissions, questions):
    """For the per-response page: (submission, [(question, answer)]) for each submission of
    a page, with answers in one query; numbers shown as people write them."""
    submissions = list(submissions)
    answers = (
        Answer.objects.filter(submission__in=submissions)
        .order_by("submission_id", "pk")
        .values_list("submission_id", "question_id", "option_id", "text", "number")
    )
    by_submission = {
        pk: [row[1:] for row in rows] for pk, rows in groupby(answers, key=lambda row: row[0])
    }
    values, spans = row_maker(questions), columns(questions)
    uploads = _uploads_of(submissions, questions)
    readable = []
    for submission in submissions:
        cells = [
            plain_number(v) if isinstance(v, Decimal) else v
            for v in values(by_submission.get(submission.pk, []))
        ]
        answers = [
            (
                q,
                uploads.get((submission.pk, q.pk))
                or q.kind_def.readable(q, cells[start : start + n]),
            )
            for q, start, n in spans
        ]
        readable.append((submission, answers))
    return readable


def _uploads_of(submissions, questions):
    """(submission id, question id) → FileAnswer, in one query when there are file
    questions."""
    if not any(q.kind_def.files for q in questions):
        return {}
    rows = Upload.objects.filter(answer__submission__in=submissions).values_list(
        "answer__submission_id", "answer__question_id", "answer__text", "pk", "thumbnail"
    )
    return {
        (submission, question): FileAnswer(name, pk, bool(thumbnail))
        for submission, question, name, pk, thumbnail in rows
    }


def stored_files(submission):
    """The ids of the questions `submission` answered with a file."""
    return set(
        Upload.objects.filter(answer__submission=submission).values_list(
            "answer__question_id", flat=True
        )
    )


def text_answers(question, *, chose=None, search=""):
    """The text answers to `question` (and when they came), newest first; only of
    submissions that chose `chose`, and containing `search`, when given."""
    answers = Answer.objects.filter(
        question=question,
        submission__in=filtered_submissions(question.survey, chose).values("pk"),
    ).order_by("-pk")
    if search:
        answers = answers.filter(text__icontains=search)
    return answers.values_list("text", "submission__created_at")
