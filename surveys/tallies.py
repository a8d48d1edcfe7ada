"""Exact running counts for results, maintained inside each submission's transaction.

Reading results then costs a sum over a handful of rows per option instead of a count over
every answer. Each submission adds 1 to one randomly chosen shard of its survey's row and
of each chosen option's row, always in the same order (survey, then options by id), so two
submissions can wait for each other but never deadlock.
"""

import random

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from .models import Answer, OptionTally, Submission, SurveyTally

SHARDS = 8


def _upsert(table, key_column, keys, shard):
    rows = ", ".join(["(%s, %s, 1)"] * len(keys))
    params = [value for key in keys for value in (key, shard)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, shard, count) VALUES {rows} "
            f"ON CONFLICT ({key_column}, shard) DO UPDATE SET count = {table}.count + 1",
            params,
        )


def submissions(survey):
    return SurveyTally.objects.filter(survey=survey).aggregate(n=Coalesce(Sum("count"), 0))["n"]


def count_submission(survey_id, option_ids):
    """Call inside the transaction that stores the submission."""
    shard = random.randrange(SHARDS)
    _upsert(SurveyTally._meta.db_table, "survey_id", [survey_id], shard)
    _upsert(OptionTally._meta.db_table, "option_id", sorted(option_ids), shard)


@transaction.atomic
def recount(surveys):
    """Check the tallies of `surveys` against the stored answers, then rebuild them.
    Returns the surveys whose tallies had drifted (empty when all were right)."""
    surveys = list(surveys)
    drifted = [survey for survey in surveys if _stored(survey) != _counted(survey)]
    rebuild(surveys)
    return drifted


@transaction.atomic
def rebuild(surveys):
    """Set the tallies of `surveys` from the stored answers (after bulk writes)."""
    SurveyTally.objects.filter(survey__in=surveys).delete()
    OptionTally.objects.filter(option__question__survey__in=surveys).delete()
    per_survey = (
        Submission.objects.filter(survey__in=surveys).values("survey").annotate(n=Count("id"))
    )
    SurveyTally.objects.bulk_create(
        SurveyTally(survey_id=row["survey"], shard=0, count=row["n"]) for row in per_survey
    )
    answers = (
        Answer.objects.filter(submission__survey__in=surveys)
        .values("option")
        .annotate(n=Count("id"))
    )
    OptionTally.objects.bulk_create(
        OptionTally(option_id=row["option"], shard=0, count=row["n"]) for row in answers
    )


def _stored(survey):
    per_option = {}
    for option_id, count in OptionTally.objects.filter(
        option__question__survey=survey
    ).values_list("option", "count"):
        per_option[option_id] = per_option.get(option_id, 0) + count
    return submissions(survey), {k: v for k, v in per_option.items() if v}


def _counted(survey):
    submissions = Submission.objects.filter(survey=survey).count()
    per_option = dict(
        Answer.objects.filter(submission__survey=survey)
        .values("option")
        .annotate(n=Count("id"))
        .values_list("option", "n")
    )
    return submissions, per_option
