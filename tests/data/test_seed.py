"""setup_test_data: exact counts, deterministic with --seed, skewed answers, --flush."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from dbtools.seed import PASSWORD, seed_users
from surveys.models import Answer, Option, Question, Submission, Survey

pytestmark = pytest.mark.django_db(transaction=True)

ARGS = {
    "users": 2,
    "surveys": 3,
    "questions": 4,
    "options": 5,
    "submissions": 60,
    "no_progress": True,
}


def counts():
    return {
        "users": seed_users().count(),
        "surveys": Survey.objects.count(),
        "questions": Question.objects.count(),
        "options": Option.objects.count(),
        "submissions": Submission.objects.count(),
        "answers": Answer.objects.count(),
    }


def content():
    """Everything generated, without ids, in a stable order."""
    surveys = Survey.objects.order_by("owner__username", "pk")
    return [
        (
            survey.owner.username,
            survey.title,
            [
                (q.prompt, [(o.text, o.answers.count()) for o in q.options.all()])
                for q in survey.questions.all()
            ],
            sorted(survey.submissions.values_list("token", flat=True)),
        )
        for survey in surveys
    ]


def test_exactly_the_numbers_requested():
    call_command("setup_test_data", **ARGS)
    assert counts() == {
        "users": 2,
        "surveys": 6,
        "questions": 24,
        "options": 120,
        "submissions": 360,
        "answers": 1440,
    }
    # Every submission answers every question of its survey exactly once.
    per_submission = (
        Answer.objects.values("submission").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert set(per_submission) == {4}


def test_same_seed_same_data_and_flush_removes_it():
    call_command("setup_test_data", seed=42, **ARGS)
    first = content()
    call_command("setup_test_data", seed=42, flush=True, **ARGS)
    assert content() == first
    call_command("setup_test_data", seed=43, flush=True, **ARGS)
    assert content() != first
    call_command("setup_test_data", flush=True, **{**ARGS, "users": 0})
    assert counts() == dict.fromkeys(counts(), 0)


def test_without_flush_adds_more():
    call_command("setup_test_data", seed=1, **ARGS)
    call_command("setup_test_data", seed=1, **ARGS)
    assert counts()["users"] == 4 and counts()["answers"] == 2 * 1440


def test_answers_are_skewed_not_uniform():
    call_command(
        "setup_test_data", seed=5, **{**ARGS, "users": 1, "surveys": 1, "submissions": 2000}
    )
    for question in Question.objects.all():
        shares = sorted(o.answers.count() for o in question.options.all())
        assert shares[-1] > 2.5 * shares[0], shares  # uniform would be ~400 each


def test_generated_users_log_in_with_the_documented_password(client):
    call_command("setup_test_data", **{**ARGS, "users": 1})
    user = seed_users().get()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.url == reverse("surveys:list")


def test_keeps_data_it_did_not_generate(alice, active_survey):
    call_command("setup_test_data", **ARGS)
    call_command("setup_test_data", flush=True, **{**ARGS, "users": 0})
    assert list(Survey.objects.all()) == [active_survey]
