"""The settings page: the API token, and the page after a refused change."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.helpers import api_client

pytestmark = pytest.mark.django_db


def test_failed_email_change_still_shows_the_api_token(client, alice):
    token = Token.objects.create(user=alice)
    client.force_login(alice)
    response = client.post(
        reverse("accounts:change_email"), {"email": "new@example.com", "password": "wrong"}
    )
    assert response.status_code == 400
    assert response.context["api_token"] == token
    assert b"Create a token" not in response.content
    assert b"Replace token" in response.content


def test_token_page_creates_and_revokes(alice_client, alice):
    alice_client.post(reverse("accounts:api_token"), {"action": "create"})
    token = Token.objects.get(user=alice)
    assert token.key.encode() in alice_client.get(reverse("accounts:settings")).content
    assert api_client(alice).get("/api/v1/surveys/").status_code == 200
    alice_client.post(reverse("accounts:api_token"), {"action": "revoke"})
    assert not Token.objects.filter(user=alice).exists()
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert revoked.get("/api/v1/surveys/").status_code == 401
