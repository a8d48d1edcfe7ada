"""Every creator URL, for someone who is not the alice: log-in redirect or 404, nothing changed."""

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.urls.converters import IntConverter

from dbtools.factories import QuestionFactory, add_photo_response, build_survey
from surveys.models import Export, Question
from tests.helpers import database_state

pytestmark = pytest.mark.django_db

# (url name, which object's id it takes, then any further URL arguments)
URLS = [
    ("surveys:results", "survey"),
    ("surveys:responses", "survey"),
    ("surveys:edit", "survey"),
    ("surveys:preview", "survey"),
    ("surveys:share", "survey"),
    ("surveys:settings", "survey"),
    ("surveys:danger", "survey"),
    ("surveys:rename", "survey"),
    ("surveys:export_csv", "survey"),
    ("surveys:export_xlsx", "survey"),
    ("surveys:export_summary", "survey"),
    ("surveys:exports", "survey"),
    ("surveys:export_start", "survey"),
    ("surveys:export_detail", "export"),
    ("surveys:export_download", "export"),
    ("surveys:qr", "survey", "svg"),
    ("surveys:qr", "survey", "png"),
    ("surveys:new_version", "survey"),
    ("surveys:start", "survey"),
    ("surveys:close", "survey"),
    ("surveys:reopen", "survey"),
    ("surveys:closing", "survey"),
    ("surveys:respondents", "survey"),
    ("surveys:duplicate", "survey"),
    ("surveys:delete", "survey"),
    ("surveys:question_create", "survey"),
    ("surveys:question_edit", "question"),
    ("surveys:question_delete", "question"),
    ("surveys:question_move", "question", "up"),
    ("surveys:question_move", "question", "down"),
    ("surveys:question_answers", "text_question"),
    ("surveys:option_create", "question"),
    ("surveys:option_edit", "option"),
    ("surveys:option_delete", "option"),
    ("surveys:option_move", "option", "up"),
    ("surveys:option_move", "option", "down"),
    ("surveys:upload_download", "upload"),
    ("surveys:upload_thumbnail", "upload"),
]
# The creator URLs of an object that another file's matrix covers.
COVERED_ELSEWHERE = {"integrations": "tests/webhooks/test_pages.py::_owner_only_urls"}


CREATOR_URLS = [(name, kind, tuple(extra)) for name, kind, *extra in URLS]


FORM_DATA = {
    "title": "Hijacked",
    "prompt": "Hijacked",
    "kind": "single",
    "text": "Hijacked",
    "max_responses": "1",
}


@pytest.fixture(params=["draft", "active"])
def target(request, alice):
    survey = build_survey(owner=alice, status=request.param)
    question = survey.questions.last()  # the last, so it can move up
    text_question = QuestionFactory(
        survey=survey, kind=Question.KindChoices.SHORT_TEXT, position=9
    )
    return {
        "survey": survey,
        "question": question,
        "text_question": text_question,
        "option": question.options.last(),
        "export": Export.objects.create(survey=survey, format="csv"),
        "upload": add_photo_response(alice),
    }


def urls_of_objects(patterns, namespace=""):
    """The names of the routes that take an object's id (an <int:...> in the path)."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            converters = pattern.pattern.converters.values()
            if any(isinstance(c, IntConverter) for c in converters):
                yield f"{namespace}{pattern.name}"
        else:
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from urls_of_objects(pattern.url_patterns, inner)


def test_every_url_of_an_object_is_in_the_matrix():
    """Built from the URL resolver: a new creator URL fails here until it is listed."""
    routed = {
        name
        for name in urls_of_objects(get_resolver().url_patterns)
        if name.split(":")[0] in ("surveys", "integrations")
        and name.split(":")[0] not in COVERED_ELSEWHERE
    }
    assert routed - {name for name, *_ in URLS} == set()


def url_for(target, name, kind, extra):
    return reverse(name, args=[target[kind].pk, *extra])


@pytest.mark.parametrize("name, kind, extra", CREATOR_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_log_in(client, target, name, kind, extra, method):
    url = url_for(target, name, kind, extra)
    before = database_state()
    response = client.post(url, FORM_DATA) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"
    assert database_state() == before


@pytest.mark.parametrize("name, kind, extra", CREATOR_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_user_gets_404(bob_client, target, name, kind, extra, method):
    before = database_state()
    response = getattr(bob_client, method)(url_for(target, name, kind, extra), FORM_DATA)
    assert response.status_code == 404
    assert database_state() == before


@pytest.mark.parametrize("name, kind, extra", CREATOR_URLS)
@pytest.mark.parametrize("pk", [0, 987654, 2**63, 10**30])
def test_unknown_and_huge_ids_are_404(alice_client, target, name, kind, extra, pk):
    before = database_state()
    assert alice_client.post(reverse(name, args=[pk, *extra]), FORM_DATA).status_code == 404
    assert database_state() == before


@pytest.mark.parametrize(
    "name",
    [
        "surveys:list",
        "surveys:create",
        "accounts:settings",
        "accounts:change_email",
        "accounts:password_change",
        "surveys:my_data",
        "accounts:delete_account",
        "accounts:resend_verification",
    ],
)
def test_account_pages_need_log_in(client, alice, name):
    before = database_state()
    for response in (client.get(reverse(name)), client.post(reverse(name), FORM_DATA)):
        assert response.status_code == 302
        assert response.url == f"{reverse('accounts:login')}?next={reverse(name)}"
    assert database_state() == before


def test_list_shows_only_own_surveys(alice_client, bob_client, alice, bob):
    mine = build_survey(owner=alice, title="Mine")
    build_survey(owner=bob, title="Theirs")
    assert list(alice_client.get(reverse("surveys:list")).context["surveys"]) == [mine]


def test_option_of_foreign_question_cannot_be_added_via_own_survey(alice_client, bob):
    """The reference design's hole: adding options to another user's question."""
    foreign = build_survey(owner=bob).questions.first()
    before = database_state()
    response = alice_client.post(reverse("surveys:option_create", args=[foreign.pk]), FORM_DATA)
    assert response.status_code == 404
    assert database_state() == before
