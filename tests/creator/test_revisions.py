"""Two editors never silently overwrite each other: a change sent with the revision it was
read at is refused (409 in the API, the form again on the page) once someone else has
changed the row, and nothing is written."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from surveys import services
from surveys.models import Option, Question, Survey
from tests.helpers import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(draft_survey):
    return draft_survey.questions.first()


def test_a_change_at_the_revision_read_is_saved_and_counted(alice_api, question):
    url = f"/api/v1/questions/{question.pk}/"
    read = alice_api.get(url).json()
    assert read["revision"] == 1
    saved = alice_api.patch(url, {"prompt": "Mine", "revision": 1}, format="json")
    assert saved.status_code == 200 and saved.json()["revision"] == 2
    question.refresh_from_db()
    assert (question.prompt, question.revision) == ("Mine", 2)


@pytest.mark.parametrize("part", ["survey", "question", "option"])
def test_a_stale_revision_is_a_409_with_the_row_as_it_is_now(alice_api, draft_survey, part):
    question = draft_survey.questions.first()
    row, field, url = {
        "survey": (draft_survey, "title", f"/api/v1/surveys/{draft_survey.pk}/"),
        "question": (question, "prompt", f"/api/v1/questions/{question.pk}/"),
        "option": (question.options.first(), "text", "/api/v1/options/"),
    }[part]
    if part == "option":
        url += f"{row.pk}/"
    # Someone else saves first, from another tab.
    assert alice_api.patch(url, {field: "Theirs", "revision": 1}, format="json").status_code == 200
    before = database_state()
    stale = alice_api.patch(url, {field: "Mine", "revision": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["detail"].startswith("This was changed after you opened it")
    assert body["current"][field] == "Theirs" and body["current"]["revision"] == 2
    assert body["current"]["id"] == row.pk
    assert database_state() == before


def test_a_change_without_a_revision_still_saves_and_counts(alice_api, question):
    url = f"/api/v1/questions/{question.pk}/"
    assert alice_api.patch(url, {"prompt": "One"}, format="json").json()["revision"] == 2
    assert alice_api.patch(url, {"prompt": "Two"}, format="json").json()["revision"] == 3


def test_a_revision_sent_with_a_new_row_is_ignored(alice_api, draft_survey):
    created = alice_api.post(
        f"/api/v1/surveys/{draft_survey.pk}/questions/",
        {"prompt": "New", "revision": 7},
        format="json",
    )
    assert created.status_code == 201 and created.json()["revision"] == 1


@pytest.mark.parametrize("revision", [0, -1, "2.5", True, None, "x"])
def test_a_malformed_revision_is_a_400_and_changes_nothing(alice_api, question, revision):
    before = database_state()
    refused = alice_api.patch(
        f"/api/v1/questions/{question.pk}/", {"prompt": "X", "revision": revision}, format="json"
    )
    assert refused.status_code == 400 and "revision" in refused.json()
    assert database_state() == before


def test_a_change_is_made_to_the_row_as_it_is_not_as_the_caller_read_it(question):
    """Without a revision, a write of one field keeps another editor's write of another."""
    read_earlier = Question.objects.get(pk=question.pk)
    services.update_question(question=Question.objects.get(pk=question.pk), help_text="Theirs")
    services.update_question(question=read_earlier, prompt="Mine")
    question.refresh_from_db()
    assert (question.prompt, question.help_text, question.revision) == ("Mine", "Theirs", 3)


