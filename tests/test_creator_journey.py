"""A creator's whole journey through the web pages, checking what is stored at each step."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dbtools.factories import add_submissions, build_survey
from surveys import services
from surveys.models import Option, Question, Survey

pytestmark = pytest.mark.django_db


def test_sign_up_build_start_and_read_results(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "ada",
            "email": "ada@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("surveys:list")
    assert b"Hello ada" in response.content
    ada = get_user_model().objects.get(username="ada")

    response = client.post(reverse("surveys:create"), {"title": "Best snack"})
    survey = Survey.objects.get(owner=ada)
    assert survey.title == "Best snack" and survey.is_draft
    assert response.url == reverse("surveys:edit", args=[survey.pk])

    for prompt, options in [("Sweet or salty?", ["Sweet", "Salty"]), ("Size?", ["S", "M", "L"])]:
        response = client.post(
            reverse("surveys:question_create", args=[survey.pk]),
            {"prompt": prompt, "kind": "single", "required": "on"},
        )
        question = Question.objects.get(survey=survey, prompt=prompt)
        assert response.url == reverse("surveys:option_create", args=[question.pk])
        for text in options:
            client.post(reverse("surveys:option_create", args=[question.pk]), {"text": text})
        assert list(question.options.values_list("text", flat=True)) == options

    page = client.get(reverse("surveys:edit", args=[survey.pk]))
    assert [q.prompt for q in page.context["questions"]] == ["Sweet or salty?", "Size?"]
    assert page.context["problems"] == []

    response = client.post(reverse("surveys:start", args=[survey.pk]))
    assert response.url == reverse("surveys:results", args=[survey.pk])
    survey.refresh_from_db()
    assert survey.is_active and survey.started_at is not None

    results = client.get(response.url)
    public_url = "http://testserver" + reverse("public:start", args=[survey.public_token])
    assert public_url.encode() in results.content
    assert results.context["results"].submissions == 0
    assert b"<strong>0</strong> submissions" in results.content

    list_page = client.get(reverse("surveys:list"))
    assert list(list_page.context["surveys"]) == [survey]

    client.post(reverse("surveys:close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.is_closed and survey.closed_at is not None


def test_cannot_start_without_questions_or_with_one_option(owner_client, owner):
    survey = build_survey(owner=owner, questions=0)
    response = owner_client.post(reverse("surveys:start", args=[survey.pk]), follow=True)
    assert b"Add at least one question." in response.content
    survey.refresh_from_db()
    assert survey.is_draft

    build_survey_question = Question.objects.create(survey=survey, prompt="Lonely?", position=1)
    Option.objects.create(question=build_survey_question, text="Yes", position=1)
    response = owner_client.post(reverse("surveys:start", args=[survey.pk]), follow=True)
    assert "“Lonely?” needs at least 2 options.".encode() in response.content
    survey.refresh_from_db()
    assert survey.is_draft


def test_edit_and_delete_questions_and_options_in_draft(owner_client, draft_survey):
    question = draft_survey.questions.first()
    option = question.options.first()

    owner_client.post(
        reverse("surveys:question_edit", args=[question.pk]),
        {"prompt": "Renamed?", "kind": "single", "required": "on"},
    )
    owner_client.post(reverse("surveys:option_edit", args=[option.pk]), {"text": "Changed"})
    question.refresh_from_db()
    option.refresh_from_db()
    assert (question.prompt, option.text) == ("Renamed?", "Changed")

    owner_client.post(reverse("surveys:option_delete", args=[option.pk]))
    assert not Option.objects.filter(pk=option.pk).exists()
    owner_client.post(reverse("surveys:question_delete", args=[question.pk]))
    assert not Question.objects.filter(pk=question.pk).exists()
    assert draft_survey.questions.count() == 1


def test_blank_texts_are_refused_with_a_message(owner_client, draft_survey):
    response = owner_client.post(reverse("surveys:create"), {"title": "   "})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    question = draft_survey.questions.first()
    before = question.options.count()
    response = owner_client.post(
        reverse("surveys:option_create", args=[question.pk]), {"text": ""}
    )
    assert b"This field is required." in response.content
    assert question.options.count() == before


@pytest.mark.parametrize(
    "name, target",
    [
        ("surveys:question_create", "survey"),
        ("surveys:question_edit", "question"),
        ("surveys:question_delete", "question"),
        ("surveys:option_create", "question"),
        ("surveys:option_edit", "option"),
        ("surveys:option_delete", "option"),
    ],
)
def test_structure_is_frozen_once_started(owner_client, active_survey, name, target):
    question = active_survey.questions.first()
    obj = {"survey": active_survey, "question": question, "option": question.options.first()}[
        target
    ]
    before = (
        list(Question.objects.values_list("pk", "prompt")),
        list(Option.objects.values_list("pk", "text")),
    )
    for method in (owner_client.get, owner_client.post):
        response = method(reverse(name, args=[obj.pk]), {"prompt": "X", "text": "X"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse(
            "surveys:results", args=[active_survey.pk]
        )
        assert b"can no longer change" in response.content
    after = (
        list(Question.objects.values_list("pk", "prompt")),
        list(Option.objects.values_list("pk", "text")),
    )
    assert after == before


def test_delete_survey_needs_confirmation_and_removes_responses(owner_client, active_survey):
    add_submissions(active_survey, 5)
    page = owner_client.get(reverse("surveys:delete", args=[active_survey.pk]))
    assert b"every response to it" in page.content
    assert Survey.objects.filter(pk=active_survey.pk).exists()

    response = owner_client.post(reverse("surveys:delete", args=[active_survey.pk]))
    assert response.url == reverse("surveys:list")
    assert not Survey.objects.filter(pk=active_survey.pk).exists()
    assert not Question.objects.filter(survey_id=active_survey.pk).exists()


def test_results_show_counts_and_percentages(owner_client, active_survey):
    first, second = (list(q.options.all()) for q in active_survey.questions.all())
    # Question 1: three takers chose its first option, one its second; question 2: all its third.
    for n in range(4):
        services.submit_response(
            survey=active_survey,
            token=f"taker-{n}",
            answers={
                first[0].question_id: first[0 if n < 3 else 1].pk,
                second[0].question_id: second[2].pk,
            },
        )
    response = owner_client.get(reverse("surveys:results", args=[active_survey.pk]))
    results = response.context["results"]
    assert results.submissions == 4
    q1, q2 = results.questions
    assert [(o.count, o.percent) for o in q1.bars] == [(3, 75.0), (1, 25.0), (0, 0.0)]
    assert [(o.count, o.percent) for o in q2.bars] == [(0, 0.0), (0, 0.0), (4, 100.0)]
    assert b"75%" in response.content and b"(3)" in response.content


def test_results_with_no_submissions_show_zero_percent(owner_client, active_survey):
    response = owner_client.get(reverse("surveys:results", args=[active_survey.pk]))
    assert response.context["results"].submissions == 0
    assert all(o.percent == 0 for q in response.context["results"].questions for o in q.bars)
    assert b"0%" in response.content


def test_log_out_is_a_post(owner_client):
    assert owner_client.get(reverse("accounts:logout")).status_code == 405
    response = owner_client.post(reverse("accounts:logout"))
    assert response.url == reverse("landing")
    assert owner_client.get(reverse("surveys:list")).status_code == 302


def test_log_in_redirects_only_to_this_site(client, owner, password):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": owner.username, "password": password, "next": "https://evil.example/"},
    )
    assert response.url == reverse("surveys:list")
