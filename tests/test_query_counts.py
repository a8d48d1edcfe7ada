"""Query counts stay constant as data grows: pinned at two very different sizes."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.factories import add_submissions, build_survey
from surveys.models import Survey

from .helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db

# session + user, then the page's own queries. Results come from the tallies.
LIST_QUERIES = 2 + 1
# session, user, survey; questions and options, each with its tallied counts summed in
# the same query, and the submissions tally
RESULTS_QUERIES = 2 + 1 + 3
ANSWER_QUERIES = 1 + 2  # survey, questions, options (no session, no user: public page)


@pytest.mark.parametrize(
    "surveys, questions, options, submissions", [(1, 1, 2, 1), (12, 8, 6, 150)]
)
def test_list_page(
    owner_client, owner, django_assert_num_queries, surveys, questions, options, submissions
):
    for _ in range(surveys):
        survey = build_survey(
            owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
        )
        add_submissions(survey, submissions)
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get(reverse("surveys:list"))
    listed = list(response.context["surveys"])
    assert len(listed) == surveys
    assert all(s.num_submissions == submissions for s in listed)
    assert listed == sorted(listed, key=lambda s: (s.created_at, s.pk), reverse=True)


@pytest.mark.parametrize("questions, options, submissions", [(1, 2, 1), (15, 8, 400)])
def test_results_page(
    owner_client, owner, django_assert_num_queries, questions, options, submissions
):
    survey = build_survey(
        owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
    )
    add_submissions(survey, submissions)
    with django_assert_num_queries(RESULTS_QUERIES):
        response = owner_client.get(reverse("surveys:results", args=[survey.pk]))
    results = response.context["results"]
    assert results.submissions == submissions
    assert len(results.questions) == questions
    assert all(sum(o.count for o in q.bars) == submissions for q in results.questions)


@pytest.mark.parametrize("questions, options", [(1, 2), (25, 10)])
def test_answer_page(client, owner, django_assert_num_queries, questions, options):
    survey = build_survey(
        owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
    )
    with django_assert_num_queries(ANSWER_QUERIES):
        client.get(answer_url(survey))


@pytest.mark.parametrize("questions, options", [(1, 2), (25, 10)])
def test_answer_page_from_cache(client, owner, django_assert_num_queries, questions, options):
    survey = build_survey(
        owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
    )
    client.get(answer_url(survey))  # fills the structure cache
    with django_assert_num_queries(1):  # the survey itself: its status can change any time
        Client().get(answer_url(survey))


@pytest.mark.parametrize("questions, options", [(1, 2), (25, 10)])
def test_submit(client, owner, django_assert_max_num_queries, questions, options):
    survey = build_survey(
        owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
    )
    data = answer_data(client, survey)
    # survey, submission, answers (one multi-row insert), three tally upserts (survey,
    # questions, options), plus the savepoint statements around them
    with django_assert_max_num_queries(9) as captured:
        assert client.post(answer_url(survey), data).status_code == 302
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 5


@pytest.mark.parametrize("questions, submissions", [(1, 1), (12, 300)])
def test_export(owner_client, owner, django_assert_num_queries, questions, submissions):
    survey = build_survey(owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=3)
    add_submissions(survey, submissions)
    # session, user, survey, questions, options, answers
    with django_assert_num_queries(6):
        response = owner_client.get(reverse("surveys:export_csv", args=[survey.pk]))
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + submissions
