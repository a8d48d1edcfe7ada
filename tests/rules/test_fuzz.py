"""Property-based fuzzing (Hypothesis) of every page and every API endpoint.

Each route is sent arbitrary input by an anonymous visitor, its alice and another user:
texts of every script and control character, numbers in every notation, huge values,
arbitrary JSON nested at any depth, raw bytes. Whatever comes in:

- the answer is never a 5xx;
- a refusal (a 4xx, or a form shown again with errors) writes nothing to the database;
- an API answer of 4xx is JSON.

Every URL the site routes is listed here or excluded with a reason (a test checks), so a
new page or endpoint is fuzzed from the day it exists. Examples are derandomized (the same
every run) and each runs in a transaction rolled back afterwards, so one example's writes
can't starve the next; FUZZ_EXAMPLES raises the count for a longer local run."""

import hashlib
import json
import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.forms import BaseForm
from django.test import Client
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbtools.factories import (
    UserFactory,
    add_mixed_submissions,
    add_photo_response,
    answer_for,
    build_mixed_survey,
)
from integrations import services as integrations
from surveys import responses, tasks
from surveys.answers import clean_answers
from surveys.models import Question, Survey
from surveys.receipts import signed_link
from tests.helpers import api_client, close_response

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


NASTY = [
    "", " ", "0", "-1", "1e1000000", "1E+2", "NaN", "inf", "1_0", "\uff11\uff12",
    "\u0661\u0662", "9" * 400, "0.00001", "-0", "\x00", "a\x00b", "\u202e", "\ud7ff",
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%00", "=SUM(A1)",
    "x" * 6000, "\n\r\t", "true", "null", "[]", "{}",
]  # fmt: skip


texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


form_values = st.one_of(texts, st.lists(texts, min_size=2, max_size=3))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)


json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


# Keys of every API body, so fuzzed values reach the serializers, not only unknown keys.
API_KEYS = [
    "title", "prompt", "kind", "text", "helpText", "required", "minChoices", "maxChoices",
    "minValue", "maxValue", "oneResponsePerBrowser", "answers", "questionId", "optionId",
    "optionIds", "number", "url", "events", "description", "active", "eachResponse",
    "dailyDigest", "includeAnswers",
]  # fmt: skip


answer_objects = st.fixed_dictionaries(
    {},
    optional={
        "questionId": json_scalars,
        "optionId": json_scalars,
        "optionIds": st.lists(json_scalars, max_size=4),
        "text": json_scalars,
        "number": json_scalars,
    },
)


json_bodies = st.one_of(
    st.dictionaries(st.sampled_from(API_KEYS), json_values, max_size=5),
    st.fixed_dictionaries({"answers": st.lists(answer_objects, max_size=6)}),
    json_values,
)


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=5000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=1, max_value=3000).map(
        lambda depth: '{"a":' * depth + "1" + "}" * depth
    ),
)


@dataclass(frozen=True)
class Route:
    name: str
    args: tuple = ()  # names of objects in the world (or literal path parts)
    fields: tuple = ()  # form fields the page takes, fuzzed alongside unknown ones
    query: tuple = ()  # query string parameters it reads


SURVEY_FIELDS = ("title",)


QUESTION_FIELDS = ("prompt", "kind", "help_text", "required", "min_choices", "max_choices",
                   "min_value", "max_value")  # fmt: skip


CLOSING_FIELDS = ("closes_at", "max_responses", "one_response_per_browser")


RESPONDENTS_FIELDS = ("respondents_can_edit", "retention_days", "record_day_only", "contact")


ENDPOINT_FIELDS = ("url", "description", "events")


NOTIFICATION_FIELDS = ("each_response", "daily_digest", "include_answers")


ACCOUNT_FIELDS = ("username", "email", "password", "password1", "password2", "old_password",
                  "new_password1", "new_password2", "action", "next")  # fmt: skip