def test_moves_do_not_make_an_editors_revision_stale(alice_api, draft_survey):
    first, second = draft_survey.questions.all()[:2]
    services.move_question(question=second, offset=-1)
    saved = alice_api.patch(
        f"/api/v1/questions/{first.pk}/", {"prompt": "Still mine", "revision": 1}, format="json"
    )
    assert saved.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_ten_editors_at_once_one_change_is_saved_the_others_told(live_server, alice, question):
    token = Token.objects.create(user=alice).key
    url = f"{live_server.url}/api/v1/questions/{question.pk}/"
    barrier = threading.Barrier(10)
    answers, errors = {}, []

    def edit(n):
        body = json.dumps({"prompt": f"Editor {n}", "revision": 1}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="PATCH",
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        try:
            barrier.wait(timeout=10)
            with urllib.request.urlopen(request, timeout=30) as response:
                answers[n] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            answers[n] = (error.code, json.loads(error.read()))
        except Exception as exc:  # reported below, so a failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200] + [409] * 9
    (winner,) = [n for n, (status, _) in answers.items() if status == 200]
    question.refresh_from_db()
    assert (question.prompt, question.revision) == (f"Editor {winner}", 2)
    # Every refused editor is shown the winner's change.
    assert {body["current"]["prompt"] for status, body in answers.values() if status == 409} == {
        f"Editor {winner}"
    }


def test_the_question_page_keeps_what_was_typed_when_someone_saved_first(alice_client, question):
    url = reverse("surveys:question_edit", args=[question.pk])
    page = alice_client.get(url).content.decode()
    assert 'name="revision" value="1"' in page
    services.update_question(question=question, prompt="Theirs")
    before = database_state()
    data = {"prompt": "Mine", "kind": question.kind, "required": "on", "revision": "1"}
    again = alice_client.post(url, data)
    assert again.status_code == 200
    page = again.content.decode()
    assert "so your change was not saved" in page and 'value="Mine"' in page
    assert 'name="revision" value="2"' in page
    assert database_state() == before
    # Saving again means "mine, over theirs".
    saved = alice_client.post(url, {**data, "revision": "2"})
    assert saved.status_code == 302
    question.refresh_from_db()
    assert (question.prompt, question.revision) == ("Mine", 3)


@pytest.mark.parametrize("name", ["option_edit", "rename"])
def test_the_option_and_title_pages_refuse_a_stale_save(alice_client, draft_survey, name):
    option = draft_survey.questions.first().options.first()
    row, field, update = {
        "option_edit": (option, "text", services.update_option),
        "rename": (draft_survey, "title", services.update_survey),
    }[name]
    update(**{"option" if name == "option_edit" else "survey": row, field: "Theirs"})
    before = database_state()
    url = reverse(f"surveys:{name}", args=[row.pk])
    again = alice_client.post(url, {field: "Mine", "revision": "1"})
    assert again.status_code == 200 and "so your change was not saved" in again.content.decode()
    assert database_state() == before


def test_two_editors_limits_are_checked_together_on_the_question_as_it_is(draft_survey):
    """Each change was valid on the row its editor read; together they are not."""
    question = services.add_question(
        survey=draft_survey, prompt="How many?", kind="number", min_value=1, max_value=10
    )
    read_by_b = Question.objects.get(pk=question.pk)
    services.update_question(question=Question.objects.get(pk=question.pk), min_value=5)
    before = database_state()
    with pytest.raises(ValidationError):
        services.update_question(question=read_by_b, max_value=3)
    assert database_state() == before
    question.refresh_from_db()
    assert (question.min_value, question.max_value, question.revision) == (5, 10, 2)


def test_a_patch_that_changes_nothing_writes_nothing(alice_api, draft_survey):
    option = draft_survey.questions.first().options.first()
    services.update_option(option=Option.objects.get(pk=option.pk), text="Theirs")
    before = database_state()
    for url, body in [
        (f"/api/v1/options/{option.pk}/", {}),
        (f"/api/v1/options/{option.pk}/", {"revision": 2}),
        (f"/api/v1/questions/{option.question_id}/", {}),
        (f"/api/v1/surveys/{draft_survey.pk}/", {}),
    ]:
        assert alice_api.patch(url, body, format="json").status_code == 200
    assert database_state() == before  # the text "Theirs" stayed, no revision counted


def test_a_row_deleted_since_it_was_read_is_a_404_not_a_crash(alice_api, draft_survey):
    option = draft_survey.questions.first().options.first()
    read_earlier = Option.objects.get(pk=option.pk)
    services.delete_option(option=option)
    with pytest.raises(Http404):
        services.update_option(option=read_earlier, text="Mine")


def test_the_settings_tab_refuses_a_stale_save(alice_client, active_survey):
    services.update_survey(survey=active_survey, title="Renamed by someone else")
    before = database_state()
    closes = {"max_responses": "5", "one_response_per_browser": "on", "revision": "1"}
    response = alice_client.post(reverse("surveys:closing", args=[active_survey.pk]), closes)
    assert response.status_code == 302
    page = alice_client.get(response.url).content.decode()
    assert "so your change was not saved" in page
    active_survey.refresh_from_db()
    assert active_survey.max_responses is None and database_state() == before


def test_reopening_counts_the_close_date_it_clears(closed_survey):
    Survey.objects.filter(pk=closed_survey.pk).update(closes_at=timezone.now())
    services.reopen_survey(survey=closed_survey)
    closed_survey.refresh_from_db()
    assert closed_survey.closes_at is None and closed_survey.revision == 2


def test_copies_start_at_revision_one(alice, draft_survey):
    question = draft_survey.questions.first()
    services.update_question(question=question, prompt="Edited twice")
    services.update_question(question=question, prompt="Edited three times")
    copy = services.duplicate_survey(survey=draft_survey, owner=alice)
    assert {q.revision for q in copy.questions.all()} == {1}
