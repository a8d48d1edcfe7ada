"""A survey's life: start, close (by hand, by date, by a response limit), reopen,
rename, duplicate, delete."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dbtools.factories import (
    add_submissions,
    build_mixed_survey,
    build_survey,
)
from surveys import errors, services
from surveys.models import (
    Option,
    Question,
    Submission,
    Survey,
)
from tests.helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db


def structure(survey):
    return [(q.prompt, [o.text for o in q.options.all()]) for q in survey.questions.all()]


def test_cannot_start_without_questions_or_with_one_option(alice_client, alice):
    survey = build_survey(owner=alice, questions=0)
    response = alice_client.post(reverse("surveys:start", args=[survey.pk]), follow=True)
    assert b"Add at least one question." in response.content
    survey.refresh_from_db()
    assert survey.is_draft

    build_survey_question = Question.objects.create(survey=survey, prompt="Lonely?", position=1)
    Option.objects.create(question=build_survey_question, text="Yes", position=1)
    response = alice_client.post(reverse("surveys:start", args=[survey.pk]), follow=True)
    assert "“Lonely?” needs at least 2 options.".encode() in response.content
    survey.refresh_from_db()
    assert survey.is_draft

    Option.objects.create(question=build_survey_question, text="No", position=2)
    alice_client.post(reverse("surveys:start", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.is_active


def test_publish_needs_enough_options_for_the_minimum_ticks(alice):
    survey = build_mixed_survey(owner=alice)
    survey.questions.filter(kind=Question.KindChoices.MULTIPLE).update(min_choices=5)
    with pytest.raises(Exception, match="asks for at least 5 ticks"):
        services.start_survey(survey=survey)


def test_close_only_a_running_survey(draft_survey, active_survey):
    with pytest.raises(errors.WrongStatus):
        services.close_survey(survey=draft_survey)
    services.close_survey(survey=active_survey)
    active_survey.refresh_from_db()
    assert active_survey.is_closed


def test_closing_rules_are_validated(alice_client, active_survey):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = alice_client.post(
        reverse("surveys:closing", args=[active_survey.pk]), {"closes_at": past}, follow=True
    )
    assert b"Choose a time in the future." in response.content
    assert Survey.objects.get(pk=active_survey.pk).closes_at is None
    future = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    alice_client.post(
        reverse("surveys:closing", args=[active_survey.pk]),
        {"closes_at": future, "max_responses": "50"},
    )
    survey = Survey.objects.get(pk=active_survey.pk)
    assert survey.max_responses == 50 and survey.closes_at > timezone.now()


def test_reopen_clears_a_past_close_date(alice_client, closed_survey):
    Survey.objects.filter(pk=closed_survey.pk).update(
        closes_at=timezone.now() - timedelta(hours=1)
    )
    alice_client.post(reverse("surveys:reopen", args=[closed_survey.pk]))
    survey = Survey.objects.get(pk=closed_survey.pk)
    assert survey.is_active and survey.closes_at is None and survey.closed_at is None
    with pytest.raises(errors.WrongStatus):
        services.reopen_survey(survey=survey)


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


def test_one_response_per_browser_can_be_turned_off(alice_client, client, active_survey):
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    assert client.get(answer_url(active_survey)).status_code == 302  # to the thank-you page
    alice_client.post(
        reverse("surveys:closing", args=[active_survey.pk]), {"one_response_per_browser": ""}
    )
    active_survey.refresh_from_db()
    assert not active_survey.one_response_per_browser
    thanks = client.get(reverse("public:thanks", args=[active_survey.public_token]))
    assert "Start a new response" in thanks.content.decode()
    second = answer_data(client, active_survey)
    assert client.post(answer_url(active_survey), second).status_code == 302
    assert client.post(answer_url(active_survey), second).status_code == 302  # a replay
    assert Submission.objects.count() == 2


def test_a_started_survey_can_be_renamed(alice_client, active_survey):
    response = alice_client.post(
        reverse("surveys:rename", args=[active_survey.pk]), {"title": "Better title"}
    )
    assert response.url == reverse("surveys:settings", args=[active_survey.pk])
    active_survey.refresh_from_db()
    assert active_survey.title == "Better title"
    blank = alice_client.post(reverse("surveys:rename", args=[active_survey.pk]), {"title": " "})
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()


def test_duplicate_copies_the_structure_not_the_responses(alice_client, alice, active_survey):
    add_submissions(active_survey, 4)
    response = alice_client.post(reverse("surveys:duplicate", args=[active_survey.pk]))
    copy = Survey.objects.exclude(pk=active_survey.pk).get()
    assert response.url == reverse("surveys:edit", args=[copy.pk])
    assert copy.is_draft and copy.owner == alice and copy.title == f"Copy of {active_survey.title}"
    assert copy.public_token != active_survey.public_token
    assert structure(copy) == structure(active_survey)
    assert copy.submissions.count() == 0


def test_duplicate_keeps_every_kind_and_setting(alice):
    source = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    copy = services.duplicate_survey(survey=source, owner=alice)
    fields = ("kind", "prompt", "help_text", "required", "min_choices", "max_choices")
    settings = [*fields, "min_value", "max_value"]
    assert list(copy.questions.values_list(*settings)) == list(
        source.questions.values_list(*settings)
    )
    assert structure(copy) == structure(source)


def test_delete_survey_needs_confirmation_and_removes_responses(alice_client, active_survey):
    add_submissions(active_survey, 5)
    page = alice_client.get(reverse("surveys:delete", args=[active_survey.pk]))
    assert b"every response to it" in page.content
    assert Survey.objects.filter(pk=active_survey.pk).exists()

    response = alice_client.post(reverse("surveys:delete", args=[active_survey.pk]))
    assert response.url == reverse("surveys:list")
    assert not Survey.objects.filter(pk=active_survey.pk).exists()
    assert not Question.objects.filter(survey_id=active_survey.pk).exists()
