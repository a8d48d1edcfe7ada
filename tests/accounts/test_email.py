"""Confirming an email address, changing it, and the operator's start gate."""

import time

import pytest
from django.core import mail
from django.urls import reverse

from accounts.emails import verification_token
from accounts.models import VerifiedEmail, email_is_verified
from surveys import services
from surveys.models import Survey
from tests.helpers import link_in, one_letter_off

pytestmark = pytest.mark.django_db


def test_changing_email_needs_the_password_and_verification_again(client, alice, password):
    VerifiedEmail.objects.create(user=alice, email=alice.email)
    client.force_login(alice)
    refused = client.post(
        reverse("accounts:change_email"), {"email": "new@example.com", "password": "wrong"}
    )
    assert refused.status_code == 400
    client.post(
        reverse("accounts:change_email"), {"email": "new@example.com", "password": password}
    )
    alice.refresh_from_db()
    assert alice.email == "new@example.com" and not email_is_verified(alice)
    client.get(link_in(mail.outbox[-1]))
    assert email_is_verified(alice)


def test_old_verification_link_does_not_confirm_a_new_address(client, alice, password):
    client.force_login(alice)
    client.post(reverse("accounts:resend_verification"))
    old_link = link_in(mail.outbox[-1])
    client.post(
        reverse("accounts:change_email"), {"email": "new@example.com", "password": password}
    )
    assert client.get(old_link).status_code == 400
    alice.refresh_from_db()
    assert not email_is_verified(alice)


@pytest.mark.parametrize("tamper", ["forged", "flipped", "other address", "expired"])
def test_tampered_verification_link_is_refused_and_verifies_nothing(
    client, alice, monkeypatch, tamper
):
    token = verification_token(alice)
    if tamper == "forged":
        token = "forged:token"
    elif tamper == "flipped":
        token = one_letter_off(token)
    elif tamper == "other address":
        alice.email = "mallory@example.com"
        token = verification_token(alice)
        alice.refresh_from_db()
    else:
        real_time = time.time
        monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 24 * 3600 + 60)
    response = client.get(reverse("accounts:verify_email", args=[token]))
    assert response.status_code == 400
    assert not email_is_verified(alice) and not VerifiedEmail.objects.exists()


def test_start_gate_when_the_operator_requires_verification(
    alice_client, alice, draft_survey, settings
):
    settings.REQUIRE_VERIFIED_EMAIL_TO_PUBLISH = True
    alice.email = "owner@example.com"
    alice.save()
    response = alice_client.post(reverse("surveys:start", args=[draft_survey.pk]), follow=True)
    assert b"Confirm your email address first" in response.content
    draft_survey.refresh_from_db()
    assert draft_survey.is_draft

    VerifiedEmail.objects.create(user=alice, email=alice.email)
    services.start_survey(survey=draft_survey)
    draft_survey.refresh_from_db()
    assert draft_survey.is_active


def test_unverified_creators_can_start_by_default(alice, draft_survey):
    services.start_survey(survey=draft_survey)
    assert Survey.objects.get(pk=draft_survey.pk).is_active


def test_changing_email_again_and_again_cannot_flood_one_inbox(client, alice, password, caplog):
    # An account is free to make: without the sending policy, changing its address to a
    # stranger's over and over would mail that stranger once per change.
    client.force_login(alice)
    for _ in range(10):
        changed = client.post(
            reverse("accounts:change_email"),
            {"email": "victim@example.org", "password": password},
        )
        assert changed.status_code == 302  # the same answer whether or not it was sent
    to_victim = [m for m in mail.outbox if m.to == ["victim@example.org"]]
    assert len(to_victim) == 3  # MAIL_PER_RECIPIENT_PER_HOUR
    assert caplog.text.count("email refused by the sending policy kind=verification") == 7
    assert "victim@example.org" not in caplog.text


def test_the_confirmation_email_says_nothing_a_stranger_chose(client):
    client.post(
        reverse("accounts:signup"),
        {
            "username": "Buy-cheap-pills-at-spam",
            "email": "victim@example.org",
            "password1": "a long enough passphrase 7",
            "password2": "a long enough passphrase 7",
        },
    )
    (sent,) = mail.outbox
    body = sent.body + sent.alternatives[0][0]
    assert "spam" not in (sent.subject + body).lower()
    assert "victim@example.org" in body


@pytest.mark.parametrize("address", ["x@[127.0.0.1]", "x@localhost", "a%b@example.org"])
def test_odd_addresses_are_refused_at_sign_up_and_on_change(client, alice, password, address):
    signup = client.post(
        reverse("accounts:signup"),
        {
            "username": "newcomer",
            "email": address,
            "password1": "a long enough passphrase 7",
            "password2": "a long enough passphrase 7",
        },
    )
    assert signup.status_code == 200 and "ordinary email address" in signup.content.decode()
    client.force_login(alice)
    change = client.post(
        reverse("accounts:change_email"), {"email": address, "password": password}
    )
    assert change.status_code == 400
    alice.refresh_from_db()
    assert alice.email == "alice@example.com" and mail.outbox == []
