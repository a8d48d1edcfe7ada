"""A started survey changes only through a new version; drafts reorder without JavaScript;
the per-survey "one response per browser" switch."""

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey, build_survey
from surveys import errors, services
from surveys.models import Answer, Question, Submission, Survey

from .helpers import answer_data, answer_url, database_state

pytestmark = pytest.mark.django_db


def prompts(survey):
    return list(survey.questions.values_list("prompt", flat=True))


def test_a_new_version_takes_over_the_link_and_old_answers_keep_their_questions(
    owner_client, client, active_survey
):
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    stored = list(
        Answer.objects.values_list("question__prompt", "option__text").order_by("question_id")
    )
    token = active_survey.public_token

    response = owner_client.post(reverse("surveys:new_version", args=[active_survey.pk]))
    draft = Survey.objects.get(previous_version=active_survey)
    assert response.url == reverse("surveys:edit", args=[draft.pk])
    assert draft.is_draft and draft.version == 2 and prompts(draft) == prompts(active_survey)
    # Asking again continues the same draft.
    owner_client.post(reverse("surveys:new_version", args=[active_survey.pk]))
    assert Survey.objects.filter(previous_version=active_survey).count() == 1

    first = draft.questions.first()
    owner_client.post(
        reverse("surveys:question_edit", args=[first.pk]),
        {"prompt": "A different question?", "kind": "single", "required": "on"},
    )
    owner_client.post(reverse("surveys:start", args=[draft.pk]))
    draft.refresh_from_db()
    active_survey.refresh_from_db()

    assert draft.is_active and draft.public_token == token
    assert active_survey.is_closed and active_survey.public_token != token
    # The old answers still point at the questions their takers saw, unchanged.
    assert (
        list(
            Answer.objects.values_list("question__prompt", "option__text").order_by("question_id")
        )
        == stored
    )
    assert Answer.objects.filter(question__survey=draft).count() == 0
    # The shared link now serves the new questions.
    page = client.get(answer_url(draft))
    assert "A different question?" in page.content.decode()
    results = owner_client.get(reverse("surveys:results", args=[active_survey.pk]))
    assert "It was replaced by" in results.content.decode()
    assert results.context["results"].submissions == 1


def test_a_replaced_version_gets_no_second_successor(owner, active_survey):
    draft = services.new_version(survey=active_survey)
    services.publish_survey(survey=draft)
    active_survey.refresh_from_db()
    with pytest.raises(errors.WrongStatus):
        services.new_version(survey=active_survey)


def test_a_taker_mid_form_when_the_version_changes_is_asked_again(client, active_survey):
    """Their answers are to questions the link no longer serves: nothing is stored under
    the wrong questions, and they get the new form with a clear message."""
    link = answer_url(active_survey)
    data = answer_data(client, active_survey)
    new = services.new_version(survey=active_survey)
    new.questions.update(prompt="Reworded?")
    services.publish_survey(survey=new)
    response = client.post(link, data)
    assert response.status_code == 400
    assert "didn't match this survey" in response.content.decode()
    assert "Reworded?" in response.content.decode()
    assert Submission.objects.count() == 0


def test_started_surveys_refuse_structure_changes(owner_client, active_survey):
    question = active_survey.questions.first()
    before = database_state()
    for name, pk in [
        ("surveys:question_create", active_survey.pk),
        ("surveys:question_edit", question.pk),
        ("surveys:question_move", question.pk),
        ("surveys:option_move", question.options.first().pk),
    ]:
        args = [pk, "down"] if "move" in name else [pk]
        response = owner_client.post(reverse(name, args=args), {"prompt": "Changed?"})
        assert response.status_code == 302
    assert database_state() == before


def test_move_questions_and_options_up_and_down(owner_client, owner):
    survey = build_survey(owner=owner, questions=3, options=3)
    first, second, third = survey.questions.all()
    owner_client.post(reverse("surveys:question_move", args=[third.pk, "up"]))
    assert list(survey.questions.all()) == [first, third, second]
    response = owner_client.post(reverse("surveys:question_move", args=[first.pk, "up"]))
    assert response.url.endswith(f"#question-{first.pk}")
    assert list(survey.questions.all()) == [first, third, second]  # already at the top
    a, b, c = first.options.all()
    owner_client.post(reverse("surveys:option_move", args=[a.pk, "down"]))
    assert list(first.options.all()) == [b, a, c]
    assert owner_client.get(reverse("surveys:option_move", args=[a.pk, "down"])).status_code == 405


def test_question_form_creates_each_kind(owner_client, owner):
    survey = build_survey(owner=owner, questions=0)
    url = reverse("surveys:question_create", args=[survey.pk])
    response = owner_client.post(
        url,
        {
            "prompt": "How many?",
            "kind": "number",
            "min_value": "1",
            "max_value": "10",
            "min_choices": "2",  # ignored: not a multiple choice
        },
    )
    assert response.url == reverse("surveys:edit", args=[survey.pk])
    question = survey.questions.get()
    assert (question.kind, question.required, question.min_value, question.min_choices) == (
        "number",
        False,
        1,
        None,
    )
    bad = owner_client.post(
        url, {"prompt": "Pick", "kind": "multiple", "min_choices": "3", "max_choices": "2"}
    )
    assert "Must not be below the lowest." in bad.content.decode()
    assert survey.questions.count() == 1
    option_page = owner_client.get(reverse("surveys:option_create", args=[question.pk]))
    assert option_page.status_code == 302  # a number question has no options


def test_publish_needs_enough_options_for_the_minimum_ticks(owner):
    survey = build_mixed_survey(owner=owner)
    survey.questions.filter(kind=Question.Kind.MULTIPLE).update(min_choices=5)
    with pytest.raises(Exception, match="asks for at least 5 ticks"):
        services.publish_survey(survey=survey)


def test_one_response_per_browser_can_be_turned_off(owner_client, client, active_survey):
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    assert client.get(answer_url(active_survey)).status_code == 302  # to the thank-you page
    owner_client.post(
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


def test_a_started_survey_can_be_renamed(owner_client, active_survey):
    response = owner_client.post(
        reverse("surveys:rename", args=[active_survey.pk]), {"title": "Better title"}
    )
    assert response.url == reverse("surveys:results", args=[active_survey.pk])
    active_survey.refresh_from_db()
    assert active_survey.title == "Better title"
    blank = owner_client.post(reverse("surveys:rename", args=[active_survey.pk]), {"title": " "})
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()
