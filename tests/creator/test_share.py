"""Sharing a survey: its link as a QR code."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_qr_codes_for_the_owner(alice_client, active_survey):
    svg = alice_client.get(reverse("surveys:qr", args=[active_survey.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = alice_client.get(reverse("surveys:qr", args=[active_survey.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert alice_client.get(f"/surveys/{active_survey.pk}/qr.gif").status_code == 404
    page = alice_client.get(reverse("surveys:share", args=[active_survey.pk]))
    assert reverse("surveys:qr", args=[active_survey.pk, "svg"]).encode() in page.content
    assert b'data-copy-target="public-url"' in page.content and b"hidden" in page.content
