"""Sign-up: a confirmation link, the same answer for known addresses, a rate limit."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import email_is_verified
from tests.helpers import link_in, sign_up

pytestmark = pytest.mark.django_db


def test_sign_up_sends_a_verification_link_that_confirms(client):
    assert sign_up(client, "grace", "grace@example.com").url == reverse("surveys:list")
    grace = get_user_model().objects.get(username="grace")
    assert not email_is_verified(grace)
    message = mail.outbox[-1]
    assert message.to == ["grace@example.com"] and "Confirm" in message.subject
    response = client.get(link_in(message))
    assert response.url == reverse("accounts:settings")
    assert email_is_verified(grace)


def test_sign_up_with_a_known_email_looks_the_same(alice):
    first, second = Client(), Client()
    known = sign_up(first, "alice2", "alice@example.com")
    unknown = sign_up(second, "fresh", "fresh@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    welcome = [m.message for m in first.get(known.url).context["messages"]]
    assert welcome == [
        "Welcome to Canvass, alice2. We sent a link to alice@example.com to confirm your address."
    ]


def test_sign_up_attempts_are_rate_limited_per_address(client, alice):
    """Sign-up says when a username is taken (usernames are public, docs/security.md);
    twenty attempts an hour from one address keep checking names in bulk slow."""
    for n in range(20):
        taken = sign_up(client, "alice", f"probe{n}@example.com")
        assert taken.status_code == 200
        assert "already exists" in str(taken.context["form"].errors)
    refused = sign_up(client, "alice", "probe@example.com")
    assert refused.status_code == 429
    assert sign_up(client, "newcomer", "new@example.com").status_code == 429
    assert not get_user_model().objects.filter(username="newcomer").exists()
    # Another address is not held up.
    assert sign_up(Client(REMOTE_ADDR="192.0.2.8"), "newcomer", "n@example.com").status_code == 302
