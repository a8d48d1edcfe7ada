"""Upgrading a database that already holds answers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from surveys.models import QuestionTally, Survey
from surveys.results import results_for

BEFORE = [("surveys", "0004_close_date_and_response_limit")]


@pytest.mark.django_db(transaction=True)
def test_question_types_migration_counts_who_answered_what_was_stored():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="early")
    survey = old.get_model("surveys", "Survey").objects.create(
        owner_id=user.pk, title="Old", status="active", public_token="old-token"
    )
    questions = [
        old.get_model("surveys", "Question").objects.create(survey=survey, prompt=p, position=n)
        for n, p in enumerate(["First?", "Second?"])
    ]
    options = {
        q.pk: [
            old.get_model("surveys", "Option").objects.create(question=q, text=t, position=n)
            for n, t in enumerate(["Yes", "No"])
        ]
        for q in questions
    }
    for n in range(3):
        submission = old.get_model("surveys", "Submission").objects.create(
            survey=survey, token=f"t{n}"
        )
        for q in questions:
            old.get_model("surveys", "Answer").objects.create(
                submission=submission, question=q, option=options[q.pk][n % 2]
            )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert {t.question_id: t.count for t in QuestionTally.objects.all()} == {
        q.pk: 3 for q in questions
    }
    migrated = Survey.objects.get(pk=survey.pk)
    assert migrated.version == 1 and migrated.one_response_per_browser
    results = results_for(migrated)
    assert [q.kind for q in results.questions] == ["single", "single"]
    assert [q.answered for q in results.questions] == [3, 3]
