"""Exact running counts for results, maintained inside each submission's transaction.

Reading results then costs a sum over a handful of rows per option instead of a count over
every answer. Each submission adds 1 to one randomly chosen shard of its survey's row, of
each answered question's row and of each chosen option's row, always in the same order
(survey, questions by id, options by id), so two submissions can wait for each other but
never deadlock. A changed response moves its counts the same way (-1 from what it no
longer says, +1 to what it now says), a withdrawn one takes them back.
"""

import random
from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from .models import Answer, OptionTally, QuestionTally, Submission, SurveyTally

SHARDS = 8


def _upsert(table, key_column, deltas, shard):
    """Add each key's delta ({key: delta}) to its row of `shard`, keys in order."""
    keys = sorted(key for key, delta in deltas.items() if delta)
    if not keys:
        return
    rows = ", ".join(["(%s, %s, %s)"] * len(keys))
    params = [value for key in keys for value in (key, shard, deltas[key])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, shard, count) VALUES {rows} "
            f"ON CONFLICT ({key_column}, shard) DO UPDATE "
            f"SET count = {table}.count + excluded.count",
            params,
        )


def submission_count(survey):
    return SurveyTally.objects.filter(survey=survey).aggregate(n=Coalesce(Sum("count"), 0))["n"]


def count_submission(survey_id, *, question_ids, option_ids):
    """Call inside the transaction that stores the submission."""
    adjust(
        survey_id,
        responses=1,
        questions=dict.fromkeys(question_ids, 1),
        options=Counter(option_ids),
    )


def adjust(survey_id, *, responses, questions, options):
    """Add `responses` to the survey's count and each delta ({id: delta}) to its question's
    and option's; inside the transaction of the change."""
    shard = random.randrange(SHARDS)
    _upsert(SurveyTally._meta.db_table, "survey_id", {survey_id: responses}, shard)
    _upsert(QuestionTally._meta.db_table, "question_id", questions, shard)
    _upsert(OptionTally._meta.db_table, "option_id", options, shard)


@transaction.atomic
def recount(surveys):
    """Check the tallies of `surveys` against the stored answers, then rebuild them.
    Returns the surveys whose tallies had drifted (empty when all were right)."""
    surveys = list(surveys)
    drifted = [
        survey
        for survey in surveys
        if stored(survey) != counted(Submission.objects.filter(survey=survey))
    ]
    rebuild(surveys)
    return drifted


@transaction.atomic
def rebuild(surveys):
    """Set the tallies of `surveys` from the stored answers (after bulk writes)."""
    SurveyTally.objects.filter(survey__in=surveys).delete()
    QuestionTally.objects.filter(question__survey__in=surveys).delete()
    OptionTally.objects.filter(option__question__survey__in=surveys).delete()
    per_survey = (
        Submission.objects.filter(survey__in=surveys).values("survey").annotate(n=Count("id"))
    )
    SurveyTally.objects.bulk_create(
        SurveyTally(survey_id=row["survey"], shard=0, count=row["n"]) for row in per_survey
    )
    answers = Answer.objects.filter(submission__survey__in=surveys)
    QuestionTally.objects.bulk_create(
        QuestionTally(question_id=question_id, shard=0, count=n)
        for question_id, n in _answered(answers).items()
    )
    OptionTally.objects.bulk_create(
        OptionTally(option_id=option_id, shard=0, count=n)
        for option_id, n in _chosen(answers).items()
    )


def _answered(answers):
    """Per question: how many submissions answered it (a multiple choice has several rows)."""
    return dict(
        answers.values("question")
        .annotate(n=Count("submission", distinct=True))
        .values_list("question", "n")
        .order_by()
    )


def _chosen(answers):
    return dict(
        answers.filter(option__isnull=False)
        .values("option")
        .annotate(n=Count("id"))
        .values_list("option", "n")
        .order_by()
    )


def _summed(queryset, key):
    totals = {}
    for pk, count in queryset.values_list(key, "count"):
        totals[pk] = totals.get(pk, 0) + count
    return {pk: n for pk, n in totals.items() if n}


def stored(survey):
    """(submissions, submissions per answered question, answers per chosen option), read
    from the tallies: three small queries whatever the number of answers."""
    return (
        submission_count(survey),
        _summed(QuestionTally.objects.filter(question__survey=survey), "question"),
        _summed(OptionTally.objects.filter(option__question__survey=survey), "option"),
    )


def counted(queryset):
    """The same numbers as stored(), counted from the answers of a Submission queryset."""
    answers = Answer.objects.filter(submission__in=queryset.values("pk"))
    return queryset.count(), _answered(answers), _chosen(answers)
