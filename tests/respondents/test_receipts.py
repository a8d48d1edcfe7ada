"""A taker's receipt: a code to quote and a private link to see, change or withdraw their
own response, while the survey is open and its creator allows it."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from surveys import receipts, services, tallies
from surveys.models import Event, Submission
from tests.helpers import (
    answer_data,
    answer_url,
    api_answers,
    api_submit,
    database_state,
    one_letter_off,
    row_counts,
)

from .conftest import receipt_link


def edit_data(client, path, pick):
    """The edit form as served (token included), with option `pick` of each question."""
    page = client.get(path + "edit/")
    assert page.status_code == 200
    data = {"token": page.context["form"].initial["token"]}
    for question in page.context["form"].questions.values():
        data[f"q_{question.pk}"] = str(question.options[pick].pk)
    return data


def chosen(submission):
    return sorted(submission.answers.values_list("option__text", flat=True))


def test_the_thank_you_page_shows_the_receipt_once(client, active_survey):
    thanks, path = receipt_link(client, active_survey)
    submission = Submission.objects.get()
    assert submission.receipt_code in thanks.text
    assert re.fullmatch(
        r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", submission.receipt_code
    )
    secret = path.split("/")[2].split(":")[0]
    # Only a digest of the link's secret is stored; the secret is no id.
    assert submission.receipt_hash == receipts.digest(secret) != secret
    assert "no-store" in thanks["Cache-Control"]
    again = client.get(reverse("public:thanks", args=[active_survey.public_token]))
    assert submission.receipt_code not in again.text and "/r/" not in again.text


def test_the_link_shows_its_own_response_and_no_other(client, active_survey):
    _, mine = receipt_link(client, active_survey, pick=0)
    _, theirs = receipt_link(Client(), active_survey, pick=1)
    first, second = Submission.objects.order_by("pk")
    page = client.get(mine)
    assert page.status_code == 200 and first.receipt_code in page.text
    assert second.receipt_code not in page.text
    assert page["X-Robots-Tag"] == "noindex" and "no-store" in page["Cache-Control"]
    assert [a for _, a in page.context["answers"]] == chosen(first)
    assert Client().get(theirs).context["submission"] == second


@pytest.mark.parametrize(
    "tamper",
    [
        lambda secret, sig: f"{one_letter_off(secret)}:{sig}",
        lambda secret, sig: f"{secret}:{one_letter_off(sig)}",
        lambda secret, sig: secret,
        lambda secret, sig: "1",
    ],
    ids=["secret changed", "signature changed", "unsigned", "an id"],
)
def test_a_tampered_link_is_404_and_changes_nothing(client, taken, tamper):
    _, path = taken
    secret, sig = path.split("/")[2].split(":")
    bad = f"/r/{tamper(secret, sig)}/"
    before = database_state()
    for suffix, method in [
        ("", "get"),
        ("edit/", "get"),
        ("edit/", "post"),
        ("withdraw/", "post"),
        ("email/", "post"),
    ]:
        response = getattr(client, method)(bad + suffix, {"email": "a@example.com"})
        assert response.status_code == 404, (suffix, method)
    assert database_state() == before and mail.outbox == []


def test_a_link_signed_for_an_unknown_secret_is_404(client, taken):
    assert client.get(receipts.receipt_path("not-a-stored-secret")).status_code == 404


def test_changing_answers_moves_the_counts_and_marks_the_response(client, active_survey, taken):
    submission, path = taken
    before = chosen(submission)
    response = client.post(path + "edit/", edit_data(client, path, pick=1))
    assert response.status_code == 302 and response["Location"] == path
    submission.refresh_from_db()
    assert chosen(submission) != before and submission.edited_at is not None
    assert Submission.objects.count() == 1
    assert tallies.recount([active_survey]) == []  # the tallies equal a recount
    page = client.get(path)
    assert "Your answers were changed." in page.text


def test_invalid_changes_show_the_form_errors_and_change_nothing(client, active_survey, taken):
    submission, path = taken
    data = edit_data(client, path, pick=1)
    first = next(name for name in data if name.startswith("q_"))
    data[first] = ""  # a required question left out
    before = database_state(), chosen(submission)
    response = client.post(path + "edit/", data)
    assert response.status_code == 200 and "Please answer this question." in response.text
    assert "Nothing was changed yet." in response.text
    assert (database_state(), chosen(submission)) == before


@pytest.mark.parametrize("tamper", ["foreign option", "another response's form"])
def test_a_tampered_edit_is_refused_and_changes_nothing(client, active_survey, taken, tamper):
    submission, path = taken
    data = edit_data(client, path, pick=1)
    if tamper == "foreign option":
        first = next(name for name in data if name.startswith("q_"))
        data[first] = "999999"
    else:
        data["token"] = Client().get(answer_url(active_survey)).context["form"].initial["token"]
    before = database_state(), chosen(submission)
    response = client.post(path + "edit/", data)
    assert response.status_code == 400
    assert (database_state(), chosen(submission)) == before


def test_withdrawing_deletes_the_response_and_takes_it_out_of_the_counts(
    client, active_survey, taken
):
    submission, path = taken
    receipt_link(Client(), active_survey, pick=1)  # someone else's stays
    assert client.get(path + "withdraw/").status_code == 200  # asks first
    response = client.post(path + "withdraw/")
    assert response.status_code == 200 and "Your response was deleted" in response.text
    assert not Submission.objects.filter(pk=submission.pk).exists()
    assert Submission.objects.count() == 1 == tallies.submission_count(active_survey)
    assert tallies.recount([active_survey]) == []
    assert client.get(path).status_code == 404
    assert client.post(path + "withdraw/").status_code == 404  # twice: gone already


@pytest.mark.parametrize("why", ["closed", "creator turned it off", "close date passed"])
def test_no_changes_once_the_survey_closes_or_its_creator_says_no(
    client, active_survey, taken, why
):
    submission, path = taken
    data = edit_data(client, path, pick=1)
    if why == "closed":
        services.close_survey(survey=active_survey)
        status = 410
    elif why == "close date passed":
        type(active_survey).objects.filter(pk=active_survey.pk).update(
            closes_at=timezone.now() - timezone.timedelta(minutes=1)
        )
        status = 410
    else:
        services.update_survey(survey=active_survey, respondents_can_edit=False)
        status = 403
    # (A passed close date closes the survey: only the answers must stay as they were.)
    before = row_counts(), chosen(submission)
    assert client.post(path + "edit/", data).status_code == status
    assert client.post(path + "withdraw/").status_code == status
    assert client.get(path + "edit/").status_code == status
    assert (row_counts(), chosen(submission)) == before
    page = client.get(path)  # still readable, without the buttons
    assert page.status_code == 200 and "Change my answers" not in page.text
    assert "receipt code" in page.text


def test_edits_and_withdrawals_are_webhook_events(client, active_survey, taken):
    submission, path = taken
    type(active_survey).objects.filter(pk=active_survey.pk).update(sends_events=True)
    client.post(path + "edit/", edit_data(client, path, pick=1))
    client.post(path + "withdraw/")
    edited, deleted = Event.objects.order_by("pk")
    assert edited.type == "response.edited" and edited.payload["data"]["id"] == submission.pk
    # The changed answers (option 1 of each question), not the first ones.
    assert [a["option_id"] for a in edited.payload["data"]["answers"]] == [
        list(question.options.all())[1].pk for question in active_survey.questions.all()
    ]
    assert deleted.type == "response.deleted"
    assert deleted.payload["data"] == {"id": submission.pk, "reason": "withdrawn"}


def test_the_link_can_be_emailed_a_few_times_and_the_address_is_not_kept(client, taken, settings):
    submission, path = taken
    for _ in range(3):
        response = client.post(path + "email/", {"email": "me@example.org"})
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    message = mail.outbox[0]
    assert message.to == ["me@example.org"] and path in message.body
    assert submission.receipt_code in message.body
    assert client.post(path + "email/", {"email": "me@example.org"}).status_code == 429
    assert client.post(path + "email/", {"email": "not an address"}).status_code == 400
    assert len(mail.outbox) == 3
    assert client.get(path + "email/").status_code == 405
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert "me@example.org" not in dump.getvalue()


def test_a_mail_server_that_is_down_is_a_clear_503(client, taken, monkeypatch):
    """Without a broker the email is sent in the request: a refusing mail server is a
    message on the page, not a 500."""
    _, path = taken

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("surveys.tasks.send", refuse)
    response = client.post(path + "email/", {"email": "me@example.org"})
    assert response.status_code == 503
    assert "could not be sent just now" in response.text and mail.outbox == []


def test_the_creator_sees_that_a_response_was_edited(client, alice_client, active_survey, taken):
    _, path = taken
    page = alice_client.get(reverse("surveys:responses", args=[active_survey.pk]))
    assert "edited" not in page.text
    client.post(path + "edit/", edit_data(client, path, pick=1))
    page = alice_client.get(reverse("surveys:responses", args=[active_survey.pk]))
    assert "· edited" in page.text


def test_the_api_gives_the_receipt_on_the_first_answer_only(alice_api, active_survey):
    taker = APIClient()
    first = api_submit(taker, active_survey, api_answers(active_survey))
    replay = api_submit(taker, active_survey, api_answers(active_survey))
    assert first.status_code == 201 and replay.status_code == 200
    submission = Submission.objects.get()
    assert first.json()["receiptCode"] == submission.receipt_code
    # A replay (or someone who guessed the key) is told it is recorded, not the receipt.
    assert replay.json()["receiptCode"] is None and replay.json()["receiptUrl"] is None
    assert first.json()["createdAt"] == replay.json()["createdAt"]
    path = "/" + first.json()["receiptUrl"].split("/", 3)[3]
    assert Client().get(path).context["submission"] == submission
    listed = alice_api.get(f"/api/v1/surveys/{active_survey.pk}/responses/").json()
    assert listed["results"][0]["editedAt"] is None


def test_a_survey_that_records_the_day_only_keeps_no_time(client, alice_client, active_survey):
    services.update_survey(survey=active_survey, record_day_only=True)
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    created = Submission.objects.get().created_at
    assert (created.hour, created.minute, created.second, created.microsecond) == (0, 0, 0, 0)
    page = alice_client.get(reverse("surveys:responses", args=[active_survey.pk]))
    assert created.strftime("%-d %b %Y") in page.text and "00:00" not in page.text


def test_no_address_or_browser_is_stored_with_a_response(active_survey):
    taker = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Marker-Browser/9.9")
    _, path = receipt_link(taker, active_survey)
    taker.post(path + "edit/", edit_data(taker, path, pick=1))
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert Submission.objects.count() == 1
    assert "203.0.113.77" not in dump.getvalue() and "Marker-Browser" not in dump.getvalue()
