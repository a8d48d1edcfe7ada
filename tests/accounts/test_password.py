"""Password reset (links that work once, for two hours; rate limits) and change."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.urls import reverse

from dbtools.factories import UserFactory
from tests.helpers import LOGIN, ask_reset, link_in, log_in

pytestmark = pytest.mark.django_db


def test_reset_link_works_once(client, alice):
    assert ask_reset(client, "alice@example.com").url == reverse("accounts:password_reset_done")
    message = mail.outbox[-1]
    assert message.to == ["alice@example.com"]
    assert "reset the password" in message.body
    assert any(part[1] == "text/html" for part in message.alternatives)
    link = link_in(message)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    new = {"new_password1": "brand-new-phrase-1", "new_password2": "brand-new-phrase-1"}
    assert client.post(set_url, new).url == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("brand-new-phrase-1")

    again = Client().get(link, follow=True)
    assert not again.context["validlink"]


@pytest.mark.parametrize(("later", "valid"), [(timedelta(hours=1, minutes=59), True),
                                              (timedelta(hours=2, minutes=1), False)])  # fmt: skip
def test_reset_link_works_for_two_hours(client, alice, monkeypatch, later, valid):
    ask_reset(client, "alice@example.com")
    then = datetime.now() + later
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: then)
    assert client.get(link_in(mail.outbox[-1]), follow=True).context["validlink"] is valid


def test_reset_token_of_another_user_fails(client, alice):
    UserFactory(username="bob", email="bob@example.com")
    ask_reset(client, "alice@example.com")
    alice_link = link_in(mail.outbox[-1])
    ask_reset(client, "bob@example.com")
    bob_link = link_in(mail.outbox[-1])
    alice_uid = alice_link.strip("/").split("/")[-2]
    bob_token = bob_link.strip("/").split("/")[-1]
    mixed = reverse("accounts:password_reset_confirm", args=[alice_uid, bob_token])
    assert not client.get(mixed, follow=True).context["validlink"]


def test_reset_answers_the_same_for_unknown_addresses(client, alice):
    known = ask_reset(client, "alice@example.com")
    unknown = ask_reset(client, "nobody@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1
    done = client.get(known.url)
    assert b"If an account exists for that address" in done.content


def test_reset_requests_are_rate_limited(client, alice):
    for _ in range(5):
        assert ask_reset(client, "alice@example.com").status_code == 302
    limited = ask_reset(client, "alice@example.com")
    assert limited.status_code == 429
    assert b"try again in 60 minutes" in limited.content
    assert len(mail.outbox) == 5


def test_password_change_logs_out_other_sessions(alice, password):
    phone, laptop = Client(), Client()
    log_in(phone, "alice", password)
    log_in(laptop, "alice", password)
    response = laptop.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "another-phrase-9",
            "new_password2": "another-phrase-9",
        },
    )
    assert response.url == reverse("accounts:settings")
    assert laptop.get(reverse("surveys:list")).status_code == 200
    assert phone.get(reverse("surveys:list")).url.startswith(LOGIN)
