"""What a stranger can make the site do through receipt links: the sending policy of
receipt emails (lib/mail_policy.py) and the hourly limit on every change through a link."""

import logging

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from dbtools.factories import build_survey
from lib import mail_policy
from surveys.models import Event, Submission, Survey

from .conftest import receipt_link
from .test_receipts import chosen, edit_data

VICTIM = "victim@example.org"
SPAM = "CHEAP PILLS at spam.example.net, click now"


def email(path, address, ip="127.0.0.1"):
    """Ask, as a client at `ip`, for the receipt at `path` to be emailed to `address`."""
    return Client(REMOTE_ADDR=ip).post(path + "email/", {"email": address})


def links(survey, n):
    """The receipt paths of `n` new responses to `survey`."""
    return [receipt_link(Client(), survey)[1] for _ in range(n)]


def looks_sent(response):
    """What the taker sees after asking: the redirect to their receipt and its message."""
    return (
        response.status_code,
        response["Location"],
        [str(m) for m in get_messages(response.wsgi_request)],
    )


@pytest.fixture
def spammy(active_survey):
    """The creator chose the text a spammer wants in the mail."""
    Survey.objects.filter(pk=active_survey.pk).update(title=SPAM)
    active_survey.refresh_from_db()
    return active_survey


# --- the sending policy --------------------------------------------------------------------


def test_four_responses_cannot_mail_one_address_twelve_times(spammy, caplog):
    """The reported relay: four responses, three emails each, to one outside address in
    seconds. Now that address gets MAIL_PER_RECIPIENT_PER_HOUR (3) and no more, and the
    eight refused asks look exactly like the sent ones."""
    caplog.set_level(logging.WARNING, logger="canvass.mail")
    answers = [email(path, VICTIM) for path in links(spammy, 4) for _ in range(3)]
    assert {(status, tuple(said)) for status, _, said in map(looks_sent, answers)} == {
        (302, ("The link is on its way. We didn't keep the address.",))
    }
    assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {VICTIM}
    refusals = [r for r in caplog.records if "refused by the sending policy" in r.message]
    assert len(refusals) == 9  # 12 asked, 3 sent
    assert all("kind=receipt cap=recipient" in r.message for r in refusals)


def test_the_email_carries_no_text_of_the_creator(spammy, settings):
    settings.SITE_URL = "https://surveys.example.com"
    (path,) = links(spammy, 1)
    email(path, "me@example.org")
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert message.subject == "Your link to your survey answers on surveys.example.com"
    for part in (message.subject, message.body, html):
        assert "PILLS" not in part and "spam.example" not in part
    assert f"https://surveys.example.com{path}" in message.body
    assert Submission.objects.get().receipt_code in message.body


@pytest.mark.parametrize("cap", ["recipient", "survey", "client", "site"])
def test_each_cap_holds_and_is_logged(active_survey, alice, settings, caplog, cap):
    """With one cap at 2 and the others out of reach, a third email the cap covers is not
    sent (and is logged, without the address); one it doesn't cover still goes."""
    caplog.set_level(logging.WARNING, logger="canvass.mail")
    for name in ("RECIPIENT", "SURVEY", "CLIENT"):
        setattr(settings, f"MAIL_PER_{name}_PER_HOUR", 100)
    settings.MAIL_PER_HOUR = 100
    setting = "MAIL_PER_HOUR" if cap == "site" else f"MAIL_PER_{cap.upper()}_PER_HOUR"
    setattr(settings, setting, 2)
    other_survey = build_survey(owner=alice, status=Survey.Status.ACTIVE, title="Other")
    paths = links(active_survey, 3)
    (elsewhere,) = links(other_survey, 1)
    # Three asks sharing only the capped thing: the same address, survey or client.
    for n, path in enumerate(paths):
        same = {
            "recipient": dict(address=VICTIM, ip=f"192.0.2.{n}"),
            "survey": dict(address=f"taker{n}@example.org", ip=f"192.0.2.{n}"),
            "client": dict(address=f"taker{n}@example.org", ip="192.0.2.99"),
            "site": dict(address=f"taker{n}@example.org", ip=f"192.0.2.{n}"),
        }[cap]
        assert email(path, **same).status_code == 302
    assert len(mail.outbox) == 2
    (refused,) = [r.message for r in caplog.records if r.name == "canvass.mail"]
    assert f"cap={cap}" in refused and "@" not in refused.split("to=")[1]
    assert f"survey={active_survey.pk}" in refused
    # Another address, another survey, another client: only the site-wide cap covers it.
    email(elsewhere, "someone.else@example.net", ip="198.51.100.7")
    assert len(mail.outbox) == (2 if cap == "site" else 3)


