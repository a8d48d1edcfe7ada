"""Realistic generated data for development, demos and benchmarks.

Users, surveys, questions and options come from the factory_boy factories the tests use.
Submissions and answers are the bulk (a million answers is a normal request), so they are
written in chunks with PostgreSQL's COPY, or executemany on SQLite, each chunk its own
transaction. Answers are skewed like real opinions: in every question a few options are
popular and the rest trail off.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from surveys import tallies
from surveys.models import Answer, Option, Question, Submission, Survey

SEED_USER_PREFIX = "seed-"
PASSWORD = "correct-horse-battery"  # of every generated user, and of the tests' users
CHUNK_SUBMISSIONS = 5000


@dataclass(frozen=True)
class Plan:
    users: int = 5
    surveys: int = 3  # per user
    questions: int = 5  # per survey
    options: int = 4  # per question
    submissions: int = 200  # per survey
    seed: int | None = None

    @property
    def answers(self):
        return self.users * self.surveys * self.submissions * self.questions


def seed_users():
    return get_user_model().objects.filter(username__startswith=SEED_USER_PREFIX)


def flush():
    """Delete every generated user and all their data."""
    surveys = Survey.objects.filter(owner__in=seed_users())
    with transaction.atomic():
        # Answers have nothing depending on them: Django deletes them with one query.
        answers, _ = Answer.objects.filter(submission__survey__in=surveys).delete()
        _, deleted = seed_users().delete()
    return {
        "users": deleted.get(get_user_model()._meta.label, 0),
        "surveys": deleted.get(Survey._meta.label, 0),
        "submissions": deleted.get(Submission._meta.label, 0),
        "answers": answers,
    }


def _skewed_cumulative_weights(rng, count):
    """Zipf-like popularity over a random order of the options, with some noise."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return list(accumulate((1 / rank**1.3) * rng.uniform(0.7, 1.3) for rank in ranks))


def generate(plan, *, progress=None):
    """Create exactly what `plan` asks for. `progress(n)` is called as answers are written.
    Needs the development requirements (factory_boy and Faker)."""
    import factory.random

    from .factories import OptionFactory, QuestionFactory, SurveyFactory, UserFactory

    rng = random.Random(plan.seed)
    if plan.seed is not None:
        factory.random.reseed_random(plan.seed)
    now = timezone.now()

    with transaction.atomic():
        offset = seed_users().count()
        password = make_password(PASSWORD)
        users = get_user_model().objects.bulk_create(
            # Hashed once above and forced in: hashing per user would take most of the run.
            UserFactory.build(
                username=f"{SEED_USER_PREFIX}{offset + n:05d}",
                password=factory.Transformer.Force(password),
            )
            for n in range(plan.users)
        )
        surveys = Survey.objects.bulk_create(
            SurveyFactory.build(owner=user, status=Survey.Status.ACTIVE, started_at=now)
            for user in users
            for _ in range(plan.surveys)
        )
        questions = Question.objects.bulk_create(
            QuestionFactory.build(survey=survey, position=position)
            for survey in surveys
            for position in range(1, plan.questions + 1)
        )
        options = Option.objects.bulk_create(
            OptionFactory.build(question=question, position=position)
            for question in questions
            for position in range(1, plan.options + 1)
        )

    by_question = {}
    for option in options:
        by_question.setdefault(option.question_id, []).append(option.pk)
    layout = {
        survey.pk: [
            (q.pk, by_question[q.pk], _skewed_cumulative_weights(rng, plan.options))
            for q in questions
            if q.survey_id == survey.pk
        ]
        for survey in surveys
    }
    writer = _CopyWriter() if connection.vendor == "postgresql" else _InsertWriter()
    next_id = (Submission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for survey_id, survey_questions in layout.items():
        for start in range(0, plan.submissions, CHUNK_SUBMISSIONS):
            size = min(CHUNK_SUBMISSIONS, plan.submissions - start)
            submissions, answers = [], []
            for submission_id in range(next_id, next_id + size):
                created = now - timedelta(seconds=rng.uniform(0, 30 * 24 * 3600))
                submissions.append(
                    (submission_id, survey_id, f"{rng.getrandbits(128):032x}", created)
                )
                for question_id, option_ids, weights in survey_questions:
                    option_id = rng.choices(option_ids, cum_weights=weights)[0]
                    answers.append((submission_id, question_id, option_id))
            with transaction.atomic():
                writer.write(submissions, answers)
            next_id += size
            if progress:
                progress(len(answers))
    writer.finish(next_id - 1)
    tallies.rebuild(surveys)
    return {
        "users": len(users),
        "surveys": len(surveys),
        "questions": len(questions),
        "options": len(options),
        "submissions": plan.users * plan.surveys * plan.submissions,
        "answers": plan.answers,
    }


class _CopyWriter:
    """PostgreSQL: COPY is several times faster than INSERT for bulk rows."""

    def write(self, submissions, answers):
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(
                "COPY surveys_submission (id, survey_id, token, created_at) FROM STDIN"
            ) as copy:
                for row in submissions:
                    copy.write_row(row)
            with raw.copy(
                "COPY surveys_answer (submission_id, question_id, option_id) FROM STDIN"
            ) as copy:
                copy.write("".join(f"{s}\t{q}\t{o}\n" for s, q, o in answers).encode())

    def finish(self, last_id):
        # Ids were assigned here, so move the sequence past them for the app's own inserts.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('surveys_submission', 'id'),"
                " GREATEST(%s, (SELECT COALESCE(MAX(id), 1) FROM surveys_submission)))",
                [max(last_id, 1)],
            )


class _InsertWriter:
    def write(self, submissions, answers):
        adapt = connection.ops.adapt_datetimefield_value
        submissions = [
            (pk, survey, token, adapt(created)) for pk, survey, token, created in submissions
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO surveys_submission (id, survey_id, token, created_at)"
                " VALUES (%s, %s, %s, %s)",
                submissions,
            )
            cursor.executemany(
                "INSERT INTO surveys_answer (submission_id, question_id, option_id)"
                " VALUES (%s, %s, %s)",
                answers,
            )

    def finish(self, last_id):
        """SQLite's INTEGER PRIMARY KEY continues past the largest id by itself."""
