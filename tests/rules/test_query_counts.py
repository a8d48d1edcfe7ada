"""Query counts stay constant as data grows: every page and export is pinned, exactly, at
two very different sizes of questions, options and submissions (a survey with a question
of every kind, once or three times over)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dbtools.factories import add_mixed_submissions, answer_for, build_mixed_survey
from surveys.models import Question, Survey
from tests.helpers import answer_url, close_response, form_fields

pytestmark = pytest.mark.django_db

SIZES = [
    pytest.param((1, 2, 1), id="10-questions-2-options-1-submission"),
    pytest.param((3, 8, 40), id="30-questions-8-options-40-submissions"),
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
    with django_assert_num_queries(SESSION + 1 + 3 + 2):
        response = get(alice_client, "surveys:results", sized)
    assert response.context["results"].submissions == sized.submissions.count()


@sizes
def test_filtered_results_page(alice_client, sized, django_assert_num_queries):
    option = sized.questions.filter(kind=Question.Kind.SINGLE).first().options.first()
    # survey, the chosen option; questions, options; filtered submissions, answered per
    # question, chosen per option; numbers, texts; the unfiltered total
    with django_assert_num_queries(SESSION + 2 + 2 + 3 + 2 + 1):
        get(alice_client, "surveys:results", sized, chose=option.pk)


@sizes
def test_responses_page(alice_client, sized, django_assert_num_queries):
    # survey, questions, options, count, page of submissions, their answers
    with django_assert_num_queries(SESSION + 6):
        response = get(alice_client, "surveys:responses", sized)
    assert len(response.context["responses"]) == min(sized.submissions.count(), 20)


@sizes
def test_filtered_responses_page(alice_client, sized, django_assert_num_queries):
    option = sized.questions.filter(kind=Question.Kind.SINGLE).first().options.first()
    with django_assert_num_queries(SESSION + 7):  # the chosen option, then as above
        get(alice_client, "surveys:responses", sized, chose=option.pk)


@sizes
def test_text_answers_page(alice_client, sized, django_assert_num_queries):
    question = sized.questions.filter(kind=Question.Kind.SHORT_TEXT).first()
    # the question with its survey, count, page of answers
    with django_assert_num_queries(SESSION + 3):
        alice_client.get(reverse("surveys:question_answers", args=[question.pk]))


@sizes
def test_csv_export(alice_client, sized, django_assert_num_queries):
    # survey, questions, options, the submissions tally (inline or in the background?),
    # answers (one query, read in chunks)
    with django_assert_num_queries(SESSION + 5):
        response = get(alice_client, "surveys:export_csv", sized)
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + sized.submissions.count()


@sizes
def test_xlsx_export(alice_client, sized, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 5):
        close_response(get(alice_client, "surveys:export_xlsx", sized))


@sizes
def test_summary_export(alice_client, sized, django_assert_num_queries):
    with django_assert_num_queries(SESSION + 1 + 3 + 2):  # the results page's queries
        get(alice_client, "surveys:export_summary", sized)


@sizes
def test_answer_page(client, sized, django_assert_num_queries):
    cache.clear()  # submitting cached the structure
    with django_assert_num_queries(1 + 2):  # survey, questions, options: no session
        client.get(answer_url(sized))
    with django_assert_num_queries(1):  # the survey: its status can change any time
        Client().get(answer_url(sized))


@sizes
def test_submit(client, sized, django_assert_num_queries):
    data = {"token": client.get(answer_url(sized)).context["form"].initial["token"]}
    for question in sized.questions.prefetch_related("options"):
        data.update(form_fields(question, answer_for(question, 0)))
    # survey; submission, its answers in one multi-row insert, three tally upserts (survey,
    # questions, options); the savepoint and its release (the test runs in a transaction,
    # so the submission's own transaction is a savepoint here)
    with django_assert_num_queries(1 + 5 + 2) as captured:
        assert client.post(answer_url(sized), data).status_code == 302
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 5
