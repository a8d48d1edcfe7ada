"""Query counts stay constant as data grows: pinned at two very different sizes."""

import pytest
from django.urls import reverse

from surveys.factories import add_submissions, build_survey
from surveys.models import Survey

from .helpers import answer_url

pytestmark = pytest.mark.django_db

# session + user, then the page's own queries
LIST_QUERIES = 2 + 1
RESULTS_QUERIES = 2 + 1 + 3  # survey, then submissions count, questions, options with counts
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
    assert len(response.context["surveys"]) == surveys
    assert all(s.num_submissions == submissions for s in response.context["surveys"])


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
    assert all(sum(o.count for o in q.options) == submissions for q in results.questions)


@pytest.mark.parametrize("questions, options", [(1, 2), (25, 10)])
def test_answer_page(client, owner, django_assert_num_queries, questions, options):
    survey = build_survey(
        owner=owner, status=Survey.Status.ACTIVE, questions=questions, options=options
    )
    with django_assert_num_queries(ANSWER_QUERIES):
        client.get(answer_url(survey))