PAGES = [
    Route("landing"),
    Route("accounts:signup", fields=ACCOUNT_FIELDS),
    Route("accounts:login", fields=ACCOUNT_FIELDS, query=("next",)),
    Route("accounts:logout"),
    Route("accounts:resend_verification"),
    Route("accounts:verify_email", args=("fuzzed",)),
    Route("accounts:settings"),
    Route("accounts:change_email", fields=ACCOUNT_FIELDS),
    Route("accounts:api_token", fields=ACCOUNT_FIELDS),
    Route("accounts:retention", fields=("retention_days",)),
    Route("accounts:password_change", fields=ACCOUNT_FIELDS),
    Route("surveys:my_data"),
    Route("accounts:delete_account", fields=ACCOUNT_FIELDS),
    Route("accounts:password_reset", fields=ACCOUNT_FIELDS),
    Route("accounts:password_reset_done"),
    Route("accounts:password_reset_confirm", args=("fuzzed", "fuzzed"), fields=ACCOUNT_FIELDS),
    Route("accounts:password_reset_complete"),
    Route("surveys:list"),
    Route("surveys:create", fields=SURVEY_FIELDS),
    Route("surveys:results", args=("survey",), query=("chose",)),
    Route("surveys:edit", args=("draft",)),
    Route("surveys:preview", args=("draft",)),
    Route("surveys:share", args=("survey",)),
    Route("surveys:settings", args=("survey",)),
    Route("surveys:danger", args=("survey",)),
    Route("surveys:rename", args=("survey",), fields=SURVEY_FIELDS),
    Route("surveys:responses", args=("survey",), query=("chose", "page")),
    Route("surveys:export_csv", args=("survey",)),
    Route("surveys:export_xlsx", args=("survey",)),
    Route("surveys:export_summary", args=("survey",)),
    Route("surveys:new_version", args=("survey",)),
    Route("surveys:exports", args=("survey",)),
    Route("surveys:export_start", args=("survey",), fields=("format",)),
    Route("surveys:export_detail", args=("export",)),
    Route("surveys:export_download", args=("export",)),
    Route("surveys:upload_download", args=("upload",)),
    Route("surveys:upload_thumbnail", args=("upload",)),
    Route("surveys:qr", args=("survey", "svg")),
    Route("surveys:start", args=("draft",)),
    Route("surveys:close", args=("survey",)),
    Route("surveys:reopen", args=("survey",)),
    Route("surveys:closing", args=("survey",), fields=CLOSING_FIELDS),
    Route("surveys:respondents", args=("survey",), fields=RESPONDENTS_FIELDS),
    Route("surveys:duplicate", args=("survey",)),
    Route("surveys:delete", args=("draft",)),
    Route("surveys:question_create", args=("draft",), fields=QUESTION_FIELDS),
    Route("surveys:question_edit", args=("draft_question",), fields=QUESTION_FIELDS),
    Route("surveys:question_delete", args=("draft_question",)),
    Route("surveys:question_answers", args=("text_question",), query=("search", "chose", "page")),
    Route("surveys:question_move", args=("draft_question", "up")),
    Route("surveys:option_create", args=("draft_question",), fields=("text",)),
    Route("surveys:option_edit", args=("draft_option",), fields=("text",)),
    Route("surveys:option_delete", args=("draft_option",)),
    Route("surveys:option_move", args=("draft_option", "down")),
    Route("public:start", args=("token",)),
    Route("public:answer", args=("token",), fields=("token", "q_1", "q_2", "q_3")),
    Route("public:thanks", args=("token",)),
    Route("public:privacy", args=("token",)),
    Route("receipts:show", args=("receipt",)),
    Route("receipts:edit", args=("receipt",), fields=("token", "q_1", "q_2", "q_3")),
    Route("receipts:withdraw", args=("receipt",)),
    Route("receipts:email", args=("receipt",), fields=("email",)),
    Route("integrations:survey", args=("survey",)),
    Route("integrations:endpoint_create", args=("survey",), fields=ENDPOINT_FIELDS),
    Route("integrations:notifications", args=("survey",), fields=NOTIFICATION_FIELDS),
    Route("integrations:endpoint", args=("endpoint",), query=("failed", "page")),
    Route("integrations:endpoint_update", args=("endpoint",), fields=ENDPOINT_FIELDS),
    Route("integrations:endpoint_pause", args=("endpoint",)),
    Route("integrations:endpoint_rotate", args=("endpoint",)),
    Route("integrations:endpoint_test", args=("endpoint",)),
    Route("integrations:endpoint_replay_failed", args=("endpoint",)),
    Route("integrations:endpoint_delete", args=("endpoint",)),
    Route("integrations:delivery_replay", args=("delivery",)),
    Route("integrations:unsubscribe", args=("fuzzed",)),
    Route("health"),
    Route("ping"),
]


