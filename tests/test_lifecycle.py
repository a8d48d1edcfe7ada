"""Close dates and response limits (checked at submit time), reopen, duplicate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dbtools.factories import add_submissions, build_mixed_survey
from surveys import errors, services
from surveys.models import Submission, Survey

from .helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db


def test_submit_after_the_close_date_closes_and_stores_nothing(client, active_survey):
    data = answer_data(client, active_survey)
    Survey.objects.filter(pk=active_survey.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(answer_url(active_survey), data)
    assert response.status_code == 410 and b"This survey is closed" in response.content
    assert Submission.objects.count() == 0
    assert Survey.objects.get(pk=active_survey.pk).is_closed


def test_response_limit_is_exact_and_replays_still_get_thanks(client, active_survey):
    Survey.objects.filter(pk=active_survey.pk).update(max_responses=2)
    thanks = reverse("public:thanks", args=[active_survey.public_token])
    takers = [client.__class__() for _ in range(3)]
    forms = [answer_data(taker, active_survey) for taker in takers]
    assert takers[0].post(answer_url(active_survey), forms[0]).url == thanks
    assert takers[1].post(answer_url(active_survey), forms[1]).url == thanks
    assert takers[2].post(answer_url(active_survey), forms[2]).status_code == 410
    assert Submission.objects.count() == 2
    assert Survey.objects.get(pk=active_survey.pk).is_closed
    # The second taker's retry is a replay of a stored submission, not a new one.
    survey = Survey.objects.get(pk=active_survey.pk)
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.ACTIVE)
    assert takers[1].post(answer_url(active_survey), forms[1]).url == thanks
    assert Submission.objects.count() == 2


def test_closing_rules_are_validated(owner_client, active_survey):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = owner_client.post(
        reverse("surveys:closing", args=[active_survey.pk]), {"closes_at": past}, follow=True
    )
    assert b"Choose a time in the future." in response.content
    assert Survey.objects.get(pk=active_survey.pk).closes_at is None
    future = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    owner_client.post(
        reverse("surveys:closing", args=[active_survey.pk]),
        {"closes_at": future, "max_responses": "50"},
    )
    survey = Survey.objects.get(pk=active_survey.pk)
    assert survey.max_responses == 50 and survey.closes_at > timezone.now()


def test_reopen_clears_a_past_close_date(owner_client, closed_survey):
    Survey.objects.filter(pk=closed_survey.pk).update(
        closes_at=timezone.now() - timedelta(hours=1)
    )
    owner_client.post(reverse("surveys:reopen", args=[closed_survey.pk]))
    survey = Survey.objects.get(pk=closed_survey.pk)
    assert survey.is_active and survey.closes_at is None and survey.closed_at is None
    with pytest.raises(errors.WrongStatus):
        services.reopen_survey(survey=survey)


def structure(survey):
    return [(q.prompt, [o.text for o in q.options.all()]) for q in survey.questions.all()]


def test_duplicate_copies_the_structure_not_the_responses(owner_client, owner, active_survey):
    add_submissions(active_survey, 4)
    response = owner_client.post(reverse("surveys:duplicate", args=[active_survey.pk]))
    copy = Survey.objects.exclude(pk=active_survey.pk).get()
    assert response.url == reverse("surveys:edit", args=[copy.pk])
    assert copy.is_draft and copy.owner == owner and copy.title == f"Copy of {active_survey.title}"
    assert copy.public_token != active_survey.public_token
    assert structure(copy) == structure(active_survey)
    assert copy.submissions.count() == 0


def test_duplicate_keeps_every_kind_and_setting(owner):
    source = build_mixed_survey(owner=owner, status=Survey.Status.ACTIVE)
    copy = services.duplicate_survey(survey=source, owner=owner)
    fields = ("kind", "prompt", "help_text", "required", "min_choices", "max_choices")
    settings = [*fields, "min_value", "max_value"]
    assert list(copy.questions.values_list(*settings)) == list(
        source.questions.values_list(*settings)
    )
    assert structure(copy) == structure(source)
