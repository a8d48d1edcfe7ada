"""Query counts stay constant as data grows: every page and export is pinned, exactly, at
two very different sizes of questions, options and submissions (a survey with a question
of every kind, once or three times over)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dbtools.factories import (
    MIXED_QUESTIONS,
    add_mixed_submissions,
    answer_for,
    build_mixed_survey,
)
from surveys.models import Question, Survey
from tests.helpers import answer_url, close_response, form_fields

pytestmark = pytest.mark.django_db

KINDS = len(MIXED_QUESTIONS)  # a file question among them: its files take a query or two
SIZES = [
    pytest.param((1, 2, 1), id=f"{KINDS}-questions-2-options-1-submission"),
    pytest.param((3, 8, 40), id=f"{3 * KINDS}-questions-8-options-40-submissions"),
]


# Every creator page starts with the session and the user.
SESSION = 2


@pytest.fixture
def sized(alice, request):
    copies, options, submissions = request.param
    survey = build_mixed_survey(
        owner=alice, status=Survey.Status.ACTIVE, copies=copies, options=options
    )
    add_mixed_submissions(survey, submissions)
    return survey


def sizes(test):
    return pytest.mark.parametrize("sized", SIZES, indirect=True)(test)


def get(client, name, survey, **query):
    return client.get(reverse(name, args=[survey.pk]), query)


@sizes
def test_list_page(alice_client, sized, alice, django_assert_num_queries):
    build_mixed_survey(owner=alice)  # a draft beside it
    with django_assert_num_queries(SESSION + 1):  # surveys with their tallied counts
        response = alice_client.get(reverse("surveys:list"))
    assert len(response.context["surveys"]) == 2


@sizes
def test_results_page(alice_client, sized, django_assert_num_queries):
    # survey; questions and options, each with its tallied counts summed in the same query;
    # the submissions tally; the numbers', dates' and times' distribution; the newest texts
    # and the newest files' thumbnails
    with django_assert_num_queries(SESSION + 1 + 3 + 3):
        response = get(alice_client, "surveys:results", sized)
    assert response.status_code == 200
    assert response.context["results"].submissions == sized.submissions.count()


@sizes
@pytest.mark.parametrize("tab", ["surveys:share", "surveys:settings", "surveys:danger"])
def test_the_workspace_tabs_without_answers(alice_client, sized, tab, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 1):  # the survey
        response = get(alice_client, tab, sized)
    assert response.status_code == 200


@sizes
def test_the_build_tab_of_a_started_survey(alice_client, sized, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 1 + 2):  # the survey; questions; options
        response = get(alice_client, "surveys:edit", sized)
    assert response.status_code == 200
    assert len(response.context["questions"]) == sized.questions.count()


@sizes
def test_filtered_results_page(alice_client, sized, django_assert_num_queries):
    option = sized.questions.filter(kind=Question.KindChoices.SINGLE).first().options.first()
    # survey, the chosen option; questions, options; filtered submissions, answered per
    # question, chosen per option; numbers, texts, thumbnails; the unfiltered total
    with django_assert_num_queries(SESSION + 2 + 2 + 3 + 3 + 1):
        response = get(alice_client, "surveys:results", sized, chose=option.pk)
    assert response.status_code == 200


@sizes
def test_responses_page(alice_client, sized, django_assert_num_queries):
    # survey, questions, options, count, page of submissions, their answers, their files
    with django_assert_num_queries(SESSION + 7):
        response = get(alice_client, "surveys:responses", sized)
    assert response.status_code == 200
    assert len(response.context["responses"]) == min(sized.submissions.count(), 20)


@sizes
def test_filtered_responses_page(alice_client, sized, django_assert_num_queries):
    option = sized.questions.filter(kind=Question.KindChoices.SINGLE).first().options.first()
    with django_assert_num_queries(SESSION + 8):  # the chosen option, then as above
        response = get(alice_client, "surveys:responses", sized, chose=option.pk)
    assert response.status_code == 200


@sizes
def test_text_answers_page(alice_client, sized, django_assert_num_queries):
    question = sized.questions.filter(kind=Question.KindChoices.SHORT_TEXT).first()
    # the question with its survey, count, page of answers
    with django_assert_num_queries(SESSION + 3):
        response = alice_client.get(reverse("surveys:question_answers", args=[question.pk]))
    assert response.status_code == 200


@sizes
def test_csv_export(alice_client, sized, django_assert_num_queries):
    # survey, questions, options, the submissions tally (inline or in the background?),
    # answers (one query, read in chunks)
    with django_assert_num_queries(SESSION + 5):
        response = get(alice_client, "surveys:export_csv", sized)
        assert response.status_code == 200
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + sized.submissions.count()


@sizes
def test_xlsx_export(alice_client, sized, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 5):
        response = get(alice_client, "surveys:export_xlsx", sized)
        assert response.status_code == 200
        close_response(response)


@sizes
def test_summary_export(alice_client, sized, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 1 + 3 + 3):  # the results page's queries
        response = get(alice_client, "surveys:export_summary", sized)
    assert response.status_code == 200


@sizes
def test_answer_page(client, sized, django_assert_num_queries):
    cache.clear()  # submitting cached the structure
    with django_assert_num_queries(1 + 2):  # survey, questions, options: no session
        assert client.get(answer_url(sized)).status_code == 200
    with django_assert_num_queries(1):  # the survey: its status can change any time
        assert Client().get(answer_url(sized)).status_code == 200


@sizes
def test_submit(client, sized, django_assert_num_queries):
    data = {"token": client.get(answer_url(sized)).context["form"].initial["token"]}
    for question in sized.questions.prefetch_related("options"):
        data.update(form_fields(question, answer_for(question, 0)))
    # survey; submission, its answers in one multi-row insert, its files' rows in another,
    # three tally upserts (survey, questions, options); the savepoint and its release (the
    # test runs in a transaction, so the submission's own transaction is a savepoint here)
    with django_assert_num_queries(1 + 6 + 2) as captured:
        assert client.post(answer_url(sized), data).status_code == 302
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 6