API = [
    Route("api:api-root"),
    Route("api:survey-list"),
    Route("api:survey-detail", args=("survey",)),
    Route("api:survey-close", args=("survey",)),
    Route("api:survey-reopen", args=("survey",)),
    Route("api:survey-new-version", args=("survey",)),
    Route("api:survey-start", args=("draft",)),
    Route("api:survey-publish", args=("draft",)),
    Route("api:survey-questions", args=("draft",)),
    Route("api:survey-responses", args=("survey",), query=("page",)),
    Route("api:survey-results", args=("survey",)),
    Route("api:survey-exports", args=("survey",)),
    Route("api:export-detail", args=("export",)),
    Route("api:export-download", args=("export",)),
    Route("api:question-detail", args=("draft_question",)),
    Route("api:question-options", args=("draft_question",)),
    Route("api:question-move", args=("draft_question",)),
    Route("api:question-duplicate", args=("draft_question",)),
    Route("api:option-detail", args=("draft_option",)),
    Route("api:option-move", args=("draft_option",)),
    Route("api:kinds"),
    Route("api:survey-webhooks", args=("survey",)),
    Route("api:survey-notifications", args=("survey",)),
    Route("api:webhook-detail", args=("endpoint",)),
    Route("api:webhook-rotate-secret", args=("endpoint",)),
    Route("api:webhook-test", args=("endpoint",)),
    Route("api:webhook-replay-failed", args=("endpoint",)),
    Route("api:webhook-attempts", args=("endpoint",), query=("failed", "page")),
    Route("api:delivery-detail", args=("delivery",)),
    Route("api:delivery-replay", args=("delivery",)),
    Route("api:public-survey", args=("token",)),
    Route("api:public-submit", args=("token",)),
    Route("api:public-submit-with-files", args=("token",)),
    Route("api:schema"),
    Route("api:docs"),
]


# Routes not fuzzed here, and why.
NOT_FUZZED = {"admin": "Django's own admin, for staff only (no account here is staff)"}


