"""Exactly-once under real concurrency: threads posting to a live server at the same moment."""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.db import connection
from urllib3 import encode_multipart_formdata

from dbtools.factories import answer_for, build_mixed_survey
from surveys import responses, tallies
from surveys.answers import clean_answers
from surveys.models import Answer, Question, Submission, Survey
from surveys.results import results_for
from tests.helpers import form_fields

pytestmark = pytest.mark.django_db(transaction=True)


class Taker:
    """A browser-like HTTP client with its own cookies."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.url


def filled_form(taker, survey):
    """GET the answer page and fill it in as a person would: the first option everywhere."""
    path = f"/s/{survey.public_token}/answer/"
    html = taker.get(path)
    data = dict(re.findall(r'name="(csrfmiddlewaretoken|token)" value="([^"]+)"', html))
    for name in dict.fromkeys(re.findall(r'name="(q_\d+)"', html)):
        data[name] = re.search(rf'name="{name}" value="(\d+)"', html).group(1)
    return path, data


def run_together(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results.append(target(i))
        except Exception as exc:  # reported below, so a failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def mixed_form(taker, survey, n):
    path = f"/s/{survey.public_token}/answer/"
    html = taker.get(path)
    data = dict(re.findall(r'name="(csrfmiddlewaretoken|token)" value="([^"]+)"', html))
    for question in survey.questions.prefetch_related("options"):
        data.update(form_fields(question, answer_for(question, n)))
    return path, data


def form_request(taker, path, data):
    """A POST of the form `data` as a browser sends it: multipart when it holds a file."""
    fields = []
    for name, value in data.items():
        if hasattr(value, "read"):
            value.seek(0)
            fields.append((name, (value.name, value.read(), value.content_type)))
        else:
            fields += [(name, v) for v in (value if isinstance(value, list) else [value])]
    body, content_type = encode_multipart_formdata(fields)
    headers = {"Referer": taker.base + path, "Content-Type": content_type}
    return urllib.request.Request(taker.base + path, data=body, headers=headers)


def post_form(taker, path, data):
    request = form_request(taker, path, data)
    try:
        with taker.opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_same_post_sent_twice_in_parallel_is_stored_once(live_server, active_survey):
    taker = Taker(live_server.url)
    path, data = filled_form(taker, active_survey)
    results = run_together(2, lambda _: taker.post(path, data))
    thanks = f"{live_server.url}/s/{active_survey.public_token}/thanks/"
    assert results == [(200, thanks), (200, thanks)]
    assert Submission.objects.count() == 1
    assert Answer.objects.count() == active_survey.questions.count()


def test_different_takers_in_parallel_are_all_stored_and_counted(live_server, active_survey):
    takers = [Taker(live_server.url) for _ in range(12)]
    forms = [filled_form(taker, active_survey) for taker in takers]
    run_together(12, lambda i: takers[i].post(*forms[i]))
    assert Submission.objects.count() == 12
    assert Answer.objects.count() == 12 * active_survey.questions.count()
    # The counters kept by each submission equal a recount of what is stored.
    assert tallies.recount([active_survey]) == []
    results = results_for(active_survey)
    assert results.submissions == 12
    assert [o.count for o in results.questions[0].bars] == [12, 0, 0]


def test_service_called_twice_at_once_creates_one_submission(active_survey):
    choices = {q.pk: q.options.first().pk for q in active_survey.questions.all()}

    def submit(_):
        try:
            submission, created = responses.submit_response(
                survey=active_survey,
                token="same-token",
                answers=clean_answers(active_survey, choices),
            )
            return submission.pk, created
        finally:
            connection.close()

    results = run_together(2, submit)
    assert sorted(created for _, created in results) == [False, True]
    assert len({pk for pk, _ in results}) == 1
    assert Submission.objects.count() == 1


def test_api_same_idempotency_key_in_parallel_is_stored_once(live_server, active_survey):
    body = json.dumps(
        {
            "answers": [
                {"questionId": q.pk, "optionId": q.options.first().pk}
                for q in active_survey.questions.all()
            ]
        }
    ).encode()
    url = f"{live_server.url}/api/v1/public/surveys/{active_survey.public_token}/responses/"

    def post(_):
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "parallel-1"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())

    results = run_together(4, post)
    assert sorted(status for status, _ in results) == [200, 200, 200, 201]
    # The same result for all, but the receipt only in the one that stored it.
    bodies = {json.dumps({**body, "receiptCode": None, "receiptUrl": None}) for _, body in results}
    assert len(bodies) == 1
    receipts = sorted((status, bool(body["receiptUrl"])) for status, body in results)
    assert receipts == [(200, False)] * 3 + [(201, True)]
    assert Submission.objects.count() == 1
    assert Answer.objects.count() == active_survey.questions.count()


def test_takers_of_every_kind_in_parallel_keep_the_tallies_exact(live_server, alice):
    """Multiple choice counts one row per tick and optional questions count only when
    answered: twelve takers at once, then the tallies must equal a recount."""
    survey = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    takers = [Taker(live_server.url) for _ in range(12)]
    forms = [mixed_form(taker, survey, i) for i, taker in enumerate(takers)]
    statuses = run_together(12, lambda i: post_form(takers[i], *forms[i]))
    assert statuses == [200] * 12  # each followed the redirect to the thank-you page
    assert Submission.objects.count() == 12
    stored, recounted = tallies.stored(survey), tallies.counted(survey.submissions.all())
    assert stored == recounted
    multiple = survey.questions.get(kind=Question.KindChoices.MULTIPLE)
    assert sum(stored[2][o.pk] for o in multiple.options.all() if o.pk in stored[2]) == 24


@pytest.mark.parametrize("limit", [1, 3])
def test_response_limit_holds_with_takers_in_parallel(live_server, alice, limit):
    """The survey's row lock lets one submission at a time count and insert: with ten
    takers at once exactly `limit` are stored, the rest are told it has closed."""
    survey = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE, max_responses=limit)
    takers = [Taker(live_server.url) for _ in range(10)]
    forms = [mixed_form(taker, survey, i) for i, taker in enumerate(takers)]
    statuses = run_together(10, lambda i: post_form(takers[i], *forms[i]))
    assert sorted(statuses) == [200] * limit + [410] * (10 - limit)
    assert Submission.objects.count() == limit
    survey.refresh_from_db()
    assert survey.is_closed
    assert tallies.recount([survey]) == []
