"""Caps no real survey reaches (surveys/services.py): 1,000 surveys per account, 200
questions per survey, 100 options per question. The services enforce them, so the pages
and the API refuse the one too many alike, with a clear message and nothing written."""

import pytest
from django.urls import reverse

from dbtools.factories import OptionFactory, QuestionFactory, SurveyFactory, build_survey
from surveys import services
from surveys.models import Option, Question, Survey
from tests.helpers import api_client, database_state

pytestmark = pytest.mark.django_db

SURVEYS_MESSAGE = (
    "An account can have at most 1000 surveys. Delete some you no longer need to make room."
)


@pytest.fixture
def full_question(alice):
    survey = build_survey(owner=alice, questions=1, options=0)
    question = survey.questions.get()
    Option.objects.bulk_create(
        Option(question=question, text=f"Option {n}", position=n) for n in range(1, 100)
    )
    return question


@pytest.fixture
def full_survey(alice):
    survey = SurveyFactory(owner=alice)
    Question.objects.bulk_create(
        Question(survey=survey, prompt=f"Q{n}", kind="short_text", position=n)
        for n in range(1, 201)
    )
    return survey


@pytest.fixture
def nearly_full_account(alice):
    Survey.objects.bulk_create(Survey(owner=alice, title=f"S{n}") for n in range(999))
    return alice


def test_the_caps_are_as_documented():
    assert services.MAX_SURVEYS_PER_OWNER == 1000
    assert services.MAX_QUESTIONS_PER_SURVEY == 200
    assert services.MAX_OPTIONS_PER_QUESTION == 100


def test_hundredth_option_is_taken_and_the_next_refused_on_the_page(alice_client, full_question):
    url = reverse("surveys:option_create", args=[full_question.pk])
    assert alice_client.post(url, {"text": "The hundredth"}).status_code == 302
    before = database_state()
    response = alice_client.post(url, {"text": "One too many"})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "A question can have at most 100 options." in errors
    assert database_state() == before


def test_options_over_the_cap_are_refused_by_the_api(alice, full_question):
    client = api_client(alice)
    url = f"/api/v1/questions/{full_question.pk}/options/"
    assert client.post(url, {"text": "The hundredth"}, format="json").status_code == 201
    before = database_state()
    response = client.post(url, {"text": "One too many"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "A question can have at most 100 options."}
    assert database_state() == before


def test_questions_over_the_cap_are_refused_on_the_page(alice_client, full_survey):
    before = database_state()
    response = alice_client.post(
        reverse("surveys:question_create", args=[full_survey.pk]),
        {"prompt": "One too many", "kind": "short_text", "required": "on"},
        follow=True,
    )
    assert "A survey can have at most 200 questions." in [
        str(m) for m in response.context["messages"]
    ]
    assert database_state() == before


def test_questions_over_the_cap_are_refused_by_the_api(alice, full_survey):
    before = database_state()
    response = api_client(alice).post(
        f"/api/v1/surveys/{full_survey.pk}/questions/",
        {"prompt": "One too many", "kind": "short_text"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "A survey can have at most 200 questions."}
    assert database_state() == before


def test_surveys_over_the_cap_are_refused_on_the_page(alice_client, nearly_full_account):
    url = reverse("surveys:create")
    assert alice_client.post(url, {"title": "The thousandth"}).status_code == 302
    before = database_state()
    response = alice_client.post(url, {"title": "One too many"})
    assert response.status_code == 200
    assert SURVEYS_MESSAGE in response.context["form"].non_field_errors()
    assert database_state() == before


def test_surveys_over_the_cap_are_refused_by_the_api(nearly_full_account):
    client = api_client(nearly_full_account)
    assert client.post("/api/v1/surveys/", {"title": "1000"}, format="json").status_code == 201
    response = client.post("/api/v1/surveys/", {"title": "1001"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": SURVEYS_MESSAGE}
    assert Survey.objects.count() == 1000


@pytest.mark.parametrize("action", ["surveys:duplicate", "surveys:new_version"])
def test_copies_count_towards_the_cap(alice_client, nearly_full_account, action):
    survey = build_survey(owner=nearly_full_account, status="active")
    before = database_state()
    response = alice_client.post(reverse(action, args=[survey.pk]), follow=True)
    assert SURVEYS_MESSAGE in [str(m) for m in response.context["messages"]]
    assert database_state() == before


def test_caps_belong_to_each_owner_and_survey(alice, bob, full_question):
    """Another account's surveys and another question's options don't count."""
    other = QuestionFactory(survey=full_question.survey, position=2)
    OptionFactory(question=other, position=1)
    assert services.add_option(question=other, text="Fine").question_id == other.pk
    Survey.objects.bulk_create(Survey(owner=alice, title=f"S{n}") for n in range(999))
    assert services.create_survey(owner=bob, title="Mine").owner == bob