def route_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.fixture
def world(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    survey = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    add_mixed_submissions(survey, 3)
    export, _ = tasks.start_export(survey=survey, format="csv")  # built in-process
    draft = build_mixed_survey(owner=alice)
    draft_question = draft.questions.get(kind=Question.KindChoices.MULTIPLE)
    # Never contacted: nothing sends in these tests (WEBHOOK_SEND_IN_PROCESS is off).
    endpoint = integrations.add_endpoint(
        survey=survey, url="https://example.com/hooks", events=["response.submitted"]
    )
    questions = survey.questions.prefetch_related("options")
    submission, _ = responses.submit_response(
        survey=survey,
        token="fuzzed-taker",
        answers=clean_answers(survey, {q.pk: answer_for(q, 0) for q in questions}),
    )
    return {
        "users": {"anonymous": None, "owner": alice, "other": bob},
        "upload": add_photo_response(alice).pk,
        "receipt": signed_link(submission.receipt_secret),
        "survey": survey.pk,
        "token": survey.public_token,
        "text_question": survey.questions.get(kind=Question.KindChoices.SHORT_TEXT).pk,
        "export": export.pk,
        "draft": draft.pk,
        "draft_question": draft_question.pk,
        "draft_option": draft_question.options.first().pk,
        "endpoint": endpoint.pk,
        "delivery": integrations.send_test_event(endpoint=endpoint),
    }


def url_of(route, world, fuzzed_part):
    args = [world.get(arg, fuzzed_part if arg == "fuzzed" else arg) for arg in route.args]
    return reverse(route.name, args=args)


# Tables written on purpose by a refused request: a failed log-in is recorded (django-axes).
WRITTEN_ON_REFUSAL = ("axes_",)


def fingerprint():
    """A hash of every row of every table (the fuzz world is small)."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table.startswith(WRITTEN_ON_REFUSAL):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            digest.update(table.encode())
            digest.update(repr(sorted(map(repr, cursor.fetchall()))).encode())
    return digest.hexdigest()


def refused(response):
    if response.status_code >= 400:
        return True
    contexts = (
        response.context if isinstance(response.context, ContextList) else [response.context]
    )
    values = [value for context in contexts if context for value in context.flatten().values()]
    forms = [value for value in values if isinstance(value, BaseForm) and value.is_bound]
    return response.status_code == 200 and any(form.errors for form in forms)


def read_fully(response):
    if response.streaming:
        b"".join(response.streaming_content)
        close_response(response)


def check(world, persona, send):
    """Send one fuzzed request inside a transaction that is rolled back afterwards."""
    cache.clear()  # rate-limit counters must not turn later examples into 429s
    with transaction.atomic():
        before = fingerprint()
        response = send()
        read_fully(response)
        assert response.status_code < 500
        if refused(response):
            assert fingerprint() == before, f"a refused request wrote: {response.status_code}"
        transaction.set_rollback(True)
    return response


def web_client(world, persona):
    client = Client(raise_request_exception=False)
    if world["users"][persona]:
        client.force_login(world["users"][persona])
    return client


PERSONAS = ["anonymous", "owner", "other"]


def _encode(query):
    from urllib.parse import urlencode

    return urlencode(query)


def test_every_route_is_fuzzed():
    fuzzed = {route.name for route in PAGES + API}
    routed = {
        name for name in route_names(get_resolver().url_patterns)
        if name.split(":")[0] not in NOT_FUZZED
    }  # fmt: skip
    assert routed - fuzzed == set(), "add the new routes to this file"
    assert fuzzed - routed == set()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", PAGES, ids=lambda route: route.name)
@FUZZ
@given(data=st.data())
def test_pages_survive_anything(world, route, persona, data):
    client = web_client(world, persona)
    fuzzed_part = data.draw(st.text(min_size=1, max_size=60).filter(lambda t: "/" not in t))
    url = url_of(route, world, fuzzed_part)
    query = data.draw(st.dictionaries(st.sampled_from([*route.query, "x"]), texts, max_size=3))
    keys = st.sampled_from([*route.fields, "csrfmiddlewaretoken", "q_999", "extra"])
    body = data.draw(st.dictionaries(keys, form_values, max_size=len(route.fields) + 2))
    method = data.draw(st.sampled_from(["get", "post"]))
    if method == "get":
        check(world, persona, lambda: client.get(url, query))
    else:
        check(world, persona, lambda: client.post(f"{url}?{_encode(query)}", body))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", API, ids=lambda route: route.name)
@FUZZ
@given(data=st.data())
def test_api_survives_anything_and_answers_json(world, route, persona, data):
    client = api_client(world["users"][persona])
    client.raise_request_exception = False
    url = url_of(route, world, "fuzzed")
    method = data.draw(st.sampled_from(["get", "post", "put", "patch", "delete"]))
    headers = {"HTTP_IDEMPOTENCY_KEY": data.draw(st.sampled_from(["k1", "", "../x", "k" * 61]))}
    if method == "get":
        query = data.draw(st.dictionaries(st.sampled_from([*route.query, "x"]), texts, max_size=2))
        response = check(world, persona, lambda: client.get(url, query, **headers))
    else:
        if data.draw(st.booleans()):
            body = json.dumps(data.draw(json_bodies), allow_nan=True)
        else:
            body = data.draw(raw_bodies)
        send = getattr(client, method)
        response = check(
            world,
            persona,
            lambda: send(url, body, content_type="application/json", **headers),
        )
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json", response.content[:200]
