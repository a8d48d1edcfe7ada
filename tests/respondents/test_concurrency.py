"""Edits, withdrawals and new responses at the same moment keep every count exact."""

import re

import pytest

from dbtools.factories import build_mixed_survey
from surveys import tallies
from surveys.models import Submission, Survey
from surveys.results import results_for
from tests.taker.test_exactly_once import (
    Taker,
    form_request,
    mixed_form,
    post_form,
    run_together,
)

pytestmark = pytest.mark.django_db(transaction=True)


def respond(taker, survey, n):
    """Answer as taker `n`; the path of the receipt link the thank-you page shows."""
    path, data = mixed_form(taker, survey, n)
    request = form_request(taker, path, data)
    with taker.opener.open(request, timeout=30) as response:  # on to the thank-you page
        thanks = response.read().decode()
    return re.search(r'id="receipt-url" type="text" value="https?://[^/]+(/r/[^"]+)"', thanks)[1]


def edit_form(taker, path, survey, n):
    """The edit page's form, answered as taker `n` would answer a fresh form."""
    html = taker.get(path + "edit/")
    data = dict(re.findall(r'name="(csrfmiddlewaretoken|token)" value="([^"]+)"', html))
    _, fresh = mixed_form(Taker(taker.base), survey, n)
    return {**fresh, **data}


def test_twenty_edits_withdrawals_and_new_responses_at_once_keep_the_counts_exact(
    live_server, alice
):
    survey = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    takers = [Taker(live_server.url) for _ in range(20)]
    links = [respond(takers[i], survey, i) for i in range(14)]
    edits = [edit_form(takers[i], links[i], survey, i + 5) for i in range(7)]
    withdrawals = {
        i: dict(
            re.findall(
                r'name="(csrfmiddlewaretoken)" value="([^"]+)"',
                takers[i].get(links[i] + "withdraw/"),
            )
        )
        for i in range(7, 14)
    }
    news = {i: mixed_form(takers[i], survey, i) for i in range(14, 20)}

    def act(i):
        if i < 7:
            return post_form(takers[i], links[i] + "edit/", edits[i])
        if i < 14:
            return post_form(takers[i], links[i] + "withdraw/", withdrawals[i])
        return post_form(takers[i], *news[i])

    statuses = run_together(20, act)
    assert statuses == [200] * 20
    assert Submission.objects.filter(survey=survey).count() == 14 - 7 + 6
    assert Submission.objects.filter(edited_at__isnull=False).count() == 7
    stored, recounted = tallies.stored(survey), tallies.counted(survey.submissions.all())
    assert stored == recounted
    assert results_for(survey).submissions == 13
