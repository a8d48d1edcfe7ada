"""Sharing a survey: QR codes of the link, and the submit rate limit per client."""

import pytest
from django.urls import reverse

from surveys.models import Submission

from .helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db


def test_qr_codes_for_the_owner(owner_client, active_survey):
    svg = owner_client.get(reverse("surveys:qr", args=[active_survey.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = owner_client.get(reverse("surveys:qr", args=[active_survey.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    page = owner_client.get(reverse("surveys:results", args=[active_survey.pk]))
    assert reverse("surveys:qr", args=[active_survey.pk, "svg"]).encode() in page.content
    assert b'data-copy-target="public-url"' in page.content and b"hidden" in page.content


def test_qr_codes_are_the_owners_alone(client, outsider_client, active_survey):
    for kind in ("svg", "png"):
        url = reverse("surveys:qr", args=[active_survey.pk, kind])
        assert outsider_client.get(url).status_code == 404
        assert client.get(url).url.startswith(reverse("accounts:login"))
    assert client.get(f"/surveys/{active_survey.pk}/qr.gif").status_code == 404


def test_too_many_answers_from_one_address_get_429_and_nothing_is_lost(
    client, active_survey, settings
):
    settings.SUBMISSIONS_PER_MINUTE = 2
    thanks = reverse("public:thanks", args=[active_survey.public_token])
    for _ in range(2):
        taker = client.__class__()
        assert (
            taker.post(answer_url(active_survey), answer_data(taker, active_survey)).url == thanks
        )
    third = client.__class__()
    response = third.post(answer_url(active_survey), answer_data(third, active_survey))
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert b"this one was not saved" in response.content
    assert Submission.objects.count() == 2
    other_client = client.__class__(REMOTE_ADDR="192.0.2.44")
    data = answer_data(other_client, active_survey)
    assert other_client.post(answer_url(active_survey), data).url == thanks