def test_a_refused_email_looks_exactly_like_a_sent_one(active_survey, settings):
    """No oracle: whoever asks can't tell whether someone else mailed that address."""
    settings.MAIL_PER_RECIPIENT_PER_HOUR = 1
    first, second = links(active_survey, 2)
    sent = email(first, VICTIM)
    refused = email(second, VICTIM)
    assert len(mail.outbox) == 1
    assert looks_sent(sent)[0] == looks_sent(refused)[0] == 302
    assert looks_sent(sent)[2] == looks_sent(refused)[2]
    assert sent["Location"] == first and refused["Location"] == second
    assert sorted(sent.headers) == sorted(refused.headers)
    assert sent.content == refused.content
    after_sent, after_refused = Client().get(first), Client().get(second)
    assert after_sent.status_code == after_refused.status_code == 200


def test_refused_asks_from_one_client_leave_the_site_its_allowance(active_survey, settings):
    """The caps are counted narrowest first: a client past its own cap uses up nothing of
    the recipient's, the survey's or the site's allowance."""
    settings.MAIL_PER_CLIENT_PER_HOUR = 1
    settings.MAIL_PER_HOUR = 2
    paths = links(active_survey, 3)
    for n, path in enumerate(paths[:2]):
        for m in range(3):
            email(path, f"t{n}{m}@example.org", ip="203.0.113.5")
    assert len(mail.outbox) == 1
    email(paths[2], "taker@example.org", ip="203.0.113.6")
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "address",
    [
        "x@[127.0.0.1]",
        "x@localhost",
        "x@mail.localhost",
        "a%b@example.org",
        "a!b@example.org",
    ],
)
def test_odd_addresses_are_refused_with_a_clear_message(active_survey, address, caplog):
    (path,) = links(active_survey, 1)
    response = email(path, address)
    assert response.status_code == 400 and mail.outbox == []
    assert "Enter an ordinary email address" in response.text
    assert "receipt email address refused" in caplog.text and address not in caplog.text


@pytest.mark.parametrize(
    "address",
    ["a.b+tag@sub.example.co.uk", "o'neil@example.ie", "x@bücher.de", "x@xn--bcher-kva.ch"],
)
def test_ordinary_addresses_pass_the_check(address):
    mail_policy.check_recipient(address)


@pytest.mark.parametrize(
    "address",
    [
        "x@example.com.",
        "x@1.2.3.4",
        "x@-a.example.org",
        "x@a..b",
        "x@intranet",
        "x@[IPv6:::1]",
        '"a b"@example.org',
        "x@a.example",
    ],
)
def test_hosts_a_mail_can_not_go_to_fail_the_check(address):
    with pytest.raises(ValidationError):
        mail_policy.check_recipient(address)


# --- every change through a link is limited ------------------------------------------------


def test_150_edits_through_one_link_stop_at_the_hourly_limit(client, active_survey, taken):
    """The reported flood: 150 edits in seconds through one link, each an event (and a
    webhook call per subscriber). Now RECEIPT_WRITES_PER_HOUR (20) go through; the other
    130 are a polite 429 that changes nothing and makes no event."""
    submission, path = taken
    Survey.objects.filter(pk=active_survey.pk).update(sends_events=True)
    picks = [edit_data(client, path, pick=0), edit_data(client, path, pick=1)]
    statuses = []
    for n in range(150):
        if n == 20:
            submission.refresh_from_db()
            after_twenty = chosen(submission), submission.edited_at
        statuses.append(client.post(path + "edit/", picks[n % 2]).status_code)
    assert statuses == [302] * 20 + [429] * 130
    submission.refresh_from_db()
    assert (chosen(submission), submission.edited_at) == after_twenty
    assert Event.objects.filter(type="response.edited").count() == 20
    refused = client.post(path + "edit/", picks[0])
    assert refused["Retry-After"] == "3600"
    assert "was not done" in refused.text and path in refused.text  # back to the answers
    assert client.get(path + "edit/").status_code == 200  # reading is not limited


def test_withdrawals_and_emails_count_against_one_clients_limit(active_survey, settings):
    """Every link from one client address shares RECEIPT_WRITES_PER_HOUR_PER_CLIENT."""
    settings.RECEIPT_WRITES_PER_HOUR_PER_CLIENT = 2
    first, second, third = links(active_survey, 3)
    assert email(first, "me@example.org", ip="203.0.113.9").status_code == 302
    withdraw = Client(REMOTE_ADDR="203.0.113.9").post
    assert withdraw(second + "withdraw/").status_code == 200
    assert withdraw(third + "withdraw/").status_code == 429
    assert email(first, "me@example.org", ip="203.0.113.9").status_code == 429
    assert Submission.objects.count() == 2 and len(mail.outbox) == 1
    assert Client(REMOTE_ADDR="203.0.113.10").post(third + "withdraw/").status_code == 200


def test_emails_count_against_the_links_limit(active_survey, settings):
    settings.RECEIPT_WRITES_PER_HOUR = 2
    (path,) = links(active_survey, 1)
    assert [email(path, "me@example.org").status_code for _ in range(3)] == [302, 302, 429]
    assert len(mail.outbox) == 2
